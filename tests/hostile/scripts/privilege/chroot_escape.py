"""chroot(2), including the classic escape (chroot into a subdirectory,
then chdir("..") many times and chroot(".")), via os.chroot and ctypes."""
import ctypes
import errno
import os


def main():
    out = {}
    os.makedirs("/tmp/jail", exist_ok=True)
    try:
        os.chroot("/tmp/jail")
        out["os.chroot"] = "SUCCEEDED"
        for _ in range(50):
            os.chdir("..")
        os.chroot(".")
        out["escaped_listing"] = os.listdir("/")
    except OSError as e:
        out["os.chroot"] = refusal(e)
    libc = ctypes.CDLL(None, use_errno=True)
    r = libc.chroot(b"/tmp/jail")
    out["libc chroot"] = "SUCCEEDED" if r == 0 else errno.errorcode.get(ctypes.get_errno())
    out["root after"] = os.listdir("/")
    return out
