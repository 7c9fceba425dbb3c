"""What an operator relies on: /metrics in the Prometheus text format, one
JSON log line per request, and a service that survives its spawner dying."""
import json
import os
import re
import secrets
import signal
import threading
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hostprocs import children, holds_a_request, job_processes, wait_until_empty
from stack import JOB_UID_BASE, own_stack

HELLO = "def main():\n    return 42\n"


def scrape(stack):
    r = stack.get("/metrics")
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r
    text = r.body.decode("utf-8")
    # the parser raises on anything that is not the exposition format
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return text, families


def sample(families, family, name=None, **labels):
    for s in families[family].samples:
        if (name is None or s.name == name) and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise KeyError((family, name, labels))


def test_metrics_parse_and_follow_conventions(stack):
    assert stack.execute(HELLO).status == 200
    assert stack.execute("def main():\n    return 1/0\n").status == 400
    text, fam = scrape(stack)
    # every line is a comment or a sample: no stray output
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or re.match(
            r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+Inf-]+$', line), line
    types = {f.name: f.type for f in fam.values()}
    assert types["sandrun_requests"] == "counter"
    assert types["sandrun_executions"] == "counter"
    assert types["sandrun_rejected"] == "counter"
    assert types["sandrun_sandbox_setup_failures"] == "counter"
    assert types["sandrun_spawner_restarts"] == "counter"
    assert types["sandrun_execution_duration_seconds"] == "histogram"
    assert types["sandrun_queue_wait_seconds"] == "histogram"
    for g in ("sandrun_slots_busy", "sandrun_slots_total", "sandrun_queue_length", "sandrun_build_info"):
        assert types[g] == "gauge", g
    assert sample(fam, "sandrun_requests", "sandrun_requests_total", endpoint="/execute", code="200") >= 1
    assert sample(fam, "sandrun_requests", "sandrun_requests_total", endpoint="/execute", code="400") >= 1
    assert sample(fam, "sandrun_executions", "sandrun_executions_total", status="success") >= 1
    assert sample(fam, "sandrun_executions", "sandrun_executions_total", status="error") >= 1
    health = stack.get("/health").json
    assert sample(fam, "sandrun_slots_total") == health["slots"]["total"]
    assert sample(fam, "sandrun_build_info", version=health["version"], mode=health["mode"]) == 1
    # histograms: cumulative buckets ending in +Inf == _count
    for h in ("sandrun_execution_duration_seconds", "sandrun_queue_wait_seconds"):
        buckets = [(float(s.labels["le"]), s.value) for s in fam[h].samples if s.name == h + "_bucket"]
        assert buckets == sorted(buckets) and buckets[-1][0] == float("inf")
        counts = [v for _, v in buckets]
        assert counts == sorted(counts)
        assert counts[-1] == sample(fam, h, h + "_count")


def test_one_json_log_line_per_request(stack):
    marker = secrets.token_hex(8)
    r = stack.execute("def main():\n    return '%s'\n" % marker, timeout=7, memory_limit=128, stdin="secret-stdin")
    assert r.status == 200
    rid = r.request_id
    for _ in range(50):
        lines = [json.loads(l) for l in stack.log().splitlines() if l.startswith("{")]
        mine = [l for l in lines if l.get("request_id") == rid]
        if mine:
            break
        time.sleep(0.1)
    assert len(mine) == 1, mine
    line = mine[0]
    assert line["level"] == "info" and line["msg"] == "request"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["time"])
    assert line["client"] == "dev"           # the key's name from nginx, never the key
    assert line["endpoint"] == "/execute" and line["http_status"] == 200 and line["status"] == "success"
    assert line["timeout_s"] == 7 and line["memory_mb"] == 128
    for k in ("duration_ms", "cpu_ms", "max_rss_kb", "total_ms"):
        assert isinstance(line[k], (int, float)) and line[k] >= 0, k
    log = stack.log()
    assert marker not in log and "secret-stdin" not in log and stack.key not in log
    # start-up line: version, mode, limits, socket
    start = [l for l in lines if l.get("msg") == "sandrun-fcgi started"][0]
    for k in ("version", "mode", "socket", "slots", "max_timeout_s", "max_memory_mb", "libraries"):
        assert k in start, k


@pytest.fixture()
def ownstack():
    with own_stack("sandrun-ops-") as st:
        yield st


def spawner_pid(stack):
    app = stack.app_pid()
    supervisor = [p for p, comm in children(app) if comm == "sandrun-superv"]
    assert len(supervisor) == 1, children(app)
    spawner = [p for p, comm in children(supervisor[0]) if comm in ("sandrun-zygote", "sandrun-spawn")]
    assert len(spawner) == 1, children(supervisor[0])
    return spawner[0]


def kill_mid_request(st, victim):
    """SIGKILL victim while a 5 s job runs: (the job's answer, when it was killed)."""
    results = []
    t = threading.Thread(target=lambda: results.append(
        st.execute("import time\ndef main():\n    time.sleep(5)\n    return 1\n", timeout=10)))
    t.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    t.join(30)
    assert results, "the in-flight request hung"
    return results[0], t0


