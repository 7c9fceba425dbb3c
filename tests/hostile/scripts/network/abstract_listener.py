"""One half of the abstract-socket attack: listen on an abstract unix name
(given on stdin) for a few seconds and report whoever connected.  Another
concurrent job (abstract_connect) tries to reach it."""
import socket
import sys
import time


def main():
    name, seconds = sys.stdin.read().split()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\0" + name)
    s.listen(8)
    s.settimeout(0.2)
    got = []
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
            got.append(c.recv(100).decode(errors="replace"))
            c.close()
        except socket.timeout:
            pass
    return {"bound": name, "received": got}
