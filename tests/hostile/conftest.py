"""Hostile-script suite: real attacks from inside the sandbox.

Every attack lives in scripts/<category>/<name>.py as a script with a
``def main():`` that tries the attack and returns its evidence as JSON; it
is sent after scripts/_prelude.py, the helpers every script shares.  The
tests load them with ``script(category, name)``, run them through the real
nginx + sandrun-fcgi stack (``dev/stack``, tests/lib/stack.py), assert on
the evidence that the attack failed, then check the host and the service
are unharmed.

Environment: see tests/lib/stack.py (SANDRUN_BUILD_DIR, SANDRUN_EXTRA_ARGS,
SANDRUN_KEEP_STATE, and SANDRUN_JOB_UID_BASE: the uids the suite expects of
jobs, and the stack's --job_uid_base).
"""

import hashlib
import os
import secrets
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from hostile_scripts import script  # noqa: E402
from stack import session_stack  # noqa: E402


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


def assert_all(ev, want, count):
    """Evidence of `count` attempts, every one of which ended as `want`."""
    assert len(ev) == count, sorted(ev)
    for k, v in ev.items():
        assert v == want, (k, v)


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
    # A secret in the service's own environment, as an operator's could be:
    # no job may find it (secrets/service_memory looks for it).
    canary = secrets.token_hex(16)
    # retry_busy: the edge's rate limit and a full queue are not what this
    # suite tests.
    for st in session_stack("sandrun-hostile-", env={"SANDRUN_HOSTILE_CANARY": canary},
                            execute_defaults={"timeout": 60}, retry_busy=True):
        st.canary = canary
        st.host_files = _fingerprint(HOST_FILES + [
            os.path.join(st.state_dir, "sandrun.conf"),
            os.path.join(st.state_dir, "sandrun-api-keys.conf"),
            os.path.join(st.state_dir, "nginx.conf")])
        st.run = lambda category, name, **fields: st.execute(script(category, name), **fields)
        yield st


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
