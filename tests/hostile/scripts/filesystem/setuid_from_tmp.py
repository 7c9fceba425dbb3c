"""Run code from /tmp: copy a binary there, make it setuid (our own file),
exec it, exec a #! script, load it through the dynamic loader, and mmap a
/tmp file PROT_EXEC.  /tmp is noexec and the job has no_new_privs."""
import ctypes
import mmap
import os
import shutil
import subprocess


ERRORS = (OSError, subprocess.SubprocessError)


def ran(r):
    return "SUCCEEDED: %r" % (r,)


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=5)
    return (p.returncode, p.stdout[:200].decode(errors="replace"))


def main():
    out = {}
    shutil.copy("/usr/bin/id", "/tmp/id")
    os.chmod("/tmp/id", 0o4755)
    out["mode"] = oct(os.stat("/tmp/id").st_mode)
    out["exec /tmp/id"] = attempt(lambda: run(["/tmp/id"]), ran, ERRORS)
    with open("/tmp/s.sh", "w") as f:
        f.write("#!/bin/sh\necho script ran\n")
    os.chmod("/tmp/s.sh", 0o755)
    out["exec /tmp/s.sh"] = attempt(lambda: run(["/tmp/s.sh"]), ran, ERRORS)
    out["ld.so /tmp/id"] = attempt(lambda: run(["/lib64/ld-linux-x86-64.so.2", "/tmp/id"]), ran, ERRORS)
    shutil.copy("/usr/lib/x86_64-linux-gnu/libc.so.6", "/tmp/libx.so")
    out["dlopen /tmp/libx.so"] = attempt(lambda: str(ctypes.CDLL("/tmp/libx.so")), ran, ERRORS)

    def map_exec():
        with open("/tmp/id", "rb") as f:
            return len(mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC))
    out["mmap PROT_EXEC /tmp/id"] = attempt(map_exec, ran, ERRORS)
    out["id via /usr/bin (for reference)"] = attempt(lambda: run(["/usr/bin/id"]), ran, ERRORS)
    return out
