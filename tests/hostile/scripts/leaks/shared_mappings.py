"""Memory a warm job shares with the zygote, and so with every other job: a
MAP_SHARED mapping inherited through fork() is the same page in all of
them.  List every writable shared mapping, report what an earlier request
left at offset 2048 of each, and leave this request's token (stdin) there
for the next one.  The first bytes are left alone (they belong to whoever
made the page); the test reads them as two 32-bit words."""
import ctypes
import struct
import sys

OFF = 2048


def main():
    token = sys.stdin.read().strip().encode()
    out = {"writable shared": [], "found": [], "head": {}}
    with open("/proc/self/maps") as f:
        maps = [l.split() for l in f]
    for m in maps:
        perms, name = m[1], " ".join(m[5:])
        if perms[3] != "s" or "w" not in perms:
            continue
        lo, hi = (int(x, 16) for x in m[0].split("-"))
        out["writable shared"].append("%s %s %s" % (m[0], perms, name))
        if hi - lo < OFF + 64:
            continue
        out["head"][name] = list(struct.unpack("<ii", ctypes.string_at(lo, 8)))
        seen = ctypes.string_at(lo + OFF, 64).split(b"\0")[0]
        if seen:
            out["found"].append(seen.decode(errors="replace"))
        ctypes.memmove(lo + OFF, token + b"\0", len(token) + 1)
    return out
