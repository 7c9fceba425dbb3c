"""cgroup v2 for real: sandrun-fcgi in a delegated cgroup of a pure cgroup v2
kernel.  The machines we develop and test on run hybrid cgroups (memory and
pids on v1), so this suite runs inside tests/vm/run, a qemu VM booting
Debian's own kernel with cgroup2 alone at /sys/fs/cgroup (dev/test does
that).  The service is reached over FastCGI directly (no nginx in the VM).

What it shows: the delegated layout (<cgroup>/service, <cgroup>/job-N with
memory and pids), each job in its slot's cgroup with memory.max set from the
request, the whole job's memory bounded (processes together, kernel buffers),
an OOM kill answered memory_exceeded, `cgroup: on` refusing to start where it
cannot work, and the slots removed at stop."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("SANDRUN_BUILD_DIR", SRC)
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
import fcgi_client  # noqa: E402
from hostprocs import holds_a_request  # noqa: E402
from hostile_scripts import script  # noqa: E402
from thread_scripts import numpy_pool, threads_alive  # noqa: E402

CG = "/sys/fs/cgroup"
DELEGATED = os.path.join(CG, "sandrun.service")
FCGI = os.path.join(BUILD, "fcgi-app", "sandrun-fcgi")
STATE = "/tmp/cgroup2-test"
SOCK = os.path.join(STATE, "fcgi.sock")
SLOTS, MAX_PROCESSES, TMP_MB = 2, 64, 64


def read(path):
    with open(path) as f:
        return f.read()


def execute(source, sock=SOCK, **fields):
    payload = {"script": source, "timeout": 30}
    payload.update(fields)
    return fcgi_client.request(sock, "POST", "/execute", body=json.dumps(payload).encode(), timeout=120)


def write_conf(path, **extra):
    conf = {"runner": os.path.join(BUILD, "sandbox", "python", "runner.py"),
            "init": os.path.join(BUILD, "sandbox", "sandrun-init"),
            "slots": SLOTS, "max_processes": MAX_PROCESSES, "tmp_size_mb": TMP_MB,
            "libraries": ["numpy"], "cgroup": "on"}
    conf.update(extra)
    with open(path, "w") as f:
        json.dump(conf, f)


def start_service(delegated, state, **conf):
    """sandrun-fcgi as systemd starts a unit with Delegate=yes: the only
    process of the cgroup `delegated`, which has the controllers offered to
    it.  Returns (process, log file) once it answers /health on
    state/fcgi.sock."""
    assert read("/proc/self/cgroup").strip() == "0::/" and "memory" in read(CG + "/cgroup.controllers"), \
        "this suite needs a pure cgroup v2 machine: run it through tests/vm/run (dev/test does)"
    os.makedirs(state, exist_ok=True)
    # the controllers offered down to the unit's cgroup, which is the service's own
    with open(CG + "/cgroup.subtree_control", "w") as f:
        f.write("+memory +pids +cpu")
    os.makedirs(delegated, exist_ok=True)
    write_conf(os.path.join(state, "sandrun.conf"), **conf)
    sock = os.path.join(state, "fcgi.sock")
    log = open(os.path.join(state, "sandrun.log"), "w+")
    proc = subprocess.Popen(
        ["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec "$2" --config "$3" --listen "$4"',
         "sh", delegated, FCGI, os.path.join(state, "sandrun.conf"), sock],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail("sandrun-fcgi exited: " + log.read())
        try:
            if fcgi_client.request(sock, timeout=5).status == 200:
                return proc, log
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail("sandrun-fcgi did not answer /health")


@pytest.fixture(scope="module")
def service():
    proc, log = start_service(DELEGATED, STATE)
    yield proc, log
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def test_health_and_log_say_v2(service):
    proc, log = service
    assert fcgi_client.request(SOCK).json["cgroup"] == "v2"
    log.seek(0)
    started = [json.loads(l) for l in log.read().splitlines() if '"sandrun-fcgi started"' in l]
    assert started and started[0]["cgroup"] == DELEGATED, started


def test_delegated_layout(service):
    proc, _ = service
    # the service moved itself into a leaf; controllers are on for children
    assert read(DELEGATED + "/cgroup.procs") == ""
    service_pids = read(DELEGATED + "/service/cgroup.procs").split()
    assert str(proc.pid) in service_pids, service_pids
    enabled = read(DELEGATED + "/cgroup.subtree_control").split()
    assert "memory" in enabled and "pids" in enabled, enabled
    # offered, so used: jobs share the CPU as equals
    assert "cpu" in enabled, enabled
    # a sandbox slot for each running job and each pooled one (pool_depth 1)
    assert job_dirs() == [f"{DELEGATED}/job-{s}" for s in range(2 * SLOTS)], job_dirs()
    for job in job_dirs():
        assert read(job + "/pids.max").strip() == str(MAX_PROCESSES + 1)
        assert read(job + "/memory.swap.max").strip() == "0"


def job_dirs(delegated=DELEGATED):
    """Every sandbox slot's cgroup, in order."""
    names = [d for d in os.listdir(delegated) if d.startswith("job-")]
    return [f"{delegated}/{d}" for d in sorted(names, key=lambda d: int(d[4:]))]




