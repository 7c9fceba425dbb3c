"""Memory no address-space limit sees: fill memfds (anonymous files) through a
mapping, unmap, keep only the fds.  256 fds of 64 MB each would be 16 GB."""
import mmap
import os

CHUNK = 32 << 20


def main():
    held, fds = 0, []
    try:
        for i in range(64):
            fd = os.memfd_create("fill%d" % i)
            fds.append(fd)
            os.ftruncate(fd, CHUNK)
            with mmap.mmap(fd, CHUNK) as m:
                for off in range(0, CHUNK, 4096):
                    m[off] = 1
            held += CHUNK
    except OSError as e:
        return {"held_mb": held >> 20, "error": e.errno}
    return {"held_mb": held >> 20}
