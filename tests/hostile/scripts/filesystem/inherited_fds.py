"""Every file descriptor the job starts with, and where each leads: list
/proc/self/fd with readlink and fdinfo, fstat every number up to the
RLIMIT_NOFILE hard limit (a descriptor hidden from the listing would still
answer fstat), and for each one try what would lead outside the job:
openat(fd, "..") and fchdir (a directory of the host), getsockname and
getpeername (a socket of the service), reopening it through the
/proc/self/fd magic link for writing, and the same listing of pid 1's
descriptors.  Only stdin (an anonymous file), stdout, stderr and the result
channel (pipes) may be there."""
import os
import resource
import socket
import stat


def kind(mode):
    for name in ("S_ISDIR", "S_ISREG", "S_ISFIFO", "S_ISSOCK", "S_ISCHR", "S_ISBLK", "S_ISLNK"):
        if getattr(stat, name)(mode):
            return name[4:].lower()
    return oct(mode)


def main():
    listed = sorted(int(n) for n in os.listdir("/proc/self/fd"))
    # the listing itself used a descriptor, closed by now
    listed = [fd for fd in listed if attempt(lambda: os.fstat(fd) and fd, returned) == fd]
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    out = {"listed": listed, "nofile": hard, "fds": {}}
    for fd in range(min(hard, 1 << 16)):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        info = {"kind": kind(st.st_mode), "link": attempt(lambda: os.readlink("/proc/self/fd/%d" % fd), returned),
                "dev": [os.major(st.st_dev), os.minor(st.st_dev)], "uid": st.st_uid}
        try:
            with open("/proc/self/fdinfo/%d" % fd) as f:
                info["flags"] = [l.split()[1] for l in f if l.startswith("flags:")][0]
        except OSError as e:
            info["flags"] = repr(e)
        if stat.S_ISDIR(st.st_mode):
            info["openat .."] = attempt(lambda: os.listdir(os.open("..", os.O_RDONLY, dir_fd=fd)), returned)
        if stat.S_ISSOCK(st.st_mode):
            s = socket.socket(fileno=os.dup(fd))
            info["sockname"] = attempt(lambda: repr(s.getsockname()), returned)
            info["peername"] = attempt(lambda: repr(s.getpeername()), returned)
            s.detach()
        def reopen_and_write():
            w = os.open("/proc/self/fd/%d" % fd, os.O_WRONLY | os.O_NONBLOCK)
            try:
                if stat.S_ISREG(st.st_mode):
                    os.pwrite(w, b"x", 0)
                    return "SUCCEEDED: wrote"
                return "SUCCEEDED: opened"
            finally:
                os.close(w)
        info["reopen for writing"] = attempt(reopen_and_write, returned)
        out["fds"][str(fd)] = info
    out["pid 1 fds"] = attempt(lambda: os.listdir("/proc/1/fd"), returned)
    out["cwd"] = os.getcwd()
    out["root"] = os.readlink("/proc/self/root")
    return out
