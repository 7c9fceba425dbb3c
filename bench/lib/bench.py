"""bench/run: sandrun against a cold bwrap + python3 baseline, on this host.

Started by bench/run (which checks the prerequisites); see bench/README.md.
Progress goes to stderr, the table to stdout and bench/results/latest.txt,
the chart of the paced latencies beside it (bench/results/latest.png).
"""

import argparse
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from baseline import one as bwrap_one
import paced

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The suites send far more than the documented 10 requests a second per key:
# their stacks run without nginx rate limits (the edge suite tests those).
os.environ.setdefault("SANDRUN_RATE_LIMITS", "off")

SRC_DIR = os.path.dirname(BENCH_DIR)
LIB = os.path.join(BENCH_DIR, "lib")
SCRIPTS = os.path.join(BENCH_DIR, "scripts")
PY = "/usr/bin/python3"            # the distribution's Python, with numpy and pandas
STACK = os.path.join(SRC_DIR, "dev", "stack")
# Jobs run as uid job_uid_base + slot, and RLIMIT_NPROC counts every process
# of a uid on the host: with the default base (200000) the jobs of other
# sandrun stacks on the machine (test suites) share our jobs' process limit
# and a fork in our job can fail with EAGAIN.  The bench's stacks get a base
# of their own.
JOB_UID_BASE = 3000000 + (os.getpid() % 5000) * 200

# name shown, file under bench/scripts
SCRIPT_SET = [
    ("hello", "hello.py"),
    ("pandas", "pandas_groupby.py"),
    ("cpu50", "cpu50.py"),
]


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- helpers

def on_signal(signum, frame):
    raise KeyboardInterrupt


