"""The CPU-time limit (the same number as the timeout) is RLIMIT_CPU, which
counts per process: eight children burn CPU on every core while main()
sleeps until just before the deadline (seconds on stdin), then adds up the
children's CPU time from /proc and returns it.  The request as a whole must
stay within its CPU limit, and the answer's cpu_ms must count what its
processes used."""
import os
import time


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    wall = float(open(0).read())
    kids = []
    for _ in range(8):
        pid = os.fork()
        if pid == 0:
            while True:
                pass
        kids.append(pid)
    t0 = time.monotonic()
    time.sleep(wall)
    return {"children_cpu_s": round(sum(cpu_s(p) for p in kids), 2),
            "wall_s": round(time.monotonic() - t0, 2), "cpus": os.cpu_count()}
