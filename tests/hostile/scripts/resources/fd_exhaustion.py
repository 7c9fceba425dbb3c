"""Open files until the descriptor table is full (RLIMIT_NOFILE), and
pipes, then return while every fd is still taken."""
import errno
import os


def main():
    fds, err = [], None
    while True:
        try:
            fds.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as e:
            err = errno.errorcode.get(e.errno)
            break
    return {"opened": len(fds), "error": err, "highest": max(fds)}