def run(cmd, **kw):
    """subprocess.run: on an exception (Ctrl-C included) it kills the child."""
    return subprocess.run(cmd, **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pct(values, p):
    """Nearest-rank percentile: the smallest value with at least p % of the
    values at or below it (so the p99 of 50 values is the largest, of 100
    the second largest)."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, math.ceil(p * len(v) / 100.0) - 1))
    return v[k]


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def smaps_rollup(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    out["USS"] = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)
    # the process's own page tables: unique to it too, and what a fork of
    # a large process mostly copies
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmPTE:"):
                out["PTE"] = int(line.split()[1])
    out["USS+PTE"] = out["USS"] + out.get("PTE", 0)
    return out


def proc_table():
    """pid -> (ppid, uid, comm) for every process."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            uid = os.stat("/proc/" + d).st_uid
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        table[int(d)] = (ppid, uid, comm)
    return table


def children(table, pid, comm=None):
    return [p for p, (pp, _, c) in table.items() if pp == pid and (comm is None or c == comm)]


def descendants(table, pid):
    out, todo = [], [pid]
    while todo:
        kids = children(table, todo.pop())
        out += kids
        todo += kids
    return out


# ---------------------------------------------------------------- the stack

class Stack:
    def __init__(self, name, tmp, build_dir, extra_args, key):
        extra_args = ("--job-uid-base %d " % JOB_UID_BASE + extra_args).strip()
        self.name = name
        self.state = os.path.join(tmp, "stack-" + name)
        self.port = None
        self.key = key
        self.build_dir = build_dir
        self.extra_args = extra_args
        self.started = False
        self.mismatches = 0
        self.runs = 0

    def start(self):
        env = dict(os.environ)
        env["SANDRUN_EXTRA_ARGS"] = self.extra_args
        for _ in range(3):      # a port taken between free_port() and nginx's bind
            self.port = free_port()
            self.started = True
            p = run([STACK, "start", self.state, str(self.port), self.key, self.build_dir],
                    env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if p.returncode == 0:
                log("%s stack up on 127.0.0.1:%d (%s)" % (self.name, self.port, self.extra_args))
                return
            log("dev/stack start failed:\n" + p.stdout)
            if "Address already in use" not in p.stdout:
                break
        raise SystemExit("bench: could not start the %s stack" % self.name)

    def stop(self):
        if self.started:
            run([STACK, "stop", self.state], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def health(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/health")
        r = c.getresponse()
        return json.loads(r.read())

    def pid(self):
        with open(os.path.join(self.state, "sandrun.pid")) as f:
            return int(f.read())

    def log_errors(self, limit=3):
        """The last few non-info lines of sandrun.log."""
        try:
            with open(os.path.join(self.state, "sandrun.log")) as f:
                lines = [l.strip() for l in f if '"level":"info"' not in l]
        except OSError:
            return []
        return lines[-limit:]

    def access_ok_count(self):
        """POST /execute answered 200, as nginx logged them."""
        n = 0
        try:
            with open(os.path.join(self.state, "nginx-access.log")) as f:
                for line in f:
                    if '"POST /execute HTTP/1.1" 200 ' in line:
                        n += 1
        except OSError:
            pass
        return n


def curl_sample(stack, body_file):
    """One request with curl: (http code, parsed body or None)."""
    p = run(["curl", "-s", "-m", "60", "-o", "-", "-w", "\n%{http_code}",
             "-H", "X-API-Key: " + stack.key, "-H", "Content-Type: application/json",
             "--data-binary", "@" + body_file, stack.url + "/execute"],
            stdout=subprocess.PIPE, text=True)
    body, _, code = p.stdout.rpartition("\n")
    try:
        return int(code), json.loads(body)
    except ValueError:
        return code, body


# ---------------------------------------------------------------- wrk

RESULT_RE = re.compile(r"(\w+)=(-?\d+)")


def wrk(stack, body_file, conc, duration, stop_after=None):
    env = dict(os.environ, BENCH_KEY=stack.key, BENCH_BODY=body_file)
    if stop_after:
        env["BENCH_STOP_AFTER"] = str(stop_after)
    cmd = ["wrk", "-c", str(conc), "-t", str(min(conc, 2)), "-d", "%ds" % duration,
           "--timeout", "60s", "--latency", "-s", os.path.join(LIB, "post.lua"), stack.url + "/execute"]
    p = run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    res, sample = None, ""
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            res = {k: int(v) for k, v in RESULT_RE.findall(line)}
        elif line.startswith("BENCH_SAMPLE "):
            sample = line[len("BENCH_SAMPLE "):]
    if p.returncode != 0 or res is None:
        raise SystemExit("bench: wrk failed (%d):\n%s" % (p.returncode, p.stdout))
    socket_errors = res["connect"] + res["read"] + res["write"] + res["timeout"]
    return {
        "p50": res["p50_us"] / 1000.0,
        "p99": res["p99_us"] / 1000.0,
        "rps": res["requests"] / (res["duration_us"] / 1e6),
        "requests": res["requests"],
        "good": res["good"],
        "bad": res["non200"] + res["not_success"],
        "socket_errors": socket_errors,
        "detail": "non-200 %d, 200 without success %d, socket errors: connect %d read %d write %d timeout %d"
                  % (res["non200"], res["not_success"], res["connect"], res["read"], res["write"], res["timeout"]),
        "sample": sample,
    }


def bench_stack(stack, bodies, concs, duration, warmup, results, checks):
    # control: the same wrk script with a wrong key must count every answer bad
    right = stack.key
    stack.key = "wrong" + right
    try:
        r = wrk(stack, bodies[0][1], 1, 1, stop_after=50)
    finally:
        stack.key = right
    checks.append("%s control: wrk with a wrong key counted %d of %d answers bad (%s)"
                  % (stack.name, r["bad"], r["requests"], r["sample"][:40]))
    if r["requests"] == 0 or r["bad"] != r["requests"]:
        raise SystemExit("bench: the wrk script does not detect failed requests: %r" % r)
    for name, body in bodies:
        code, resp = curl_sample(stack, body)
        ok = code == 200 and isinstance(resp, dict) and resp.get("status") == "success"
        checks.append("%s %s curl: %s %s" % (stack.name, name, code,
                      "status success, duration_ms %.2f, cpu_ms %.2f, result %s"
                      % (resp["duration_ms"], resp["cpu_ms"], json.dumps(resp["result"])[:70])
                      if ok else repr(resp)[:300]))
        if not ok:
            raise SystemExit("bench: %s stack: %s does not answer 200/success: %s %r" % (stack.name, name, code, resp))
        for c in concs:
            if warmup > 0:
                wrk(stack, body, c, warmup)
            before = stack.access_ok_count()
            r = wrk(stack, body, c, duration)
            time.sleep(0.2)
            logged = stack.access_ok_count() - before
            # nginx may finish (and log) up to c requests wrk stopped waiting for
            if not (r["good"] <= logged <= r["good"] + c):
                stack.mismatches += 1
                checks.append("MISMATCH %s %s c=%d: wrk counted %d good answers, nginx logged %d POST 200"
                              % (stack.name, name, c, r["good"], logged))
            r["nginx_logged"] = logged
            stack.runs += 1
            if r["bad"]:
                r["sample"] += "; sandrun.log: " + " | ".join(stack.log_errors())
            results[(stack.name, name, c)] = r
            log("%-5s %-6s c=%-2d p50 %7.2f ms  p99 %7.2f ms  %7.1f req/s  (%d requests, %d bad, %d socket errors)"
                % (stack.name, name, c, r["p50"], r["p99"], r["rps"], r["requests"], r["bad"], r["socket_errors"]))


def job_durations(stack, body_file, n):
    """duration_ms of n sequential requests over one keep-alive connection."""
    with open(body_file, "rb") as f:
        body = f.read()
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
    headers = {"X-API-Key": stack.key, "Content-Type": "application/json"}
    out, outside, bad = [], [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("POST", "/execute", body, headers)
        r = conn.getresponse()
        data = r.read()
        t1 = time.perf_counter()
        try:
            d = json.loads(data)
        except ValueError:
            d = {}
        if r.status == 200 and d.get("status") == "success":
            out.append(float(d["duration_ms"]))
            outside.append((t1 - t0) * 1000.0 - float(d["duration_ms"]))
        else:
            bad += 1
    conn.close()
    return out, outside, bad


def pid_ns(pid):
    try:
        return os.readlink("/proc/%d/ns/pid" % pid)
    except OSError:
        return None


def memory(stack, sleep_body):
    """smaps_rollup of the service's processes, of the jobs that wait for a
    request while the stack is idle, and of a running hello job."""
    table = proc_table()
    fcgi = stack.pid()
    superv = children(table, fcgi, "sandrun-superv")
    zyg = children(table, superv[0], "sandrun-zygote") if superv else []
    if not superv or not zyg:
        raise SystemExit("bench: no sandrun-superv / sandrun-zygote under sandrun-fcgi %d" % fcgi)
    mem = {
        "sandrun-fcgi": smaps_rollup(fcgi),
        "sandrun-superv": smaps_rollup(superv[0]),
        "sandrun-zygote": smaps_rollup(zyg[0]),
    }

    # Jobs waiting for a request (the pool of pre-confined jobs): whatever
    # runs under the zygote while no request is in flight, one job per pid
    # namespace (each job's first process starts one).  Without a pool
    # (pool_depth 0) this stays empty.
    waiting = {}
    for pid in descendants(table, zyg[0]):
        ns = pid_ns(pid)
        try:
            m = smaps_rollup(pid)
        except OSError:
            continue
        job = waiting.setdefault(ns, {"pids": [], "USS": 0, "Rss": 0, "Pss": 0, "USS+PTE": 0})
        job["pids"].append("%s %d" % (table[pid][2], pid))
        for k in ("USS", "Rss", "Pss", "USS+PTE"):
            job[k] += m[k]
    mem["waiting"] = list(waiting.values())

    # a hello job that lives about a second: sample its processes meanwhile
    done = {}

    def post():
        with open(sleep_body, "rb") as f:
            body = f.read()
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
        conn.request("POST", "/execute", body, {"X-API-Key": stack.key, "Content-Type": "application/json"})
        r = conn.getresponse()
        done["status"] = r.status
        done["body"] = r.read()

    t = threading.Thread(target=post)
    t.start()
    seen = {}
    while t.is_alive():
        table = proc_table()
        for pid in descendants(table, zyg[0]):
            # a job still waiting in the pool is not the probe's
            if not JOB_UID_BASE <= table[pid][1] < JOB_UID_BASE + 1024 or table[pid][2] == "sandrun-pool":
                continue
            try:
                m = smaps_rollup(pid)
            except OSError:
                continue
            # the job's processes (its init and the runner): the sample with
            # the most unique memory
            m["comm"] = table[pid][2]
            if pid not in seen or m["USS"] >= seen[pid]["USS"]:
                seen[pid] = m
        time.sleep(0.05)
    t.join()
    try:
        ok = done.get("status") == 200 and json.loads(done["body"])["status"] == "success"
    except (ValueError, KeyError):
        ok = False
    if not ok:
        raise SystemExit("bench: the memory probe job failed: %s %r" % (done.get("status"), done.get("body")))
    if not seen:
        raise SystemExit("bench: never saw the memory probe job's processes")
    mem["job"] = seen
    return mem


# ---------------------------------------------------------------- baseline, floor

def baseline(script_file, conc, duration, warmup):
    p = run([PY, os.path.join(LIB, "baseline.py"), script_file, str(conc), str(duration), str(warmup)],
            stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("bench: baseline driver failed")
    d = json.loads(p.stdout)
    lat = d["latencies_ms"]
    return {
        "p50": pct(lat, 50), "p99": pct(lat, 99),
        "rps": d["completed"] / d["elapsed_s"],
        "requests": len(lat) + d["errors"], "bad": d["errors"], "socket_errors": 0,
        "detail": "failed runs %d" % d["errors"], "sample": d["error_sample"],
    }


# ---------------------------------------------------------------- paced (open loop)

def paced_run(kind, name, send, rate, seconds, warmup, results):
    """One paced measurement (paced.py), after a warm-up at the same rate."""
    if warmup > 0:
        paced.open_loop(send, rate, warmup)
    r = paced.open_loop(send, rate, seconds)
    r["p50"], r["p99"] = pct(r["latencies_ms"], 50), pct(r["latencies_ms"], 99)
    results[(kind, name)] = r
    log("%-5s %-6s paced %g/s p50 %7.2f ms  p99 %7.2f ms  %5.1f answers/s  (%d requests, %d bad%s)"
        % (kind, name, rate, r["p50"], r["p99"], r["rate"], r["requests"], r["bad"],
           "" if r["kept_up"] else ", did not keep up"))


def paced_stack(stack, bodies, rate, seconds, warmup, results):
    for name, body_file in bodies:
        with open(body_file, "rb") as f:
            target = paced.HttpTarget(stack.port, stack.key, f.read())
        try:
            paced_run(stack.name, name, target.send, rate, seconds, warmup, results)
        finally:
            target.close()


def paced_baseline(files, names, rate, seconds, warmup, results):
    for name in names:
        with open(files[name], "rb") as f:
            script = f.read()

        def send(script=script):
            return bwrap_one(script)[2]
        paced_run("bwrap", name, send, rate, seconds, warmup, results)


# ---------------------------------------------------------------- report

def fmt(v, w=7, prec=2):
    if v is None or v != v:
        return "-".rjust(w)
    return ("%*.*f" % (w, prec, v))


def report_paced(ctx, w):
    P = ctx["paced"]
    n = max((r["requests"] for r in P.values()), default=0)
    w("paced, open loop: %g requests/s for %gs (%d requests) per script and target, after a %gs warm-up at the "
      "same rate; each request is sent at its scheduled time whether or not the earlier ones were answered, "
      "and its latency runs from that time" % (ctx["rate"], ctx["paced_seconds"], n, ctx["warmup"]))
    above = n - math.ceil(99 * n / 100.0)
    w("p50/p99 in ms (nearest rank: the p99 of %d latencies is %s); answers/s between the first and the last "
      "good answer; * = did not keep up (see below); x = baseline p50 / warm p50"
      % (n, "the largest" if above == 0 else "the largest but %d" % above))
    head1 = "%-7s | %-26s | %-26s | %-26s | %s" % (
        "script", "sandrun warm", "sandrun --mode cold", "bwrap+python3 baseline", "baseline/warm  warm")
    head2 = "%-7s | %7s %7s %10s | %7s %7s %10s | %7s %7s %10s | %9s %9s" % (
        "", "p50", "p99", "answers/s", "p50", "p99", "answers/s", "p50", "p99", "answers/s", "p50 x", "p99/p50")
    w(head1)
    w(head2)
    w("-" * len(head2))
    notes, total = [], 0
    for name, _ in SCRIPT_SET:
        cells = []
        for kind in ("warm", "cold", "bwrap"):
            r = P.get((kind, name))
            if r is None:
                cells.append("%7s %7s %10s" % ("-", "-", "-"))
                continue
            total += r["requests"]
            mark = " "
            if r["bad"]:
                mark = "!"
                notes.append("! %s %s: %d of %d requests bad (%d refused with 503 or 429); sample: %s"
                             % (kind, name, r["bad"], r["requests"], r["shed"], r["error_sample"][:300]))
            if not r["kept_up"]:
                mark = "*" if mark == " " else mark
                notes.append("* %s %s did not keep up with %g/s: %s" % (
                    kind, name, ctx["rate"],
                    "its queue was full and it refused %d requests (the p50 and p99 are of those it served)"
                    % r["shed"] if r["shed"] else
                    "it answered %.1f requests/s and the median wait went from %.0f ms (first quarter of the "
                    "answers) to %.0f ms (last quarter): it queued, so its p50 depends on the run's length"
                    % (r["rate"], r["first_quarter_ms"], r["last_quarter_ms"])))
            cells.append("%s %s %10s" % (fmt(r["p50"]), fmt(r["p99"]), fmt(r["rate"], 9, 1) + mark))
        wr, br = P.get(("warm", name)), P.get(("bwrap", name))
        ratio = "%9s %9s" % ("-", "-")
        if wr and wr["p50"] > 0:
            ratio = "%8.1fx %8.1fx" % (br["p50"] / wr["p50"] if br else float("nan"), wr["p99"] / wr["p50"])
        w("%-7s | %s | %s | %s | %s" % (name, cells[0], cells[1], cells[2], ratio))
    if not any(r["bad"] for r in P.values()):
        notes.insert(0, "errors: none; %d paced requests checked (as above)" % total)
    if P:
        notes.append("the client sent each request a median %.2f ms and at most %.2f ms after its due time "
                     "(counted in the latencies)"
                     % (statistics.median(r["send_late_median_ms"] for r in P.values()),
                        max(r["send_late_max_ms"] for r in P.values())))
    for note in notes:
        w("  " + note)


def goals_issue18(ctx, w, floor2, svc_rss, job_uss):
    """Issue 18's goals, each judged on figures of this run: they are
    yardsticks, not assertions, and the run reports them either way."""
    R, P, mem, rate = ctx["results"], ctx["paced"], ctx["memory"], ctx["rate"]
    G = []

    def goal(ok, text):
        G.append("%-8s %s" % ("?" if ok is None else "MET" if ok else "NOT MET", text))

    for name, want in (("hello", 20), ("pandas", 100)):
        wr, br = P.get(("warm", name)), P.get(("bwrap", name))
        if not wr or not br:
            goal(None, "paced %s: a run is missing" % name)
            continue
        if br["kept_up"]:
            base, how = br["p50"], "%.1f / %.2f ms" % (br["p50"], wr["p50"])
        else:
            # Slower than the rate, the baseline queues for the whole run
            # and its paced p50 says how long the run was.  Its p50 one
            # request at a time is what one of its requests costs (and the
            # figure least favourable to sandrun).
            c1 = R.get(("bwrap", name, 1))
            base = c1["p50"] if c1 else float("nan")
            how = ("the baseline did not keep up with %g/s (%.1f answers/s, paced p50 %.0f ms), so its p50 one "
                   "request at a time (closed loop c=1) stands in: %.1f / %.2f ms"
                   % (rate, br["rate"], br["p50"], base, wr["p50"]))
        x = base / wr["p50"]
        goal(x >= want, "paced at %g/s, %s p50 >= %dx faster than the baseline: %.1fx (%s%s)"
             % (rate, name, want, x, how, "" if wr["kept_up"] else "; sandrun warm did not keep up either"))

    parts, ok = [], True
    for name, _ in SCRIPT_SET:
        wr = P.get(("warm", name))
        if wr:
            ok &= wr["p99"] <= 3 * wr["p50"]
            parts.append("%s %.1fx (%.1f / %.1f ms)" % (name, wr["p99"] / wr["p50"], wr["p99"], wr["p50"]))
    goal(ok and bool(parts), "paced at %g/s, warm p99 <= 3x p50: %s" % (rate, "; ".join(parts) or "not run"))

    for name, want in (("hello", 7), ("pandas", 25)):
        wr, br = R.get(("warm", name, 1)), R.get(("bwrap", name, 1))
        if not wr or not br:
            goal(None, "closed loop, %s at concurrency 1: not run (--concurrency without 1)" % name)
            continue
        x = br["p50"] / wr["p50"]
        goal(x >= want, "closed loop c=1, %s p50 >= %dx faster than the baseline: %.1fx (%.1f / %.2f ms)"
             % (name, want, x, br["p50"], wr["p50"]))

    c2 = R.get(("warm", "hello", 2))
    if c2 and floor2:
        x = c2["rps"] / floor2
        goal(x >= 0.75, "two clients (hello, closed loop c=2) reach >= 0.75 of the fork floor's 2-process rate: "
             "%.2f (%.1f / %.1f per s)" % (x, c2["rps"], floor2))
    else:
        goal(None, "two clients against the fork floor: needs concurrency 2 in --concurrency")

    if mem["waiting"]:
        largest = max(j["USS+PTE"] for j in mem["waiting"]) / 1024.0
        goal(largest <= 3, "a waiting job adds <= 3 MB unique memory: %.1f MB USS + page tables (the largest of %d)"
             % (largest, len(mem["waiting"])))
    else:
        G.append("%-8s a waiting job adds <= 3 MB unique memory: no job waits for a request (the pool is off: "
                 "pool_depth 0); a running hello job adds %.1f MB USS" % ("n/a", job_uss))
    goal(svc_rss <= 16, "service memory besides the zygote and the pool <= 16 MB: RSS of sandrun-fcgi + "
         "sandrun-superv %.1f MB" % svc_rss)

    rs = [(name, R[("warm", name, 16)]) for name, _ in SCRIPT_SET if ("warm", name, 16) in R]
    if rs:
        errs = sum(r["bad"] + r["socket_errors"] for _, r in rs)
        goal(errs == 0, "concurrency 16: requests queue, nothing errors: %d bad answers or socket errors in %d "
             "requests (%s)" % (errs, sum(r["requests"] for _, r in rs),
                                ", ".join("%s %.0f req/s" % (name, r["rps"]) for name, r in rs)))
    else:
        goal(None, "concurrency 16: not run (--concurrency without 16)")

    met = sum(1 for g in G if g.startswith("MET "))
    judged = sum(1 for g in G if g.startswith(("MET ", "NOT MET")))
    w("goals (issue 18), each a ratio or figure of this run (yardsticks, not assertions): %d of %d met" % (met, judged))
    for g in G:
        w("  " + g)


def report(ctx):
    R = ctx["results"]
    concs = ctx["concs"]
    L = []
    w = L.append
    w("sandrun bench  %s  commit %s  %d CPUs  load average at start %.2f %.2f %.2f"
      % (ctx["when"], ctx["commit"], os.cpu_count(), *ctx["load_start"]))
    if ctx["load_start"][0] > 1:
        w("NOTE: the 1-minute load average was %.2f (> 1) at start: other work shares this machine, "
          "so the figures are noisy (load at end: %.2f)." % (ctx["load_start"][0], ctx["load_end"][0]))
    w("through nginx on loopback: wrk -c C -t min(C,2) -d %gs --latency after a %gs warm-up; "
      "baseline: a thread pool running bwrap --unshare-all ... python3 per request for %gs"
      % (ctx["duration"], ctx["warmup"], ctx["duration"]))
    w("p50/p99 in ms, throughput in requests/s; x = baseline p50 / warm p50 and warm req/s / baseline req/s")
    w("scripts: hello = return a dict; pandas = 300-row DataFrame, group-by, 3 aggregates; "
      "cpu50 = pure-Python loop of %d iterations (%.1f ms on the host's python3)"
      % (ctx["cpu_iterations"], ctx["cpu_ms"]))
    w("")
    head1 = "%-7s %3s | %-26s | %-26s | %-26s | %-17s" % (
        "script", "c", "sandrun warm", "sandrun --mode cold", "bwrap+python3 baseline", "baseline vs warm")
    head2 = "%-7s %3s | %7s %7s %10s | %7s %7s %10s | %7s %7s %10s | %7s %9s" % (
        "", "", "p50", "p99", "req/s", "p50", "p99", "req/s", "p50", "p99", "req/s", "p50 x", "req/s x")
    w(head1)
    w(head2)
    w("-" * len(head2))
    problems = []
    total_checked = 0
    for name, _ in SCRIPT_SET:
        for c in concs:
            cells = []
            for kind in ("warm", "cold", "bwrap"):
                r = R.get((kind, name, c))
                if r is None:
                    cells.append("%7s %7s %10s" % ("-", "-", "-"))
                    continue
                total_checked += r["requests"]
                mark = ""
                if r["bad"] or r["socket_errors"]:
                    mark = "!"
                    problems.append("%s %s c=%d: %d of %d requests bad; %s; sample: %s"
                                    % (kind, name, c, r["bad"] + r["socket_errors"], r["requests"],
                                       r["detail"], r["sample"] or "-"))
                cells.append("%s %s %10s" % (fmt(r["p50"]), fmt(r["p99"]), fmt(r["rps"], 9, 1) + (mark or " ")))
            wr, br = R.get(("warm", name, c)), R.get(("bwrap", name, c))
            if wr and br and wr["p50"] > 0 and br["rps"] > 0:
                ratio = "%6.1fx %8.1fx" % (br["p50"] / wr["p50"], wr["rps"] / br["rps"])
            else:
                ratio = "%7s %9s" % ("-", "-")
            w("%-7s %3d | %s | %s | %s | %s" % (name, c, cells[0], cells[1], cells[2], ratio))
    w("")
    if problems:
        w("ERRORS (marked !):")
        for p in problems:
            w("  " + p)
    else:
        w("errors: none; %d requests checked (each a 200 with \"status\":\"success\" and no socket error; "
          "baseline: exit 0 with the JSON result)" % total_checked)
    for c in ctx["checks"]:
        w("  check: " + c)
    w("")
    report_paced(ctx, w)
    w("")

    fl = ctx["floor"]
    floor50, floor99 = pct(fl["latencies_ms"], 50), pct(fl["latencies_ms"], 99)
    d50 = statistics.median(ctx["durations"]) if ctx["durations"] else float("nan")
    overhead = d50 - floor50
    w("floor: fork + hello main() + _exit + wait of a warm python3 (numpy+pandas imported, gc frozen, "
      "no confinement), n=%d: p50 %.3f ms, p99 %.3f ms" % (len(fl["latencies_ms"]), floor50, floor99))
    w("sandrun warm hello job: duration_ms median %.3f ms (p99 %.3f, n=%d%s)"
      % (d50, pct(ctx["durations"], 99), len(ctx["durations"]),
         ", %d bad answers" % ctx["durations_bad"] if ctx["durations_bad"] else ""))
    w("confinement overhead = job duration median - floor p50 = %.3f ms" % overhead)
    w("outside the job (client, nginx, sandrun-fcgi, zygote IPC): median of latency - duration_ms = %.3f ms"
      " over the same 200 requests" % statistics.median(ctx["outside"]))
    rates = {r["procs"]: r["per_s"] for r in fl.get("rates", [])}
    if rates:
        w("fork capacity (the same fork + main() + _exit + wait, back to back for %gs): %s"
          % (ctx["duration"], ", ".join("%d process%s %.1f/s" % (n, "es" if n > 1 else "", v)
                                          for n, v in sorted(rates.items()))))
    w("")

    mem = ctx["memory"]
    MB = 1024.0
    w("memory (from /proc/PID/smaps_rollup, MB; USS = Private_Clean + Private_Dirty; PTE: page tables, "
      "/proc/PID/status), warm stack after the load runs:")
    w("  %-32s %8s %8s %8s %8s" % ("process", "RSS", "PSS", "USS", "PTE"))
    for n in ("sandrun-fcgi", "sandrun-superv", "sandrun-zygote"):
        m = mem[n]
        w("  %-32s %8.1f %8.1f %8.1f %8.1f" % (n, m["Rss"] / MB, m["Pss"] / MB, m["USS"] / MB, m.get("PTE", 0) / MB))
    svc_rss = (mem["sandrun-fcgi"]["Rss"] + mem["sandrun-superv"]["Rss"]) / MB
    svc_pss = (mem["sandrun-fcgi"]["Pss"] + mem["sandrun-superv"]["Pss"]) / MB
    w("  %-32s %8.1f %8.1f" % ("service (fcgi + superv)", svc_rss, svc_pss))
    job = mem["job"]
    job_uss = sum(m["USS"] for m in job.values()) / MB
    for pid, m in sorted(job.items()):
        w("  %-32s %8.1f %8.1f %8.1f %8.1f" % ("hello job: %s %d" % (m["comm"], pid),
                                               m["Rss"] / MB, m["Pss"] / MB, m["USS"] / MB, m.get("PTE", 0) / MB))
    w("  %-32s %8s %8s %8.1f" % ("hello job adds (USS sum)", "", "", job_uss))
    if mem["waiting"]:
        for j in mem["waiting"]:
            w("  %-32s %8.1f %8.1f %8.1f %8.1f" % ("waiting job: " + ", ".join(j["pids"])[:18],
                                                   j["Rss"] / MB, j["Pss"] / MB, j["USS"] / MB,
                                                   (j["USS+PTE"] - j["USS"]) / MB))
        w("  %-32s %8s %8s %8.1f %8.1f" % ("the pool (%d waiting jobs)" % len(mem["waiting"]), "", "",
                                           sum(j["USS"] for j in mem["waiting"]) / MB,
                                           sum(j["USS+PTE"] - j["USS"] for j in mem["waiting"]) / MB))
    else:
        w("  waiting jobs: none (no process under the zygote while the stack is idle: pool_depth 0)")
    w("")

    # goals of issue 6
    G = []

    def goal(ok, text):
        G.append(("PASS" if ok else "MISS") + "  " + text)

    def best_rps(kind, name):
        return max(R[(kind, name, c)]["rps"] for c in concs if c != 1 and (kind, name, c) in R)

    try:
        h1, hb1 = R[("warm", "hello", 1)], R[("bwrap", "hello", 1)]
        goal(h1["p50"] <= 3.0, "hello p50 <= 3 ms: %.2f ms (c=1)" % h1["p50"])
        hr, hbr = best_rps("warm", "hello"), best_rps("bwrap", "hello")
        goal(hr >= 400, "hello >= 400 req/s: %.1f (best of c=2, c=16)" % hr)
        goal(hb1["p50"] / h1["p50"] >= 7, "hello >= 7x faster than the baseline: %.2fx (p50, c=1)"
             % (hb1["p50"] / h1["p50"]))
        goal(hr / hbr >= 4, "hello >= 4x the baseline's throughput: %.2fx (best req/s of c=2, c=16: %.1f vs %.1f)"
             % (hr / hbr, hr, hbr))
        p1, pb1 = R[("warm", "pandas", 1)], R[("bwrap", "pandas", 1)]
        goal(p1["p50"] <= 10.0, "pandas p50 <= 10 ms: %.2f ms (c=1)" % p1["p50"])
        pr = best_rps("warm", "pandas")
        goal(pr >= 150, "pandas >= 150 req/s: %.1f (best of c=2, c=16)" % pr)
        goal(pb1["p50"] / p1["p50"] >= 25, "pandas >= 25x faster than the baseline: %.2fx (p50, c=1)"
             % (pb1["p50"] / p1["p50"]))
    except (KeyError, ValueError):
        G.append("????  latency goals: a run is missing")
    goal(overhead <= 1.5, "confinement adds <= 1.5 ms over the fork floor: %.3f ms" % overhead)
    goal(svc_rss <= 16, "service memory besides the zygote <= 16 MB: RSS %.1f MB (PSS %.1f MB)" % (svc_rss, svc_pss))
    goal(job_uss <= 10, "a hello child adds <= 10 MB unique memory: %.1f MB USS" % job_uss)
    # concurrency 16: no errors, throughput within 10% of the best at c<=2
    holds, notes = True, []
    for name, _ in SCRIPT_SET:
        rs = {c: R[("warm", name, c)] for c in concs if ("warm", name, c) in R}
        if 16 not in rs:
            continue
        low = max(rs[c]["rps"] for c in rs if c < 16)
        errs = sum(r["bad"] + r["socket_errors"] for r in rs.values())
        ok = errs == 0 and rs[16]["rps"] >= 0.9 * low
        holds &= ok
        notes.append("%s %.0f vs %.0f req/s%s" % (name, rs[16]["rps"], low, ", %d errors" % errs if errs else ""))
    goal(holds, "concurrency 16 holds (no errors, req/s >= 90% of the best at c<=2): " + "; ".join(notes))
    w("goals (issue 6), sandrun warm:")
    for g in G:
        w("  " + g)
    w("")
    goals_issue18(ctx, w, rates.get(2), svc_rss, job_uss)
    return "\n".join(L) + "\n"


def write_chart(ctx, path):
    """The paced latencies as a PNG (chart.py); a line for the table.
    Without matplotlib the table stands alone: the run is not lost for a
    chart."""
    try:
        import chart
    except ImportError as e:
        return "no chart: matplotlib does not import (%s); dev/setup installs python3-matplotlib" % e
    floor50 = pct(ctx["floor"]["latencies_ms"], 50)
    title = ("sandrun paced latency: open loop at %g requests/s, %gs per target, each latency from the request's "
             "scheduled send time" % (ctx["rate"], ctx["paced_seconds"]))
    subtitle = ("bench/run %s, commit %s, %d CPUs, load %.2f at start; paced runs only (the closed-loop runs are "
                "in the table: wrk keeps percentiles, not samples)"
                % (ctx["when"], ctx["commit"], os.cpu_count(), ctx["load_start"][0]))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    chart.write(path, [name for name, _ in SCRIPT_SET], ctx["paced"], floor50, title, subtitle)
    log("chart written to %s" % path)
    return "chart of the paced latencies: %s" % path


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    ap.add_argument("--duration", type=int, default=5, help="whole seconds per measured run (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="whole seconds of warm-up before each run (default 1)")
    ap.add_argument("--build-dir", default=SRC_DIR, help="where fcgi-app/sandrun-fcgi was built (default: source tree)")
    ap.add_argument("--concurrency", default="1,2,16", help="comma-separated (default 1,2,16)")
    ap.add_argument("--rate", type=float, default=10.0,
                    help="requests/s of the paced (open loop) runs (default 10)")
    ap.add_argument("--paced-seconds", type=float, default=5.0,
                    help="seconds of each paced run (default 5: 50 requests at 10/s)")
    ap.add_argument("--out", default=os.path.join(BENCH_DIR, "results", "latest.txt"))
    ap.add_argument("--chart", help="the PNG of the paced latencies (default: --out with .png)")
    args = ap.parse_args()
    concs = [int(c) for c in args.concurrency.split(",")]
    chart_path = args.chart or os.path.splitext(args.out)[0] + ".png"
    if args.rate <= 0 or args.paced_seconds <= 0:
        ap.error("--rate and --paced-seconds must be positive")

    # Ctrl-C, TERM and HUP end the run through the cleanup below (SIGINT
    # explicitly: a shell starts background jobs with it ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    t_start = time.time()
    ctx = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "commit": run(["git", "-C", SRC_DIR, "rev-parse", "--short", "HEAD"],
                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?",
        "load_start": loadavg(),
        "duration": args.duration, "warmup": args.warmup, "concs": concs,
        "rate": args.rate, "paced_seconds": args.paced_seconds,
        "results": {}, "paced": {}, "checks": [],
    }
    if ctx["load_start"][0] > 1:
        log("NOTE: load average %.2f at start: other work on this machine, numbers will be noisy"
            % ctx["load_start"][0])

    tmp = tempfile.mkdtemp(prefix="sandrun-bench.", dir="/tmp")
    os.chmod(tmp, 0o755)
    key = secrets.token_hex(16)
    stacks = []
    try:
        # the scripts and their request bodies
        cal = json.loads(run([PY, os.path.join(LIB, "calibrate.py"), os.path.join(SCRIPTS, "cpu50.py"), "50"],
                             stdout=subprocess.PIPE, check=True).stdout)
        ctx["cpu_iterations"], ctx["cpu_ms"] = cal["iterations"], cal["ms"]
        log("cpu50: %d iterations take %.1f ms on the host's python3" % (cal["iterations"], cal["ms"]))
        files, bodies = {}, []
        for name, fn in SCRIPT_SET + [("hello_sleep", "hello_sleep.py")]:
            with open(os.path.join(SCRIPTS, fn)) as f:
                src = f.read()
            if name == "cpu50":
                src = re.sub(r"^ITERATIONS = \d+$", "ITERATIONS = %d" % cal["iterations"], src, flags=re.M)
            files[name] = os.path.join(tmp, fn)
            with open(files[name], "w") as f:
                f.write(src)
            body = os.path.join(tmp, name + ".json")
            with open(body, "w") as f:
                json.dump({"script": src}, f)
            if name != "hello_sleep":
                bodies.append((name, body))
        body_of = dict(bodies)
        body_of["hello_sleep"] = os.path.join(tmp, "hello_sleep.json")

        # sandrun, warm (the default)
        warm = Stack("warm", tmp, args.build_dir, os.environ.get("SANDRUN_EXTRA_ARGS", ""), key)
        stacks.append(warm)
        warm.start()
        h = warm.health()
        if h.get("mode", "warm") != "warm":
            raise SystemExit("bench: the default stack runs in mode %r, not warm" % h.get("mode"))
        ctx["checks"].append("warm /health: mode %s, slots %s, libraries %s"
                             % (h.get("mode"), h.get("slots", {}).get("total"), ",".join(h.get("libraries", []))))
        bench_stack(warm, bodies, concs, args.duration, args.warmup, ctx["results"], ctx["checks"])
        ctx["checks"].append("warm: nginx's access log agrees with wrk's count of good answers in %d of %d runs"
                             % (warm.runs - warm.mismatches, warm.runs))
        paced_stack(warm, bodies, args.rate, args.paced_seconds, args.warmup, ctx["paced"])
        ctx["durations"], ctx["outside"], ctx["durations_bad"] = job_durations(warm, body_of["hello"], 200)
        log("warm hello duration_ms median %.3f (n=%d)" % (statistics.median(ctx["durations"]), len(ctx["durations"])))
        # the floor, right after the durations it is compared with (the
        # stack is idle); then the fork rate of 1 and 2 processes, which the
        # closed loop at concurrency 2 is compared with
        p = run([PY, os.path.join(LIB, "floor.py"), files["hello"], "1000", "2", str(args.duration)],
                stdout=subprocess.PIPE, check=True)
        ctx["floor"] = json.loads(p.stdout)
        log("floor p50 %.3f ms; fork + exit rate %s" % (
            pct(ctx["floor"]["latencies_ms"], 50),
            ", ".join("%d process(es) %.1f/s" % (r["procs"], r["per_s"]) for r in ctx["floor"]["rates"])))
        ctx["memory"] = memory(warm, body_of["hello_sleep"])
        warm.stop()

        # sandrun, cold
        cold = Stack("cold", tmp, args.build_dir,
                     (os.environ.get("SANDRUN_EXTRA_ARGS", "") + " --mode cold").strip(), key)
        stacks.append(cold)
        cold.start()
        h = cold.health()
        if h.get("mode", "cold") != "cold":
            raise SystemExit("bench: the cold stack runs in mode %r" % h.get("mode"))
        bench_stack(cold, bodies, concs, args.duration, args.warmup, ctx["results"], ctx["checks"])
        ctx["checks"].append("cold: nginx's access log agrees with wrk's count of good answers in %d of %d runs"
                             % (cold.runs - cold.mismatches, cold.runs))
        paced_stack(cold, bodies, args.rate, args.paced_seconds, args.warmup, ctx["paced"])
        cold.stop()

        # the bwrap baseline
        for name, _ in SCRIPT_SET:
            for c in concs:
                r = baseline(files[name], c, args.duration, args.warmup)
                ctx["results"][("bwrap", name, c)] = r
                log("bwrap %-6s c=%-2d p50 %7.2f ms  p99 %7.2f ms  %7.1f req/s  (%d runs, %d failed)"
                    % (name, c, r["p50"], r["p99"], r["rps"], r["requests"], r["bad"]))
        paced_baseline(files, [name for name, _ in SCRIPT_SET], args.rate, args.paced_seconds, args.warmup,
                       ctx["paced"])

        ctx["load_end"] = loadavg()
        text = report(ctx)
        text += "\n" + write_chart(ctx, chart_path) + "\n"
        text += "(bench/run took %.0f s)\n" % (time.time() - t_start)
        sys.stdout.write("\n" + text)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
        log("table written to %s" % args.out)
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for s in stacks:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
