"""The other half of flock_holder: try to take the same locks without
waiting, while the holder (a concurrent job) keeps them."""
import fcntl
import os
import struct
import time

PATHS = ["/usr/bin/python3.11", "/usr/lib/python3.11/os.py", "/etc/passwd", "/dev/null",
         "/tmp/lock", "/sandrun/runner.py"]


def take(p, flags, how, lock_fn):
    """An fd of p with the lock taken."""
    fd = os.open(p, flags)
    lock_fn(fd, how)
    return fd


def getlk(p):
    """F_GETLK for a write lock reports any read lock another job holds."""
    fd = os.open(p, os.O_RDONLY)
    arg = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
    l_type = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, arg))[0]
    os.close(fd)
    return "free" if l_type == fcntl.F_UNLCK else "locked by another"


def main():
    time.sleep(1)
    out = {}
    for p in PATHS:
        flags = os.O_RDONLY | os.O_CREAT if p.startswith("/tmp") else os.O_RDONLY
        out[p] = attempt(lambda: os.close(take(p, flags, fcntl.LOCK_EX | fcntl.LOCK_NB, fcntl.flock)),
                         "acquired")
    for p in PATHS:
        if not p.startswith("/tmp"):
            out["getlk " + p] = attempt(lambda: getlk(p), returned)
    out["lockf /tmp/lockf"] = attempt(lambda: take("/tmp/lockf", os.O_RDWR | os.O_CREAT,
                                                   fcntl.LOCK_EX | fcntl.LOCK_NB, fcntl.lockf), "acquired")
    return out
