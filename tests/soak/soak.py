#!/usr/bin/python3
"""The soak: many clients drive the real stack (nginx + sandrun-fcgi, started
here with dev/stack) with a mix of good and hostile scripts for a bounded
time, check that every answer is the one its script deserves, and compare
the host and the service before and after.

    tests/soak/soak.py [--seconds 30] [--clients 8] [--build-dir DIR]
                       [--job-uid-base 500000] [--extra-args "--mode cold"]
                       [--strict-host] [--tap] [--keep-state] [--seed N]

Script kinds and the answer each deserves (429 and 503 carrying Retry-After
are allowed for any of them; every other answer is wrong):

  hello, hello-run, hello-invoke   200, success, its own stdout and result
                                   (/execute, /run, /invoke)
  pandas      200 with the right sum of a random group-by
  timeout     `while True: pass`, timeout 1: 400 timeout
  memory      16 MB at a time until stopped, memory_limit 128: 400
              memory_exceeded
  fork-bomb   tests/hostile's fork_bomb.py: 200 with fork failing EAGAIN
              within RLIMIT_NPROC (as tests/hostile judges it), or a 400 of
              a resource ending (timeout, memory_exceeded, killed); never a
              server error
  flood       writes stdout forever, timeout 10: 400 output_limit ("Script
              wrote more than 67108864 bytes of output"), stdout cut at its
              cap and flagged, well before the timeout
  daemon      tests/hostile's daemon_escape.py (double fork, setsid, renamed,
              SIGTERM ignored): 200, the daemon alive when main() returned,
              and nothing of the job left on the host within 5 s

Before and after (the "after" once the load is over and the jobs are gone):
processes of the job uids (--job-uid-base .. +99, distinct from the suites'
200000 so that parallel runs on one host never meet), the namespaces the
service's processes hold (their /proc/PID/ns links and namespace fds; net
namespaces counted apart), the fds and RSS of sandrun-fcgi, its supervisor
and its zygote (the spawner in cold mode), and, around the whole run, the host's mounts and /tmp.
The host-wide mounts and /tmp entries are also changed by whatever else
runs on the host: as tests/lib/stack.py judges them, a new mount counts
unless it is an `ip netns` of another suite (/run/netns, nsfs), a new /tmp
entry counts when a job uid or the service's user owns it; the rest is
shown.  --strict-host counts every new mount and /tmp entry (for a quiet
machine).

Exits 0 when every answer was right and nothing was left, 1 otherwise, 2
when it could not run.  Traffic goes to 127.0.0.1 only.  Bounded: no new
request after --seconds, the last ones end within their own timeouts, and
a watchdog ends the run at --seconds + 240 s whatever happens.
"""

import argparse
import collections
import http.client
import json
import os
import pwd
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
STACK = os.path.join(SRC_DIR, "dev", "stack")
sys.path.insert(0, os.path.join(SRC_DIR, "tests", "lib"))
import hostprocs  # noqa: E402  (tests/lib: stdlib only)
from hostile_scripts import script as hostile  # noqa: E402
from sandrun_client import JSON_CT, Client  # noqa: E402

SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ")
SERVICE_COMMS = ("sandrun-fcgi", "sandrun-superv", "sandrun-zygote", "sandrun-spawn")   # spawn: cold mode


# ------------------------------------------------------------ the answers

def strict_json(body):
    """The body as JSON: UTF-8, no NaN or Infinity, one value."""
    def no_constant(c):
        raise ValueError("not JSON: " + c)
    return json.loads(body.decode("utf-8"), parse_constant=no_constant)


class Kind:
    """A kind of script: how to ask, and the answer it deserves."""

    def __init__(self, name, weight, make, judge):
        self.name, self.weight, self.make, self.judge = name, weight, make, judge


def _hello(rng):
    n = secrets.token_hex(4)
    script = f'def main():\n    print("hello {n}")\n    return {{"hello": "{n}"}}\n'
    return "/execute", {"script": script}, n


