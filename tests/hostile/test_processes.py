"""Processes: bounded, invisible to the host, dead when the request ends,
unable to signal or trace anything outside the job."""

import json
import os
import re
import secrets
import time

from conftest import evidence, failed, body_of
from hostprocs import assert_job_gone, processes_in_pidns, reused_by_the_pool

CAT = "processes"


def max_processes(stack):
    return stack.request("GET", "/health").json["limits"]["max_processes"]


def test_fork_bomb(stack, unharmed):
    t0 = time.monotonic()
    ev = evidence(stack.run(CAT, "fork_bomb", timeout=20))
    assert ev["error"] == "EAGAIN", ev
    assert ev["processes_visible"] <= max_processes(stack) + 2, ev   # RLIMIT_NPROC (+ init)
    assert time.monotonic() - t0 < 20
    assert_job_gone(ev["pidns"])
    chk = evidence(stack.run(CAT, "find_processes"))
    assert sorted(chk["procs"]) == ["1", "2"], chk


def test_thread_bomb(stack, unharmed):
    ev = evidence(stack.run(CAT, "thread_bomb", timeout=20))
    assert ev["error"] and "can't start new thread" in ev["error"], ev
    # threads count as processes: the job's process cap bounds them
    assert ev["threads_started"] < max_processes(stack), ev
    assert_job_gone(ev["pidns"])


def test_daemon_does_not_outlive_request(stack, unharmed):
    ev = evidence(stack.run(CAT, "daemon_escape", timeout=20))
    assert ev["alive_at_return"] is True, ev   # it was really running
    assert ev["daemon_pid"] > 2
    assert_job_gone(ev["pidns"])
    # no process renamed kworker with a job uid anywhere on the host
    for pid, (uid, cmd) in stack.job_processes().items():
        with open(f"/proc/{pid}/comm") as f:
            assert "kworker" not in f.read(), (pid, uid, cmd)
    for _ in range(3):
        chk = evidence(stack.run(CAT, "find_processes"))
        assert sorted(chk["procs"]) == ["1", "2"], chk
        assert chk["heartbeat"] is False, chk


def test_daemon_gone_before_the_answer(stack, unharmed):
    # a daemon holding 600 MB takes the kernel a while to tear down once
    # killed: when the answer has left, at most the job's init may still be
    # there (on its way out), never the daemon
    ev = evidence(stack.run(CAT, "daemon_escape", stdin="600", memory_limit=1024, timeout=20))
    left = {}
    pids = processes_in_pidns(ev["pidns"])
    # the namespace's number may already be a new pooled job's
    for pid in [] if reused_by_the_pool(pids) else pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                left[pid] = f.read().strip()
        except OSError:
            pass
    assert ev["alive_at_return"] is True, ev
    assert set(left.values()) <= {"sandrun-init"}, left


def test_kill_everything(stack, unharmed):
    pids = f"{stack.nginx_pid()} {stack.app_pid()}"
    ev = evidence(stack.run(CAT, "kill_everything", stdin=pids))
    for k, v in ev.items():
        if "host pid" in k:
            assert v == "ProcessLookupError errno=3", (k, v)
    # init of a pid namespace ignores signals it has no handler for
    assert ev["pid 1 state"] in ("S", "R"), ev
    assert ev["kill(-1, SIGKILL)"] in ("delivered", "ProcessLookupError errno=3"), ev
    os.kill(stack.nginx_pid(), 0)
    os.kill(stack.app_pid(), 0)


def test_sigstop_own_group(stack, unharmed):
    t0 = time.monotonic()
    b = failed(stack.run(CAT, "sigstop_group", timeout=3), "timeout")
    assert b["error"] == "Script execution timed out (3s limit)", b
    assert b["stdout"].startswith("stopping my process group"), b
    assert time.monotonic() - t0 < 10
    assert_job_gone(b["stdout"].split("pidns=")[1].split()[0])


def test_sigstop_init_does_not_stop_the_clock(stack, unharmed):
    t0 = time.monotonic()
    b = failed(stack.run(CAT, "sigstop_init", timeout=3), "timeout")
    assert time.monotonic() - t0 < 10, "the deadline did not hold"
    # the stop did nothing to init: it was still sleeping, not 'T'
    assert "'pid 1 state': 'S'" in b["stdout"] or "'pid 1 state': 'R'" in b["stdout"], b
    assert_job_gone(b["stdout"].split("pidns=")[1].split()[0])


def test_ptrace(stack, unharmed):
    ev = evidence(stack.run(CAT, "ptrace_attach"))
    for k in ("PTRACE_ATTACH child", "PTRACE_SEIZE child", "PTRACE_ATTACH init", "PTRACE_TRACEME"):
        assert ev[k] == "EPERM", (k, ev[k])
    for k in ("read /proc/1/mem", "read /proc/1/environ", "read /proc/1/maps"):
        assert ev[k] == "PermissionError errno=13", (k, ev[k])


def test_process_vm_readv(stack, unharmed):
    ev = evidence(stack.run(CAT, "process_vm_readv"))
    assert ev == {"readv pid child": "EPERM", "readv pid 1": "EPERM",
                  "writev pid child": "EPERM", "writev pid 1": "EPERM"}, ev


