"""The FastCGI unix socket of the service (its path on stdin): stat it,
connect to it, find it in /proc/net/unix, and look for any socket file at
all in the places a service keeps them."""
import os
import socket
import stat
import sys


def main():
    path = sys.stdin.read().strip()
    out = {"path": path}
    try:
        out["stat"] = oct(os.stat(path).st_mode)
    except OSError as e:
        out["stat"] = refusal(e)
    try:
        out["dir_listing"] = os.listdir(os.path.dirname(path))
    except OSError as e:
        out["dir_listing"] = refusal(e)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        out["connect"] = "connected"
    except OSError as e:
        out["connect"] = refusal(e)
    finally:
        s.close()
    with open("/proc/net/unix") as f:
        out["in_proc_net_unix"] = [l for l in f.read().splitlines()[1:] if path in l or "fcgi" in l]
    found = []
    for top in ("/tmp", "/run", "/var", "/dev", "/etc", "/"):
        for root, dirs, files in os.walk(top):
            if root.startswith(("/proc", "/usr", "/sys")):
                dirs[:] = []
                continue
            for n in files + dirs:
                p = os.path.join(root, n)
                try:
                    if stat.S_ISSOCK(os.lstat(p).st_mode):
                        found.append(p)
                except OSError:
                    pass
    out["socket_files"] = sorted(set(found))
    return out