def _judge_hello(status, b, n):
    if status != 200 or b.get("status") != "success":
        return "not 200 success"
    if b.get("stdout") != f"hello {n}\n" or b.get("result") != {"hello": n} or b.get("stdout_truncated"):
        return "wrong stdout or result"
    return None


def _hello_run(rng):
    n = secrets.token_hex(4)
    return "/run", {"code": f'print("hello {n}")'}, n


def _judge_hello_run(status, b, n):
    if status != 200 or b.get("status") != "success" or b.get("error") is not None:
        return "not 200 success"
    return None if b.get("stdout") == f"hello {n}\n" else "wrong stdout"


def _hello_invoke(rng):
    n = secrets.token_hex(4)
    code = 'def handler(event, context):\n    print("event", event["n"])\n    return {"echo": event["n"]}\n'
    return "/invoke", {"version": "v1", "code": code, "event": {"n": n}}, n


def _judge_hello_invoke(status, b, n):
    if status != 200 or b.get("error") is not None:
        return "not 200 without error"
    if b.get("result") != {"echo": n} or f"event {n}" not in (b.get("logs") or ""):
        return "wrong result or logs"
    return None


def _pandas(rng):
    keys = [rng.choice("abc") for _ in range(60)]
    keys[0] = "a"
    vals = [rng.randrange(1000) for _ in range(60)]
    want = sum(v for k, v in zip(keys, vals) if k == "a")
    script = ("import pandas as pd\n\n\ndef main():\n"
              f"    df = pd.DataFrame({{'k': {keys!r}, 'v': {vals!r}}})\n"
              "    return int(df.groupby('k')['v'].sum()['a'])\n")
    return "/execute", {"script": script}, want


def _judge_pandas(status, b, want):
    if status != 200 or b.get("status") != "success":
        return "not 200 success"
    return None if b.get("result") == want else f"result {b.get('result')!r}, not {want}"


def _failed(status, b, statuses):
    """A script's failure: 400 with error, stdout, stderr and one of statuses."""
    if status != 400:
        return f"{status}, not 400"
    if not isinstance(b.get("error"), str) or not b["error"] or "stdout" not in b or "stderr" not in b:
        return "a 400 without error, stdout and stderr"
    return None if b.get("status") in statuses else f"status {b.get('status')!r}"


def _timeout(rng):
    return "/execute", {"script": "def main():\n    while True:\n        pass\n", "timeout": 1}, None


def _judge_timeout(status, b, _):
    why = _failed(status, b, ("timeout",))
    if why is None and b["error"] != "Script execution timed out (1s limit)":
        why = "error " + b["error"]
    return why


def _memory(rng):
    return "/execute", {"script": hostile("resources", "memory_gradual"), "memory_limit": 128, "timeout": 20}, None


def _judge_memory(status, b, _):
    why = _failed(status, b, ("memory_exceeded",))
    if why is None and b["error"] != "Script exceeded the memory limit (128 MB)":
        why = "error " + b["error"]
    return why


def _fork_bomb(rng):
    return "/execute", {"script": hostile("processes", "fork_bomb"), "timeout": 20}, None


# the job's process cap, as /health says it (set before the load starts)
MAX_PROCESSES = 128


def _judge_fork_bomb(status, b, _):
    if status == 200:
        ev = b.get("result") or {}
        if b.get("status") != "success" or ev.get("error") != "EAGAIN":
            return f"200 without EAGAIN: {ev!r}"
        # RLIMIT_NPROC max_processes (+ init), as tests/hostile/test_processes.py
        seen = ev.get("processes_visible", 999)
        return None if seen <= MAX_PROCESSES + 2 else f"{seen} processes (cap {MAX_PROCESSES})"
    return _failed(status, b, ("timeout", "memory_exceeded", "killed"))


def _flood(rng):
    script = ("import sys\n\n\ndef main():\n    block = 'x' * 4095 + '\\n'\n"
              "    while True:\n        sys.stdout.write(block)\n")
    return "/execute", {"script": script, "timeout": 10}, None


