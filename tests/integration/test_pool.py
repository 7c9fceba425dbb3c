"""The pool of jobs confined before their request (spawner.c), through the
real nginx: how many wait, that a waiting job shares no uid, namespace or
cgroup with a running one, that each request gets a fresh job with its own
limits and random state, that the pool refills and survives a waiting job's
death, and that pool_depth 0 turns it off.

These stacks set pool_depth themselves, so the tests hold whatever the run's
SANDRUN_EXTRA_ARGS say of the session's stack (the suites run with the pool on
and off)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from hostprocs import POOL_COMM, process_table, runner_stdin
from sandrun_client import metric
from stack import JOB_UID_BASE, own_stack

SLOTS = 2


@pytest.fixture(scope="module")
def pool_stack():
    with own_stack("sandrun-pool-", f"--slots {SLOTS} --pool_depth 1") as st:
        yield st


def spawner_pid(st):
    table = process_table()
    for pid, proc in table.items():
        if proc.comm in ("sandrun-zygote", "sandrun-spawn") and proc.uid == 0:
            sup = table.get(proc.ppid)
            if sup and table.get(sup.ppid) and sup.ppid == st.app_pid():
                return pid
    raise AssertionError("no spawner under the stack's sandrun-fcgi")


def jobs_of(st):
    """{init pid: facts} of the spawner's jobs: waiting (named sandrun-pool)
    or running (sandrun-init), each with its runner's pid, uid and
    namespaces and cgroup."""
    table = process_table()
    spawner = spawner_pid(st)
    out = {}
    for pid, proc in table.items():
        if proc.ppid != spawner:
            continue
        runners = [p for p, q in table.items() if q.ppid == pid]
        # the request's job is the one whose runner holds the request's stdin
        # (a memfd); a waiting one has /dev/null there (and is named
        # sandrun-pool, but for a moment after its init's exec)
        stdin = runner_stdin(runners[0]) if runners else ""
        if stdin is None:
            continue   # it ended meanwhile
        facts = {"state": "running" if stdin.startswith("/memfd:") else "waiting", "uid": proc.uid,
                 "runner": runners[0] if runners else None, "comm": proc.comm}
        try:
            for ns in ("net", "pid", "mnt", "ipc", "uts", "cgroup"):
                facts[ns] = os.readlink(f"/proc/{pid}/ns/{ns}")
            with open(f"/proc/{pid}/cgroup") as f:
                facts["cgroups"] = tuple(sorted(line.strip() for line in f if "job-" in line))
        except OSError:
            continue   # it ended meanwhile
        out[pid] = facts
    return out


def waiting(st, n, timeout=10):
    """Wait until n jobs wait in the pool; the jobs then."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = jobs_of(st)
        if sum(j["state"] == "waiting" for j in jobs.values()) == n or time.monotonic() > deadline:
            return jobs
        time.sleep(0.05)


def execute_lines(st):
    out = []
    for line in st.log().splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if j.get("msg") == "request" and j.get("endpoint") == "/execute":
            out.append(j)
    return out


def logged_after(st, n, timeout=5):
    """The log line of the n+1-th /execute (written after its answer)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = execute_lines(st)
        if len(lines) > n or time.monotonic() > deadline:
            assert len(lines) > n, "no log line for the request"
            return lines[n]
        time.sleep(0.05)


PROBE = r"""
import os, random, resource
def main():
    import numpy as np
    return {"uid": os.getuid(), "random": random.random(), "np": float(np.random.random()),
            "cpu": resource.getrlimit(resource.RLIMIT_CPU),
            "as": resource.getrlimit(resource.RLIMIT_AS),
            "fds": sorted(os.listdir("/proc/self/fd")),
            "pid": os.getpid()}
