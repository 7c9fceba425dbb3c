"""Become root or another user: setuid(0), setgid(0), setgroups([0]),
setresuid, setreuid, setfsuid (which returns the old value instead of
failing), and a uid of another slot."""
import ctypes
import os


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    me = os.getuid()
    out = {
        "setuid(0)": attempt(lambda: os.setuid(0)),
        "setgid(0)": attempt(lambda: os.setgid(0)),
        "setgroups([0])": attempt(lambda: os.setgroups([0])),
        "setresuid(0,0,0)": attempt(lambda: os.setresuid(0, 0, 0)),
        "setreuid(0,0)": attempt(lambda: os.setreuid(0, 0)),
        "setuid(other slot)": attempt(lambda: os.setuid(me + 1)),
        "seteuid(65534)": attempt(lambda: os.seteuid(65534)),
    }
    libc.setfsuid(0)
    out["setfsuid(0) then fsuid"] = libc.setfsuid(-1)
    with open("/proc/self/status") as f:
        st = dict(l.split(":", 1) for l in f)
    out["Uid"] = st["Uid"].split()
    out["Gid"] = st["Gid"].split()
    out["Groups"] = st["Groups"].split()
    out["uid"] = os.getuid()
    return out
