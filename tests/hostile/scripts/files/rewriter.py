# A process left behind keeps rewriting a file in output/ (and swapping it
# for a link to /etc/passwd): the job has ended before gathering, so what
# comes back is whatever was there when every process was gone, never the
# link's target.
import time


def main():
    os.makedirs("output", exist_ok=True)
    if os.fork() == 0:
        os.setsid()
        i = 0
        while True:
            i += 1
            try:
                write("output/tmp", "x" * (i % 5000))
                os.replace("output/tmp", "output/moving.txt")
                if i % 2:
                    os.symlink("/etc/passwd", "output/lnk.tmp")
                    os.replace("output/lnk.tmp", "output/moving.txt")
            except OSError:
                pass
    time.sleep(0.3)
    return "left a rewriter"
