"""The usage figures of the answer (cpu_ms, max_rss_kb, duration_ms) are
the job's own report, made by the runner from inside the job with the
job's own resource and time modules: burn CPU and memory for real, then
replace resource.getrusage and time.clock_gettime_ns before returning, so
the runner reports whatever the script likes.  The service's accounting
(the answer, the log line, the duration histogram in /metrics) must come
from outside the job."""
import resource
import time


class Nothing:
    ru_utime = ru_stime = 0.0
    ru_maxrss = 1


def main():
    t = time.process_time()
    block = bytearray(64 << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    n = 0
    while time.process_time() - t < 1.5:
        n += 1
    burned = time.process_time() - t
    resource.getrusage = lambda who: Nothing()
    time.clock_gettime_ns = lambda clock: 0
    return {"burned_cpu_s": burned, "touched_mb": len(block) >> 20}
