"""Bypass Python's socket module: socket(2)/connect(2) through libc with
ctypes, to 1.1.1.1:80.  Evidence: return values and errno."""
import ctypes
import errno
import socket
import struct


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    out = {}
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    out["socket"] = fd
    out["socket_errno"] = errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())
    if fd >= 0:
        sa = struct.pack("!HH4s8x", socket.AF_INET, 80, socket.inet_aton("1.1.1.1"))
        sa = struct.pack("=H", socket.AF_INET) + sa[2:]
        buf = ctypes.create_string_buffer(sa)
        out["connect"] = libc.connect(fd, buf, len(sa))
        out["connect_errno"] = errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())
    # raw syscall number too (x86_64 socket = 41)
    libc.syscall.restype = ctypes.c_long
    r = libc.syscall(ctypes.c_long(41), socket.AF_INET, socket.SOCK_DGRAM, 0)
    out["syscall_socket"] = r
    out["syscall_errno"] = errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())
    return out
