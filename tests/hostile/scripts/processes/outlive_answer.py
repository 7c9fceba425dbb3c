"""Outlive the answer: write a well-formed result frame on the result
channel (fd 4) and close stdin, stdout, stderr and fd 4, so the service has
a complete answer at once, and then stay alive until the deadline, listening
on an abstract unix socket (the name on stdin) of the slot's network
namespace.  If the service answered then, and gave the slot to the next
request while this job still runs as the slot's uid in the slot's network
namespace, same_slot_probe (the next request) could reach it, and the job
would hold the slot's processes.  Stops at the deadline."""
import os
import socket
import sys
import time


def main():
    name = sys.stdin.read().strip()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\0" + name)
    s.listen(8)
    head = b"{}"
    result = b'{"uid": %d, "pidns": "%s", "lingering": true}' % (
        os.getuid(), os.readlink("/proc/self/ns/pid").encode())
    os.write(2, b"pidns=%s uid=%d\n" % (os.readlink("/proc/self/ns/pid").encode(), os.getuid()))
    os.write(4, b"success %d\n" % len(head) + head + result)
    for fd in (0, 1, 2, 4):
        os.close(fd)
    s.settimeout(0.5)
    served = 0
    while True:
        try:
            c, _ = s.accept()
        except OSError:
            continue
        served += 1
        try:
            c.sendall(b"hello from an answered request (uid %d), visitor %d" % (os.getuid(), served))
            c.close()
        except OSError:
            pass
        time.sleep(0.01)
