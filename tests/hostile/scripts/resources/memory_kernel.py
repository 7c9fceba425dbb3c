"""Memory the address-space limit never sees, in one process: an allocation
near the limit, then /tmp filled, then pipe buffers (1 MB each, as many as
the kernel gives one uid).  Every byte is held at once."""
import fcntl
import os

F_SETPIPE_SZ = 1031


def main():
    held = {"anon_mb": 0, "tmp_mb": 0, "pipe_mb": 0}
    block = b"\1" * (1 << 20)
    anon = []
    try:
        for _ in range(100):               # of a 128 MB limit
            anon.append(b"\1" * (1 << 20))
            held["anon_mb"] += 1
    except MemoryError:
        pass
    try:
        with open("/tmp/fill", "wb") as f:
            for _ in range(64):
                f.write(block)
                f.flush()
                held["tmp_mb"] += 1
    except OSError:
        pass
    pipes = []
    try:
        for _ in range(100):
            r, w = os.pipe()
            pipes.append((r, w))
            fcntl.fcntl(w, F_SETPIPE_SZ, 1 << 20)
            os.set_blocking(w, False)
            n = 0
            try:
                while n < (1 << 20):
                    n += os.write(w, block[: (1 << 20) - n])
            except BlockingIOError:
                pass
            held["pipe_mb"] += n >> 20
    except OSError as e:
        held["pipe_error"] = e.errno
    held["total_mb"] = held["anon_mb"] + held["tmp_mb"] + held["pipe_mb"]
    return held
