"""ptrace another process: PTRACE_ATTACH (and PTRACE_SEIZE) to a child,
to pid 1 (init), PTRACE_TRACEME; and the /proc/<pid>/mem route that
bypasses ptrace(2) for pid 1."""
import ctypes
import errno
import os
import time

PTRACE_TRACEME, PTRACE_ATTACH, PTRACE_SEIZE = 0, 16, 0x4206


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]

    def pt(req, pid):
        r = libc.ptrace(req, pid, None, None)
        return "SUCCEEDED" if r == 0 else errno.errorcode.get(ctypes.get_errno())
    child = os.fork()
    if child == 0:
        time.sleep(10)
        os._exit(0)
    out = {"PTRACE_ATTACH child": pt(PTRACE_ATTACH, child),
           "PTRACE_SEIZE child": pt(PTRACE_SEIZE, child),
           "PTRACE_ATTACH init": pt(PTRACE_ATTACH, 1),
           "PTRACE_TRACEME": pt(PTRACE_TRACEME, 0)}
    for p in ("/proc/1/mem", "/proc/1/environ", "/proc/1/maps"):
        try:
            with open(p, "rb") as f:
                out["read " + p] = "READ %d bytes" % len(f.read(100))
        except OSError as e:
            out["read " + p] = refusal(e)
    os.kill(child, 9)
    os.waitpid(child, 0)
    return out
