"""Fair sharing between API clients, through the real nginx: keys in client
classes (nginx's key file `KEY NAME:CLASS;`, sandrun.conf's "classes"),
each class's limits on what a request may ask, its per-client cap on
requests in flight (nginx's limit_conn per class, and the application's own
cap behind it), and the fair queue that serves waiting requests by client in
turn.

Latencies are compared as ratios against an idle run of the same requests in
the same test, never against a fixed time."""

import json
import os
import statistics
import threading
import time

import pytest

import fcgi_client
from sandrun_client import JSON_CT, assert_json_error, concurrently, metric
from stack import own_stack

HELLO = "def main():\n    return 'hi'\n"


def sleeper(seconds):
    return f"import time\ndef main():\n    time.sleep({seconds})\n    return 'slept'\n"


CLASSES = {
    # many long requests, at most two in flight per client: the other slots stay free
    "flood": {"max_timeout_s": 60, "max_concurrent": 2},
    # short limits
    "student": {"max_timeout_s": 10, "max_memory_mb": 256, "max_concurrent": 2},
    # long ones, a bigger share of the queue's turns
    "grader": {"max_concurrent": 6, "weight": 3},
    # a backlog deeper than the slots (the fair queue's subject)
    "bulk": {"max_concurrent": 16},
}
KEYS = {"kflood": "alice:flood", "kstudent": "sam:student", "kgrader": "gina:grader",
        "kbulk": "bert:bulk", "kbulk2": "bess:bulk", "kghost": "gus:ghost"}


@pytest.fixture(scope="module")
def classes_stack():
    env = {"SANDRUN_CLASSES": json.dumps(CLASSES),
           "SANDRUN_EXTRA_KEYS": ";".join(f"{k} {v}" for k, v in KEYS.items())}
    with own_stack("sandrun-classes-", "--slots 4 --queue_max 16 --queue_wait_s 30", env=env) as st:
        yield st


def run_as(st, key, script, **fields):
    payload = {"script": script, "timeout": fields.pop("timeout", 10)}
    payload.update(fields)
    return st.post("/execute", payload, key=key, timeout=90)


def test_health_shows_the_callers_class(classes_stack):
    st = classes_stack
    c = st.get("/health", headers={"X-API-Key": "kstudent"}).json["client"]
    assert c == {"name": "sam", "class": "student", "max_timeout_s": 10, "max_memory_mb": 256,
                 "max_concurrent": 2, "weight": 1}, c
    # the defaults the caller's requests get lie within its class's limits
    d = st.get("/health", headers={"X-API-Key": "kstudent"}).json["dialects"]
    assert d["/execute"]["default_timeout_s"] == 10 and d["/invoke"]["default_timeout_s"] == 10, d
    assert d["/execute"]["default_memory_mb"] == 256 and d["/grade"]["default_timeout_s"] == 5, d
    assert st.get("/health").json["dialects"]["/execute"]["default_timeout_s"] == 30
    c = st.get("/health", headers={"X-API-Key": "kgrader"}).json["client"]
    assert c["class"] == "grader" and c["weight"] == 3 and c["max_concurrent"] == 6, c
    assert c["max_timeout_s"] == 300 and c["max_memory_mb"] == 2048, c    # the service's
    c = st.get("/health", headers={"X-API-Key": st.key}).json["client"]
    assert c["name"] == "dev" and c["class"] == "default", c             # `KEY dev;`
    c = st.get("/health").json["client"]
    assert c["name"] is None and c["class"] == "default", c
    c = st.get("/health", headers={"X-API-Key": "kghost"}).json["client"]
    assert c["class"] is None and "not configured" in c["error"], c


