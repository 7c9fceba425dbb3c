"""The floor: a bare fork-and-wait of a warm interpreter, no confinement.

Prepared like sandrun's zygote (math libraries pinned to one thread, numpy
and pandas imported, gc.collect() + gc.freeze()), then N times: fork, the
child runs the hello script's main() and _exits, the parent waits.  Prints
one JSON object with the per-operation latencies in ms.

    python3 floor.py HELLO_SCRIPT N
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


def main():
    script, n = sys.argv[1], int(sys.argv[2])
    with open(script) as f:
        code = compile(f.read(), script, "exec")
    gc.collect()
    gc.freeze()

    def one():
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

    for _ in range(min(50, n)):         # warm-up
        one()
    lat = [one() for _ in range(n)]
    rss_kb = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    json.dump({"latencies_ms": lat, "rss_kb": rss_kb}, sys.stdout)


if __name__ == "__main__":
    main()
