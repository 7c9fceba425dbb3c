"""HTTPS with the generated certificate, the redirect from HTTP, TLS 1.1
refused, HSTS."""

import http.client
import ssl

import pytest

from sandrun_client import JSON_CT


def test_https_verifies_with_the_generated_certificate(edge):
    r = edge.request("GET", "/health")
    assert r.status == 200, r
    assert r.json["status"] == "healthy"
    assert r.content_type == JSON_CT


def test_hsts_on_https_answers_and_errors(edge):
    for path in ("/health", "/nope"):
        r = edge.request("GET", path)
        hsts = r.headers.get("Strict-Transport-Security", "")
        assert hsts.startswith("max-age="), r.headers
        assert int(hsts.split("=")[1].split(";")[0]) >= 31536000
    r = edge.execute(key="wrong")
    assert r.status == 401 and r.headers.get("Strict-Transport-Security"), r


def _plain(edge, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", edge.http_port, timeout=10)
    try:
        c.request(method, path, body=body, headers={"Host": "api.example.test"})
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def test_http_get_redirects_to_https(edge):
    status, headers, body = _plain(edge, "GET", "/health?x=1")
    assert status == 301
    assert headers["Location"] == "https://api.example.test/health?x=1"
    assert headers["Content-Type"] == JSON_CT
    assert b"error" in body and body.strip().startswith(b"{")
    assert "Strict-Transport-Security" not in headers


def test_http_post_redirects_keeping_the_method(edge):
    status, headers, body = _plain(edge, "POST", "/execute", body=b"{}")
    assert status == 308
    assert headers["Location"] == "https://api.example.test/execute"
    assert headers["Content-Type"] == JSON_CT


def test_plain_http_serves_nothing_but_redirects(edge):
    for method, path in (("GET", "/metrics"), ("GET", "/"), ("DELETE", "/execute")):
        status, headers, _b = _plain(edge, method, path)
        assert status in (301, 308), (method, path, status)
        assert headers["Location"].startswith("https://"), headers


def _handshake(edge, version, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(edge.cafile)
    ctx.minimum_version = version
    ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    c = http.client.HTTPSConnection("127.0.0.1", edge.https_port, timeout=10, context=ctx)
    try:
        c.request("GET", "/health")
        return c.sock.version(), c.getresponse().status
    finally:
        c.close()


@pytest.mark.parametrize("version,name", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                                          (ssl.TLSVersion.TLSv1_3, "TLSv1.3")])
def test_tls_12_and_13_accepted(edge, version, name):
    assert _handshake(edge, version) == (name, 200)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_tls_10_and_11_refused(edge, version):
    # SECLEVEL=0 so that it is the server that refuses, not our own OpenSSL.
    with pytest.raises(ssl.SSLError) as e:
        _handshake(edge, version, ciphers="DEFAULT:@SECLEVEL=0")
    assert "VERSION" in str(e.value).upper() or "ALERT" in str(e.value).upper(), e.value


def test_openssl_s_client_tls11_refused(edge):
    import subprocess
    def s_client(*opts):
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{edge.https_port}",
                               "-CAfile", edge.cafile, *opts],
                              input="", capture_output=True, text=True, timeout=20)
    ok = s_client("-tls1_2")
    assert ok.returncode == 0 and "Verify return code: 0 (ok)" in ok.stdout, ok.stdout
    bad = s_client("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert bad.returncode != 0, bad.stdout
    assert "Cipher is (NONE)" in bad.stdout or "alert" in bad.stderr.lower(), bad.stdout + bad.stderr


def test_weak_tls12_ciphers_refused(edge):
    # Only ECDHE + AEAD suites: a client offering only CBC or RSA key
    # exchange gets no handshake.
    for cipher in ("AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"):
        with pytest.raises(ssl.SSLError):
            _handshake(edge, ssl.TLSVersion.TLSv1_2, ciphers=cipher + ":@SECLEVEL=0")
