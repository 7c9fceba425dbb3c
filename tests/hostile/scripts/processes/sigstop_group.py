"""Stop our own process group (the runner included) with SIGSTOP: nobody in
the job can continue it, so only the service's deadline ends the job."""
import os
import signal


def main():
    print("stopping my process group pidns=%s" % os.readlink("/proc/self/ns/pid"), flush=True)
    os.killpg(0, signal.SIGSTOP)
    return "continued"
