"""The host's processes through /proc: pid 1's environment and command
line (systemd, or the host's init), any nginx or sandrun-fcgi, and every
visible pid with its uid and command."""
import os


def read(p):
    try:
        with open(p, "rb") as f:
            return f.read(4000).replace(b"\0", b" ").decode(errors="replace")
    except OSError as e:
        return refusal(e)


def main():
    procs = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            procs[pid] = {"cmdline": read("/proc/%s/cmdline" % pid),
                          "environ": read("/proc/%s/environ" % pid),
                          "uid": os.stat("/proc/" + pid).st_uid}
    out = {"procs": procs, "self": os.getpid()}
    out["/proc/1/environ"] = read("/proc/1/environ")
    out["/proc/1/cmdline"] = read("/proc/1/cmdline")
    out["/proc/1/mem"] = read("/proc/1/mem")
    out["/proc/sched_debug"] = read("/proc/sched_debug")[:200]
    out["/proc/kallsyms"] = read("/proc/kallsyms")[:120]
    return out
