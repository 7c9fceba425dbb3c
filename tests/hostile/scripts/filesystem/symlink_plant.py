"""Plant symlinks in /tmp that point at host paths (the state dir given on
stdin, /etc/shadow, /root, the host /tmp) with names the service might
touch when cleaning up or reading results, and replace /tmp/.shm (the
/dev/shm target) with one.  The service must never follow them: the test
checks the host files afterwards."""
import os
import sys


def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return "%s errno=%s" % (type(e).__name__, e.errno)


def main():
    state = sys.stdin.read().strip()
    out = {}
    links = {
        "/tmp/state": state, "/tmp/keys": state + "/sandrun-api-keys.conf",
        "/tmp/sandrun.conf": state + "/sandrun.conf", "/tmp/shadow": "/etc/shadow",
        "/tmp/root": "/root", "/tmp/result": "/etc/passwd", "/tmp/stdout": state + "/sandrun.log",
        "/tmp/hosttmp": "/tmp/..", "/tmp/sock": state + "/fcgi.sock",
    }
    for name, target in links.items():
        out[name] = attempt(lambda: os.symlink(target, name))
    out["rename /tmp/.shm"] = attempt(lambda: os.rename("/tmp/.shm", "/tmp/.shm-old"))
    out["rmdir /tmp/.shm"] = attempt(lambda: os.rmdir("/tmp/.shm"))
    out["link in .shm"] = attempt(lambda: os.symlink(state, "/tmp/.shm/state"))
    out["read through /tmp/keys"] = attempt(lambda: open("/tmp/keys").read())
    # fill the directory with many links too
    for i in range(200):
        attempt(lambda: os.symlink(state + "/sandrun-api-keys.conf", "/tmp/k%03d" % i))
    out["tmp"] = len(os.listdir("/tmp"))
    return out
