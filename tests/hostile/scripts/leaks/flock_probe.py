"""The other half of flock_holder: try to take the same locks without
waiting, while the holder (a concurrent job) keeps them."""
import fcntl
import os
import time

PATHS = ["/usr/bin/python3.11", "/usr/lib/python3.11/os.py", "/etc/passwd", "/dev/null",
         "/tmp/lock", "/sandrun/runner.py"]


def main():
    time.sleep(1)
    out = {}
    for p in PATHS:
        try:
            fd = os.open(p, os.O_RDONLY | os.O_CREAT if p.startswith("/tmp") else os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            out[p] = "acquired"
            os.close(fd)
        except OSError as e:
            out[p] = "%s errno=%s" % (type(e).__name__, e.errno)
    import struct
    for p in PATHS:
        if p.startswith("/tmp"):
            continue
        # F_GETLK for a write lock reports any read lock another job holds
        try:
            fd = os.open(p, os.O_RDONLY)
            arg = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
            res = fcntl.fcntl(fd, fcntl.F_GETLK, arg)
            l_type = struct.unpack("hhqqi", res)[0]
            out["getlk " + p] = "free" if l_type == fcntl.F_UNLCK else "locked by another"
            os.close(fd)
        except OSError as e:
            out["getlk " + p] = "%s errno=%s" % (type(e).__name__, e.errno)
    try:
        fd = os.open("/tmp/lockf", os.O_RDWR | os.O_CREAT)
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        out["lockf /tmp/lockf"] = "acquired"
    except OSError as e:
        out["lockf /tmp/lockf"] = "%s errno=%s" % (type(e).__name__, e.errno)
    return out
