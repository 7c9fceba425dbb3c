"""A minimal FastCGI client (responder role), enough to talk to sandrun-fcgi
without nginx: for the socket-activation, spawn-fcgi and peer-address tests.
"""

import json
import socket
import struct

VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
RESPONDER = 1


def _record(rtype, content, request_id=1):
    out = b""
    # a record holds at most 65535 bytes of content
    for i in range(0, max(len(content), 1), 65535):
        chunk = content[i:i + 65535]
        out += struct.pack("!BBHHBx", VERSION, rtype, request_id, len(chunk), 0) + chunk
    return out


def _name_value(name, value):
    def length(n):
        return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


class FcgiResponse:
    def __init__(self, status, headers, body, stderr):
        self.status = status
        self.headers = headers
        self.body = body
        self.stderr = stderr

    @property
    def json(self):
        return json.loads(self.body.decode())

    def __repr__(self):
        return f"<FcgiResponse {self.status} {self.body[:300]!r}>"


class ConnectionRefusedByPeer(Exception):
    """The server closed the connection without answering."""


def request(address, method="GET", uri="/health", body=b"", headers=None,
            timeout=30, source_address=None, family=None):
    """Send one request; address is a unix socket path or a (host, port)
    tuple.  Returns an FcgiResponse, or raises ConnectionRefusedByPeer when
    the server closes the connection without a single byte of answer."""
    if isinstance(address, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        fam = family or (socket.AF_INET6 if ":" in address[0] else socket.AF_INET)
        s = socket.socket(fam, socket.SOCK_STREAM)
        if source_address:
            s.bind(source_address)
    s.settimeout(timeout)
    try:
        s.connect(address)
        params = {
            "REQUEST_METHOD": method,
            "REQUEST_URI": uri,
            "SCRIPT_NAME": uri.split("?")[0],
            "DOCUMENT_URI": uri.split("?")[0],
            "QUERY_STRING": uri.partition("?")[2],
            "SERVER_PROTOCOL": "HTTP/1.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "REQUEST_ID": "0123456789abcdef0123456789abcdef",
        }
        if body:
            params["CONTENT_TYPE"] = "application/json"
        params.update(headers or {})
        p = b"".join(_name_value(k, v) for k, v in params.items())
        msg = _record(BEGIN_REQUEST, struct.pack("!HB5x", RESPONDER, 0))
        msg += _record(PARAMS, p) + _record(PARAMS, b"")
        if body:
            msg += _record(STDIN, body)
        msg += _record(STDIN, b"")
        try:
            s.sendall(msg)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise ConnectionRefusedByPeer(str(e))
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data:
        raise ConnectionRefusedByPeer("closed without an answer")

    stdout, stderr, pos = b"", b"", 0
    while pos + 8 <= len(data):
        _v, rtype, _rid, clen, plen = struct.unpack("!BBHHBx", data[pos:pos + 8])
        content = data[pos + 8:pos + 8 + clen]
        pos += 8 + clen + plen
        if rtype == STDOUT:
            stdout += content
        elif rtype == STDERR:
            stderr += content
        elif rtype == END_REQUEST:
            break
    head, _, body_out = stdout.partition(b"\r\n\r\n")
    hdrs = {}
    status = 200
    for line in head.decode("latin-1").split("\r\n"):
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
        if k.strip().lower() == "status":
            status = int(v.split()[0])
    return FcgiResponse(status, hdrs, body_out, stderr)


def execute(address, script, **kw):
    body = json.dumps({"script": script, "timeout": 10}).encode()
    return request(address, "POST", "/execute", body=body, **kw)
