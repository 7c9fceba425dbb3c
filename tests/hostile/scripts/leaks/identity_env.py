"""What identifies the host or another request: hostname (four ways),
the whole environment, uid/gid, boot id and machine id, the uts
namespace; and trying to change the hostname."""
import os
import socket


def read(p):
    try:
        with open(p) as f:
            return f.read().strip()
    except OSError as e:
        return refusal(e)


def main():
    out = {
        "gethostname": socket.gethostname(),
        "uname": list(os.uname()),
        "/etc/hostname": read("/etc/hostname"),
        "/proc/sys/kernel/hostname": read("/proc/sys/kernel/hostname"),
        "/proc/sys/kernel/domainname": read("/proc/sys/kernel/domainname"),
        "/etc/machine-id": read("/etc/machine-id"),
        "environ": dict(os.environ),
        "uid": os.getuid(), "gid": os.getgid(),
        "cwd": os.getcwd(),
    }
    try:
        socket.sethostname("pwned")
        out["sethostname"] = "SUCCEEDED"
    except OSError as e:
        out["sethostname"] = refusal(e)
    return out
