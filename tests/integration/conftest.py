"""Integration tests: the real nginx in front of the real sandrun-fcgi.

The session fixture `stack` starts both with `dev/stack start` in a fresh
state directory on a free loopback port and stops them at the end.

Environment:
  SANDRUN_BUILD_DIR   build tree holding fcgi-app/sandrun-fcgi (default: the
                      source tree, i.e. an in-tree build)
"""

import contextlib
import http.client
import json
import os
import sys
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hostprocs import ppid_and_comm, proc_uids  # noqa: E402


# The suites send far more than the documented 10 requests a second per key:
# their stacks run without nginx rate limits (the edge suite tests those).
os.environ.setdefault("SANDRUN_RATE_LIMITS", "off")

SRC_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK = os.path.join(SRC_DIR, "dev", "stack")
JOB_UID_MIN, JOB_UID_MAX = 200000, 200099

JSON_CT = "application/json; charset=utf-8"
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")

# What a sanitizer prints when it finds something.
SANITIZER_RE = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |"
    r"WARNING: ThreadSanitizer")


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
        body = self.body[:600]
        return f"<Response {self.status} {self.content_type!r} {body!r}>"


class Stack:
    def __init__(self, state_dir, port, key, build_dir):
        self.state_dir = state_dir
        self.port = port
        self.key = key
        self.build_dir = build_dir

    # -------------------------------------------------------------- HTTP

    def request(self, method, path, body=None, headers=None, timeout=60,
                source_address=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout,
                                          source_address=source_address)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()

    def post(self, path, payload, key=True, headers=None, timeout=60):
        """POST a JSON payload (a dict is serialized; bytes/str go as is)."""
        h = {"Content-Type": "application/json"}
        if key is True:
            h["X-API-Key"] = self.key
        elif key:
            h["X-API-Key"] = key
        h.update(headers or {})
        if isinstance(payload, (dict, list)):
            body = json.dumps(payload).encode()
        elif isinstance(payload, str):
            body = payload.encode()
        else:
            body = payload
        return self.request("POST", path, body=body, headers=h, timeout=timeout)

    def execute(self, script, http_timeout=60, **fields):
        """POST /execute {"script": script, **fields} (fields include the
        request's own "timeout"; http_timeout is the client's)."""
        payload = {"script": script}
        payload.update(fields)
        return self.post("/execute", payload, timeout=http_timeout)

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, headers=headers, **kw)

    # -------------------------------------------------------------- state

    def read_pid(self, name):
        with open(os.path.join(self.state_dir, name)) as f:
            return int(f.read().strip())

    def app_pid(self):
        return self.read_pid("sandrun.pid")

    def log(self, name="sandrun.log"):
        try:
            with open(os.path.join(self.state_dir, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mounts():
    with open("/proc/self/mountinfo") as f:
        # Drop the mount ids (fields 1-2): compare what is mounted where.
        return sorted(" ".join(line.split()[2:]) for line in f)


def _tmp_entries():
    try:
        return set(os.listdir("/tmp"))
    except OSError:
        return set()


def job_processes(own_app_pid=None):
    """Processes running as a job uid, except those of another live
    sandrun-fcgi (a parallel stack on the same host).  Leftovers of our own
    stack get reparented away from it, so they are still found."""
    uids = proc_uids()
    out = {}
    for pid, uid in uids.items():
        if not JOB_UID_MIN <= uid <= JOB_UID_MAX:
            continue
        foreign = False
        p = pid
        for _ in range(64):
            ppid, _comm = ppid_and_comm(p)
            if not ppid or ppid == own_app_pid:
                break
            if (ppid_and_comm(ppid)[1] == "sandrun-fcgi"
                    and not JOB_UID_MIN <= uids.get(ppid, 0) <= JOB_UID_MAX
                    and own_app_pid not in _ancestors(ppid)):
                foreign = True
                break
            p = ppid
        if not foreign:
            out[pid] = uid
    return out


def _ancestors(pid):
    seen = []
    for _ in range(64):
        ppid, _comm = ppid_and_comm(pid)
        if not ppid:
            break
        seen.append(ppid)
        pid = ppid
    return seen


@contextlib.contextmanager
def own_stack(prefix, extra_args="", rate_limits=None):
    """A stack of its own (for tests that change settings or break things),
    with SANDRUN_EXTRA_ARGS of the run plus extra_args; removed afterwards.
    rate_limits="on" gives it nginx's documented rate limits."""
    build_dir = os.path.abspath(os.environ.get("SANDRUN_BUILD_DIR", SRC_DIR))
    state_dir = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(state_dir, 0o755)
    port, key = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env["SANDRUN_EXTRA_ARGS"] = (env.get("SANDRUN_EXTRA_ARGS", "") + " " + extra_args).strip()
    if rate_limits:
        env["SANDRUN_RATE_LIMITS"] = rate_limits
    p = subprocess.run([STACK, "start", state_dir, str(port), key, build_dir], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    assert p.returncode == 0, p.stdout
    try:
        yield Stack(state_dir, port, key, build_dir)
    finally:
        subprocess.run([STACK, "stop", state_dir], timeout=60)
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def baseline():
    """What the host looked like before the stack started."""
    return {"mounts": _mounts(), "tmp": _tmp_entries()}


@pytest.fixture(scope="session")
def stack(baseline):
    build_dir = os.path.abspath(os.environ.get("SANDRUN_BUILD_DIR", SRC_DIR))
    state_dir = tempfile.mkdtemp(prefix="sandrun-it-", dir="/tmp")
    os.chmod(state_dir, 0o755)
    port = _free_port()
    key = secrets.token_hex(16)
    st = Stack(state_dir, port, key, build_dir)
    baseline["state_dir"] = state_dir

    p = subprocess.run([STACK, "start", state_dir, str(port), key, build_dir],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120)
    if p.returncode != 0:
        subprocess.run([STACK, "stop", state_dir], timeout=60)
        pytest.fail(f"dev/stack start failed ({p.returncode}):\n{p.stdout}",
                    pytrace=False)

    yield st

    p = subprocess.run([STACK, "stop", state_dir], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    log = st.log()
    problems = []
    if p.returncode != 0:
        problems.append(f"dev/stack stop failed ({p.returncode}):\n{p.stdout}")
    m = SANITIZER_RE.search(log)
    if m:
        start = max(0, m.start() - 200)
        problems.append("sanitizer report in sandrun.log:\n" + log[start:start + 4000])
    if problems:
        pytest.fail("\n".join(problems) + f"\n(state dir {state_dir})",
                    pytrace=False)
    if not os.environ.get("SANDRUN_KEEP_STATE"):
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def mounts_before(baseline):
    return baseline["mounts"]


def assert_json_error(r, status, error=None, contains=None):
    """An error response: exact status, JSON content type, an "error" string."""
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
