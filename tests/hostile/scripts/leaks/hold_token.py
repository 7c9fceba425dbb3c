"""A job that sits for a few seconds with a token (stdin) in its /tmp
and its command line, for other_jobs_visible to look for."""
import os
import sys
import time


def main():
    token = sys.stdin.read().strip()
    with open("/tmp/" + token, "w") as f:
        f.write(token)
    time.sleep(3)
    return sorted(os.listdir("/tmp"))
