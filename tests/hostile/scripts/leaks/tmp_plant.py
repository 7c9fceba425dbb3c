"""First request: leave a secret (token on stdin) in /tmp, /dev/shm, a
hidden dir, a fifo and a unix socket file in /tmp."""
import os
import socket
import sys


def main():
    token = sys.stdin.read().strip()
    os.makedirs("/tmp/.hidden", exist_ok=True)
    for p in ("/tmp/secret", "/tmp/.hidden/secret", "/dev/shm/secret", "/tmp/.shm/secret2"):
        with open(p, "w") as f:
            f.write(token)
    os.mkfifo("/tmp/fifo-" + token)
    s = socket.socket(socket.AF_UNIX)
    s.bind("/tmp/sock-" + token)
    return sorted(os.listdir("/tmp")) + sorted(os.listdir("/dev/shm"))
