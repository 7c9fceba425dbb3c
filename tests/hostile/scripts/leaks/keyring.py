"""Kernel keyrings are per uid, not per namespace: store the token (stdin)
in the user and session keyrings (add_key), read back (keyctl), list
/proc/keys.  Both halves (store, then look) are this script: it first
looks for an earlier request's key."""
import ctypes
import errno
import sys


def main():
    token = sys.stdin.read().strip().encode()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    out = {}
    # request_key(type, description, callout, dest): find an earlier job's key
    r = libc.syscall(ctypes.c_long(249), b"user", b"sandrun-hostile", None, 0)
    out["find earlier key"] = ("FOUND %d" % r) if r >= 0 else errno.errorcode.get(ctypes.get_errno())
    for ring, name in ((-4, "user"), (-3, "session"), (-5, "user-session")):
        r = libc.syscall(ctypes.c_long(248), b"user", b"sandrun-hostile", token, len(token), ring)
        out["add_key " + name] = ("ADDED %d" % r) if r >= 0 else errno.errorcode.get(ctypes.get_errno())
    r = libc.syscall(ctypes.c_long(250), 0, -4, 0)  # KEYCTL_GET_KEYRING_ID user
    out["keyctl user keyring"] = r if r >= 0 else errno.errorcode.get(ctypes.get_errno())
    for p in ("/proc/keys", "/proc/key-users"):
        try:
            with open(p) as f:
                out[p] = f.read().splitlines()
        except OSError as e:
            out[p] = refusal(e)
    return out
