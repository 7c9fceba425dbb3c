"""Privilege through libc directly (ctypes), past Python's wrappers:
capset(2) with every bit, prctl PR_SET_SECUREBITS (keep caps across setuid),
PR_CAP_AMBIENT_RAISE for every capability, PR_SET_KEEPCAPS then setuid,
PR_SET_MM (rewrite the process's memory map fields), setresuid/setresgid
and setgroups through glibc (which signals every thread to switch), real-
time scheduling, I/O priority, mlock and a time namespace.  Every one of
them needs a capability the job does not have."""
import ctypes
import errno
import os


# capset(2)'s arguments as flat arrays: the header (version 3, pid), then
# two {effective, permitted, inheritable} sets of 32 bits each
CAP_V3 = 0x20080522
ALL_BITS = [0xffffffff] * 6


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    def res(r):
        return "SUCCEEDED" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())

    def call(fn, *a):
        ctypes.set_errno(0)
        return res(fn(*a))

    out = {}
    full = (ctypes.c_uint32 * 6)(*ALL_BITS)
    out["capset all"] = call(libc.capset, (ctypes.c_uint32 * 2)(CAP_V3, 0), full)
    out["capset pid 1"] = call(libc.capset, (ctypes.c_uint32 * 2)(CAP_V3, 1), full)
    out["PR_SET_SECUREBITS keep caps"] = call(libc.prctl, 28, 0x2f, 0, 0, 0)
    out["PR_GET_SECUREBITS"] = libc.prctl(27, 0, 0, 0, 0)
    out["PR_CAP_AMBIENT_RAISE any"] = sorted({call(libc.prctl, 47, 2, c, 0, 0) for c in range(41)})
    out["PR_SET_KEEPCAPS"] = call(libc.prctl, 8, 1, 0, 0, 0)
    out["setuid(0) after keepcaps"] = call(libc.setuid, 0)
    out["PR_SET_MM start_code"] = call(libc.prctl, 35, 1, 0x400000, 0, 0)
    out["PR_SET_MM exe_file"] = call(libc.prctl, 35, 13, 0, 0, 0)
    out["setresuid 0"] = call(libc.setresuid, 0, 0, 0)
    out["setresgid 0"] = call(libc.setresgid, 0, 0, 0)
    groups = (ctypes.c_uint * 2)(0, 27)
    out["setgroups 0,27"] = call(libc.setgroups, 2, groups)
    param = ctypes.c_int(50)
    out["sched_setscheduler FIFO"] = call(libc.sched_setscheduler, 0, 1, ctypes.byref(param))
    out["ioprio_set realtime"] = call(libc.syscall, ctypes.c_long(251), 1, 0, (1 << 13) | 0)
    buf = ctypes.create_string_buffer(4096)
    out["mlock"] = call(libc.mlock, buf, 4096)
    out["mlockall"] = call(libc.mlockall, 3)
    out["unshare time namespace"] = call(libc.unshare, 0x80)
    out["setpriority -5"] = call(libc.setpriority, 0, 0, -5)
    with open("/proc/self/status") as f:
        st = dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)
    out["after"] = {k: st[k].split() if k in ("Uid", "Gid") else st[k]
                    for k in ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapAmb", "NoNewPrivs")}
    out["uid"] = os.getuid()
    return out
