"""Memory no address-space limit sees: System V shared memory keeps its pages
after shmdt(), so attach, fill, detach and repeat; then kernel memory through
message queues and semaphore arrays."""
import ctypes
import errno

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
IPC_PRIVATE, IPC_NOWAIT = 0, 0o4000
SEG = 16 << 20


class Msg(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 8000)]


def main():
    ev = {"shm_mb": 0, "queues": 0, "queued_kb": 0, "sems": 0}
    for _ in range(256):
        sid = libc.shmget(IPC_PRIVATE, SEG, 0o600)
        if sid < 0:
            ev["shm_error"] = errno.errorcode.get(ctypes.get_errno())
            break
        a = libc.shmat(sid, None, 0)
        if a is None or a == ctypes.c_void_p(-1).value:
            ev["shm_error"] = errno.errorcode.get(ctypes.get_errno())
            break
        ctypes.memset(a, 1, SEG)
        libc.shmdt(a)
        ev["shm_mb"] += SEG >> 20
    # what the namespace still holds (a segment with shm_rmid_forced dies
    # at its last detach)
    with open("/proc/sysvipc/shm") as f:
        ev["shm_held_mb"] = sum(int(line.split()[3]) for line in f.read().splitlines()[1:]) >> 20
    msg = Msg(1, b"x" * 8000)
    for _ in range(1000):
        q = libc.msgget(IPC_PRIVATE, 0o600)
        if q < 0:
            ev["msg_error"] = errno.errorcode.get(ctypes.get_errno())
            break
        ev["queues"] += 1
        while libc.msgsnd(q, ctypes.byref(msg), 8000, IPC_NOWAIT) == 0:
            ev["queued_kb"] += 8
    for _ in range(1000):
        s = libc.semget(IPC_PRIVATE, 250, 0o600)
        if s < 0:
            ev["sem_error"] = errno.errorcode.get(ctypes.get_errno())
            break
        ev["sems"] += 250
    return ev