def _judge_flood(status, b, _):
    # runaway output: ended once it has written max_output_drain_bytes, not
    # at its timeout (docs/api.md)
    why = _failed(status, b, ("output_limit",))
    if why is None and b["error"] != "Script wrote more than 67108864 bytes of output":
        why = "error " + b["error"]
    if why is None and (b.get("stdout_truncated") is not True or len(b["stdout"]) > 1 << 20):
        why = "stdout not cut at the cap"
    return why


def _daemon(rng):
    return "/execute", {"script": hostile("processes", "daemon_escape"), "stdin": "0", "timeout": 20}, None


def _judge_daemon(status, b, _):
    if status != 200 or b.get("status") != "success":
        return "not 200 success"
    ev = b.get("result") or {}
    if ev.get("alive_at_return") is not True or not str(ev.get("pidns", "")).startswith("pid:["):
        return f"the daemon was not running: {ev!r}"
    # nothing of the job may outlive its answer for long: init may still be
    # on its way out, never the daemon (a namespace's inode number can be
    # reused by a later job: only a process of this job's name counts)
    deadline = time.monotonic() + 5
    while True:
        left = []
        for pid in hostprocs.processes_in_pidns(ev["pidns"]):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "kworker/0:1":
                        left.append(pid)
            except OSError:
                pass
        if not left:
            return None
        if time.monotonic() > deadline:
            return f"the daemon outlived its answer by 5 s: host pids {left}"
        time.sleep(0.1)


KINDS = [
    Kind("hello", 20, _hello, _judge_hello),
    Kind("hello-run", 8, _hello_run, _judge_hello_run),
    Kind("hello-invoke", 8, _hello_invoke, _judge_hello_invoke),
    Kind("pandas", 16, _pandas, _judge_pandas),
    Kind("timeout", 8, _timeout, _judge_timeout),
    Kind("memory", 8, _memory, _judge_memory),
    Kind("fork-bomb", 5, _fork_bomb, _judge_fork_bomb),
    Kind("flood", 4, _flood, _judge_flood),
    Kind("daemon", 6, _daemon, _judge_daemon),
]


# ------------------------------------------------------------ the clients

