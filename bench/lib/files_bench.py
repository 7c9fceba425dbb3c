"""bench/files: what files in and out cost, on this host, in one run.

1. Plotting: a matplotlib script (bench/scripts/plot.py, one plt.show())
   on a warm stack without matplotlib preloaded and on one with it (the
   default), and the hello script on both, since a larger zygote makes
   every fork dearer; the fork floor (lib/floor.py) beside them.
2. Memory: sandrun-fcgi's resident memory before, and at its peak while 8
   concurrent requests each get 8 MiB of files back (bench/scripts/files_8mib.py).

Progress goes to stderr, the table to stdout.  See bench/README.md.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from bench import LIB, PY, SCRIPTS, Stack, log, pct  # noqa: E402


def body(script_name, **fields):
    with open(os.path.join(SCRIPTS, script_name)) as f:
        return json.dumps(dict({"script": f.read(), "timeout": 60}, **fields)).encode()


def latencies(stack, data, n):
    """Client-side ms of n sequential requests on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=120)
    headers = {"X-API-Key": stack.key, "Content-Type": "application/json"}
    out, bad = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("POST", "/execute", data, headers)
        r = conn.getresponse()
        payload = r.read()
        ms = (time.perf_counter() - t0) * 1000.0
        if r.status == 200 and json.loads(payload).get("status") == "success":
            out.append(ms)
        else:
            bad += 1
    conn.close()
    return out, bad


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def memory_under_files(stack, n_clients):
    """sandrun-fcgi's RSS before, and its peak (sampled every 5 ms) while
    n_clients requests each get 8 MiB of files back."""
    pid = stack.pid()
    data = body("files_8mib.py")
    latencies(stack, data, 2)   # warm the path (allocator arenas, nginx buffers)
    before = status_kb(pid, "VmRSS")
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], status_kb(pid, "VmRSS"))
            time.sleep(0.005)

    results = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=120)
        conn.request("POST", "/execute", data, {"X-API-Key": stack.key, "Content-Type": "application/json"})
        r = conn.getresponse()
        d = json.loads(r.read())
        results.append(r.status == 200 and sum(f["size"] for f in d["files"]) == 8 << 20)

    s = threading.Thread(target=sample)
    s.start()
    threads = [threading.Thread(target=client) for _ in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    s.join()
    after = status_kb(pid, "VmRSS")
    return {"before_kb": before, "peak_kb": peak[0], "after_kb": after, "ok": sum(results), "n": n_clients}


def floor(n):
    p = subprocess.run([PY, os.path.join(LIB, "floor.py"), os.path.join(SCRIPTS, "hello.py"), str(n)],
                       stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(p.stdout)


def zygote_rss_kb(stack):
    table = bench.proc_table()
    superv = bench.children(table, stack.pid(), "sandrun-superv")
    zyg = bench.children(table, superv[0], "sandrun-zygote") if superv else []
    return bench.smaps_rollup(zyg[0])["Rss"] if zyg else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=40, help="sequential requests per figure (default 40)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent 8 MiB answers (default 8)")
    ap.add_argument("--build-dir", default=bench.SRC_DIR)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="sandrun-bench-files.", dir="/tmp")
    os.chmod(tmp, 0o755)
    key = secrets.token_hex(16)
    stacks = [Stack("no-matplotlib", tmp, args.build_dir, "--libraries numpy,pandas", key),
              Stack("default", tmp, args.build_dir, "", key)]
    rows = []
    try:
        for st in stacks:
            st.start()
            row = {"stack": st.name, "zygote_rss_kb": zygote_rss_kb(st)}
            for name, script in (("plot", "plot.py"), ("hello", "hello.py")):
                data = body(script)
                latencies(st, data, 3)
                ms, bad = latencies(st, data, args.requests)
                row[name] = (pct(ms, 50), pct(ms, 99), bad)
            if st.name == "default":
                row["memory"] = memory_under_files(st, args.clients)
            rows.append(row)
            st.stop()
        fl = floor(200)
    finally:
        for st in stacks:
            st.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print("bench/files on %s, %d CPUs, load %s" % (os.uname().nodename, os.cpu_count(), bench.loadavg()))
    print("fork floor (bare fork+exit of python3 with numpy and pandas): p50 %.2f ms" % pct(fl["latencies_ms"], 50))
    print()
    print("%-15s %12s %12s %12s %12s %10s" % ("warm stack", "plot p50", "plot p99", "hello p50", "hello p99",
                                             "zygote RSS"))
    for r in rows:
        print("%-15s %9.1f ms %9.1f ms %9.2f ms %9.2f ms %7d MB" % (
            r["stack"], r["plot"][0], r["plot"][1], r["hello"][0], r["hello"][1], r["zygote_rss_kb"] // 1024))
    a, b = rows
    print()
    print("plot: preloading matplotlib makes it %.1fx faster; hello costs %.2fx as much"
          % (a["plot"][0] / b["plot"][0], b["hello"][0] / a["hello"][0]))
    m = b["memory"]
    print("memory: sandrun-fcgi RSS %d MB before, %d MB at the peak of %d concurrent 8 MiB answers "
          "(%d good), %d MB after: growth %.1f MB, %.1f MB a request"
          % (m["before_kb"] // 1024, m["peak_kb"] // 1024, m["n"], m["ok"], m["after_kb"] // 1024,
             (m["peak_kb"] - m["before_kb"]) / 1024, (m["peak_kb"] - m["before_kb"]) / 1024 / m["n"]))
    bad = sum(r[k][2] for r in rows for k in ("plot", "hello"))
    if bad or m["ok"] != m["n"]:
        print("FAILED requests: %d" % (bad + m["n"] - m["ok"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
