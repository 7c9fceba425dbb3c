"""Write everywhere but /tmp: create, mkdir, append, chmod, rename, unlink,
hard link and utime on /, /usr, the Python library, /etc, /dev, /proc/sys,
/sandrun (the runner) and the symlinked /bin and /lib."""
import os

TARGETS = ["/", "/usr", "/usr/lib/python3.11", "/usr/lib/python3/dist-packages", "/usr/local/lib",
           "/etc", "/dev", "/proc", "/proc/sys/kernel", "/sandrun", "/bin", "/lib", "/sbin"]
FILES = ["/etc/passwd", "/etc/hosts", "/etc/ld.so.cache", "/usr/bin/python3.11", "/sandrun/runner.py",
         "/dev/null", "/usr/lib/python3.11/os.py"]


def main():
    out = {}
    for d in TARGETS:
        p = os.path.join(d, "sandrun-hostile-probe")
        out["create " + p] = attempt(lambda: open(p, "w").write("x"))
        out["mkdir " + p + ".d"] = attempt(lambda: os.mkdir(p + ".d"))
    for f in FILES:
        if f != "/dev/null":
            out["append " + f] = attempt(lambda: open(f, "a").write("x"))
        out["chmod " + f] = attempt(lambda: os.chmod(f, 0o777))
        out["utime " + f] = attempt(lambda: os.utime(f, (0, 0)))
        out["rename " + f] = attempt(lambda: os.rename(f, f + ".moved"))
        out["unlink " + f] = attempt(lambda: os.unlink(f))
        out["link into /tmp " + f] = attempt(lambda: os.link(f, "/tmp/hl-" + os.path.basename(f)))
    out["create /tmp/ok"] = attempt(lambda: open("/tmp/ok", "w").write("x"))
    return out
