"""Get around malloc: anonymous mmap of 8 GB with MAP_NORESERVE and touch it."""
import mmap


def main():
    m = mmap.mmap(-1, 8 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0x4000))
    for i in range(0, len(m), 1 << 20):
        m[i] = 1
    return len(m)
