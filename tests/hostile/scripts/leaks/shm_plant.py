"""First request: POSIX shared memory (multiprocessing.shared_memory, left
registered nowhere so it is not unlinked), SysV shared memory, a SysV
semaphore and message queue with fixed keys, all holding the token."""
import ctypes
import errno
import os
import sys
from multiprocessing import resource_tracker, shared_memory

KEY = 0x5A4D0D15


def main():
    token = sys.stdin.read().strip().encode()
    out = {"uid": os.getuid()}
    shm = shared_memory.SharedMemory(name="sandrun_hostile", create=True, size=4096)
    shm.buf[:len(token)] = token
    resource_tracker.unregister(shm._name, "shared_memory")  # keep it after exit
    out["posix"] = shm.name
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    sid = libc.shmget(KEY, 4096, 0o1666)  # IPC_CREAT | 0666
    out["sysv shmget"] = sid if sid >= 0 else "errno %d" % ctypes.get_errno()
    if sid >= 0:
        addr = libc.shmat(sid, None, 0)
        ctypes.memmove(addr, token, len(token))
    out["sysv semget"] = libc.semget(KEY, 1, 0o1666)
    out["sysv msgget"] = libc.msgget(KEY, 0o1666)
    try:
        out["posix mq (RLIMIT_MSGQUEUE 0)"] = os.listdir("/dev/mqueue")
    except OSError as e:
        out["posix mq (RLIMIT_MSGQUEUE 0)"] = type(e).__name__
    librt = ctypes.CDLL("librt.so.1", use_errno=True)
    q = librt.mq_open(b"/sandrun_hostile", os.O_CREAT | os.O_RDWR, 0o666, None)
    out["mq_open"] = q if q >= 0 else errno.errorcode.get(ctypes.get_errno())
    return out
