# The hello work, then a pause, so that bench/run can read the job's
# /proc/<pid>/smaps_rollup while it is alive.
import time


def main():
    result = {"hello": "world"}
    time.sleep(1.0)
    return result
