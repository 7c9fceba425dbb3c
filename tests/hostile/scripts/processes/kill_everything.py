"""kill(-1, SIGKILL): everything this uid may signal; then SIGKILL to pid 1,
and to host pids (the nginx and sandrun-fcgi pids on stdin).  The job
lives in its own pid namespace, so the host's processes are not even
addressable.  The caller itself survives kill(-1)."""
import os
import signal
import sys


def main():
    host_pids = [int(x) for x in sys.stdin.read().split()]
    out = {}
    for pid in host_pids:
        out["kill %d (host pid) 0" % pid] = attempt(lambda: os.kill(pid, 0), "delivered")
    for pid in host_pids:
        out["kill %d (host pid) SIGKILL" % pid] = attempt(lambda: os.kill(pid, signal.SIGKILL), "delivered")
    out["kill(1, SIGKILL)"] = attempt(lambda: os.kill(1, signal.SIGKILL), "delivered")
    out["kill(1, SIGTERM)"] = attempt(lambda: os.kill(1, signal.SIGTERM), "delivered")
    out["kill(-1, SIGKILL)"] = attempt(lambda: os.kill(-1, signal.SIGKILL), "delivered")
    with open("/proc/1/stat") as f:
        out["pid 1 state"] = f.read().split(")")[1].split()[0]
    return out
