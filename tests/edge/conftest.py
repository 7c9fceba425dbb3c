"""Edge suite: the production nginx site, the systemd units, spawn-fcgi and
several backends, all on this host.

nginx runs from nginx/sandrun-site.conf itself (dev/stack's TLS mode), with
a self-signed certificate dev/stack generates; backends are real
sandrun-fcgi processes, some of them in network namespaces.  The stacks,
their client and the checks at their stop are every suite's (tests/lib).

Environment: see tests/lib/stack.py (SANDRUN_BUILD_DIR, SANDRUN_KEEP_STATE,
SANDRUN_JOB_UID_BASE: also given to the sandrun-fcgi processes the tests
start themselves).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from stack import BUILD_DIR, JOB_UID_BASE, SRC_DIR, own_stack, session_stack  # noqa: E402

FCGI = os.path.join(BUILD_DIR, "fcgi-app", "sandrun-fcgi")
# made by make from runner.py.in, in the build tree
RUNNER = os.path.join(BUILD_DIR, "sandbox", "python", "runner.py")
INIT = os.path.join(BUILD_DIR, "sandbox", "sandrun-init")

HELLO = "def main():\n    return {'answer': 2 + 2}\n"
# What edge.execute() sends unless told otherwise.
EXECUTE_DEFAULTS = {"script": HELLO, "timeout": 10}


def app_args():
    """Settings every sandrun-fcgi of this suite runs with (paths of the
    source tree instead of the installed ones, the run's job uids)."""
    args = ["--runner", RUNNER, "--user", "sandrun"]
    if os.path.exists(INIT):
        args += ["--init", INIT]
    if "SANDRUN_JOB_UID_BASE" in os.environ:
        args += ["--job_uid_base", str(JOB_UID_BASE)]
    return args


def edge_stack(prefix, backends=None, extra_env=None):
    """A context: nginx from the production site (TLS) in front of a local
    sandrun-fcgi, or of the given backends; stopped and checked at the end."""
    return own_stack(prefix, tls=True, backends=backends, env=extra_env,
                     execute_defaults=EXECUTE_DEFAULTS)


@pytest.fixture(scope="session")
def edge():
    yield from session_stack("sandrun-edge-", tls=True, execute_defaults=EXECUTE_DEFAULTS)


def config_source():
    """The C source of sandrun-fcgi's settings table, with their defaults."""
    with open(os.path.join(SRC_DIR, "jobs", "config.c")) as f:
        return f.read()


def setting_default(name):
    """A setting's default, as the settings table spells it."""
    m = re.search(r'S\(%s, SET_\w+, "([^"]*)"' % re.escape(name), config_source())
    assert m, name
    return m.group(1)


def wait_for(pred, timeout=20, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


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
            self.proc.send_signal(getattr(signal, "SIG" + sig))
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
