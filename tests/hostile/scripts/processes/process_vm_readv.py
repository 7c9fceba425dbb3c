"""process_vm_readv/process_vm_writev on a child holding a secret, and on
pid 1 (init): read another process's memory without ptrace."""
import ctypes
import errno
import os
import time


class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.process_vm_readv.restype = ctypes.c_ssize_t
    secret = ctypes.create_string_buffer(b"child-secret-1234")
    child = os.fork()
    if child == 0:
        time.sleep(10)
        os._exit(0)
    out = {}
    for name, fn in (("readv", libc.process_vm_readv), ("writev", libc.process_vm_writev)):
        for pid in (child, 1):
            buf = ctypes.create_string_buffer(32)
            local = iovec(ctypes.addressof(buf), 17)
            remote = iovec(ctypes.addressof(secret), 17)
            r = fn(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
            out["%s pid %s" % (name, "child" if pid == child else 1)] = \
                ("SUCCEEDED %r" % buf.raw[:17]) if r >= 0 else errno.errorcode.get(ctypes.get_errno())
    os.kill(child, 9)
    os.waitpid(child, 0)
    return out
