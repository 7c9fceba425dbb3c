"""Hostile-script suite: real attacks from inside the sandbox.

Every attack lives in scripts/<category>/<name>.py as a script with a
``def main():`` that tries the attack and returns its evidence as JSON.  The
tests load them with ``script(category, name)``, run them through the real
nginx + sandrun-fcgi stack (``dev/stack``), assert on the evidence that the
attack failed, then check the host and the service are unharmed.

Environment:
  SANDRUN_BUILD_DIR   build tree holding fcgi-app/sandrun-fcgi (default: the
                      source tree, i.e. an in-tree build)
  SANDRUN_KEEP_STATE  keep the stack's state directory after the session
  SANDRUN_JOB_UID_BASE  uid of slot 0's jobs (default 200000); when set, the
                      stack runs with --job_uid_base N, and the suite expects
                      job uids N..N+99.  Stacks that run at the same time on
                      one host should use different bases: RLIMIT_NPROC
                      counts per uid, so a fork bomb in one stack would make
                      another stack's jobs fail with EAGAIN.
"""

import http.client
import json
import os
import sys
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hostprocs import ppid_and_comm, proc_uids  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# The suites send far more than the documented 10 requests a second per key:
# their stacks run without nginx rate limits (the edge suite tests those).
os.environ.setdefault("SANDRUN_RATE_LIMITS", "off")

SRC_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
STACK = os.path.join(SRC_DIR, "dev", "stack")
SCRIPTS = os.path.join(HERE, "scripts")
JOB_UID_BASE = int(os.environ.get("SANDRUN_JOB_UID_BASE", "200000"))
JOB_UID_MIN, JOB_UID_MAX = JOB_UID_BASE, JOB_UID_BASE + 99
JOB_GID = 200000   # the group every job runs as (sandrun's default job_gid)
if "SANDRUN_JOB_UID_BASE" in os.environ and \
        "--job_uid_base" not in os.environ.get("SANDRUN_EXTRA_ARGS", ""):
    os.environ["SANDRUN_EXTRA_ARGS"] = (os.environ.get("SANDRUN_EXTRA_ARGS", "") +
                                        " --job_uid_base %d" % JOB_UID_BASE).strip()


def job_uid(uid):
    """True for a uid of this stack's job slots."""
    return JOB_UID_MIN <= uid <= JOB_UID_MAX


COLD_MODE = "--mode cold" in os.environ.get("SANDRUN_EXTRA_ARGS", "")
WARM_MODE = not COLD_MODE


def hole(finding, when=True):
    """Mark a test whose attack SUCCEEDED when it was written: marker 'hole'
    (deselect with -m 'not hole') and a strict xfail while `when` is true (a
    hole of one spawner mode only passes, strictly, in the other).  Once the
    sandbox is fixed the test passes, the strict xfail fails the run, and the
    decorator is to be removed."""
    def mark(fn):
        fn = pytest.mark.xfail(when, strict=True, reason="HOLE: " + finding)(fn)
        return pytest.mark.hole(finding)(fn)
    return mark


# ---------------------------------------------------------------- scripts

def script(category, name):
    """The text of scripts/<category>/<name>.py."""
    with open(os.path.join(SCRIPTS, category, name + ".py")) as f:
        return f.read()


def catalogue():
    """{category: [names]} of every hostile script on disk."""
    out = {}
    for cat in sorted(os.listdir(SCRIPTS)):
        d = os.path.join(SCRIPTS, cat)
        if os.path.isdir(d):
            out[cat] = sorted(n[:-3] for n in os.listdir(d) if n.endswith(".py"))
    return out


# ---------------------------------------------------------------- HTTP

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self._json = None

    @property
    def json(self):
        if self._json is None:
            self._json = json.loads(self.body.decode("utf-8"))
        return self._json

    def __repr__(self):
        return f"<Response {self.status} {self.body[:1500]!r}>"