"""


def test_health_and_the_pool_at_rest(pool_stack):
    st = pool_stack
    pool = st.get("/health").json["pool"]
    assert pool == {"depth": 1, "jobs": SLOTS}, pool
    jobs = waiting(st, SLOTS)
    assert [j["state"] for j in jobs.values()] == ["waiting"] * SLOTS, jobs
    uids = [j["uid"] for j in jobs.values()]
    # every job of the service, pooled or running, on a uid of its own in
    # the range slots x (1 + pool_depth)
    assert len(set(uids)) == SLOTS, uids
    assert all(JOB_UID_BASE <= u < JOB_UID_BASE + SLOTS * 2 for u in uids), uids
    for j in jobs.values():
        # init and runner wait, confined, as the same uid, named for the pool
        assert j["runner"] and process_table()[j["runner"]].uid == j["uid"], j
    deadline = time.monotonic() + 5
    while not all(j["comm"] == POOL_COMM and process_table()[j["runner"]].comm == POOL_COMM
                  for j in jobs_of(st).values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(j["comm"] == POOL_COMM for j in jobs_of(st).values()), jobs_of(st)


def test_waiting_jobs_share_nothing_with_a_running_one(pool_stack):
    st = pool_stack
    # the jobs' cgroups, where the service has them (a host without any
    # has none to share)
    cgroups = ("cgroups",) if st.get("/health").json["cgroup"] != "none" else ()
    waiting(st, SLOTS)
    done = []
    t = threading.Thread(target=lambda: done.append(
        st.execute("import time\ndef main():\n    time.sleep(3)\n    return 1\n", timeout=10)))
    t.start()
    try:
        deadline = time.monotonic() + 8
        while True:
            jobs = jobs_of(st)
            running = [j for j in jobs.values() if j["state"] == "running"]
            pool = [j for j in jobs.values() if j["state"] == "waiting"]
            if (running and len(pool) == SLOTS) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(running) == 1 and len(pool) == SLOTS, jobs
        r = running[0]
        for w in pool:
            for what in ("uid", "net", "pid", "mnt", "ipc", "uts", "cgroup") + cgroups:
                assert r[what] != w[what], (what, r, w)
        # nor do the waiting ones among themselves
        for what in ("uid", "net", "pid") + cgroups:
            assert len({w[what] for w in pool}) == len(pool), (what, pool)
    finally:
        t.join(30)
    assert done and done[0].status == 200 and done[0].json["result"] == 1, done


def test_each_request_takes_a_fresh_job_and_the_pool_refills(pool_stack):
    st = pool_stack
    before = waiting(st, SLOTS)
    pooled0 = metric(st, "sandrun_jobs_total", {"start": "pooled"})
    logged0 = len(execute_lines(st))
    seen, usage = [], []
    for _ in range(4):
        r = st.execute(PROBE, timeout=7, memory_limit=256)
        assert r.status == 200, r
        seen.append(r.json["result"])
        usage.append((r.json["cpu_ms"], r.json["duration_ms"]))
        # the job ran as pid 2 of its own namespace: init, then the runner
        assert r.json["result"]["pid"] == 2, r.json
        after = waiting(st, SLOTS)
        assert len([j for j in after.values() if j["state"] == "waiting"]) == SLOTS, after
    # never reused: every waiting job of the start has gone, replaced
    assert not set(before) & set(waiting(st, SLOTS)), "a pooled job was kept after its request"
    assert metric(st, "sandrun_jobs_total", {"start": "pooled"}) - pooled0 == 4
    # lowered to the request's limits: 7 s of CPU (hard one more), and the
    # address space the job would have without the pool (checked against
    # pool_depth 0 in test_pool_off)
    for res in seen:
        assert res["cpu"] == [7, 8], res
        assert res["as"][0] == res["as"][1] == seen[0]["as"][0], seen
        # only the job's own fds: the channels and placeholders are gone
        assert res["fds"] == ["0", "1", "2", "3", "4"], res
    # the CPU a job reports is its own, from its request on: not what its
    # runner spent waiting and rehearsing (a single-threaded script cannot
    # use more CPU than wall-clock time)
    for cpu, wall in usage:
        assert cpu <= wall + 1.0, usage
    # fresh random state in every job
    for k in ("random", "np"):
        assert len({res[k] for res in seen}) == len(seen), (k, seen)
    assert logged_after(st, logged0 + 3)["pooled"] is True


def test_limits_hold_in_a_pooled_job(pool_stack):
    st = pool_stack
    waiting(st, SLOTS)
    r = st.execute("def main():\n    while True:\n        pass\n", timeout=1)
    assert r.status == 400 and r.json["error"] == "Script execution timed out (1s limit)", r
    waiting(st, SLOTS)
    r = st.execute("def main():\n    x = bytearray(200 * 1024 * 1024)\n    return len(x)\n", memory_limit=64)
    assert r.status == 400 and r.json["error"] == "Script exceeded the memory limit (64 MB)", r


def test_a_waiting_job_killed_is_replaced(pool_stack):
    st = pool_stack
    jobs = waiting(st, SLOTS)
    victim = next(pid for pid, j in jobs.items() if j["state"] == "waiting")
    os.kill(victim, signal.SIGKILL)
    # requests go on meanwhile, pooled or started for themselves
    for _ in range(3):
        r = st.execute("def main():\n    return 'ok'\n")
        assert r.status == 200 and r.json["result"] == "ok", r
    assert "a pooled job ended before its request" in st.log()
    # and the pool is whole again after its wait
    jobs = waiting(st, SLOTS, timeout=15)
    assert sum(j["state"] == "waiting" for j in jobs.values()) == SLOTS, jobs
    assert victim not in jobs


# A tracer of its own: it holds what it seized at the start of their exit
# (ptrace's exit stop, before the kernel frees their memory) and lets them
# go by exiting itself, which detaches it from all of them whatever state
# they are in.
HOLDER = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_SEIZE, PTRACE_O_TRACEEXIT = 0x4206, 0x40
held = [p for p in map(int, sys.argv[1:])
        if libc.ptrace(PTRACE_SEIZE, p, None, PTRACE_O_TRACEEXIT) == 0]
print(" ".join(map(str, held)), flush=True)
sys.stdin.read()
"""






