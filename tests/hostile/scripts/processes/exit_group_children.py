"""Children that end with exit_group(0), the call init watches for the
runner's end, many of them and one that does so while the runner goes on:
each is let go on, none is taken for the runner's end, and the runner's own
answer is the job's."""
import os
import time


def main():
    for _ in range(40):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    # a child whose end comes while the runner still works
    pid = os.fork()
    if pid == 0:
        time.sleep(0.1)
        os._exit(0)
    time.sleep(0.4)
    _, status = os.waitpid(pid, 0)
    return {"children": 41, "last status": status, "pidns": os.readlink("/proc/self/ns/pid")}
