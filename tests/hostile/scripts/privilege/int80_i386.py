"""32-bit system call through int 0x80 (i386 getpid, nr 20) from an
executable anonymous page: a foreign architecture, the filter must kill the
process with SIGSYS.  Reaching the return means the call went through."""
import ctypes
import mmap

CODE = bytes([
    0xb8, 20, 0, 0, 0,  # mov eax, 20 (i386 getpid)
    0xcd, 0x80,         # int 0x80
    0xc3,               # ret (eax = the call's result)
])


def main():
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(CODE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
    fn = ctypes.CFUNCTYPE(ctypes.c_int)(addr)
    ret = fn()
    return {"int80_returned": ret}
