"""The cold baseline: a fresh python3 inside bubblewrap per request.

What a user would do instead of sandrun.  N threads issue requests back to
back for a given time; each request runs

    bwrap --unshare-all --die-with-parent <read-only /usr, /proc, /dev, /tmp>
          /usr/bin/python3 -c RUNNER

with the script on stdin; RUNNER execs it, calls main() and prints the
result as JSON with "status": "success".  A request is good when bwrap
exits 0 and its stdout is that JSON.  Prints one JSON object: latencies
(ms) of every completed request, the number of good ones, the time from
the start to the end of the last one, and the failures.

    python3 baseline.py SCRIPT CONCURRENCY DURATION_S WARMUP_S
"""

import json
import subprocess
import sys
import threading
import time

RUNNER = r"""
import json, sys
src = sys.stdin.read()
g = {"__name__": "__main__"}
exec(compile(src, "<script>", "exec"), g)
sys.stdout.write(json.dumps({"status": "success", "result": g["main"]()}))
"""

BWRAP = [
    "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
    "--ro-bind", "/usr", "/usr",
    "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64",
    "--symlink", "usr/bin", "/bin",
    # numpy's BLAS is found through the alternatives symlinks
    "--ro-bind", "/etc/alternatives", "/etc/alternatives",
    "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache",
    "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
    "--chdir", "/tmp",
    "--clearenv", "--setenv", "PATH", "/usr/bin", "--setenv", "HOME", "/tmp",
    "--setenv", "LANG", "C.UTF-8",
    # the same one-thread pinning sandrun applies (spares the baseline the
    # start-up of BLAS threads)
    "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "OMP_NUM_THREADS", "1",
    "/usr/bin/python3", "-c", RUNNER,
]


def one(script):
    """Run one request; returns (latency_ms, error or None)."""
    t0 = time.perf_counter()
    p = subprocess.run(BWRAP, input=script, capture_output=True)
    t1 = time.perf_counter()
    err = None
    if p.returncode != 0:
        err = "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-300:])
    else:
        try:
            if json.loads(p.stdout)["status"] != "success":
                err = "bad status: %r" % p.stdout[:300]
        except (ValueError, KeyError, TypeError):
            err = "bad output: %r" % p.stdout[:300]
    return t0, t1, err


def drive(script, conc, duration):
    results = []
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + duration

    def worker():
        while time.perf_counter() < deadline:
            r = one(script)
            with lock:
                results.append(r)

    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return start, deadline, results


def main():
    path, conc, duration, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    with open(path, "rb") as f:
        script = f.read()
    if warmup > 0:
        drive(script, conc, warmup)
    start, deadline, results = drive(script, conc, duration)
    errors = [e for _, _, e in results if e]
    # Throughput: good runs over the time until the last one ended (no run
    # starts after the deadline).  Counting only the runs that ended before
    # the deadline would lose the first round: with 16 interpreters sharing
    # 2 CPUs the first ones end only after the whole round's latency.
    last = max((t1 for _, t1, _ in results), default=deadline)
    json.dump({
        "latencies_ms": [(t1 - t0) * 1000.0 for t0, t1, e in results if not e],
        "completed": len(results) - len(errors),
        "elapsed_s": last - start,
        "errors": len(errors),
        "error_sample": errors[0] if errors else "",
    }, sys.stdout)


if __name__ == "__main__":
    main()
