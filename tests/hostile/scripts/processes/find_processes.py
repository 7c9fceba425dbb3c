"""Second request after daemon_escape / fork_bomb: every process visible,
with its command; only this job's init and runner may be there."""
import os


def main():
    procs = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    procs[p] = f.read().replace(b"\0", b" ").decode(errors="replace")[:100]
            except OSError as e:
                procs[p] = type(e).__name__
    return {"self": os.getpid(), "procs": procs, "heartbeat": os.path.exists("/tmp/heartbeat")}
