"""Second request: look for anything an earlier request left behind in
/tmp and /dev/shm (and search every file there for the token on stdin)."""
import os
import sys


def main():
    token = sys.stdin.read().strip()
    entries, hits = [], []
    for top in ("/tmp", "/dev/shm/"):
        for root, dirs, files in os.walk(top):
            for n in dirs + files:
                p = os.path.join(root, n)
                entries.append(p)
                if token in n:
                    hits.append(p)
                try:
                    with open(p, "rb") as f:
                        if token.encode() in f.read(1 << 20):
                            hits.append(p)
                except OSError:
                    pass
    return {"entries": entries, "hits": hits}
