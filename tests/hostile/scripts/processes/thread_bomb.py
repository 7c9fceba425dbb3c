"""Thread bomb: start threads until the kernel refuses (threads count
against RLIMIT_NPROC too)."""
import os
import threading
import time


def main():
    stop = threading.Event()
    threads, err = [], None
    for _ in range(100000):
        t = threading.Thread(target=stop.wait, daemon=True)
        try:
            t.start()
        except (RuntimeError, OSError) as e:
            err = "%s: %s" % (type(e).__name__, e)
            break
        threads.append(t)
    n = len(threads)
    stop.set()
    time.sleep(0.2)
    return {"pidns": os.readlink("/proc/self/ns/pid"), "threads_started": n, "error": err}