def test_the_answer_does_not_wait_for_the_runners_teardown(pool_stack):
    """A job that ends well is answered at its runner's exit_group(0), not
    once the kernel has torn its copy of the interpreter down (init.c,
    runner_exiting).  Every waiting runner is held at the start of its exit
    (ptrace's exit stop, before the kernel frees its memory), where only a
    SIGKILL lets it go: init's at the deadline, or the namespace's end once
    init has reported.  An init that waited for the runner's end would
    answer a timeout; this one answers the script's result."""
    st = pool_stack
    jobs = waiting(st, SLOTS)
    runners = [str(j["runner"]) for j in jobs.values() if j["state"] == "waiting" and j["runner"]]
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, *runners], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        held = [int(p) for p in holder.stdout.readline().split()]
        assert held, "could not seize a waiting runner"
        r = st.execute("import sys\nprint('out')\nprint('err', file=sys.stderr)\n"
                       "def main():\n    return 42\n", http_timeout=20, timeout=3)
        assert r.status == 200 and r.json["result"] == 42, r
        assert (r.json["stdout"], r.json["stderr"]) == ("out\n", "err\n"), r
        assert 0 < r.json["cpu_ms"] <= r.json["duration_ms"] + 1.0, r.json
        assert r.json["max_rss_kb"] > 0, r.json
        # the request went to one of them (the others still have the
        # pool's placeholder for stdin)
        assert any(runner_stdin(p) != "/dev/null" for p in held), [(p, runner_stdin(p)) for p in held]
    finally:
        holder.stdin.close()
        holder.wait(10)
    # let go, it ends, and its sandbox slot serves again
    waiting(st, SLOTS, timeout=15)
    r = st.execute("def main():\n    return 'next'\n")
    assert r.status == 200 and r.json["result"] == "next", r


def test_more_requests_than_the_pool_holds(pool_stack):
    st = pool_stack
    waiting(st, SLOTS)
    started0 = metric(st, "sandrun_jobs_total", {"start": "started"})
    pooled0 = metric(st, "sandrun_jobs_total", {"start": "pooled"})
    results = [None] * 10

    def one(i):
        results[i] = st.execute("import time\ndef main():\n    time.sleep(0.3)\n    return %d\n" % i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.json["result"] for r in results] == list(range(10)), results
    ran = (metric(st, "sandrun_jobs_total", {"start": "started"}) - started0 +
           metric(st, "sandrun_jobs_total", {"start": "pooled"}) - pooled0)
    assert ran == 10


def test_pool_off():
    with own_stack("sandrun-nopool-", f"--slots {SLOTS} --pool_depth 0") as st:
        assert st.get("/health").json["pool"] == {"depth": 0, "jobs": 0}
        logged0 = len(execute_lines(st))
        r = st.execute(PROBE, timeout=7, memory_limit=256)
        assert r.status == 200, r
        res = r.json["result"]
        assert res["cpu"] == [7, 8] and res["fds"] == ["0", "1", "2", "3", "4"], res
        assert JOB_UID_BASE <= res["uid"] < JOB_UID_BASE + SLOTS, res
        assert not [j for j in jobs_of(st).values() if j["state"] == "waiting"]
        assert metric(st, "sandrun_jobs_total", {"start": "started"}) == 1
        assert metric(st, "sandrun_jobs_total", {"start": "pooled"}) == 0
        assert logged_after(st, logged0)["pooled"] is False
        no_pool_as = res["as"]
    with own_stack("sandrun-pool2-", f"--slots {SLOTS} --pool_depth 2") as st:
        assert st.get("/health").json["pool"] == {"depth": 2, "jobs": 2 * SLOTS}
        waiting(st, 2 * SLOTS)
        logged0 = len(execute_lines(st))
        r = st.execute(PROBE, timeout=7, memory_limit=256)
        assert r.status == 200, r
        # the address-space limit of a job started for its request (the
        # zygote's own size under it may differ by a few pages between
        # two services; the pool's open limit would be unlimited)
        got = r.json["result"]["as"]
        assert got[0] == got[1] and abs(got[0] - no_pool_as[0]) < 16 << 20, (got, no_pool_as)
        assert logged_after(st, logged0)["pooled"] is True
