"""Fork bomb: every child forks again until fork fails; the children stay
alive (sleeping) to hold their slot in RLIMIT_NPROC.  Evidence: how many
processes the job reached and the error that stopped it."""
import errno
import os
import time


def main():
    r, w = os.pipe()
    made, err = 0, None
    for _ in range(100000):
        try:
            pid = os.fork()
        except OSError as e:
            err = errno.errorcode.get(e.errno, e.errno)
            break
        if pid == 0:
            os.close(r)
            try:
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
                    time.sleep(0.05)
                    if os.getppid() == 0:
                        break
            finally:
                os._exit(0)
        made += 1
    time.sleep(1)
    visible = sum(1 for p in os.listdir("/proc") if p.isdigit())
    return {"pidns": os.readlink("/proc/self/ns/pid"), "forked_by_parent": made, "error": err, "processes_visible": visible}
