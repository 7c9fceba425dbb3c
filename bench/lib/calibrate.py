"""Calibrate the CPU-bound script's loop to a target time on this host.

    python3 calibrate.py SCRIPT TARGET_MS

SCRIPT has a line `ITERATIONS = <n>` and a main() whose time is linear in
it.  Prints JSON: {"iterations": n, "ms": median time of main() at n}.
"""

import json
import re
import statistics
import sys
import time

PATTERN = re.compile(r"^ITERATIONS = \d+$", re.M)


def with_iterations(src, n):
    out, count = PATTERN.subn("ITERATIONS = %d" % n, src)
    if count != 1:
        raise SystemExit("calibrate: no single 'ITERATIONS = <n>' line in the script")
    return out


def time_main(src, n, runs):
    g = {"__name__": "__main__"}
    exec(compile(with_iterations(src, n), "<cpu>", "exec"), g)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        g["main"]()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def main():
    with open(sys.argv[1]) as f:
        src = f.read()
    target = float(sys.argv[2])
    n = 200000
    for _ in range(3):
        ms = time_main(src, n, 5)
        n = max(1000, int(n * target / ms))
    json.dump({"iterations": n, "ms": time_main(src, n, 7)}, sys.stdout)


if __name__ == "__main__":
    main()
