"""An x32 system call (nr | 0x40000000, getpid) through the 64-bit syscall
instruction: x32 is a foreign ABI to the filter, the process must die with
SIGSYS.  Reaching the return means the filter let it through."""
import ctypes

CODE = bytes([
    0xb8, 39, 0, 0, 0x40,  # mov eax, 0x40000027 (x32 getpid)
    0x0f, 0x05,            # syscall
    0xc3,                  # ret
])


def main():
    ret = machine_code(CODE, ctypes.c_long)
    # also the plain libc route, in case the stub above is not reached
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    r2 = libc.syscall(ctypes.c_long(0x40000000 | 39))
    return {"x32_returned": ret, "libc_syscall": r2, "errno": ctypes.get_errno()}