class Tally:
    """What the clients saw, per kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = collections.Counter()
        self.statuses = collections.defaultdict(collections.Counter)
        self.latency = collections.defaultdict(list)
        self.wrong = collections.Counter()
        self.samples = []          # (kind, why, status, body head) of wrong answers

    def add(self, kind, label, ms, why, status=None, body=b""):
        with self.lock:
            self.count[kind] += 1
            self.statuses[kind][label] += 1
            self.latency[kind].append(ms)
            if why:
                self.wrong[kind] += 1
                if len(self.samples) < 12:
                    self.samples.append((kind, why, status, body[:300]))


def ask(client, conn_box, path, payload, timeout):
    """One request on the client's keep-alive connection (a new one after
    any failure): a sandrun_client.Response."""
    for attempt in (1, 2):
        if conn_box[0] is None:
            conn_box[0] = client.connection(timeout)
        try:
            r = client.post(path, payload, conn=conn_box[0])
            if r.headers.get("Connection", "").lower() == "close":
                conn_box[0].close()
                conn_box[0] = None
            return r
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # a keep-alive connection nginx closed between requests: once more
            conn_box[0].close()
            conn_box[0] = None
            if attempt == 2:
                raise
        except Exception:
            conn_box[0].close()
            conn_box[0] = None
            raise


def one_request(kind, rng, client, conn_box, tally):
    path, payload, ctx = kind.make(rng)
    t0 = time.monotonic()
    try:
        r = ask(client, conn_box, path, payload, timeout=90)
        status, headers, body = r.status, r.headers, r.body
    except Exception as e:
        tally.add(kind.name, "no answer", (time.monotonic() - t0) * 1000, f"no answer: {e!r}")
        return
    ms = (time.monotonic() - t0) * 1000
    why = None
    try:
        b = strict_json(body)
    except ValueError as e:
        b, why = None, f"not JSON: {e}"
    if why is None and headers.get("Content-Type") != JSON_CT:
        why = f"Content-Type {headers.get('Content-Type')!r}"
    label = str(status)
    if why is None:
        if status in (429, 503):
            # the service may refuse for now, if it says when to come back
            if not headers.get("Retry-After") or not isinstance(b, dict) or not b.get("error"):
                why = f"{status} without Retry-After or error"
        else:
            if isinstance(b, dict) and b.get("status") and status != 200:
                label = f"{status} {b['status']}"
            try:
                why = kind.judge(status, b if isinstance(b, dict) else {}, ctx)
            except Exception as e:          # a judge tripping on an odd body
                why = f"judge: {e!r}"
    tally.add(kind.name, label, ms, why, status, body)


def client_loop(i, args, client, deadline, tally):
    rng = random.Random(args.seed * 1000 + i)
    weights = [k.weight for k in KINDS]
    conn_box = [None]
    while time.monotonic() < deadline:
        kind = rng.choices(KINDS, weights)[0]
        one_request(kind, rng, client, conn_box, tally)
    if conn_box[0] is not None:
        conn_box[0].close()


# ------------------------------------------------------------ before / after

def service_processes(app_pid, table, job_uid):
    """The service's own processes: sandrun-fcgi and its descendants that
    are not jobs (the supervisor and the zygote at rest)."""
    kids = collections.defaultdict(list)
    for pid, proc in table.items():
        kids[proc.ppid].append(pid)
    out, todo = {}, [app_pid]
    while todo:
        pid = todo.pop()
        if pid not in table:
            continue
        comm, uid = table[pid].comm, table[pid].uid
        if job_uid(uid) or comm not in SERVICE_COMMS:
            continue                       # a job, or a job's first process
        out[pid] = comm
        todo.extend(kids[pid])
    return out


def fd_links(pid):
    out = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
    except OSError:
        pass
    return out


def namespaces_of(pid):
    """Namespaces a process is in or holds an fd of: {"net:[4026...]", ...}."""
    out = set()
    try:
        for ns in os.listdir(f"/proc/{pid}/ns"):
            try:
                out.add(os.readlink(f"/proc/{pid}/ns/{ns}"))
            except OSError:
                pass
    except OSError:
        pass
    out.update(l for l in fd_links(pid) if re.match(r"^(net|mnt|pid|ipc|uts|user|cgroup|time)(_for_children)?:\[", l))
    return out


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def host_mounts():
    """The host's mounts as (mount point, type, source), with repeats."""
    out = collections.Counter()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            a, b = line.split(" - ", 1)
            a, b = a.split(), b.split()
            out[(a[4], b[0], b[1] if len(b) > 1 else "")] += 1
    return out


def tmp_entries():
    out = {}
    for name in os.listdir("/tmp"):
        try:
            out[name] = os.lstat(os.path.join("/tmp", name)).st_uid
        except OSError:
            pass
    return out


def host_net_namespaces():
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                out.add(os.readlink(f"/proc/{d}/ns/net"))
            except OSError:
                pass
    return len(out)


def service_snapshot(app_pid, job_uid):
    table = hostprocs.process_table()
    procs = service_processes(app_pid, table, job_uid)
    # jobs waiting in the pool for a request are always there: they are
    # counted apart (the pool must be whole again, no more), their
    # namespaces are their own
    jobs = sorted(pid for pid, proc in table.items() if job_uid(proc.uid) and proc.comm != hostprocs.POOL_COMM)
    pool = sorted(pid for pid, proc in table.items() if job_uid(proc.uid) and proc.comm == hostprocs.POOL_COMM)
    snap = {"jobs": jobs, "pool": pool, "fds": {}, "rss_kb": {}, "ns": set()}
    for pid, comm in procs.items():
        snap["fds"][comm] = snap["fds"].get(comm, 0) + len(fd_links(pid))
        snap["rss_kb"][comm] = snap["rss_kb"].get(comm, 0) + rss_kb(pid)
        snap["ns"] |= namespaces_of(pid)
    for pid in jobs:
        snap["ns"] |= namespaces_of(pid)
    return snap


