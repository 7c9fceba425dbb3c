"""Secrets of the host: none of them is even visible from a job."""

import os

import pytest

from conftest import evidence, hole
from stack import SRC_DIR, WARM_MODE, job_uid

CAT = "secrets"
ENOENT = "FileNotFoundError errno=2"

# Everything a job may see outside /usr and /proc: the generated root.
ALLOWED_TOP = {"/tmp", "/proc", "/dev", "/sandrun", "/etc", "/usr",
               "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}
JOB_ENV = {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "USER", "LOGNAME", "OMP_NUM_THREADS",
           "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "MPLBACKEND",
           "MPLCONFIGDIR", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "TZ", "TERM",
           "GLIBC_TUNABLES"}
ALLOWED_ETC = {"alternatives", "fonts", "group", "hostname", "hosts", "ld.so.cache", "localtime",
               "matplotlibrc", "nsswitch.conf", "passwd", "python3", "python3.11"}


def test_shadow_and_etc(stack, unharmed):
    ev = evidence(stack.run(CAT, "shadow"))
    for p in ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/sudoers", "/etc/ssh/ssh_host_ed25519_key"):
        assert ev[p] == ENOENT, (p, ev[p])
    assert set(ev["/etc listing"]) <= ALLOWED_ETC, ev["/etc listing"]
    # the generated passwd, not the host's
    with open("/etc/passwd") as f:
        host_passwd = f.read()
    assert ev["/etc/passwd"] != host_passwd
    assert "www-data" not in ev["/etc/passwd"] and "sandrun:" not in ev["/etc/passwd"], ev["/etc/passwd"]


def test_nginx_config_and_tls_keys(stack, unharmed):
    assert os.path.isdir("/etc/nginx")  # precondition: the host has it
    ev = evidence(stack.run(CAT, "nginx_config"))
    for k, v in ev.items():
        if k.endswith(" exists"):
            assert v is False, k
        else:
            assert v == ENOENT, (k, v)


def test_state_dir_api_keys_and_config(stack, unharmed):
    ev = evidence(stack.run(CAT, "state_dir", stdin=stack.state_dir))
    assert ev["state_dir exists"] is False, ev
    assert ev["listing"] == ENOENT, ev
    for n in ("sandrun-api-keys.conf", "sandrun.conf", "nginx.conf", "sandrun.log",
              "nginx-access.log", "sandrun.pid", "fcgi.sock"):
        assert ev[n] == ENOENT, (n, ev[n])
    # /proc/<pid>/root of the job's init is refused; the runner's is the job root
    for k, v in ev["via_proc"].items():
        assert stack.key not in str(v)
        if k.endswith("root listing"):
            assert v in ("PermissionError", "FileNotFoundError"), (k, v)
    assert stack.key not in str(ev)


def test_root_and_home(stack, unharmed):
    ev = evidence(stack.run(CAT, "root_home"))
    assert ev["HOME"] == "/tmp"
    for p in ("/root", "/root/.ssh", "/root/.ssh/id_rsa", "/root/.bash_history",
              "/root/.aws/credentials", "/root/.pyenv", "/home", "/home/sandrun"):
        assert ev[p] == ENOENT, (p, ev[p])


def test_host_processes_not_visible(stack, unharmed):
    ev = evidence(stack.run(CAT, "host_processes"))
    procs = ev["procs"]
    # only the job's init (1) and the runner (2)
    assert sorted(procs) == ["1", "2"], sorted(procs)
    assert ev["self"] == 2
    for pid, p in procs.items():
        assert job_uid(p["uid"]), (pid, p)
        assert "nginx" not in p["cmdline"], (pid, p)
    # pid 1 is the job's init: its environment and memory are closed
    assert ev["/proc/1/environ"] == "PermissionError errno=13", ev["/proc/1/environ"]
    assert ev["/proc/1/mem"] == "PermissionError errno=13", ev["/proc/1/mem"]
    assert stack.key not in str(ev)
    # kernel addresses are hidden
    assert ev["/proc/kallsyms"].startswith(("0000000000000000", "PermissionError", "FileNotFound")), \
        ev["/proc/kallsyms"]
    # pid 1 is sandrun-init (exec'd), never a copy of sandrun-fcgi's argv
    assert ev["/proc/1/cmdline"].startswith("sandrun-init"), ev["/proc/1/cmdline"]
    assert stack.state_dir not in ev["/proc/1/cmdline"], ev["/proc/1/cmdline"]
    assert SRC_DIR not in ev["/proc/1/cmdline"], ev["/proc/1/cmdline"]


def test_source_tree(stack, unharmed):
    ev = evidence(stack.run(CAT, "source_tree"))
    for p in ("/work", "/work/main", "/work/main/sandbox", "/srv", "/opt", "/mnt", "/media"):
        assert ev[p] == ENOENT, (p, ev[p])
    # the runner is shown at /sandrun, not at its host path
    assert all(SRC_DIR not in a for a in ev["sys.argv"]), ev
    assert all(not p.startswith(SRC_DIR) for p in ev["sys.path"]), ev["sys.path"]
    assert all(not f.startswith(SRC_DIR) for f in ev["modules outside /usr"].values()), ev


def test_run_var_sys(stack, unharmed):
    ev = evidence(stack.run(CAT, "run_var"))
    for p, v in ev.items():
        assert v == ENOENT, (p, v)


def test_whole_visible_filesystem(stack, unharmed):
    """Everything a job can see outside /usr and /proc: only the generated
    root, and nothing in it belongs to the host's secrets."""
    ev = evidence(stack.run(CAT, "walk_everything", memory_limit=512))
    unexpected = []
    for p, info in ev.items():
        top = "/" + p.split("/")[1]
        if top not in ALLOWED_TOP:
            unexpected.append(p)
        elif top == "/etc" and p != "/etc" and p.split("/")[2] not in ALLOWED_ETC:
            unexpected.append(p)
        elif top == "/dev" and p not in ("/dev", "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                         "/dev/urandom", "/dev/shm", "/dev/fd", "/dev/stdin",
                                         "/dev/stdout", "/dev/stderr"):
            unexpected.append(p)
        elif top == "/sandrun" and p not in ("/sandrun", "/sandrun/runner.py", "/sandrun/init"):
            unexpected.append(p)
        elif top == "/tmp" and p not in ("/tmp", "/tmp/.shm"):
            unexpected.append(p)
    assert not unexpected, unexpected
    # nothing visible is owned by another job or is writable but /tmp
    for p, info in ev.items():
        assert info.get("uid") in (0, None), (p, info)


def test_service_memory_not_inherited(stack, unharmed):
    ev = evidence(stack.run(CAT, "service_memory", memory_limit=512, timeout=30))
    assert ev["scanned_mb"] > 0, ev
    findings = {}
    cmdline = " ".join(ev["cmdline"])
    if stack.state_dir in cmdline or SRC_DIR in cmdline or "sandrun-fcgi" in cmdline:
        findings["/proc/self/cmdline"] = ev["cmdline"]
    # warm: the zygote runs from a sealed memfd copy of the program, cold:
    # python3 under /usr; neither names a host path outside the job's root
    if not (ev["exe"].startswith("/usr/") or ev["exe"] == "/memfd:sandrun-zygote (deleted)"):
        findings["/proc/self/exe"] = [ev["exe"], ev["exe bytes"]]
    # a job cannot make itself dumpable again (the filter refuses it), so its
    # /proc/self/environ stays unreadable even to itself
    assert ev["PR_SET_DUMPABLE 1"] == -1, ev
    names = ev["environ names"]
    if isinstance(names, str) and names.startswith("PermissionError"):
        names = []
    if not isinstance(names, list) or set(names) - JOB_ENV:
        findings["/proc/self/environ"] = sorted(set(names) - JOB_ENV) if isinstance(names, list) else names
    if set(ev["env names on the stack"]) - JOB_ENV:
        findings["environment on the stack"] = sorted(set(ev["env names on the stack"]) - JOB_ENV)
    if ev["canary values"]:
        findings["service environment canary"] = ev["canary values"]
        assert ev["canary values"] == [stack.canary], ev["canary values"]
    if ev["config in memory"]:
        findings["sandrun.conf"] = ev["config in memory"]
    assert not findings, findings