def test_class_limits_are_a_400_naming_the_field_and_limit(classes_stack):
    st = classes_stack
    r = run_as(st, "kstudent", HELLO, timeout=11)
    body = assert_json_error(r, 400)
    assert "'timeout'" in body["error"] and "10" in body["error"] and "class 'student'" in body["error"], body
    r = run_as(st, "kstudent", HELLO, timeout=10, memory_limit=512)
    body = assert_json_error(r, 400)
    assert "memory_limit" in body["error"] and "256" in body["error"] and "student" in body["error"], body
    # /run words it as the code runners do, with the field in loc
    r = st.post("/run", {"code": "print(1)", "timeout": 30}, key="kstudent")
    assert r.status == 422, r
    assert r.json["detail"][0]["loc"] == ["body", "timeout"] and "10" in r.json["error"], r
    # /grade: the tests' timeouts together within the class's max_timeout_s
    r = st.post("/grade", {"code": "print(input())", "timeout": 4,
                           "tests": [{"stdin": "1", "expected_stdout": "1"}] * 3}, key="kstudent")
    body = assert_json_error(r, 400)
    assert "timeout" in body["error"] and "10" in body["error"], body
    # a wrong type is not the class's limit
    body = assert_json_error(run_as(st, "kstudent", HELLO, timeout="5"), 400)
    assert "timeout" in body["error"] and "class" not in body["error"], body
    # a request that names no timeout gets the default within the class's limit
    r = st.post("/execute", {"script": "import time\ndef main():\n    time.sleep(10.5)\n"}, key="kstudent",
                timeout=60)
    assert r.status == 400 and r.json["status"] == "timeout" and "(10s limit)" in r.json["error"], r
    # at the limit: fine
    r = run_as(st, "kstudent", HELLO, timeout=10, memory_limit=256)
    assert r.status == 200 and r.json["result"] == "hi", r
    # the same request from a class with the service's limits
    r = run_as(st, "kgrader", HELLO, timeout=100, memory_limit=512)
    assert r.status == 200, r
    assert metric(st, "sandrun_class_requests_total", {"class": "student", "code": "400"}) >= 2


def test_unknown_class_is_a_clear_500(classes_stack):
    st = classes_stack
    r = run_as(st, "kghost", HELLO)
    assert_json_error(r, 500, "internal error: the client's class is not configured")
    # the log line is written once the answer is out: wait for it
    want = "class 'ghost' of client 'gus' is not in sandrun.conf's classes"
    deadline = time.monotonic() + 10
    while want not in st.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert want in st.log(), st.log()[-2000:]


def test_past_its_cap_a_client_gets_429_from_nginx(classes_stack):
    st = classes_stack
    results = concurrently(lambda i: run_as(st, "kstudent", sleeper(1.5)), 5)
    ok = [r for r in results if r.status == 200]
    refused = [r for r in results if r.status == 429]
    assert len(ok) == 2 and len(refused) == 3, results
    for r in refused:
        assert r.content_type == JSON_CT and r.headers.get("Retry-After") == "1", r
        assert r.json == {"error": "too many concurrent requests for this client"}, r
    # nginx refused them (the application never saw them) ...
    assert 'limiting connections by zone "sandrun_conn_student"' in st.log("nginx-error.log")
    # ... and the next one, with nothing in flight, runs.  nginx counts a
    # connection until it has finalized its request, which may come a moment
    # after the client has the whole answer (the FastCGI end of the request
    # follows the body): a 429 then is that moment, not the cap.
    deadline = time.monotonic() + 5
    while (r := run_as(st, "kstudent", HELLO)).status == 429 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert r.status == 200, r
    # the rate limit's 429 keeps its own words (nginx/sandrun-maps.conf)
    maps = open(os.path.join(os.path.dirname(__file__), "..", "..", "nginx", "sandrun-maps.conf")).read()
    assert '\'{"error": "rate limit exceeded"}\'' in maps


def test_the_application_holds_the_cap_on_its_own(classes_stack):
    """Behind nginx the application keeps its own count: several nginx (or a
    client that reaches the socket) cannot pass the class's cap."""
    st = classes_stack
    sock = os.path.join(st.state_dir, "fcgi.sock")
    params = {"API_CLIENT": "sam", "API_CLASS": "student"}
    body = json.dumps({"script": sleeper(1.5), "timeout": 10}).encode()
    results = concurrently(
        lambda i: fcgi_client.request(sock, "POST", "/execute", body=body, headers=params, timeout=60), 4,
        stagger=0.05)
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 200, 429, 429], results
    refused = [r for r in results if r.status == 429]
    assert refused[0].headers.get("retry-after") == "1", refused[0]
    assert json.loads(refused[0].body)["error"] == "too many concurrent requests for this client"
    assert metric(st, "sandrun_class_capped_total", {"class": "student"}) >= 2
    # another client of the same class has its own count
    r = fcgi_client.request(sock, "POST", "/execute", body=json.dumps({"script": HELLO}).encode(),
                            headers={"API_CLIENT": "other", "API_CLASS": "student"})
    assert r.status == 200, r
    assert '"class":"student"' in st.log().replace(" ", "")


