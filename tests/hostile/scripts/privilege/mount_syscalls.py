"""Mount anything: tmpfs over /tmp/x, a bind of / over /tmp, remount /
read-write, proc again, umount /proc, pivot_root, and the new mount API
(fsopen, open_tree, move_mount)."""
import ctypes
import errno
import os

MS_BIND, MS_REMOUNT, MS_REC = 4096, 32, 16384


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    os.makedirs("/tmp/x", exist_ok=True)

    def res(r):
        return "SUCCEEDED" if r == 0 or r > 2 else errno.errorcode.get(ctypes.get_errno(), r)
    out = {
        "mount tmpfs /tmp/x": res(libc.mount(b"tmpfs", b"/tmp/x", b"tmpfs", 0, None)),
        "bind / on /tmp/x": res(libc.mount(b"/", b"/tmp/x", None, MS_BIND | MS_REC, None)),
        "remount / rw": res(libc.mount(None, b"/", None, MS_REMOUNT, None)),
        "remount /usr rw": res(libc.mount(None, b"/usr", None, MS_REMOUNT | MS_BIND, None)),
        "mount proc": res(libc.mount(b"proc", b"/tmp/x", b"proc", 0, None)),
        "umount2 /proc": res(libc.umount2(b"/proc", 2)),
        "umount2 /tmp": res(libc.umount2(b"/tmp", 2)),
        "pivot_root": res(libc.syscall(ctypes.c_long(155), b"/tmp", b"/tmp/x")),
        "fsopen tmpfs": res(libc.syscall(ctypes.c_long(430), b"tmpfs", 0)),
        "open_tree /": res(libc.syscall(ctypes.c_long(428), -100, b"/", 1)),
        "move_mount": res(libc.syscall(ctypes.c_long(429), -100, b"/tmp", -100, b"/tmp/x", 0)),
    }
    return out
