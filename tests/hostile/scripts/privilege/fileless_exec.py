"""Run a program that exists in no file system the job can exec from: /tmp
is noexec, so try anonymous files.  memfd_create (refused, or else a copy of
/usr/bin/id goes in), writing into the job's stdin (an anonymous file the
service made: sealed), then execute the stdin itself, which the test sends
as a shell script, through /proc/self/fd/0 and execveat(0, "",
AT_EMPTY_PATH); fchmod it setuid; and /bin/sh and python3 from the
read-only root.  Whatever runs must be exactly as confined as the job: same
uid, no capabilities, no_new_privs, the seccomp filter, the job's root."""
import ctypes
import errno
import os
import subprocess

PROBE = "grep -E '^(Uid|CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status; ls /"


def run(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10, **kw)
    return "rc=%d %s" % (r.returncode, r.stdout.decode(errors="replace").strip())


def execveat_child(fd, argv):
    libc = ctypes.CDLL(None, use_errno=True)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        os.dup2(w, 2)
        args = (ctypes.c_char_p * (len(argv) + 1))(*[a.encode() for a in argv], None)
        envp = (ctypes.c_char_p * 1)(None)
        libc.syscall(ctypes.c_long(322), fd, b"", args, envp, 0x1000)   # execveat AT_EMPTY_PATH
        os.write(1, b"execveat failed: %s" % errno.errorcode.get(ctypes.get_errno(), "?").encode())
        os._exit(1)
    os.close(w)
    data = b""
    while True:
        b = os.read(r, 4096)
        if not b:
            break
        data += b
    _, st = os.waitpid(pid, 0)
    return "rc=%d %s" % (os.waitstatus_to_exitcode(st), data.decode(errors="replace").strip())


def main():
    out = {}
    try:
        fd = os.memfd_create("fileless")
        out["memfd_create"] = "SUCCEEDED"
        with open("/usr/bin/id", "rb") as f:
            os.write(fd, f.read())
        out["exec memfd copy of id"] = attempt(lambda: run(["/proc/self/fd/%d" % fd], pass_fds=(fd,)), returned)
        out["execveat memfd copy of id"] = attempt(lambda: execveat_child(fd, ["id"]), returned)
    except OSError as e:
        out["memfd_create"] = refusal(e)
    st = os.fstat(0)
    out["stdin"] = [os.readlink("/proc/self/fd/0"), oct(st.st_mode), st.st_size]
    out["write into stdin"] = attempt(lambda: os.pwrite(0, b"#!/tmp/x\n", 0), returned)
    out["fchmod stdin 4755"] = attempt(lambda: os.fchmod(0, 0o4755) or "SUCCEEDED", returned)
    out["exec /proc/self/fd/0"] = attempt(lambda: run(["/proc/self/fd/0"], stdin=0), returned)
    out["execveat stdin"] = attempt(lambda: execveat_child(0, ["script"]), returned)
    out["/bin/sh"] = attempt(lambda: run(["/bin/sh", "-c", PROBE], stdin=subprocess.DEVNULL), returned)
    out["python3"] = attempt(lambda: run(["/usr/bin/python3", "-c", "import os; print(os.getuid(), sorted(os.listdir('/')))"],
                                         stdin=subprocess.DEVNULL), returned)
    return out
