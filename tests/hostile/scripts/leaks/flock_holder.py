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


def open_flags(p):
    return os.O_RDONLY | os.O_CREAT if p.startswith("/tmp") else os.O_RDONLY


def main():
    seconds = float(sys.stdin.read().strip() or 5)
    fds = []   # kept open, and so locked, until the sleep is over

    def lock(p, flags, how, lock_fn):
        fd = os.open(p, flags)
        fds.append(fd)
        lock_fn(fd, how)
    held = {p: attempt(lambda: lock(p, open_flags(p), fcntl.LOCK_EX | fcntl.LOCK_NB, fcntl.flock), "held")
            for p in PATHS}
    # record locks: on a file opened read-only only read locks are possible
    posix = {p: attempt(lambda: lock(p, os.O_RDONLY, fcntl.LOCK_SH | fcntl.LOCK_NB, fcntl.lockf), "held")
             for p in PATHS if not p.startswith("/tmp")}
    posix["/tmp/lockf"] = attempt(lambda: lock("/tmp/lockf", os.O_RDWR | os.O_CREAT,
                                               fcntl.LOCK_EX | fcntl.LOCK_NB, fcntl.lockf), "held")
    time.sleep(seconds)
    return {"flock": held, "lockf": posix}
