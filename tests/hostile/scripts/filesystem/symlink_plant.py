"""Plant symlinks in /tmp that point at host paths (the state dir given on
stdin, /etc/shadow, /root, the host /tmp) with names the service might
touch when cleaning up or reading results, and replace /tmp/.shm (the
/dev/shm target) with one.  The service must never follow them: the test
checks the host files afterwards."""
import os
import sys


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
        out[name] = attempt(lambda: os.symlink(target, name), "ok")
    out["rename /tmp/.shm"] = attempt(lambda: os.rename("/tmp/.shm", "/tmp/.shm-old"), "ok")
    out["rmdir /tmp/.shm"] = attempt(lambda: os.rmdir("/tmp/.shm"), "ok")
    out["link in .shm"] = attempt(lambda: os.symlink(state, "/tmp/.shm/state"), "ok")
    out["read through /tmp/keys"] = attempt(lambda: open("/tmp/keys").read(), "ok")
    # fill the directory with many links too
    for i in range(200):
        attempt(lambda: os.symlink(state + "/sandrun-api-keys.conf", "/tmp/k%03d" % i), "ok")
    out["tmp"] = len(os.listdir("/tmp"))
    return out
