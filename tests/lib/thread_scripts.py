"""Scripts that start many threads, as ordinary code does: the suites check
that a job's memory limit bounds memory, not the address space threads
reserve (docs/security.md, Memory).  Each returns what it proves."""


def threads_alive(n):
    """n threads alive at once (each waits until all have started): returns n."""
    return f"""
import threading

def main():
    go = threading.Event()
    started = threading.Semaphore(0)
    def wait():
        started.release()
        go.wait()
    ts = [threading.Thread(target=wait) for _ in range({n})]
    for t in ts:
        t.start()
    for _ in ts:
        started.acquire()
    alive = sum(t.is_alive() for t in ts)
    go.set()
    for t in ts:
        t.join()
    return alive
"""


def numpy_pool(threads, tasks, size):
    """A pool of `threads` threads, all alive at once, multiplying size x size
    matrices of ones `tasks` times: returns tasks * size ** 3."""
    return f"""
from concurrent.futures import ThreadPoolExecutor
import threading
import numpy as np

def main():
    barrier = threading.Barrier({threads})
    def work(i):
        if i < {threads}:
            barrier.wait()
        a = np.ones(({size}, {size}))
        return float((a @ a).sum())
    with ThreadPoolExecutor({threads}) as ex:
        return sum(ex.map(work, range({tasks})))
"""
