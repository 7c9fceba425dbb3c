"""A child that keeps the job's stdout and stderr open and writes to them
forever, ignoring SIGTERM/SIGHUP/SIGPIPE, while main() returns at once: the
service must not wait for EOF that never comes (the answer is bounded by
the job's end, not by the timeout), and the child must die with the job."""
import os
import signal
import time


def main():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        os.setsid()
        os.write(w, b"x")
        n = 0
        while True:
            n += 1
            try:
                os.write(1, b"child still writing %d\n" % n)
                os.write(2, b"child stderr %d\n" % n)
            except OSError:
                pass
            time.sleep(0.01)
    os.read(r, 1)
    time.sleep(0.2)
    return {"child": pid, "pidns": os.readlink("/proc/self/ns/pid")}
