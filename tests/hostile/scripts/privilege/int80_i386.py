"""32-bit system call through int 0x80 (i386 getpid, nr 20) from an
executable anonymous page: a foreign architecture, the filter must kill the
process with SIGSYS.  Reaching the return means the call went through."""
import ctypes

CODE = bytes([
    0xb8, 20, 0, 0, 0,  # mov eax, 20 (i386 getpid)
    0xcd, 0x80,         # int 0x80
    0xc3,               # ret (eax = the call's result)
])


def main():
    return {"int80_returned": machine_code(CODE, ctypes.c_int)}