class Stack:
    def __init__(self, state_dir, port, key):
        self.state_dir = state_dir
        self.port = port
        self.key = key

    def request(self, method, path, body=None, headers=None, timeout=120):
        for attempt in range(20):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                r = conn.getresponse()
                resp = Response(r.status, r.headers, r.read())
            finally:
                conn.close()
            # The edge's rate limit and a full queue are not what we test here.
            if resp.status in (429, 503) and path != "/health":
                time.sleep(0.5 + 0.25 * attempt)
                continue
            return resp
        return resp

    def execute(self, source, timeout=60, http_timeout=None, **fields):
        payload = {"script": source, "timeout": timeout}
        payload.update(fields)
        h = {"Content-Type": "application/json", "X-API-Key": self.key}
        return self.request("POST", "/execute", json.dumps(payload).encode(), h,
                            timeout=http_timeout or timeout + 60)

    def run(self, category, name, **fields):
        """Run a catalogue script; returns the Response."""
        return self.execute(script(category, name), **fields)

    def app_pid(self):
        with open(os.path.join(self.state_dir, "sandrun.pid")) as f:
            return int(f.read().strip())

    def nginx_pid(self):
        with open(os.path.join(self.state_dir, "nginx.pid")) as f:
            return int(f.read().strip())

    def log(self):
        try:
            with open(os.path.join(self.state_dir, "sandrun.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- host state

def job_processes(own_app_pid):
    """Host processes running as a job uid (JOB_UID_MIN-JOB_UID_MAX) that are not the
    live jobs of another sandrun-fcgi on the same host."""
    uids = proc_uids()
    out = {}
    for pid, uid in uids.items():
        if not JOB_UID_MIN <= uid <= JOB_UID_MAX:
            continue
        p, foreign = pid, False
        for _ in range(64):
            ppid, _ = ppid_and_comm(p)
            if not ppid:
                break
            if ppid_and_comm(ppid)[1] == "sandrun-fcgi" and ppid != own_app_pid:
                pu = uids.get(ppid)
                if pu is not None and not JOB_UID_MIN <= pu <= JOB_UID_MAX:
                    foreign = True
                    break
            p = ppid
        if not foreign:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ")[:200].decode(errors="replace")
            except OSError:
                cmd = "?"
            out[pid] = (uid, cmd)
    return out


def wait_no_job_processes(stack, busy_ok=False, timeout=10):
    """Job processes on the host once no request runs: none may be left."""
    deadline = time.monotonic() + timeout
    left = job_processes(stack.app_pid())
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = job_processes(stack.app_pid())
    return left


def processes_in_pidns(ns):
    """Host pids whose pid namespace is ns ("pid:[inode]", as a job reports
    it from readlink /proc/self/ns/pid)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/ns/pid") == ns:
                    out.append(int(d))
            except OSError:
                pass
    return out


def assert_job_gone(ns, timeout=10):
    """Nothing of the finished job (its pid namespace) is left on the host."""
    assert ns.startswith("pid:["), ns
    deadline = time.monotonic() + timeout
    left = processes_in_pidns(ns)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = processes_in_pidns(ns)
    info = {}
    for pid in left:
        try:
            with open(f"/proc/{pid}/status") as f:
                info[pid] = [l.strip() for l in f if l.startswith(("Name", "Uid", "State"))]
        except OSError:
            pass
    assert not left, f"processes of the finished job still on the host: {info}"


# ---------------------------------------------------------------- good request

GOOD = r'''
import hashlib, sys, time

def main():
    data = sys.stdin.read()
    time.sleep(%(sleep)s)
    print("good", data)
    return {"sha": hashlib.sha256(data.encode()).hexdigest(), "sum": sum(range(1000))}
'''


def good_request(stack, sleep=0, tag=None):
    """A well-behaved request; returns an error string, or None when it
    answered exactly right."""
    tag = tag or secrets.token_hex(8)
    import hashlib
    try:
        r = stack.execute(GOOD % {"sleep": sleep}, timeout=60, stdin=tag, memory_limit=256)
    except Exception as e:  # noqa: BLE001
        return f"good request failed: {e!r}"
    if r.status != 200:
        return f"good request: {r!r}"
    body = r.json
    want = {"sha": hashlib.sha256(tag.encode()).hexdigest(), "sum": 499500}
    if body.get("status") != "success" or body.get("result") != want \
            or body.get("stdout") != f"good {tag}\n":
        return f"good request answered wrongly: {body!r}"
    return None


def assert_service_healthy(stack):
    """The service survived: /health is 200 and a good request answers right."""
    r = stack.request("GET", "/health", timeout=30)
    assert r.status == 200, r
    assert r.json["status"] == "healthy", r
    err = good_request(stack)
    assert err is None, err
    # Both processes of the stack still the same and alive.
    os.kill(stack.app_pid(), 0)
    os.kill(stack.nginx_pid(), 0)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "hole(finding): the attack this test makes SUCCEEDED when the test was "
        "written; it is a strict xfail (conftest.hole), so it fails the run once the hole is "
        "fixed, until the mark is removed. Deselect with -m 'not hole'.")


def run_concurrently(*calls):
    """Run callables at the same time; returns their results in order."""
    results = [None] * len(calls)
    errors = []

    def go(i, fn):
        try:
            results[i] = fn()
        except Exception as e:  # noqa: BLE001
            errors.append((i, repr(e)))
    threads = [threading.Thread(target=go, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(300)
    assert not errors, errors
    return results


def failed(r, status=None):
    """A failure response (400) with a given script status; returns the body."""
    assert r.status == 400, r
    b = r.json
    assert isinstance(b.get("error"), str) and b["error"], b
    for k in ("stdout", "stderr", "status"):
        assert k in b, (k, b)
    if status is not None:
        st = (status,) if isinstance(status, str) else tuple(status)
        assert b["status"] in st, b
    return b


def denied(v):
    """An attempt's evidence says it was refused (not 'SUCCEEDED'/'connected'/...)."""
    return isinstance(v, str) and not v.startswith(("SUCCEEDED", "connected", "READ", "LISTED",
                                                    "opened", "acquired", "ATTACHED", "FOUND",
                                                    "ADDED", "delivered", "answered"))


def body_of(r):
    """Response JSON with the script's result (a 200) or failure (a 400)."""
    assert r.status in (200, 400), r
    return r.json


def evidence(r):
    """The evidence main() returned: the request must have succeeded."""
    assert r.status == 200, r
    b = r.json
    assert b["status"] == "success", b
    return b["result"]


# ---------------------------------------------------------------- fixtures

HOST_FILES = ["/etc/passwd", "/etc/shadow", "/etc/hostname", "/etc/hosts",
              "/usr/lib/python3/dist-packages/README.txt"]


def _fingerprint(paths):
    out = {}
    for p in paths:
        try:
            st = os.lstat(p)
            with open(p, "rb") as f:
                out[p] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, f.read())
        except OSError as e:
            out[p] = repr(e)
    return out


@pytest.fixture(scope="session")
def stack():
    state_dir = tempfile.mkdtemp(prefix="sandrun-hostile-", dir="/tmp")
    os.chmod(state_dir, 0o755)
    port = _free_port()
    key = secrets.token_hex(16)
    build_dir = os.path.abspath(os.environ.get("SANDRUN_BUILD_DIR", SRC_DIR))
    # A secret in the service's own environment, as an operator's could be:
    # no job may find it (secrets/service_memory looks for it).
    canary = secrets.token_hex(16)
    p = subprocess.run([STACK, "start", state_dir, str(port), key, build_dir],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120,
                       env=dict(os.environ, SANDRUN_HOSTILE_CANARY=canary))
    if p.returncode != 0:
        subprocess.run([STACK, "stop", state_dir], timeout=60)
        pytest.fail(f"dev/stack start failed ({p.returncode}):\n{p.stdout}", pytrace=False)
    st = Stack(state_dir, port, key)
    st.canary = canary
    st.host_files = _fingerprint(HOST_FILES + [
        os.path.join(state_dir, "sandrun.conf"),
        os.path.join(state_dir, "sandrun-api-keys.conf"),
        os.path.join(state_dir, "nginx.conf")])
    yield st
    subprocess.run([STACK, "stop", state_dir], stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, text=True, timeout=60)
    if not os.environ.get("SANDRUN_KEEP_STATE"):
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture
def unharmed(stack):
    """Use in every attack test: after it, the service answers, host files
    are untouched and no job process is left on the host."""
    yield
    assert_service_healthy(stack)
    assert _fingerprint(stack.host_files.keys()) == stack.host_files, "host files changed"


class Background:
    """A slow, well-behaved request in flight while the attacks of a module run."""

    def __init__(self, stack):
        self.stack = stack
        self.stop = threading.Event()
        self.errors = []
        self.done = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self.stop.is_set():
            err = good_request(self.stack, sleep=1.5)
            if err:
                self.errors.append(err)
            else:
                self.done += 1


@pytest.fixture(scope="module", autouse=True)
def background_good_request(request):
    """Every category runs while another, well-behaved request is in flight:
    all of those must answer correctly."""
    stack = request.getfixturevalue("stack")
    bg = Background(stack)
    bg.thread.start()
    yield bg
    bg.stop.set()
    bg.thread.join(180)
    assert not bg.thread.is_alive(), "the background good request never finished"
    assert not bg.errors, bg.errors
    assert bg.done >= 1, "no background good request completed"
