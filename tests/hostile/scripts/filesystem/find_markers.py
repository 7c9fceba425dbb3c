"""Second half of the markers attack: search the whole filesystem (but
/proc) for any file whose name starts with the marker on stdin."""
import os
import sys


def main():
    name = sys.stdin.read().strip()
    found = []
    for root, dirs, files in os.walk("/"):
        if root.startswith("/proc"):
            dirs[:] = []
            continue
        found += [os.path.join(root, n) for n in files + dirs if n.startswith(name)]
    return {"found": found, "tmp": os.listdir("/tmp"), "shm": os.listdir("/dev/shm")}
