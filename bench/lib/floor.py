"""The floor: a bare fork-and-wait of a warm interpreter, no confinement.

Prepared like sandrun's zygote (math libraries pinned to one thread, numpy
and pandas imported, gc.collect() + gc.freeze()), then N times: fork, the
child runs the hello script's main() and _exits, the parent waits.  Prints
one JSON object with the per-operation latencies in ms.

With PROCS and SECONDS, it also measures the host's fork capacity: 1, then
PROCS copies of the prepared interpreter each fork-run-exit-wait back to
back for SECONDS, and the operations per second they reach together.  That
is what sandrun's closed loop at concurrency PROCS is compared with: each
client's request costs at least one such fork of a large process, and the
kernel's memory management (page tables copied at fork, torn down at exit)
is shared by the processes, so 2 processes rarely reach twice the rate of 1.

    python3 floor.py HELLO_SCRIPT N [PROCS SECONDS]
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"

import gc
import json
import sys
import time

import numpy  # noqa: F401
import pandas  # noqa: F401


def one(code):
    """fork, the child runs main() and _exits, wait: its time in ms."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            g = {"__name__": "__main__"}
            exec(code, g)
            g["main"]()
        finally:
            os._exit(0)
    _, st = os.waitpid(pid, 0)
    t1 = time.perf_counter()
    if st != 0:
        raise SystemExit("floor: child exited with status %#x" % st)
    return (t1 - t0) * 1000.0


def rate(code, procs, seconds):
    """procs copies of this interpreter run one() back to back for seconds
    each; their operations per second, summed."""
    go_r, go_w = os.pipe()
    out_r, out_w = os.pipe()
    workers = []
    for _ in range(procs):
        pid = os.fork()
        if pid == 0:
            os.close(go_w)
            os.close(out_r)
            # start together: every copy exists before any forks
            os.read(go_r, 1)
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                one(code)
                n += 1
            elapsed = time.perf_counter() - t0
            os.write(out_w, (json.dumps([n, elapsed]) + "\n").encode())
            os._exit(0)
        workers.append(pid)
    os.close(go_r)
    os.close(out_w)
    os.write(go_w, b"x" * procs)
    os.close(go_w)
    with os.fdopen(out_r) as f:
        lines = f.read().splitlines()
    for pid in workers:
        _, st = os.waitpid(pid, 0)
        if st != 0:
            raise SystemExit("floor: a rate worker exited with status %#x" % st)
    if len(lines) != procs:
        raise SystemExit("floor: %d of %d rate workers reported" % (len(lines), procs))
    counts = [json.loads(line) for line in lines]
    return {"procs": procs, "ops": sum(n for n, _ in counts),
            "per_s": sum(n / elapsed for n, elapsed in counts)}


def main():
    script, n = sys.argv[1], int(sys.argv[2])
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    with open(script) as f:
        code = compile(f.read(), script, "exec")
    gc.collect()
    gc.freeze()

    for _ in range(min(50, n)):         # warm-up
        one(code)
    lat = [one(code) for _ in range(n)]
    rss_kb = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    out = {"latencies_ms": lat, "rss_kb": rss_kb}
    if procs > 0 and seconds > 0:
        out["rates"] = [rate(code, 1, seconds)] + ([rate(code, procs, seconds)] if procs != 1 else [])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
