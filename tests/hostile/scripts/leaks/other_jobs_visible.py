"""While another job runs (it holds the token on stdin in its /tmp and its
memory), look for it: other pids in /proc, their /proc/<pid>/root, cwd and
environ, the host's /proc/<pid>/root/tmp paths, and the job uid's other
slots' processes."""
import os
import sys
import time


def main():
    token = sys.stdin.read().strip()
    time.sleep(0.5)
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    found = []
    for pid in pids:
        for sub in ("root/tmp", "cwd"):
            try:
                for n in os.listdir("/proc/%d/%s" % (pid, sub)):
                    if token in n:
                        found.append("/proc/%d/%s/%s" % (pid, sub, n))
            except OSError:
                pass
    # guess host pids near ours
    probed = 0
    for pid in range(3, 4000):
        if os.path.exists("/proc/%d" % pid):
            probed += 1
    return {"pids": pids, "found": found, "extra_pids_in_1..4000": probed, "tmp": os.listdir("/tmp")}
