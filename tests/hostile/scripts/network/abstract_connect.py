"""Other half of the abstract-socket attack: connect to abstract unix names
(one per stdin line: a concurrent job's, and one the host test process
listens on) and send a message.  Abstract names belong to the network
namespace: none may be reachable."""
import socket
import sys
import time


def main():
    names = sys.stdin.read().split()
    out = {}
    for name in names:
        res = None
        for _ in range(10):  # the listener may still be starting
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect("\0" + name)
                s.sendall(b"hello from another job")
                res = "connected"
                break
            except OSError as e:
                res = refusal(e)
            finally:
                s.close()
            time.sleep(0.2)
        out[name] = res
    with open("/proc/net/unix") as f:
        out["abstract names seen"] = [l.split()[-1] for l in f.read().splitlines()[1:]
                                      if l.split()[-1].startswith("@")]
    return out