# ------------------------------------------------------------ the stack

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/health")
        r = conn.getresponse()
        return r.status, r.read()
    except OSError as e:
        return 0, repr(e).encode()
    finally:
        conn.close()


def percentile(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def print_table(tally, seconds):
    total = sum(tally.count.values())
    print(f"\n{'kind':<13} {'count':>6}  {'statuses':<44} {'p50 ms':>8} {'p95 ms':>8} {'wrong':>6}")
    for k in KINDS:
        n = tally.count[k.name]
        st = " ".join(f"{s}:{c}" for s, c in sorted(tally.statuses[k.name].items()))
        lat = tally.latency[k.name]
        print(f"{k.name:<13} {n:>6}  {st:<44} {percentile(lat, 50):>8.1f} {percentile(lat, 95):>8.1f} "
              f"{tally.wrong[k.name]:>6}")
    print(f"{'all':<13} {total:>6}  {f'{total / seconds:.1f} requests/s':<44} "
          f"{percentile(sum(tally.latency.values(), []), 50):>8.1f} "
          f"{percentile(sum(tally.latency.values(), []), 95):>8.1f} {sum(tally.wrong.values()):>6}")
    for kind, why, status, body in tally.samples:
        print(f"  wrong {kind}: {why} (HTTP {status}) {body!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30, help="how long to send requests (default 30)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    ap.add_argument("--build-dir", default=os.environ.get("SANDRUN_BUILD_DIR", SRC_DIR))
    ap.add_argument("--job-uid-base", type=int, default=500000,
                    help="job uids of this stack (default 500000; the suites use 200000)")
    ap.add_argument("--extra-args", default=os.environ.get("SANDRUN_EXTRA_ARGS", ""),
                    help="more sandrun-fcgi settings (default $SANDRUN_EXTRA_ARGS)")
    ap.add_argument("--rss-slack-mb", type=float, default=64,
                    help="growth of a service process's RSS still taken for noise (default 64)")
    ap.add_argument("--strict-host", action="store_true",
                    help="every new host mount and /tmp entry counts, not only the soak's own")
    ap.add_argument("--tap", action="store_true", help="also print TAP: one test per kind and per check")
    ap.add_argument("--keep-state", action="store_true")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("soak: must run as root (dev/stack starts nginx and sandrun-fcgi)", file=sys.stderr)
        return 2
    if args.seconds <= 0 or args.clients < 1:
        print("soak: --seconds and --clients must be positive", file=sys.stderr)
        return 2

    # bounded whatever happens: the watchdog ends the process (the stack is
    # stopped by the finally below only on a normal path; dev/stack stop on
    # the state dir cleans up after a watchdog exit)
    def watchdog():
        time.sleep(args.seconds + 240)
        print("soak: watchdog: still running long after the load ended, giving up", file=sys.stderr, flush=True)
        subprocess.run([STACK, "stop", state], timeout=60)
        os._exit(1)

    base = args.job_uid_base

    def job_uid(uid):
        return base <= uid <= base + 99

    results = []          # (ok, name, detail)
    mounts0, tmp0 = host_mounts(), tmp_entries()
    netns0 = host_net_namespaces()
    state = tempfile.mkdtemp(prefix="sandrun-soak-", dir="/tmp")
    os.chmod(state, 0o755)
    threading.Thread(target=watchdog, daemon=True).start()
    port, key = free_port(), secrets.token_hex(16)
    env = dict(os.environ, SANDRUN_RATE_LIMITS="off",
               SANDRUN_EXTRA_ARGS=f"{args.extra_args} --job_uid_base {base}".strip())
    print(f"soak: {args.clients} clients for {args.seconds:g} s against a stack on 127.0.0.1:{port} "
          f"(state {state}, job uids {base}..{base + 99})", flush=True)
    p = subprocess.run([STACK, "start", state, str(port), key, os.path.abspath(args.build_dir)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    if p.returncode != 0:
        print(p.stdout, file=sys.stderr)
        subprocess.run([STACK, "stop", state], timeout=60)
        shutil.rmtree(state, ignore_errors=True)
        print("soak: dev/stack start failed", file=sys.stderr)
        return 2
    tally = Tally()
    client = Client(port, key)
    try:
        with open(os.path.join(state, "sandrun.pid")) as f:
            app_pid = int(f.read())

        # warm-up: every kind once, one at a time, so that everything the
        # service opens lazily is open before the first snapshot (a wrong
        # answer here counts as one)
        conn_box, rng, warm = [None], random.Random(args.seed), Tally()
        for k in KINDS:
            one_request(k, rng, client, conn_box, warm)
        if conn_box[0] is not None:
            conn_box[0].close()
        results.append((not warm.samples, "warm-up: one of each kind, each answered right",
                        "; ".join(f"{k}: {why}" for k, why, _s, _b in warm.samples)))
        settle(app_pid, job_uid, None)
        before = service_snapshot(app_pid, job_uid)
        global MAX_PROCESSES
        MAX_PROCESSES = json.loads(health(port)[1])["limits"]["max_processes"]

        t0 = time.monotonic()
        deadline = t0 + args.seconds
        threads = [threading.Thread(target=client_loop, args=(i, args, client, deadline, tally), daemon=True)
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1, deadline + 150 - time.monotonic()))
        took = time.monotonic() - t0
        hung = sum(t.is_alive() for t in threads)
        status, body = health(port)
        results.append((status == 200 and not hung, "the service is healthy after the load",
                        f"/health {status}" + (f", {hung} clients hung" if hung else "")))
        settle(app_pid, job_uid, before)
        after = service_snapshot(app_pid, job_uid)
        print_table(tally, took)
        compare_service(before, after, args, results)
    finally:
        subprocess.run([STACK, "stop", state], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    log = ""
    try:
        with open(os.path.join(state, "sandrun.log"), errors="replace") as f:
            log = f.read()
    except OSError:
        pass
    m = SANITIZER_RE.search(log)
    results.append((m is None, "no sanitizer report in sandrun.log",
                    log[max(0, m.start() - 200):m.start() + 800] if m else ""))
    if not args.keep_state:
        shutil.rmtree(state, ignore_errors=True)
    time.sleep(0.5)
    compare_host(mounts0, tmp0, netns0, state, job_uid, args, results)

    for k in KINDS:
        results.insert(KINDS.index(k), (tally.wrong[k.name] == 0,
                                        f"{k.name}: every answer right",
                                        f"{tally.count[k.name]} answers, {tally.wrong[k.name]} wrong"))
    failed = [r for r in results if not r[0]]
    if args.tap:
        print(f"1..{len(results)}")
        for i, (ok, name, detail) in enumerate(results, 1):
            print(f"{'ok' if ok else 'not ok'} {i} - {name}" + (f": {detail}" if detail else ""))
    print(f"\nsoak: {sum(tally.count.values())} answers, {sum(tally.wrong.values())} wrong, "
          f"{len(failed)} of {len(results)} checks failed")
    return 1 if failed else 0


def settle(app_pid, job_uid, before, timeout=15):
    """Wait until no job process is left, the pool is whole and the
    service's fds are back to what they were (each job's teardown ends after
    its answer)."""
    deadline = time.monotonic() + timeout
    last_pool = None
    while time.monotonic() < deadline:
        snap = service_snapshot(app_pid, job_uid)
        # the pool refilled: as before, or (at the start) as it was a moment ago
        pool_ok = len(snap["pool"]) == (len(before["pool"]) if before else last_pool)
        last_pool = len(snap["pool"])
        if not snap["jobs"] and pool_ok and (
                before is None or all(snap["fds"].get(c, 0) <= n for c, n in before["fds"].items())):
            return
        time.sleep(0.2)


def compare_service(before, after, args, results):
    print(f"\n{'before / after':<44} {'before':>10} {'after':>10}")

    def row(name, b, a, ok, note=""):
        print(f"{name:<44} {b:>10} {a:>10}  {'ok' if ok else 'LEFT OVER'}{note}")
        results.append((ok, name, f"before {b}, after {a}{note}"))

    row("job processes (our job uids)", len(before["jobs"]), len(after["jobs"]), not after["jobs"],
        f" {after['jobs'][:10]}" if after["jobs"] else "")
    row("pooled job processes (init and runner each)", len(before["pool"]), len(after["pool"]),
        len(after["pool"]) == len(before["pool"]))
    for comm in SERVICE_COMMS:
        b, a = before["fds"].get(comm), after["fds"].get(comm)
        if b is None and a is None:
            continue
        row(f"fds of {comm}", b, a, a is not None and b is not None and a <= b)
    new_ns = sorted(after["ns"] - before["ns"])
    net = [n for n in before["ns"] if n.startswith("net:")], [n for n in after["ns"] if n.startswith("net:")]
    row("namespaces the service holds", len(before["ns"]), len(after["ns"]), not new_ns,
        f" new: {new_ns[:6]}" if new_ns else "")
    row("net namespaces the service holds", len(net[0]), len(net[1]), len(net[1]) <= len(net[0]))
    for comm in SERVICE_COMMS:
        b, a = before["rss_kb"].get(comm), after["rss_kb"].get(comm)
        if b is None and a is None:
            continue
        b, a = b or 0, a or 0
        row(f"RSS of {comm} (MB)", f"{b / 1024:.1f}", f"{a / 1024:.1f}", a - b <= args.rss_slack_mb * 1024,
            f" ({(a - b) / 1024:+.1f})")


def compare_host(mounts0, tmp0, netns0, state, job_uid, args, results):
    mounts1, tmp1 = host_mounts(), tmp_entries()
    new_mounts = sorted((mounts1 - mounts0).elements())
    # as tests/lib/stack.py: `ip netns add` of an edge suite beside this one
    ours = [m for m in new_mounts if args.strict_host or not (m[0].startswith("/run/netns/") and m[1] == "nsfs")]
    others = [m for m in new_mounts if m not in ours]
    new_tmp = sorted(set(tmp1) - set(tmp0) - {os.path.basename(state)})
    try:
        service_uid = pwd.getpwnam("sandrun").pw_uid
    except KeyError:
        service_uid = -1
    tmp_ours = [n for n in new_tmp if args.strict_host or job_uid(tmp1[n]) or tmp1[n] == service_uid]
    tmp_others = [n for n in new_tmp if n not in tmp_ours]
    netns1 = host_net_namespaces()
    print(f"\n{'host, before the stack / after it stopped':<44} {'before':>10} {'after':>10}")
    print(f"{'mounts':<44} {sum(mounts0.values()):>10} {sum(mounts1.values()):>10}  "
          f"{'ok' if not ours else 'LEFT OVER'}"
          + (f" (new, not the soak's: {others[:4]})" if others else ""))
    results.append((not ours, "no mount left on the host", f"new: {ours[:6]}" if ours else ""))
    print(f"{'/tmp entries':<44} {len(tmp0):>10} {len(tmp1):>10}  {'ok' if not tmp_ours else 'LEFT OVER'}"
          + (f" (new, not the soak's: {tmp_others[:6]})" if tmp_others else ""))
    results.append((not tmp_ours, "no /tmp entry left", f"new: {tmp_ours[:6]}" if tmp_ours else ""))
    print(f"{'net namespaces on the host (information)':<44} {netns0:>10} {netns1:>10}")


if __name__ == "__main__":
    sys.exit(main())
