"""Lift the job's own limits: raise every hard rlimit, lift pid 1's with
prlimit(2), and raise the nice value (lower niceness)."""
import ctypes
import errno
import os
import resource

NAMES = ["RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE",
         "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE"]


def main():
    out = {}
    for n in NAMES:
        r = getattr(resource, n)
        soft, hard = resource.getrlimit(r)
        out[n] = {"before": [soft, hard]}
        try:
            resource.setrlimit(r, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            out[n]["raise"] = "SUCCEEDED"
        except (ValueError, OSError) as e:
            out[n]["raise"] = "%s: %s" % (type(e).__name__, e)
        out[n]["after"] = list(resource.getrlimit(r))
    try:
        resource.prlimit(1, resource.RLIMIT_NPROC, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        out["prlimit pid 1"] = "SUCCEEDED"
    except (ValueError, OSError) as e:
        out["prlimit pid 1"] = "%s: %s" % (type(e).__name__, e)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -20)
        out["nice -20"] = "SUCCEEDED"
    except OSError as e:
        out["nice -20"] = refusal(e)
    return out
