"""What the service itself leaves in a job's process: a warm job is a fork of
the zygote, itself a fork of sandrun-fcgi, so look for the service's argv
(/proc/self/cmdline), its binary (/proc/self/exe, a host file outside the
job's root), its environment (/proc/self/environ, readable once the job makes
itself dumpable again, and the strings left on the inherited stack), its
configuration (sandrun.conf read into memory), and a secret the test put in
the service's environment (SANDRUN_HOSTILE_CANARY), anywhere in the job's
anonymous memory.  A cold job is a fresh python3: none of it may be there."""
import ctypes
import os
import re

# Patterns that do not match their own source text (the script's code is in
# memory too): "=(" and ": (" are never followed by a hex digit or a "/".
CANARY = re.compile(rb"SANDRUN_HOSTILE_CANARY=([0-9a-f]{32})")
CONFIG = re.compile(rb'"(runner|init|user|socket_group)": "([^"]{1,200})"')
ENV_NAME = re.compile(rb"\0([A-Z][A-Z0-9_]{1,40})=[^\0]{0,200}")


def read(path, n=4096):
    with open(path, "rb") as f:
        return f.read(n).decode("utf-8", "replace")


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    out = {
        "cmdline": attempt(lambda: read("/proc/self/cmdline"), returned).split("\0"),
        "exe": attempt(lambda: os.readlink("/proc/self/exe"), returned),
        "exe bytes": attempt(lambda: len(open("/proc/self/exe", "rb").read()), returned),
        "environ (not dumpable)": attempt(lambda: read("/proc/self/environ"), returned),
    }
    # no_new_privs does not stop this: the job may mark itself dumpable again
    out["PR_SET_DUMPABLE 1"] = libc.prctl(4, 1, 0, 0, 0)
    env = attempt(lambda: read("/proc/self/environ", 1 << 16), returned)
    out["environ names"] = sorted({e.split("=", 1)[0] for e in env.split("\0") if "=" in e}) \
        if "errno=" not in env else env
    canary, config, stack_env = set(), set(), set()
    with open("/proc/self/maps") as f:
        maps = [l.split() for l in f]
    scanned = 0
    for m in maps:
        name = " ".join(m[5:])
        # anonymous memory, heap and stack only: file mappings may SIGBUS
        if not m[1].startswith("r") or name not in ("", "[heap]", "[stack]"):
            continue
        lo, hi = (int(x, 16) for x in m[0].split("-"))
        for off in range(lo, hi, 16 << 20):
            data = ctypes.string_at(off, min(16 << 20, hi - off))
            scanned += len(data)
            canary.update(x.decode() for x in CANARY.findall(data))
            config.update("%s=%s" % (k.decode(), v.decode(errors="replace")) for k, v in CONFIG.findall(data))
            if name == "[stack]":
                stack_env.update(x.decode() for x in ENV_NAME.findall(data))
            del data
    out.update({"scanned_mb": scanned >> 20, "canary values": sorted(canary),
                "config in memory": sorted(config), "env names on the stack": sorted(stack_env)})
    return out
