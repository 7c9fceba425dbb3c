"""A daemon: double fork, setsid, close the pipes, ignore SIGTERM/SIGHUP,
rename itself, and keep running (writing a heartbeat into /tmp) after main()
returns.  It must not outlive the request: a second request and the host's
process table are checked afterwards.  Evidence: the daemon's pid and that
it was alive when main() returned.  A number of MB on stdin makes the
daemon hold that much memory, which takes the kernel a while to tear down
when the daemon is killed."""
import os
import signal
import time


def main():
    hold_mb = int(os.read(0, 16) or b"0")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() > 0:
            os._exit(0)
        held = b"\1" * (hold_mb << 20)  # noqa: F841 (resident until the daemon dies)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.write(w, b"%d" % os.getpid())
        os.close(w)
        fd = os.open("/dev/null", os.O_RDWR)
        for i in range(0, 5):
            if i != fd:
                try:
                    os.dup2(fd, i)
                except OSError:
                    pass
        try:
            with open("/proc/self/comm", "w") as f:
                f.write("kworker/0:1")
        except OSError:
            pass
        while True:
            with open("/tmp/heartbeat", "w") as f:
                f.write(str(time.time()))
            time.sleep(0.1)
    os.close(w)
    os.waitpid(pid, 0)
    daemon = int(os.read(r, 32))
    time.sleep(0.3)
    alive = os.path.exists("/proc/%d" % daemon)
    return {"pidns": os.readlink("/proc/self/ns/pid"), "daemon_pid": daemon, "alive_at_return": alive, "sid": os.getsid(daemon) if alive else None}
