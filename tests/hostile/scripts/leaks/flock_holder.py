"""Hold exclusive flock()s for a few seconds on files every job can open
read-only (the Python binary, os.py, /etc/passwd, /dev/null) and on
/tmp/lock, and read record locks (lockf) on the shared ones; a concurrent
job (flock_probe) tries to take the same locks and to see the record locks
with F_GETLK:
if it cannot, two requests can signal each other through the shared
files (and a job could block host programs that lock them)."""
import fcntl
import os
import sys
import time

PATHS = ["/usr/bin/python3.11", "/usr/lib/python3.11/os.py", "/etc/passwd", "/dev/null",
         "/tmp/lock", "/sandrun/runner.py"]


def main():
    seconds = float(sys.stdin.read().strip() or 5)
    held = {}
    fds = []
    for p in PATHS:
        try:
            fd = os.open(p, os.O_RDONLY | os.O_CREAT if p.startswith("/tmp") else os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fds.append(fd)
            held[p] = "held"
        except OSError as e:
            held[p] = "%s errno=%s" % (type(e).__name__, e.errno)
    posix = {}
    # record locks: on a file opened read-only only read locks are possible
    for p in PATHS:
        if p.startswith("/tmp"):
            continue
        try:
            fd = os.open(p, os.O_RDONLY)
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fds.append(fd)
            posix[p] = "held"
        except OSError as e:
            posix[p] = "%s errno=%s" % (type(e).__name__, e.errno)
    try:
        fd = os.open("/tmp/lockf", os.O_RDWR | os.O_CREAT)
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        posix["/tmp/lockf"] = "held"
    except OSError as e:
        posix["/tmp/lockf"] = "%s errno=%s" % (type(e).__name__, e.errno)
    time.sleep(seconds)
    return {"flock": held, "lockf": posix}
