"""Try to change the root a slot's next job will see (it is built once per
slot: sandbox/slot_ns.c): for every entry of the root's tmpfs and /dev,
chmod, chown, utime (by path and by an open fd), set and remove extended
attributes of every namespace, truncate, rename, unlink, hard link; create
files, directories, device nodes and fifos in every directory; unmount or
remount what the job's copy of the mount tree holds.  Writes to the device
nodes themselves are allowed (a device is not the file system) and are
reported apart."""
import ctypes
import os
import stat

DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def entries():
    root_dev, dev_dev = os.lstat("/").st_dev, os.lstat("/dev").st_dev
    out = ["/"]
    for top, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in ("/proc", "/tmp")
                   and os.lstat(os.path.join(top, d)).st_dev in (root_dev, dev_dev)]
        out += [os.path.join(top, n) for n in dirs + files]
    return out


def main():
    out = {}
    libc = ctypes.CDLL(None, use_errno=True)

    def call(fn, *args):
        if fn(*args) < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))

    for p in entries():
        is_link = stat.S_ISLNK(os.lstat(p).st_mode)
        if not is_link:     # a link's own mode cannot change (no lchmod on Linux)
            out["chmod " + p] = attempt(lambda: os.chmod(p, 0o777))
        out["chown " + p] = attempt(lambda: os.chown(p, os.getuid(), os.getgid(), follow_symlinks=False))
        out["utime " + p] = attempt(lambda: os.utime(p, (1, 1), follow_symlinks=False))
        out["utime now " + p] = attempt(lambda: os.utime(p, None, follow_symlinks=False))
        for ns in ("user", "trusted", "security", "system"):
            out["setxattr %s %s" % (ns, p)] = attempt(
                lambda: os.setxattr(p, ns + ".sandrun", b"x", follow_symlinks=False))
        out["removexattr " + p] = attempt(
            lambda: os.removexattr(p, "security.selinux", follow_symlinks=False))
        if not is_link:
            try:
                fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
            except OSError as e:
                out["open " + p] = refusal(e)
            else:
                out["futimens " + p] = attempt(lambda: os.utime(fd, (2, 2)))
                out["fchmod " + p] = attempt(lambda: os.fchmod(fd, 0o777))
                os.close(fd)
        if os.path.isfile(p) and not is_link:
            out["truncate " + p] = attempt(lambda: os.truncate(p, 0))
            out["open for writing " + p] = attempt(lambda: os.close(os.open(p, os.O_WRONLY)))
        if p not in DEVICES:
            out["rename " + p] = attempt(lambda: os.rename(p, p + ".moved"))
            if os.path.isdir(p) and not is_link:
                out["rmdir " + p] = attempt(lambda: os.rmdir(p))
            else:
                out["unlink " + p] = attempt(lambda: os.unlink(p))
        out["link " + p] = attempt(lambda: os.link(p, "/tmp/hl", follow_symlinks=False))
        if os.path.isdir(p) and not is_link:
            n = os.path.join(p, "sandrun-probe")
            out["create " + n] = attempt(lambda: os.close(os.open(n, os.O_CREAT | os.O_WRONLY, 0o644)))
            out["mkdir " + n] = attempt(lambda: os.mkdir(n))
            out["mkfifo " + n] = attempt(lambda: os.mkfifo(n))
            out["mknod " + n] = attempt(lambda: os.mknod(n, 0o666 | stat.S_IFCHR, os.makedev(1, 3)))
            out["symlink " + n] = attempt(lambda: os.symlink("/etc/passwd", n))
    for m in ("/", "/dev", "/usr", "/proc", "/proc/kallsyms", "/tmp", "/etc/ld.so.cache"):
        out["umount " + m] = attempt(lambda: call(libc.umount2, m.encode(), 2))
        out["remount rw " + m] = attempt(lambda: call(libc.mount, None, m.encode(), None,
                                                      ctypes.c_ulong(0x20 | 0x1000), None))
    written = {}
    for d in DEVICES[:3]:
        written[d] = attempt(lambda: open(d, "wb", buffering=0).write(b"x"), returned)
    return {"uid": os.getuid(), "tries": out, "device writes": written}
