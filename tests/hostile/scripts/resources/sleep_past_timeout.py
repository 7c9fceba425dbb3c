"""Sleep (no CPU used, so the CPU limit never fires) far past the timeout,
ignoring the signals a polite deadline would send."""
import signal
import time


def main():
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGXCPU):
        signal.signal(s, signal.SIG_IGN)
    time.sleep(3600)
    return "woke up"
