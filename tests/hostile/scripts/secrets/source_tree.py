"""The project's source tree and the runner: /work, /srv, /opt, /usr/local/src,
and the runner's own file (where is it read from?)."""
import os
import sys


def main():
    out = {"sys.argv": sys.argv, "sys.path": sys.path}
    for p in ("/work", "/work/main", "/work/main/sandbox", "/srv", "/opt", "/usr/local/src",
              "/usr/src", "/mnt", "/media"):
        try:
            out[p] = "LISTED: %s" % os.listdir(p)
        except OSError as e:
            out[p] = refusal(e)
    mods = {}
    for name, m in list(sys.modules.items()):
        f = getattr(m, "__file__", None)
        if f and not f.startswith("/usr/"):
            mods[name] = f
    out["modules outside /usr"] = mods
    return out
