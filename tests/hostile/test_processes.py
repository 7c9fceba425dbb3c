"""Processes: bounded, invisible to the host, dead when the request ends,
unable to signal or trace anything outside the job."""

import os
import time

from conftest import evidence, failed, job_processes, assert_job_gone

CAT = "processes"


def test_fork_bomb(stack, unharmed):
    t0 = time.monotonic()
    ev = evidence(stack.run(CAT, "fork_bomb", timeout=20))
    assert ev["error"] == "EAGAIN", ev
    assert ev["processes_visible"] <= 64 + 2, ev   # RLIMIT_NPROC 64 (+ init)
    assert time.monotonic() - t0 < 20
    assert_job_gone(ev["pidns"])
    chk = evidence(stack.run(CAT, "find_processes"))
    assert sorted(chk["procs"]) == ["1", "2"], chk


def test_thread_bomb(stack, unharmed):
    ev = evidence(stack.run(CAT, "thread_bomb", timeout=20))
    assert ev["error"] and "can't start new thread" in ev["error"], ev
    assert ev["threads_started"] < 64, ev
    assert_job_gone(ev["pidns"])


def test_daemon_does_not_outlive_request(stack, unharmed):
    ev = evidence(stack.run(CAT, "daemon_escape", timeout=20))
    assert ev["alive_at_return"] is True, ev   # it was really running
    assert ev["daemon_pid"] > 2
    assert_job_gone(ev["pidns"])
    # no process renamed kworker with a job uid anywhere on the host
    for pid, (uid, cmd) in job_processes(stack.app_pid()).items():
        with open(f"/proc/{pid}/comm") as f:
            assert "kworker" not in f.read(), (pid, uid, cmd)
    for _ in range(3):
        chk = evidence(stack.run(CAT, "find_processes"))
        assert sorted(chk["procs"]) == ["1", "2"], chk
        assert chk["heartbeat"] is False, chk


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
