"""Close the job's standard fds and the runner's channels (0-4), then
return: the result has nowhere to go."""
import os


def main():
    for fd in range(5):
        try:
            os.close(fd)
        except OSError:
            pass
    return {"closed": list(range(5))}
