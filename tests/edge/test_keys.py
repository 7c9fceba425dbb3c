"""API keys at the edge: both header forms, 401 JSON with WWW-Authenticate,
the key never reaching a backend nor a log."""

import json
import socket
import struct
import threading

import pytest

from conftest import edge_stack
from sandrun_client import assert_json_error


@pytest.mark.parametrize("headers", [
    {},
    {"X-API-Key": ""},
    {"X-API-Key": "wrong-key"},
    {"Authorization": "Bearer wrong-key"},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic ZGV2OmRldg=="},
], ids=["missing", "empty", "wrong-x-api-key", "wrong-bearer", "bearer-no-key", "basic"])
def test_missing_or_wrong_key_401(edge, headers):
    r = edge.post("/execute", {"script": "def main():\n    return 1\n"}, key=None,
                  headers=headers)
    assert_json_error(r, 401)
    assert r.json["error"] == "missing or invalid API key"
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers


@pytest.mark.parametrize("form", ["x-api-key", "bearer", "bearer-lowercase"])
def test_right_key_both_forms(edge, form):
    h = {"x-api-key": {"X-API-Key": edge.key},
         "bearer": {"Authorization": "Bearer " + edge.key},
         "bearer-lowercase": {"Authorization": "bearer " + edge.key}}[form]
    r = edge.post("/execute", {"script": "def main():\n    return 7\n"}, key=None, headers=h)
    assert r.status == 200, r
    assert r.json["result"] == 7


def test_key_never_logged(edge):
    edge.execute()
    edge.post("/execute", {"script": "x"}, key=None,
              headers={"Authorization": "Bearer " + edge.key})
    for name in ("nginx-access.log", "nginx-error.log", "sandrun.log"):
        assert edge.key not in edge.log(name), name
    assert " client=dev " in edge.log("nginx-access.log")


# ---------------------------------------------------------------- what a backend receives

class RecordingBackend:
    """A FastCGI responder on loopback TCP that records every request's
    params and answers 200 {"ok": true}."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.params = []
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                self._one(c)

    @staticmethod
    def _read(c, n):
        b = b""
        while len(b) < n:
            chunk = c.recv(n - len(b))
            if not chunk:
                raise EOFError
            b += chunk
        return b

    def _one(self, c):
        params, rid = b"", 1
        try:
            while True:
                _v, t, rid, clen, plen = struct.unpack("!BBHHBx", self._read(c, 8))
                content = self._read(c, clen)
                self._read(c, plen)
                if t == 4:
                    params += content
                elif t == 5 and clen == 0:
                    break
        except EOFError:
            return
        self.params.append(self._decode(params))
        out = b"Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{\"ok\": true}\n"
        rec = struct.pack("!BBHHBx", 1, 6, rid, len(out), 0) + out
        rec += struct.pack("!BBHHBx", 1, 6, rid, 0, 0)
        rec += struct.pack("!BBHHBx", 1, 3, rid, 8, 0) + struct.pack("!IB3x", 0, 0)
        c.sendall(rec)

    @staticmethod
    def _decode(b):
        out, i = {}, 0
        def ln():
            nonlocal i
            if b[i] < 128:
                i += 1
                return b[i - 1]
            v = struct.unpack("!I", b[i:i + 4])[0] & 0x7FFFFFFF
            i += 4
            return v
        while i < len(b):
            nl, vl = ln(), ln()
            out[b[i:i + nl].decode()] = b[i + nl:i + nl + vl].decode(errors="replace")
            i += nl + vl
        return out

    def close(self):
        self.stop = True
        self.sock.close()


@pytest.fixture(scope="module")
def recording():
    backend = RecordingBackend()
    with edge_stack("sandrun-edge-rec-", backends=[f"127.0.0.1:{backend.port}"]) as e:
        yield e, backend
    backend.close()


def test_backend_never_receives_the_key(recording):
    e, backend = recording
    backend.params.clear()
    for h in ({"X-API-Key": e.key}, {"Authorization": "Bearer " + e.key}):
        r = e.post("/execute", {"script": "def main():\n    return 1\n"}, key=None, headers=h)
        assert r.status == 200 and r.json == {"ok": True}, r
    assert len(backend.params) == 2
    for p in backend.params:
        assert p.get("API_CLIENT") == "dev", p
        assert len(p.get("REQUEST_ID", "")) == 32, p
        for name, value in p.items():
            assert e.key not in value, (name, value)
            assert e.key not in name
        assert p.get("HTTP_X_API_KEY", "") == ""
        assert p.get("HTTP_AUTHORIZATION", "") == ""


def test_rejected_requests_never_reach_the_backend(recording):
    e, backend = recording
    backend.params.clear()
    r = e.post("/execute", {"script": "x"}, key="wrong")
    assert r.status == 401
    assert backend.params == []