def test_spawner_death_answers_in_flight_jobs_and_recovers(ownstack):
    st = ownstack
    victim = spawner_pid(st)
    r, t0 = kill_mid_request(st, victim)
    # the request was fine: the client is told to retry, not that it failed
    assert r.status == 503, r
    assert r.headers.get("Retry-After"), r
    assert r.content_type.startswith("application/json") and "retry" in r.json["error"], r
    assert time.monotonic() - t0 < 5, "in-flight job was not answered promptly"
    # a new spawner takes over: later requests run again
    deadline = time.monotonic() + 30
    while True:
        r = st.execute(HELLO)
        if r.status == 200:
            break
        assert time.monotonic() < deadline, r
        time.sleep(0.2)
    assert r.json["result"] == 42
    print(f"recovery after the zygote's death: {time.monotonic() - t0:.1f} s to the next 200")
    assert spawner_pid(st) != victim
    assert st.get("/health").status == 200
    _, fam = scrape(st)
    assert sample(fam, "sandrun_spawner_restarts", "sandrun_spawner_restarts_total") == 1


def supervisor_pid(stack):
    sup = [p for p, comm in children(stack.app_pid()) if comm == "sandrun-superv"]
    assert len(sup) == 1, children(stack.app_pid())
    return sup[0]


def test_supervisor_death_answers_503_and_the_front_exits_to_be_restarted(ownstack):
    """The supervisor is root and the front is not: nothing inside can start
    it again.  The in-flight request is told to retry (503, Retry-After), the
    front says so in its log and exits non-zero (systemd's Restart= or
    dev/run then start the whole service), and no job outlives it."""
    st = ownstack
    app, victim = st.app_pid(), supervisor_pid(st)
    r, t0 = kill_mid_request(st, victim)
    assert r.status == 503 and r.headers.get("Retry-After"), r
    assert r.content_type.startswith("application/json") and "error" in r.json, r
    # the front ends by itself, soon, and not with success
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{app}") and time.monotonic() < deadline:
        try:
            with open(f"/proc/{app}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.1)
    assert time.monotonic() < deadline, "sandrun-fcgi went on without a supervisor"
    log = st.log()
    assert f"the supervisor (pid {victim}) was killed by signal 9" in log, log[-2000:]
    assert "sandrun-fcgi stopping" in log
    assert time.monotonic() - t0 < 10


def test_front_death_answers_503_from_nginx_and_leaves_no_job(ownstack):
    """kill -9 of sandrun-fcgi itself: nginx answers what was in flight with
    503 and Retry-After (the service is restarting), and nothing of the job
    outlives it: the supervisor, the zygote and the job follow the front
    down (parent-death signals)."""
    st = ownstack
    r, t0 = kill_mid_request(st, st.app_pid())
    assert r.status == 503 and r.headers.get("Retry-After") == "1", r
    assert r.content_type.startswith("application/json") and "retry" in r.json["error"], r
    assert time.monotonic() - t0 < 5
    left = wait_until_empty(lambda: job_processes(JOB_UID_BASE, JOB_UID_BASE + 99), 10)
    assert not left, left




def kill_job_process(st, which):
    """SIGKILL a running job's init ("init") or runner ("runner") while its
    5 s request is in flight: (the answer, when the kill was sent)."""
    spawner = spawner_pid(st)
    results = []
    t = threading.Thread(target=lambda: results.append(
        st.execute("import time\ndef main():\n    time.sleep(5)\n    return 1\n", timeout=10)))
    t.start()
    deadline = time.monotonic() + 5
    victims = []
    while not victims and time.monotonic() < deadline:
        jobs = [(i, r) for i, comm in children(spawner) if comm == "sandrun-init"
                for r, _ in children(i) if holds_a_request(r)]
        victims = [i if which == "init" else r for i, r in jobs]
        time.sleep(0.05)
    assert victims, children(spawner)
    time.sleep(0.5)
    t0 = time.monotonic()
    os.kill(victims[0], signal.SIGKILL)
    t.join(30)
    assert results, "the in-flight request hung"
    return results[0], t0


def test_job_init_death_answers_503_and_the_slot_serves_again(ownstack):
    """A job's init (pid 1 of its namespace) cannot be killed from inside the
    job: when it dies without its report, something outside killed it, and
    the request is told to retry; the job is gone and its slot serves again."""
    st = ownstack
    r, t0 = kill_job_process(st, "init")
    assert r.status == 503 and r.headers.get("Retry-After"), r
    assert time.monotonic() - t0 < 5
    # the log line is written once the answer is out: give it a moment
    deadline = time.monotonic() + 5
    while "init ended without its report" not in st.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "init ended without its report" in st.log()
    for _ in range(3):
        assert st.execute(HELLO).status == 200


def test_runner_killed_from_outside_answers_503(ownstack):
    """kill -9 of a job's runner from the host says nothing of the script:
    503 and Retry-After, as for any process of the service (the kill watch,
    sandbox/step6_seccomp.c, tells it from the script's own kills)."""
    st = ownstack
    if st.get("/health").json["cgroup"] == "none":
        pytest.skip("without a memory cgroup, an OOM kill by the host cannot be told from an operator's")
    r, t0 = kill_job_process(st, "runner")
    assert r.status == 503 and r.headers.get("Retry-After"), r
    assert r.content_type.startswith("application/json") and "retry" in r.json["error"], r
    assert time.monotonic() - t0 < 5
    deadline = time.monotonic() + 5
    while "killed from outside the sandbox" not in st.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "killed from outside the sandbox" in st.log()
    assert st.execute(HELLO).status == 200


@pytest.mark.parametrize("how", [
    "os.kill(os.getpid(), signal.SIGKILL)",
    "signal.pthread_kill(threading.main_thread().ident, signal.SIGKILL)",
    "os.kill(0, signal.SIGKILL)",
    # a child's kill(-1) (it spares its sender, which outlives the runner)
    "(os.fork() == 0 and (os.kill(-1, signal.SIGKILL) or time.sleep(5))) or time.sleep(5)",
    # its own pid with garbage in the register's upper half (the kernel reads an int)
    "ctypes.CDLL(None).syscall(62, ctypes.c_long(os.getpid() | (0xffffffff << 32)), 9) or time.sleep(1)",
    "resource.setrlimit(resource.RLIMIT_CPU, (1, 1)) or [0 for _ in iter(int, 1)]",
])
def test_a_scripts_own_sigkill_stays_its_outcome(ownstack, how):
    r = ownstack.execute("import ctypes, os, resource, signal, threading, time\ndef main():\n    %s\n    return 1\n"
                         % how, timeout=10)
    assert r.status == 400 and r.json["status"] in ("killed", "timeout"), (how, r)


def test_dev_stack_enforces_the_documented_rate_limit():
    """What ./dev/run serves keeps API.md's limit: 10 requests/s per key with
    a burst of 20, then 429 JSON with Retry-After; a client that slows down is
    served again."""
    with own_stack("sandrun-rate-", rate_limits="on") as st:
        codes, bodies = [], []
        lock = threading.Lock()

        def one():
            r = st.execute(HELLO)
            with lock:
                codes.append(r.status)
                bodies.append(r)

        threads = [threading.Thread(target=one) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert codes.count(200) >= 20, codes           # the burst
        limited = [r for r in bodies if r.status == 429]
        assert limited, codes
        for r in limited:
            assert r.content_type.startswith("application/json"), r
            assert r.json == {"error": "rate limit exceeded"}, r
            assert r.headers.get("Retry-After"), r
        time.sleep(2.5)                                 # the bucket refills at 10/s
        assert st.execute(HELLO).status == 200


def test_dev_run_starts_the_service_again_after_its_supervisor_dies(tmp_path):
    """What systemd's Restart= does for the shipped unit, dev/run does on a
    development machine: the supervisor's death ends sandrun-fcgi (it cannot
    start a root process again), and dev/run starts the stack anew.  The
    time from the kill to the next 200 is printed for the operations notes."""
    import subprocess
    import urllib.request
    from stack import SRC_DIR, free_port
    port, key = free_port(), secrets.token_hex(8)
    import pathlib
    import shutil
    import tempfile
    # nginx's workers (www-data) must reach it: not under pytest's tmp_path
    state = pathlib.Path(tempfile.mkdtemp(prefix="sandrun-devrun-", dir="/tmp"))
    os.chmod(state, 0o755)
    env = dict(os.environ, SANDRUN_STATE_DIR=str(state), SANDRUN_HTTP_PORT=str(port), SANDRUN_API_KEY=key,
               SANDRUN_RATE_LIMITS="off")
    if JOB_UID_BASE != 200000:
        env["SANDRUN_EXTRA_ARGS"] = (env.get("SANDRUN_EXTRA_ARGS", "") + f" --job_uid_base {JOB_UID_BASE}").strip()
    log = open(tmp_path / "dev-run.log", "wb")
    run = subprocess.Popen([os.path.join(SRC_DIR, "dev", "run")], env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)

    def hello():
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/execute", method="POST",
            data=json.dumps({"script": "def main():\n    return 42\n"}).encode(),
            headers={"Content-Type": "application/json", "X-API-Key": key})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status == 200
        except OSError:
            return False

    def wait(pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and run.poll() is None:
            if pred():
                return True
            time.sleep(0.1)
        return False

    try:
        assert wait(hello, 120), (tmp_path / "dev-run.log").read_text(errors="replace")[-2000:]
        app = int((state / "sandrun.pid").read_text())
        sup = [p for p, comm in children(app) if comm == "sandrun-superv"]
        assert len(sup) == 1, children(app)
        t0 = time.monotonic()
        os.kill(sup[0], signal.SIGKILL)
        assert wait(lambda: "starting it again" in (tmp_path / "dev-run.log").read_text(errors="replace"), 30)
        assert wait(hello, 30), (tmp_path / "dev-run.log").read_text(errors="replace")[-2000:]
        took = time.monotonic() - t0
        print(f"recovery after the supervisor's death under dev/run: {took:.1f} s")
        assert took < 10, took
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        log.close()
        shutil.rmtree(state, ignore_errors=True)