def test_job_does_not_outlive_its_answer(stack, unharmed):
    """A job that writes its own result frame and closes its pipes, then
    stays: it is answered no earlier than its runner ends (here: the
    deadline), and its slot, uid and network namespace never serve another
    request while any of it runs.  (Found by this suite: the frame used to be
    answered at once, the slot given back 10 s later with the job still
    running, so a later request reached it, and a lingering job that filled
    RLIMIT_NPROC made every later job of its slot fail with 500.)"""
    name = "sandrun-linger-" + secrets.token_hex(6)
    timeout = 25
    t0 = time.monotonic()
    r = stack.run(CAT, "outlive_answer", stdin=name, timeout=timeout)
    answered = time.monotonic() - t0
    b = body_of(r)
    json.loads(r.body.decode("utf-8"))
    m = re.search(r"pidns=(pid:\[\d+\]) uid=(\d+)", b.get("stderr", ""))
    res = b.get("result") or {}
    pidns = res.get("pidns") or (m and m.group(1))
    uid = res.get("uid") or (m and int(m.group(2)))
    assert pidns, b
    try:
        # the answer is out: nothing of the job may be left once its
        # teardown is over (a few seconds at most)
        try:
            assert_job_gone(pidns, timeout=5)
            left = None
        except AssertionError as e:
            left = str(e)
        # while it could still be running, later requests take whichever
        # slot is free: none of them may reach it
        reached, same_slot = [], 0
        while time.monotonic() < t0 + timeout - 3:
            ev = evidence(stack.run(CAT, "same_slot_probe", stdin=name, timeout=10))
            same_slot += ev["uid"] == uid
            if ev["connect"].startswith("connected"):
                reached.append((round(time.monotonic() - t0, 1), ev))
                break
            time.sleep(0.05)
        assert not left and not reached, {"answered after s": round(answered, 2), "answer": b,
                                          "left": left, "reached": reached,
                                          "probes in the same slot": same_slot}
        if answered < timeout:
            assert r.status == 200, b
        else:
            assert failed(r, "timeout")["error"] == f"Script execution timed out ({timeout}s limit)", b
    finally:
        assert_job_gone(pidns, timeout=timeout + 15)


def test_child_holding_stdout_does_not_hold_the_answer(stack, unharmed):
    t0 = time.monotonic()
    r = stack.run(CAT, "stdout_held_by_child", timeout=20)
    took = time.monotonic() - t0
    ev = evidence(r)
    assert took < 10, took   # bounded by the runner's end, not by the 20 s timeout
    assert r.json["stdout"].startswith("child still writing"), r.json["stdout"][:200]
    assert r.json["stdout_truncated"] is False, r
    assert_job_gone(ev["pidns"])


def test_pidfd_signals(stack, unharmed):
    t0 = time.monotonic()
    ev = evidence(stack.run(CAT, "pidfd_signals", stdin=f"{stack.nginx_pid()} {stack.app_pid()}",
                            timeout=10))
    assert time.monotonic() - t0 < 10
    for k, v in ev.items():
        if k.startswith("pidfd_open host pid"):
            assert v == "ESRCH", (k, v)
    assert ev["other pids with a pidfd in 3..4095"] == [], ev
    assert ev["pidfd_getfd init 0"] == "EPERM", ev
    # delivered or refused, init ignores them: still running, not stopped
    assert ev["pid 1 state"] in ("S", "R"), ev
    os.kill(stack.nginx_pid(), 0)
    os.kill(stack.app_pid(), 0)


def test_child_returning_from_main_too(stack, unharmed):
    r = stack.run(CAT, "fork_returns_twice", timeout=10)
    json.loads(r.body.decode("utf-8"))
    b = body_of(r)
    # the parent's value, or a failure: never the child's
    assert "forged" not in json.dumps(b.get("result")), b
    if r.status == 200:
        assert b["result"] == {"who": "parent"}, b
    else:
        failed(r, "error")


def test_raw_exit_group_while_a_thread_writes(stack, unharmed):
    """init's end watch (init.c, runner_exiting) answers a job at its
    runner's exit_group(0) only when nothing else ever ran in it: here a
    thread still writes to stdout and to output/ when the runner makes that
    call itself, pipes open.  The answer must be whole and nothing of the
    job left.  (What decides the early answer, the namespace's last pid, is
    checked in tests/unit/test-init-usage.c; from outside, a wrong decision
    here would only race the gathering of output/.)"""
    r = stack.run(CAT, "exit_group_writing", timeout=10)
    b = body_of(r)
    m = re.search(r"pidns=(pid:\[\d+\])", b.get("stderr", ""))
    assert m, b
    assert "still here" not in json.dumps(b.get("result")), b
    assert b.get("stdout", "").startswith("thread 1\n"), b.get("stdout", "")[:200]
    assert_job_gone(m.group(1))


def test_children_ending_with_exit_group(stack, unharmed):
    ev = evidence(stack.run(CAT, "exit_group_children", timeout=10))
    assert ev["children"] == 41 and ev["last status"] == 0, ev
    assert_job_gone(ev["pidns"])
