"""The HTTP client every Python suite talks to sandrun with: one Response
class and one Client, plain HTTP (dev/stack's default) or HTTPS (its TLS
mode, the production site)."""

import http.client
import json
import re
import ssl
import threading
import time

JSON_CT = "application/json; charset=utf-8"
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers      # http.client.HTTPMessage (case-insensitive)
        self.body = body            # bytes
        self._json = None

    @property
    def json(self):
        if self._json is None:
            # Strict: the body must be valid UTF-8 and valid JSON.
            self._json = json.loads(self.body.decode("utf-8"))
        return self._json

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")

    @property
    def request_id(self):
        return self.headers.get("X-Request-Id")

    def __repr__(self):
        return f"<Response {self.status} {self.content_type!r} {self.body[:1500]!r}>"


def json_body(payload):
    """A request body: dicts and lists are serialized, str is encoded, bytes
    go as they are (tests send broken JSON on purpose)."""
    if isinstance(payload, (dict, list)):
        return json.dumps(payload).encode()
    if isinstance(payload, str):
        return payload.encode()
    return payload


class Client:
    """Requests to one sandrun edge on 127.0.0.1.

    port        the HTTP port, or the HTTPS one when cafile is given
    key         the API key post() and execute() send unless told otherwise
    cafile      verify HTTPS against this certificate (dev/stack's TLS mode)
    execute_defaults   fields every /execute request carries unless given
    retry_busy  retry 429 and 503 answers (except /health's) for a while: for
                suites whose subject is not the queue or the rate limit
    """

    def __init__(self, port, key, cafile=None, execute_defaults=None, retry_busy=False):
        self.port = port
        self.key = key
        self.cafile = cafile
        self.execute_defaults = dict(execute_defaults or {})
        self.retry_busy = retry_busy

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.cafile)

    def connection(self, timeout=60, source_address=None):
        if self.cafile:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=self.ssl_context(),
                                               source_address=source_address)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=source_address)

    def _once(self, method, path, body, headers, timeout, source_address, conn):
        own = conn is None
        if own:
            conn = self.connection(timeout, source_address)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            if own:
                conn.close()

    def request(self, method, path, body=None, headers=None, timeout=60,
                source_address=None, conn=None):
        resp = self._once(method, path, body, headers, timeout, source_address, conn)
        if self.retry_busy and path != "/health":
            for attempt in range(20):
                if resp.status not in (429, 503):
                    break
                time.sleep(0.5 + 0.25 * attempt)
                resp = self._once(method, path, body, headers, timeout, source_address, conn)
        return resp

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, headers=headers, **kw)

    def post(self, path, payload, key=True, headers=None, **kw):
        """POST a JSON payload (see json_body) with the client's key
        (key=None: none, key="...": that one)."""
        h = {"Content-Type": "application/json"}
        if key is True:
            h["X-API-Key"] = self.key
        elif key:
            h["X-API-Key"] = key
        h.update(headers or {})
        return self.request("POST", path, body=json_body(payload), headers=h, **kw)

    def execute(self, script=None, key=True, http_timeout=None, source_address=None, conn=None,
                **fields):
        """POST /execute {"script": script, **fields} over execute_defaults
        (script None: the default's): fields are the request's own (its
        "timeout" is the script's); http_timeout is the client's, by default
        a minute more than the script's."""
        payload = dict(self.execute_defaults)
        if script is not None:
            payload["script"] = script
        payload.update(fields)
        if http_timeout is None:
            http_timeout = 60 + float(payload.get("timeout") or 0)
        return self.post("/execute", payload, key=key, timeout=http_timeout,
                         source_address=source_address, conn=conn)


def metric(client, name, labels):
    """One sample of the client's GET /metrics (name{labels}), 0 when
    absent."""
    text = client.get("/metrics").body.decode()
    want = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return 0.0


def concurrently(fn, n, stagger=0.0, timeout=120):
    """fn(0) .. fn(n - 1), each in its own thread, started stagger seconds
    apart; their results in order (an exception is returned as the result)."""
    results = [None] * n

    def one(i):
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - the caller judges it
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
        if stagger:
            time.sleep(stagger)
    for t in threads:
        t.join(timeout)
    return results


def assert_json_error(r, status, error=None, contains=None):
    """An error response: exact status, JSON content type, an "error" string
    and a request id."""
    assert r.status == status, r
    assert r.content_type == JSON_CT, r
    body = r.json
    assert isinstance(body, dict), r
    assert isinstance(body.get("error"), str) and body["error"], r
    if error is not None:
        assert body["error"] == error, r
    if contains is not None:
        assert contains in body["error"], r
    assert REQUEST_ID_RE.match(r.request_id or ""), r
    return body


def read_to_end(sock):
    """Everything a raw socket receives until the peer closes it."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