def test_job_runs_in_its_slot_cgroup(service):
    src = ("import time\n"
           "def main():\n"
           "    time.sleep(4)\n"
           "    return open('/proc/self/cgroup').read()\n")
    answer = {}
    t = threading.Thread(target=lambda: answer.setdefault("r", execute(src, memory_limit=100)))
    t.start()
    seen = {}
    deadline = time.monotonic() + 30
    while t.is_alive() and not seen and time.monotonic() < deadline:
        # every sandbox slot: the running jobs' and the pool's
        for job in job_dirs():
            procs = read(job + "/cgroup.procs").split()
            # init and the runner, the request's: a job waiting in the pool
            # has its own cgroup, and /dev/null for stdin
            if len(procs) >= 2 and any(holds_a_request(p) for p in procs):
                seen = {"procs": procs, "max": read(job + "/memory.max").strip(),
                        "pids": int(read(job + "/pids.current"))}
        time.sleep(0.1)
    t.join()
    r = answer["r"]
    assert r.status == 200, r.body
    # the job's cgroup namespace starts at its own cgroup
    assert r.json["result"] == "0::/\n", r.json
    assert seen, "no job cgroup had the job's processes"
    # the request's limit (the job's /tmp in it) and 16 MB for the kernel
    assert int(seen["max"]) == (100 + 16) << 20, seen
    assert seen["pids"] >= 2, seen


def test_memory_of_forked_processes_is_bounded(service):
    # sixteen children of 48 MB under a 128 MB limit: 768 MB with rlimits alone
    r = execute(script("resources", "memory_forked"), memory_limit=128)
    assert r.status == 200, r.body
    ev = r.json["result"]
    assert ev["held_mb"] <= 128 + 16 and ev["killed"] >= 1, ev


# 60 threads alive, then a 16-thread numpy pool
THREADS = threads_alive(60)
NUMPY_POOL = numpy_pool(16, 16, 200)


def test_memory_limits_memory_not_threads(service):
    # the cgroup is the limit: threads' reservations (stacks, arenas) are not
    # memory, so 60 threads and a numpy pool run under 128 MB, where
    # RLIMIT_AS alone would allow about 30
    assert fcgi_client.request(SOCK).json["memory_limit_by"] == "cgroup"
    r = execute(THREADS, memory_limit=128)
    assert r.status == 200 and r.json["result"] == 60, r.body
    r = execute(NUMPY_POOL, memory_limit=128)
    assert r.status == 200 and r.json["result"] == 16 * 200.0 ** 3, r.body


def test_a_bomb_peaks_within_the_limit(service):
    base = execute("def main():\n    return 1\n", memory_limit=128).json["max_rss_kb"]
    r = execute(script("resources", "memory_gradual"), memory_limit=128)
    assert r.status == 400 and r.json["status"] == "memory_exceeded", r.body
    # the cgroup's 16 MB kernel share and a little measuring noise
    assert (r.json["max_rss_kb"] - base) / 1024 <= 128 + 24, (base, r.json)


def test_oom_kill_is_memory_exceeded(service):
    before = sum(int(read(f"{job}/memory.events").split("oom_kill ")[1].split()[0]) for job in job_dirs())
    r = execute(script("resources", "memory_kernel"), memory_limit=128)
    assert r.status == 400, r.body
    assert r.json["status"] == "memory_exceeded", r.json
    assert r.json["error"] == "Script exceeded the memory limit (128 MB)", r.json
    after = sum(int(read(f"{job}/memory.events").split("oom_kill ")[1].split()[0]) for job in job_dirs())
    assert after > before


def test_cgroup_on_refuses_a_shared_cgroup(service):
    # this test runs in the root cgroup, which is not the service's to divide
    conf = os.path.join(STATE, "refuse.conf")
    write_conf(conf, job_uid_base=210000)
    p = subprocess.run([FCGI, "--config", conf, "--listen", os.path.join(STATE, "refuse.sock")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "cgroup is on but cannot be used" in p.stderr and "root cgroup" in p.stderr, p.stderr


def test_stop_removes_the_slots():
    """A service of its own (another delegated cgroup, other job uids), so
    that no other test has to run before or after it: it serves a job, and
    once stopped its slots' cgroups are gone."""
    delegated = os.path.join(CG, "sandrun-stop.service")
    proc, _ = start_service(delegated, STATE + "-stop", job_uid_base=220000)
    try:
        r = execute("def main():\n    return 1\n", sock=os.path.join(STATE + "-stop", "fcgi.sock"))
        assert r.status == 200, r.body
        for slot in range(SLOTS):
            assert os.path.isdir(f"{delegated}/job-{slot}")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        for slot in range(SLOTS):
            assert not os.path.exists(f"{delegated}/job-{slot}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
