"""fork() inside main(): the child returns from main() too, first and with
a different value, so two runners each write a result frame on the same
channel.  The child's value must never become the answer."""
import os
import time


def main():
    pid = os.fork()
    if pid == 0:
        return {"who": "child", "forged": True}
    time.sleep(0.5)
    return {"who": "parent"}
