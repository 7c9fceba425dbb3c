"""A real sandrun stack for the suites: nginx in front of sandrun-fcgi,
started and stopped by dev/stack in a fresh state directory on a free
loopback port; and what a stack must not leave on the host.

Environment (read by every suite that uses this module):
  SANDRUN_BUILD_DIR     build tree holding fcgi-app/sandrun-fcgi (default: the
                        source tree, i.e. an in-tree build)
  SANDRUN_EXTRA_ARGS    more sandrun-fcgi settings for every stack (e.g.
                        "--mode cold")
  SANDRUN_JOB_UID_BASE  uid of slot 0's jobs (default 200000); when set, the
                        stacks run with --job_uid_base N and the suites expect
                        job uids N..N+99.  Stacks that run at the same time on
                        one host should use different bases: RLIMIT_NPROC
                        counts per uid, so a fork bomb in one stack would make
                        another stack's jobs fail with EAGAIN, and the
                        leftover checks tell stacks apart by their uids.
  SANDRUN_KEEP_STATE    keep state directories after the session
"""

import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile

import pytest

import hostprocs
from sandrun_client import Client

SRC_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
STACK = os.path.join(SRC_DIR, "dev", "stack")
BUILD_DIR = os.path.abspath(os.environ.get("SANDRUN_BUILD_DIR", SRC_DIR))

JOB_UID_BASE = int(os.environ.get("SANDRUN_JOB_UID_BASE", "200000"))
JOB_UID_MIN, JOB_UID_MAX = JOB_UID_BASE, JOB_UID_BASE + 99
JOB_GID = 200000   # the group every job runs as (sandrun's default job_gid)

EXTRA_ARGS = os.environ.get("SANDRUN_EXTRA_ARGS", "")
if "SANDRUN_JOB_UID_BASE" in os.environ and "--job_uid_base" not in EXTRA_ARGS:
    EXTRA_ARGS = (EXTRA_ARGS + " --job_uid_base %d" % JOB_UID_BASE).strip()
COLD_MODE = "--mode cold" in EXTRA_ARGS
WARM_MODE = not COLD_MODE

# What a sanitizer prints when it finds something.
SANITIZER_RE = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |"
    r"WARNING: ThreadSanitizer")

try:
    SANDRUN_UID = pwd.getpwnam("sandrun").pw_uid
except KeyError:
    SANDRUN_UID = -1


def job_uid(uid):
    """True for a uid of this run's job slots."""
    return JOB_UID_MIN <= uid <= JOB_UID_MAX


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keep_state():
    return bool(os.environ.get("SANDRUN_KEEP_STATE"))


