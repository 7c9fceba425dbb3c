"""Nothing of a job outlives it on the host: no process, no mount, no file
in the host's /tmp.

Order-independent: the test runs its own stack and, on it, jobs that try
hard to leave things behind, then looks at the host.  Every stack of every
suite is also checked when it stops (tests/lib/stack.py, stop_stack), and
the check itself is shown to see leftovers when there are some."""

import json
import os
import secrets
import subprocess
import tempfile
import threading

import pytest

from hostprocs import assert_job_gone
from stack import JOB_UID_MAX, host_snapshot, leftovers, own_stack

# What each job leaves running when main() returns or the job is ended; all
# of it ignores SIGTERM and SIGHUP, and records the job's pid namespace.
PRELUDE = r'''
import json, os, signal, subprocess, sys, time

def pidns():
    return os.readlink("/proc/self/ns/pid")

def stubborn():
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)

def forked_sleepers(n):
    """Children (and grandchildren) that sleep on, each in a group of its own."""
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)
            stubborn()
            if os.fork() == 0:
                time.sleep(600)
            time.sleep(600)
            os._exit(0)
        pids.append(pid)
    return pids

def daemon():
    """The classic double fork: setsid, fds closed, parent gone."""
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            stubborn()
            os.write(w, b"%%d\n" %% os.getpid())
            os.closerange(0, 1024)
            time.sleep(600)
        os._exit(0)
    os.close(w)
    return int(os.read(r, 32))

def background():
    """Programs started in the background, in new sessions."""
    ps = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                           start_new_session=True, stdin=subprocess.DEVNULL)]
    if os.path.exists("/bin/sleep"):
        ps.append(subprocess.Popen(["/bin/sleep", "600"], start_new_session=True))
    return [p.pid for p in ps]

def tmp_files(token):
    os.makedirs("/tmp/%%s-dir/sub" %% token, exist_ok=True)
    with open("/tmp/%%s-file" %% token, "w") as f:
        f.write("left behind")
    os.symlink("/tmp/%%s-file" %% token, "/tmp/%%s-link" %% token)
    return sorted(os.listdir("/tmp"))

def alive(pids):
    out = []
    for p in pids:
        try:
            os.kill(p, 0)
            out.append(p)
        except OSError:
            pass
    return out

TOKEN = %(token)r
'''

# Each returns (or, ended by the service, prints) what it started.
JOBS = {
    "returns": '''
def main():
    kids = forked_sleepers(3) + background() + [daemon()]
    return {"pidns": pidns(), "alive": alive(kids), "tmp": tmp_files(TOKEN)}
''',
    "timeout": '''
def main():
    kids = forked_sleepers(2) + background() + [daemon()]
    tmp_files(TOKEN)
    stubborn()
    print(pidns(), "alive", json.dumps(alive(kids)), flush=True)
    time.sleep(600)
''',
    "memory": '''
def main():
    kids = forked_sleepers(2) + [daemon()]
    tmp_files(TOKEN)
    print(pidns(), "alive", json.dumps(alive(kids)), flush=True)
    hog = []
    while True:
        hog.append(bytearray(8 << 20))
''',
    "killed": '''
def main():
    kids = forked_sleepers(2) + background() + [daemon()]
    tmp_files(TOKEN)
    print(pidns(), "alive", json.dumps(alive(kids)), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
''',
    "exits": '''
def main():
    kids = forked_sleepers(2) + [daemon()]
    tmp_files(TOKEN)
    print(pidns(), "alive", json.dumps(alive(kids)), flush=True)
    os._exit(0)
''',
}

# How each ends: HTTP status, job status.
ENDS = {"returns": (200, "success"), "timeout": (400, "timeout"),
        "memory": (400, "memory_exceeded"), "killed": (400, "killed"),
        "exits": (400, None)}


def run_job(st, name, token):
    """Run one of JOBS; returns its pid namespace, after checking that it
    ended as it should with what it started still running."""
    r = st.execute(PRELUDE % {"token": token} + JOBS[name], timeout=3, memory_limit=128)
    status, job_status = ENDS[name]
    assert r.status == status, (name, r)
    body = r.json
    if job_status:
        assert body["status"] == job_status, (name, body)
    if name == "returns":
        res = body["result"]
        assert len(res["alive"]) >= 5, res   # it really left things running
        assert f"{token}-file" in res["tmp"], res
        return res["pidns"]
    ns, _, pids = body["stdout"].partition(" alive ")
    assert len(json.loads(pids)) >= 3, (name, body["stdout"])   # it really left things running
    return ns


@pytest.fixture(scope="module")
def leftstack():
    """A stack of its own: its stop is checked for leftovers too (own_stack)."""
    with own_stack("sandrun-left-", "--slots 3") as st:
        yield st


def test_jobs_one_after_the_other_leave_nothing(leftstack):
    """Jobs that return, time out, hit their memory limit, are killed by a
    signal or exit early, each with forked children, background programs and
    a double-forked daemon running and files in its /tmp: once each is
    answered, none of it is on the host."""
    token = "sandrun-leftover-" + secrets.token_hex(6)
    for name in JOBS:
        assert_job_gone(run_job(leftstack, name, token))
        assert leftovers(leftstack.before, leftstack.app_pid(), token=token) == [], name


def test_jobs_all_at_once_leave_nothing(leftstack):
    """The same jobs at the same time, more of them than slots."""
    token = "sandrun-leftover-" + secrets.token_hex(6)
    spaces, errors = [], []

    def one(name):
        try:
            spaces.append(run_job(leftstack, name, token))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((name, repr(e)))
    threads = [threading.Thread(target=one, args=(n,)) for n in JOBS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for ns in spaces:
        assert_job_gone(ns)
    assert leftovers(leftstack.before, leftstack.app_pid(), token=token) == []


def test_the_check_sees_leftovers():
    """leftovers() is not blind: a process of a job uid, a new mount and a
    job's file in /tmp, made here by hand, are each reported."""
    token = "sandrun-leftover-" + secrets.token_hex(6)
    before = host_snapshot()
    proc = subprocess.Popen(["sleep", "60"], user=JOB_UID_MAX, start_new_session=True)
    mnt = tempfile.mkdtemp(prefix=token + "-mnt-", dir="/tmp")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "none", mnt]).returncode == 0
    owned = f"/tmp/{token}-owned"
    try:
        with open(owned, "w"):
            pass
        os.chown(owned, JOB_UID_MAX, -1)
        problems = "\n".join(leftovers(before, wait=0.5))
        assert f"{proc.pid}" in problems and "job processes left" in problems, problems
        assert f"{token}-owned (uid {JOB_UID_MAX})" in problems, problems
        if not mounted:
            pytest.skip("cannot mount a tmpfs here")
        assert "new mounts on the host" in problems and mnt in problems, problems
    finally:
        proc.kill()
        proc.wait()
        if mounted:
            subprocess.run(["umount", mnt])
        os.rmdir(mnt)
        os.unlink(owned)
    assert leftovers(before, wait=0.5) == []
