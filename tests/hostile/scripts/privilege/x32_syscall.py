"""An x32 system call (nr | 0x40000000, getpid) through the 64-bit syscall
instruction: x32 is a foreign ABI to the filter, the process must die with
SIGSYS.  Reaching the return means the filter let it through."""
import ctypes
import mmap

CODE = bytes([
    0xb8, 39, 0, 0, 0x40,  # mov eax, 0x40000027 (x32 getpid)
    0x0f, 0x05,            # syscall
    0xc3,                  # ret
])


def main():
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(CODE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
    fn = ctypes.CFUNCTYPE(ctypes.c_long)(addr)
    ret = fn()
    # also the plain libc route, in case the stub above is not reached
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    r2 = libc.syscall(ctypes.c_long(0x40000000 | 39))
    return {"x32_returned": ret, "libc_syscall": r2, "errno": ctypes.get_errno()}