def latencies(st, key, n, pace=0.2):
    """n hellos, one every pace seconds: their times to the answer."""
    out = []
    for _ in range(n):
        t0 = time.monotonic()
        r = run_as(st, key, HELLO)
        out.append(time.monotonic() - t0)
        assert r.status == 200, r
        time.sleep(max(0.0, pace - out[-1]))
    return out


def test_a_flooding_client_does_not_slow_another(classes_stack):
    """Key A (class flood: two in flight) floods long requests from many
    threads; key B's hellos are answered as fast as on an idle service."""
    st = classes_stack
    idle = latencies(st, "kgrader", 25)

    stop = threading.Event()
    counts = {"ok": 0, "429": 0, "other": []}
    lock = threading.Lock()

    def flood():
        while not stop.is_set():
            r = run_as(st, "kflood", sleeper(2), timeout=30)
            with lock:
                if r.status == 200:
                    counts["ok"] += 1
                elif r.status == 429 and r.headers.get("Retry-After"):
                    counts["429"] += 1
                else:
                    counts["other"].append(r)
            if r.status == 429:
                time.sleep(0.05)

    threads = [threading.Thread(target=flood) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        assert metric(st, "sandrun_class_running", {"class": "flood"}) == 2
        busy = latencies(st, "kgrader", 25)   # 5 s: A's jobs end and start again meanwhile
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not counts["other"], counts["other"][:3]
    assert counts["429"] > 0 and counts["ok"] > 0, counts
    ratio = statistics.median(busy) / statistics.median(idle)
    print(f"key B hello p50: idle {statistics.median(idle) * 1000:.1f} ms, "
          f"during key A's flood {statistics.median(busy) * 1000:.1f} ms (x{ratio:.2f}); "
          f"A: {counts['ok']} answered, {counts['429']} refused with 429")
    assert ratio < 3, (idle, busy)
    assert max(busy) < 1.0, busy    # never a job's wait (2 s): B never queued behind A


def test_a_backlog_delays_another_client_by_one_job_not_its_length(classes_stack):
    """Every slot busy and a deep backlog of one client (class bulk): another
    client's request is served at the next freed slot, ahead of the backlog,
    where first-come-first-served would make it wait for all of it."""
    st = classes_stack
    job = 1.5
    done = []
    lock = threading.Lock()

    def bulk(i):
        r = run_as(st, "kbulk", sleeper(job), timeout=30)
        with lock:
            done.append(("bulk", i, time.monotonic(), r.status))

    threads = [threading.Thread(target=bulk, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
        time.sleep(0.02)
    # 4 running, 8 waiting: two more rounds of the slots (3 s) behind them
    deadline = time.monotonic() + 10
    while metric(st, "sandrun_class_waiting", {"class": "bulk"}) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert metric(st, "sandrun_class_waiting", {"class": "bulk"}) == 8
    t0 = time.monotonic()
    r = run_as(st, "kbulk2", HELLO)
    waited = time.monotonic() - t0
    after_b = time.monotonic()
    for t in threads:
        t.join(60)
    assert r.status == 200, r
    assert all(d[3] == 200 for d in done), done
    behind = sum(1 for d in done if d[2] > after_b)
    print(f"another client's hello waited {waited:.2f} s behind a backlog of 8 jobs of {job} s "
          f"on 4 slots; {behind} of the backlog finished after it")
    assert waited < 1.5 * job, waited              # at most one job's wait ...
    assert behind >= 8, done                       # ... and ahead of the whole backlog
