"""Rate limits per client and per address, the body cap, and JSON for every
error nginx makes itself."""

import http.client
import os
import re
import secrets
import socket
import subprocess
import threading
import time

import pytest

from conftest import edge_stack, setting_default, wait_for
from sandrun_client import JSON_CT, assert_json_error, read_to_end
from stack import SRC_DIR


def add_key(edge, name):
    key = secrets.token_hex(16)
    with open(os.path.join(edge.state_dir, "sandrun-api-keys.conf"), "a") as f:
        f.write(f"{key} {name};\n")
    subprocess.run(["nginx", "-s", "reload", "-c", os.path.join(edge.state_dir, "nginx.conf")],
                   check=True, timeout=30)
    assert wait_for(lambda: edge.request("GET", "/health").status == 200 and
                    edge.execute(key=key).status == 200, timeout=20), "new key not taken"
    return key


def test_burst_beyond_the_rate_gets_429_while_others_are_served(edge):
    noisy, calm = add_key(edge, "noisy"), add_key(edge, "calm")
    time.sleep(2.5)     # let the zones refill after add_key's own requests
    calm_results = []

    def calm_client():
        for _ in range(8):
            r = edge.execute(key=calm, source_address=("127.0.0.3", 0))
            calm_results.append(r.status)
            time.sleep(0.25)

    t = threading.Thread(target=calm_client)
    t.start()
    statuses, limited = [], None
    conn = edge.connection(source_address=("127.0.0.2", 0))
    try:
        for _ in range(60):
            r = edge.request("GET", "/health", headers={"X-API-Key": noisy}, conn=conn)
            statuses.append(r.status)
            if r.status == 429 and limited is None:
                limited = r
    finally:
        conn.close()
    t.join()
    ok, too_many = statuses.count(200), statuses.count(429)
    assert ok + too_many == 60, statuses
    # burst 20 (+1 for the first request, + what refilled meanwhile)
    assert 20 <= ok <= 30, statuses
    assert too_many >= 30, statuses
    assert_json_error(limited, 429)
    assert limited.json["error"] == "rate limit exceeded"
    assert limited.headers.get("Retry-After") == "1", limited.headers
    assert calm_results == [200] * 8, calm_results


def test_flood_of_bad_keys_is_limited_per_address(edge):
    time.sleep(2.5)
    statuses = []
    last = None
    conn = edge.connection(source_address=("127.0.0.4", 0))
    try:
        for _ in range(80):
            last = edge.request("POST", "/execute", body=b"{}",
                                headers={"X-API-Key": "bad" + secrets.token_hex(4),
                                         "Content-Type": "application/json"}, conn=conn)
            statuses.append(last.status)
    finally:
        conn.close()
    assert set(statuses) == {401, 429}, statuses
    assert 40 <= statuses.count(401) <= 50, statuses
    assert statuses[-1] == 429
    assert_json_error(last, 429)
    assert last.headers.get("Retry-After") == "1"
    # another address is not affected
    r = edge.execute(source_address=("127.0.0.5", 0))
    assert r.status == 200, r


def test_oversize_body_413_json(edge):
    # past client_max_body_size (16m, = max_body_bytes): nginx's own 413
    body = b'{"script": "' + b"#" * (16 * 1024 * 1024 + 10) + b'"}'
    r = edge.post("/execute", body)
    assert_json_error(r, 413)
    assert r.json["error"] == "request body too large"


def test_body_at_the_cap_reaches_the_application(edge):
    script = "def main():\n    return 1\n#"
    pad = 1024 * 1024 - len('{"script": ""}') - len(script) - 200
    r = edge.post("/execute", {"script": script + "x" * pad})
    assert r.status == 200, r