class Stack(Client):
    """A stack dev/stack started: the client of its edge, and its state
    directory (pid files, logs, configuration)."""

    def __init__(self, state_dir, port, key, build_dir=BUILD_DIR, https_port=None, **client_kw):
        cafile = os.path.join(state_dir, "tls", "fullchain.pem") if https_port else None
        super().__init__(https_port or port, key, cafile=cafile, **client_kw)
        self.state_dir = state_dir
        self.http_port = port
        self.https_port = https_port
        self.build_dir = build_dir
        self.before = None      # host_snapshot() taken before it started

    def read_pid(self, name):
        with open(os.path.join(self.state_dir, name)) as f:
            return int(f.read().strip())

    def app_pid(self):
        return self.read_pid("sandrun.pid")

    def nginx_pid(self):
        return self.read_pid("nginx.pid")

    def log(self, name="sandrun.log"):
        try:
            with open(os.path.join(self.state_dir, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def job_processes(self):
        """Job processes of this run's uids that no other live stack owns."""
        return hostprocs.job_processes(JOB_UID_MIN, JOB_UID_MAX, self.app_pid())


def start_stack(prefix, extra_args="", tls=False, backends=None, env=None,
                rate_limits=None, **client_kw):
    """dev/stack start in a new state dir /tmp/PREFIX*; fails the test (or
    the fixture) when it does not come up.  tls: the production site on a
    second port (dev/stack's TLS mode), backends: its upstream servers
    instead of a local sandrun-fcgi.  rate_limits="on" gives the plain dev
    site nginx's documented rate limits (the TLS site always has them); off by
    default (or as SANDRUN_RATE_LIMITS says): the suites send far more than
    10 requests a second."""
    state_dir = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(state_dir, 0o755)
    port, key = free_port(), secrets.token_hex(16)
    https_port = free_port() if tls else None
    e = dict(os.environ, SANDRUN_EXTRA_ARGS=(EXTRA_ARGS + " " + extra_args).strip(),
             SANDRUN_RATE_LIMITS=rate_limits or os.environ.get("SANDRUN_RATE_LIMITS", "off"))
    if tls:
        e["SANDRUN_TLS_PORT"] = str(https_port)
    if backends:
        e["SANDRUN_BACKENDS"] = " ".join(backends)
    e.update(env or {})
    before = host_snapshot()
    p = subprocess.run([STACK, "start", state_dir, str(port), key, BUILD_DIR], env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    if p.returncode != 0:
        subprocess.run([STACK, "stop", state_dir], timeout=60)
        pytest.fail(f"dev/stack start failed ({p.returncode}):\n{p.stdout}", pytrace=False)
    st = Stack(state_dir, port, key, https_port=https_port, **client_kw)
    st.before = before
    return st


def stop_stack(st, check_leftovers=True, fail=True):
    """dev/stack stop; then fail if it failed, if a sanitizer spoke in the
    log, or (check_leftovers) if anything of the stack's jobs outlived it on
    the host.  The state dir goes unless something failed or
    SANDRUN_KEEP_STATE is set.  fail=False: only stop and clean up (a test
    that failed already)."""
    p = subprocess.run([STACK, "stop", st.state_dir], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    problems = []
    if p.returncode != 0:
        problems.append(f"dev/stack stop failed ({p.returncode}):\n{p.stdout}")
    log = st.log()
    m = SANITIZER_RE.search(log)
    if m:
        start = max(0, m.start() - 200)
        problems.append("sanitizer report in sandrun.log:\n" + log[start:start + 4000])
    if check_leftovers and st.before is not None:
        problems += leftovers(st.before)
    if problems and fail:
        pytest.fail("\n".join(problems) + f"\n(state dir {st.state_dir})", pytrace=False)
    if not keep_state() and not problems:
        shutil.rmtree(st.state_dir, ignore_errors=True)


@contextlib.contextmanager
def own_stack(prefix, extra_args="", **kw):
    """A stack of its own (for tests that change settings or break things),
    with SANDRUN_EXTRA_ARGS of the run plus extra_args; stopped and checked
    as the session's is (stop_stack)."""
    st = start_stack(prefix, extra_args, **kw)
    try:
        yield st
    except BaseException:
        stop_stack(st, fail=False)
        raise
    stop_stack(st)


def session_stack(prefix, **kw):
    """The body of a suite's session fixture `stack`: one stack for the
    whole session, checked at the end (stop_stack)."""
    st = start_stack(prefix, **kw)
    yield st
    stop_stack(st)


# ---------------------------------------------------------------- leftovers

def mounts():
    with open("/proc/self/mountinfo") as f:
        # Drop the mount ids (fields 1-2): compare what is mounted where.
        return sorted(" ".join(line.split()[2:]) for line in f)


def tmp_entries():
    try:
        return set(os.listdir("/tmp"))
    except OSError:
        return set()


def host_snapshot():
    """What the host looks like now, for leftovers() to compare with."""
    return {"mounts": mounts(), "tmp": tmp_entries()}


def _foreign_mount(line):
    # `ip netns add` of an edge suite running beside this one
    return " /run/netns/" in line and " nsfs " in line


def _job_like_tmp_entry(name, token):
    """Why a new /tmp entry looks like something of a job, or None."""
    path = os.path.join("/tmp", name)
    try:
        st = os.lstat(path)
    except OSError:
        return None        # gone already: a test's own, short-lived
    why = f"{path} (uid {st.st_uid})"
    if job_uid(st.st_uid) or st.st_uid == SANDRUN_UID or (token and token in name):
        return why
    if os.path.isdir(path) and os.path.exists(os.path.join(path, "sandrun.conf")):
        return None        # the state dir of a stack (ours or a parallel suite's)
    if name.startswith("sandrun-edge-app-"):
        return None        # the log of an edge suite's own sandrun-fcgi
    if st.st_uid == 0:
        return None        # no job and no job's init is root: a harness's own
                           # (a stack's state, tests/vm's scratch, a browser profile)
    if "sandrun" in name or "job" in name.lower():
        return why
    return None


def leftovers(before, app_pid=None, wait=5, token=None):
    """What jobs left on the host since the snapshot `before`: processes of
    this run's job uids (waited for up to `wait` seconds, as the kernel
    tears a killed job down; app_pid: the live stack they may belong to,
    None once it stopped), new mounts, new /tmp entries owned by a job uid or
    the service's user, or named like a job's (or containing `token`).
    Returns a list of problems, empty when nothing is left."""
    problems = []
    # a live stack's pool always holds jobs waiting for a request
    procs = hostprocs.wait_until_empty(
        lambda: hostprocs.job_processes(JOB_UID_MIN, JOB_UID_MAX, app_pid, pool=app_pid is None), wait)
    if procs:
        problems.append(f"job processes left: {procs}")
    new = sorted(m for m in set(mounts()) - set(before["mounts"]) if not _foreign_mount(m))
    if new:
        problems.append("new mounts on the host:\n" + "\n".join(new))
    tmp = [w for w in (_job_like_tmp_entry(n, token)
                       for n in sorted(tmp_entries() - before["tmp"])) if w]
    if tmp:
        problems.append("left in /tmp: " + ", ".join(tmp))
    return problems
