"""The service's state directory (its path on stdin): the API key file,
sandrun.conf, nginx.conf, the logs; by path, by listing, and by guessing
through /proc/<pid>/cwd and /proc/<pid>/root of every visible process."""
import os
import sys

NAMES = ("sandrun-api-keys.conf", "sandrun.conf", "nginx.conf", "sandrun.log",
         "nginx-access.log", "sandrun.pid", "fcgi.sock")


def main():
    state = sys.stdin.read().strip()
    out = {"state_dir exists": os.path.lexists(state)}
    try:
        out["listing"] = os.listdir(state)
    except OSError as e:
        out["listing"] = refusal(e)
    for n in NAMES:
        p = os.path.join(state, n)
        try:
            with open(p, "rb") as f:
                out[n] = "READ: %r" % f.read(200)
        except OSError as e:
            out[n] = refusal(e)
    via_proc = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for link in ("cwd", "root", "exe"):
            try:
                via_proc["%s/%s" % (pid, link)] = os.readlink("/proc/%s/%s" % (pid, link))
            except OSError as e:
                via_proc["%s/%s" % (pid, link)] = "%s" % type(e).__name__
        try:
            via_proc["%s/root listing" % pid] = os.listdir("/proc/%s/root%s" % (pid, state))
        except OSError as e:
            via_proc["%s/root listing" % pid] = "%s" % type(e).__name__
    out["via_proc"] = via_proc
    return out