def test_client_max_body_size_equals_the_application_cap():
    # max_body_bytes default (jobs/config.c) == client_max_body_size
    with open(os.path.join(SRC_DIR, "nginx", "sandrun-api.conf")) as f:
        n = re.search(r"^client_max_body_size\s+(\d+)([km]?);", f.read(), re.M)
    size = int(n.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[n.group(2)]
    assert size == int(setting_default("max_body_bytes"))


def test_fastcgi_read_timeout_above_the_largest_script_timeout():
    with open(os.path.join(SRC_DIR, "nginx", "sandrun-api.conf")) as f:
        n = re.search(r"^fastcgi_read_timeout\s+(\d+)s;", f.read(), re.M)
    assert int(n.group(1)) > float(setting_default("max_timeout_s"))


# ---------------------------------------------------------------- every nginx error is JSON

def test_400_malformed_request(edge):
    import ssl
    s = socket.create_connection(("127.0.0.1", edge.https_port), timeout=10)
    s = edge.ssl_context().wrap_socket(s, server_hostname="127.0.0.1")
    s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    data = read_to_end(s)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), data
    assert b"Content-Type: application/json; charset=utf-8" in head, data
    assert b'"error"' in body


def test_403_metrics_from_elsewhere(edge):
    assert edge.request("GET", "/metrics").status == 200
    r = edge.request("GET", "/metrics", source_address=("127.0.0.2", 0))
    assert_json_error(r, 403)


def test_404_and_405(edge):
    assert_json_error(edge.request("GET", "/nope"), 404)
    r = edge.request("GET", "/execute", headers={"X-API-Key": edge.key})
    assert_json_error(r, 405)
    assert r.headers.get("Allow") == "POST"


def test_503_with_retry_after_when_no_backend_answers():
    """A port nobody listens on (connection refused on every try), as while
    the service restarts: the client is told to come back."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with edge_stack("sandrun-edge-502-", backends=[f"127.0.0.1:{port}"]) as e:
        r = e.execute()
        assert_json_error(r, 503)
        assert r.headers.get("Retry-After") == "1", r
        assert "retry" in r.json["error"], r
        assert e.request("GET", "/health").status == 503


def test_504_when_the_backend_cannot_be_reached_in_time():
    # A listening socket whose accept queue is full: the kernel drops new
    # SYNs, so nginx's connect times out (fastcgi_connect_timeout).
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    port = lsock.getsockname()[1]
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(c)
    time.sleep(0.5)
    try:
        with edge_stack("sandrun-edge-504-", backends=[f"127.0.0.1:{port}"]) as e:
            r = e.execute()
            assert_json_error(r, 504)
    finally:
        for c in fillers:
            c.close()
        lsock.close()


ERRORS = (400, 401, 403, 404, 405, 413, 429, 500, 502, 503, 504)
# nginx's own errors answered with another status (error_page CODE =OTHER)
ANSWERED_AS = {502: 503}


def test_every_nginx_error_has_a_json_page():
    """The statuses the tests above cannot make nginx produce on demand
    (500, 503) are checked in the configuration: each has an error_page to
    a location that returns a JSON body with an "error" string."""
    import json
    with open(os.path.join(SRC_DIR, "nginx", "sandrun-api.conf")) as f:
        conf = f.read()
    for code in ERRORS:
        shown = ANSWERED_AS.get(code, code)
        eq = f"={shown} " if shown != code else ""
        m = re.search(rf"^error_page {code} {eq}(\S+);", conf, re.M)
        assert m, f"no error_page for {code}"
        loc = re.search(rf"location = {re.escape(m.group(1))} \{{(.*?)\n?\s*\}}\n", conf, re.S)
        assert loc, f"no location {m.group(1)}"
        ret = re.search(rf"return {shown} '(.*?)\\n';", loc.group(1))
        var = re.search(rf'return {shown} "\$(\w+)\\n";', loc.group(1))
        assert ret or var, f"{code}: {loc.group(1)!r}"
        bodies = [ret.group(1)] if ret else _map_values(var.group(1))
        assert bodies, f"{code}: no map gives ${var.group(1)}"
        for body in bodies:
            assert isinstance(json.loads(body)["error"], str)


def _map_values(var):
    """The values a map in sandrun-maps.conf gives $var (single-quoted)."""
    with open(os.path.join(SRC_DIR, "nginx", "sandrun-maps.conf")) as f:
        maps = f.read()
    m = re.search(rf"^map \S+ \${var} \{{(.*?)^\}}", maps, re.S | re.M)
    return re.findall(r"'(.*?)';", m.group(1)) if m else []
