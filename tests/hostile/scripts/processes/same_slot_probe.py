"""The other half of outlive_answer: a later request, possibly in the same
slot (same uid, same network namespace), tries the abstract name on stdin.
A request that was answered must be gone: nobody may answer."""
import os
import socket
import sys


def main():
    name = sys.stdin.read().strip()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(2)
    try:
        c.connect("\0" + name)
        got = "connected: %r" % c.recv(200).decode(errors="replace")
    except OSError as e:
        got = refusal(e)
    finally:
        c.close()
    return {"uid": os.getuid(), "connect": got}
