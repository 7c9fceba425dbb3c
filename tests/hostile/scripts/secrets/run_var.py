"""/run and /var (sockets, pid files, logs, databases, package state),
/sys (device and kernel state), /boot."""
import os


def main():
    out = {}
    for p in ("/run", "/var", "/var/log", "/var/lib", "/var/run", "/var/tmp", "/sys",
              "/sys/fs/cgroup", "/boot", "/lost+found"):
        try:
            out[p] = "LISTED: %s" % os.listdir(p)
        except OSError as e:
            out[p] = refusal(e)
    return out
