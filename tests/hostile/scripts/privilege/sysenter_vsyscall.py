"""The other doors into the kernel from x86-64 user space, one per request
(the case on stdin), run in the runner itself: `sysenter` with an i386 call
number (invalid in 64-bit mode, or the compat table: never a call that
returns), `int 0x80` with the i386 numbers of setuid(0) and of
unshare(CLONE_NEWUSER), and the legacy vsyscall page (its gettimeofday is
emulated as a native call and filtered like one).  Coming back from a
compat-table call, the stub exits with status 42 through the native exit
call: that would be a way around the filter."""
import ctypes
import os
import sys


def stub(nr, arg, insn):
    # mov eax, NR; mov ebx, ARG; INSN; mov edi, 42; mov eax, 60; syscall (exit(42))
    return bytes([0xb8]) + nr.to_bytes(4, "little") + bytes([0xbb]) + arg.to_bytes(4, "little") + insn + \
        bytes([0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05])


SYSENTER, INT80 = bytes([0x0f, 0x34]), bytes([0xcd, 0x80])
CASES = {
    "sysenter": stub(20, 0, SYSENTER),                  # i386 getpid
    "int80_setuid": stub(23, 0, INT80),                 # i386 setuid(0)
    "int80_unshare": stub(310, 0x10000000, INT80),      # i386 unshare(CLONE_NEWUSER)
}


def main():
    case = sys.stdin.read().strip()
    if case == "vsyscall":
        with open("/proc/self/maps") as f:
            perms = [l.split()[1] for l in f if "[vsyscall]" in l]
        if not perms or "x" not in perms[0]:
            return {"vsyscall mapping": perms, "gettimeofday": "not executable"}
        tv = (ctypes.c_long * 2)()
        fn = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p)(0xffffffffff600000)
        r = fn(ctypes.addressof(tv), None)
        return {"vsyscall mapping": perms, "gettimeofday": r, "sec > 0": tv[0] > 0, "uid": os.getuid()}
    sys.stdout.write("calling %s\n" % case)
    sys.stdout.flush()
    machine_code(CASES[case], None)
    return "returned from " + case
