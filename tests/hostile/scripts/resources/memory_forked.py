"""RLIMIT_AS is per process: sixteen children of 48 MB each would hold 768 MB
under a 128 MB limit.  Each child touches its memory, says so and waits; the
parent then counts the children still alive (still holding) and those the
kernel killed."""
import os
import signal
import time

N, CHUNK = 16, 48 << 20


def main():
    r, w = os.pipe()
    kids = []
    for _ in range(N):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            held = b"\1" * CHUNK          # written, so resident
            os.write(w, b"+")
            time.sleep(60)
            os._exit(len(held) & 0)
        kids.append(pid)
    os.close(w)
    os.set_blocking(r, False)
    said, ended = 0, {}

    def reap():
        for pid in kids:
            if pid not in ended:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    ended[pid] = st

    deadline = time.monotonic() + 8
    # until every child has either said it holds its memory or ended
    while said + len(ended) < N and time.monotonic() < deadline:
        try:
            said += len(os.read(r, 64))
        except BlockingIOError:
            time.sleep(0.05)
        reap()
    time.sleep(0.5)
    reap()
    alive = N - len(ended)
    killed = sum(1 for st in ended.values() if os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGKILL)
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return {"alive": alive, "killed": killed, "held_mb": alive * (CHUNK >> 20), "said": said}
