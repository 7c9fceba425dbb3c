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


# Without a memory cgroup, memory_limit bounds each process's address space.
# OpenBLAS (when it is the BLAS numpy uses) reserves a buffer of address
# space for every thread inside it at once, and when it cannot get one it
# retries forever: a pool of BLAS threads then needs room for those buffers
# (docs/security.md, Memory).  With a cgroup the default limit holds them.
BLAS_POOL_MEMORY_MB_WITHOUT_CGROUP = 2048


def blas_pool_fields(stack):
    """The request fields a BLAS thread pool needs on this stack: none
    where a cgroup limits memory, a memory_limit for the BLAS buffers where
    the address space does."""
    if stack.get("/health").json.get("memory_limit_by") == "cgroup":
        return {}
    return {"memory_limit": BLAS_POOL_MEMORY_MB_WITHOUT_CGROUP}
