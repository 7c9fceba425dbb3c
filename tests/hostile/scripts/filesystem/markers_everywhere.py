"""Leave a marker (name on stdin) in every directory this job can write,
including hidden ones; a second request (find_markers) looks for it."""
import os
import sys


def main():
    name = os.path.basename(sys.stdin.read().strip())
    written, tried = [], 0
    for root, dirs, files in os.walk("/"):
        if root.startswith("/proc"):
            dirs[:] = []
            continue
        tried += 1
        try:
            with open(os.path.join(root, name), "w") as f:
                f.write(name)
            written.append(root)
        except OSError:
            pass
    # the writable places that are not directories in the walk
    for extra in ("/dev/shm", "/tmp/.shm"):
        try:
            with open(os.path.join(extra, name + ".x"), "w") as f:
                f.write(name)
            written.append(extra)
        except OSError:
            pass
    return {"written": sorted(set(written)), "dirs_tried": tried}
