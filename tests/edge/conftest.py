"""Edge suite: the production nginx site, the systemd units, spawn-fcgi and
several backends, all on this host.

nginx runs from nginx/sandrun-site.conf itself (dev/stack's TLS mode), with
a self-signed certificate dev/stack generates; backends are real
sandrun-fcgi processes, some of them in network namespaces.

Environment:
  SANDRUN_BUILD_DIR   build tree holding fcgi-app/sandrun-fcgi (default: the
                      source tree, i.e. an in-tree build)
  SANDRUN_KEEP_STATE  keep state directories after the session
"""

import http.client
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
STACK = os.path.join(SRC_DIR, "dev", "stack")
BUILD_DIR = os.path.abspath(os.environ.get("SANDRUN_BUILD_DIR", SRC_DIR))
FCGI = os.path.join(BUILD_DIR, "fcgi-app", "sandrun-fcgi")
RUNNER = os.path.join(SRC_DIR, "sandbox", "python", "runner.py")
INIT = os.path.join(BUILD_DIR, "sandbox", "sandrun-init")
JSON_CT = "application/json; charset=utf-8"

HELLO = "def main():\n    return {'answer': 2 + 2}\n"


def app_args():
    """Settings every sandrun-fcgi of this suite runs with (paths of the
    source tree instead of the installed ones)."""
    args = ["--runner", RUNNER, "--user", "sandrun"]
    if os.path.exists(INIT):
        args += ["--init", INIT]
    return args


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")

    def __repr__(self):
        return f"<Response {self.status} {self.content_type!r} {self.body[:400]!r}>"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Edge:
    """An nginx built from the production site, in front of a local
    sandrun-fcgi or of the given backends."""

    def __init__(self, state_dir, http_port, https_port, key):
        self.state_dir = state_dir
        self.http_port = http_port
        self.https_port = https_port
        self.key = key
        self.cafile = os.path.join(state_dir, "tls", "fullchain.pem")

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=self.cafile)
        return ctx

    def connection(self, timeout=60, source_address=None):
        return http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, timeout=timeout,
            context=self.ssl_context(), source_address=source_address)

    def request(self, method, path, body=None, headers=None, timeout=60,
                source_address=None, conn=None):
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

    def post(self, path, payload, key=True, headers=None, **kw):
        h = {"Content-Type": "application/json"}
        if key is True:
            h["X-API-Key"] = self.key
        elif key:
            h["X-API-Key"] = key
        h.update(headers or {})
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", path, body=body, headers=h, **kw)

    def execute(self, script=HELLO, key=True, **kw):
        return self.post("/execute", {"script": script, "timeout": 10}, key=key, **kw)

    def log(self, name):
        try:
            with open(os.path.join(self.state_dir, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def start_edge(prefix, backends=None, extra_env=None):
    state = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(state, 0o755)
    http_port, https_port = free_port(), free_port()
    key = secrets.token_hex(16)
    env = dict(os.environ, SANDRUN_TLS_PORT=str(https_port))
    if backends:
        env["SANDRUN_BACKENDS"] = " ".join(backends)
    env.update(extra_env or {})
    p = subprocess.run([STACK, "start", state, str(http_port), key, BUILD_DIR],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120, env=env)
    if p.returncode != 0:
        subprocess.run([STACK, "stop", state], timeout=60)
        pytest.fail(f"dev/stack start (TLS) failed ({p.returncode}):\n{p.stdout}",
                    pytrace=False)
    return Edge(state, http_port, https_port, key)


def stop_edge(edge):
    p = subprocess.run([STACK, "stop", edge.state_dir], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    if not os.environ.get("SANDRUN_KEEP_STATE"):
        shutil.rmtree(edge.state_dir, ignore_errors=True)
    assert p.returncode == 0, p.stdout


@pytest.fixture(scope="session")
def edge():
    e = start_edge("sandrun-edge-")
    yield e
    stop_edge(e)


def wait_for(pred, timeout=20, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def assert_json_error(r, status):
    assert r.status == status, r
    assert r.content_type == JSON_CT, r
    body = r.json
    assert isinstance(body.get("error"), str) and body["error"], r
    assert len(r.headers.get("X-Request-Id", "")) == 32, r
    return body


class App:
    """A sandrun-fcgi started by a test, optionally inside a network
    namespace, stopped (TERM, then KILL) at the end."""

    def __init__(self, args, netns=None, log_path=None, env=None):
        cmd = [FCGI] + app_args() + list(args)
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.log_path = log_path or tempfile.mktemp(prefix="sandrun-edge-app-", dir="/tmp")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=env)

    def wait_started(self, timeout=30):
        def started():
            if self.proc.poll() is not None:
                raise AssertionError(f"sandrun-fcgi exited {self.proc.returncode}:\n"
                                     + self.read_log())
            return "sandrun-fcgi started" in self.read_log()
        assert wait_for(started, timeout), self.read_log()

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig="TERM", timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(getattr(__import__("signal"), "SIG" + sig))
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        if not os.environ.get("SANDRUN_KEEP_STATE"):
            try:
                os.unlink(self.log_path)
            except OSError:
                pass
