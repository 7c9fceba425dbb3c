"""The jobs' cgroups on this host, through the real stack: /health and the
start-up log say which cgroups the jobs get, a running job sits in its slot's
memory and pids cgroups with the request's limit, and the service's
directories go when it stops.  (The cgroup v2 layout is tested in a VM with
a pure v2 kernel: tests/cgroup2.)"""

import json
import os
import threading
import time

import pytest

from hostprocs import POOL_COMM, process
from stack import own_stack

SLEEPER = "import time\ndef main():\n    time.sleep(3)\n    return 1\n"


def started_line(stack):
    for line in stack.log().splitlines():
        if '"sandrun-fcgi started"' in line:
            return json.loads(line)
    raise AssertionError("no start-up line in the log:\n" + stack.log())


def job_cgroups(base):
    return sorted(os.path.join(base, d) for d in os.listdir(base) if d.startswith("job-"))


def test_health_and_log_agree(stack):
    kind = stack.request("GET", "/health").json["cgroup"]
    start = started_line(stack)
    assert kind in ("v1", "v2", "none"), kind
    if kind == "none":
        assert start["cgroup"] == "none" and start["cgroup_why"], start
    else:
        assert os.path.isdir(start["cgroup"]), start


def pooled(pids):
    """Are these a job waiting in the pool (not the request's)?"""
    for pid in pids:
        p = process(int(pid))
        if p and p.comm == POOL_COMM:
            return True
    return False


def test_job_in_its_slot_cgroups_and_removed_at_stop():
    with own_stack("sandrun-cg-", "--slots 2") as st:
        kind = st.request("GET", "/health").json["cgroup"]
        if kind == "none":
            pytest.skip("this host offers no memory cgroup to sandrun: " + started_line(st)["cgroup_why"])
        base = started_line(st)["cgroup"]
        slots = job_cgroups(base)
        # one for each job that may exist at once: the running ones and
        # the pool's
        n = 2 * (1 + st.request("GET", "/health").json["pool"]["depth"])
        assert sorted(os.path.basename(s) for s in slots) == sorted(f"job-{i}" for i in range(n)), slots
        answer = {}
        t = threading.Thread(target=lambda: answer.setdefault(
            "r", st.execute(SLEEPER, timeout=10, memory_limit=100)))
        t.start()
        seen = None
        limit_file = "memory.max" if kind == "v2" else "memory.limit_in_bytes"
        deadline = time.monotonic() + 10
        while seen is None and time.monotonic() < deadline:
            for s in slots:
                with open(os.path.join(s, "cgroup.procs")) as f:
                    procs = f.read().split()
                if len(procs) >= 2 and not pooled(procs):   # the job's init and its runner
                    with open(os.path.join(s, limit_file)) as f:
                        seen = int(f.read())
            time.sleep(0.05)
        cpu_base = started_line(st).get("cgroup_cpu", "none")
        in_cpu = None
        if cpu_base != "none" and seen is not None:
            # the job's processes share the CPU as one: they sit in the slot's cpu cgroup
            for s in job_cgroups(cpu_base):
                with open(os.path.join(s, "cgroup.procs")) as f:
                    procs = f.read().split()
                if len(procs) >= 2 and not pooled(procs):
                    in_cpu = s
        t.join()
        assert answer["r"].status == 200, answer["r"]
        if cpu_base != "none":
            assert in_cpu is not None, cpu_base
        # the request's limit (the job's /tmp in it) and 16 MB for the kernel
        assert seen == (100 + 16) << 20, seen
    if kind == "v1":
        assert not os.path.exists(base), base        # sandrun-PID/ is this instance's
    else:
        assert not job_cgroups(base), base           # the service's own cgroup stays


def test_v1_leftovers_of_another_pid_namespace_are_left_alone(stack):
    """Only crashed instances of our own pid namespace are cleaned at start:
    a pid says nothing across namespaces, and a living instance elsewhere (a
    container's sandrun on the same hierarchy) would lose its idle job
    cgroups, and every job after."""
    start = started_line(stack)
    if start["cgroup"] == "none" or stack.request("GET", "/health").json["cgroup"] != "v1":
        pytest.skip("only the v1 layout keeps an instance directory per service")
    parent = os.path.dirname(start["cgroup"])
    ns = os.stat("/proc/self/ns/pid").st_ino
    dead = 4194303        # above any pid_max: no process has it here
    other = os.path.join(parent, "sandrun-%d-%d" % (ns + 1, dead))
    ours = os.path.join(parent, "sandrun-%d-%d" % (ns, dead))
    for d in (other, ours):
        os.makedirs(os.path.join(d, "job-0"), exist_ok=True)
    try:
        with own_stack("sandrun-cgns-", "--slots 1") as st:
            assert st.execute("def main():\n    return 1\n").status == 200
            assert os.path.isdir(os.path.join(other, "job-0")), "another namespace's instance was removed"
            assert not os.path.exists(ours), "a crashed instance of ours was left"
    finally:
        for d in (other, ours):
            for sub in (os.path.join(d, "job-0"), d):
                try:
                    os.rmdir(sub)
                except OSError:
                    pass
