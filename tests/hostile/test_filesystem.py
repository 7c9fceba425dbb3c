"""Filesystem: read-only everywhere but /tmp, nothing persists from one
request to the next, no exec from /tmp, planted symlinks stay inside."""

import os
import re
import secrets

from conftest import evidence, denied
from stack import SRC_DIR, job_uid

CAT = "filesystem"


def test_write_outside_tmp(stack, unharmed):
    ev = evidence(stack.run(CAT, "write_outside_tmp"))
    assert ev.pop("create /tmp/ok") == "SUCCEEDED"
    assert len(ev) > 60
    for k, v in ev.items():
        assert v != "SUCCEEDED", (k, v)
        # read-only mounts (EROFS), or plain permissions (EACCES/EPERM), or absent
        assert v.split()[-1] in ("errno=30", "errno=13", "errno=1", "errno=2", "errno=18"), (k, v)
    assert not os.path.exists("/sandrun-hostile-probe")
    assert not os.path.exists("/usr/sandrun-hostile-probe")


def test_proc_sys_and_devices(stack, unharmed):
    before = open("/proc/sys/kernel/hostname").read()
    ev = evidence(stack.run(CAT, "proc_sys_dev"))
    assert ev.pop("mknod /tmp/fifo (allowed)").startswith("SUCCEEDED")
    assert sorted(ev.pop("dev listing")) == ["fd", "full", "null", "random", "shm", "stderr",
                                             "stdin", "stdout", "urandom", "zero"]
    assert ev.pop("write /dev/full") == "OSError errno=28"
    for k, v in ev.items():
        assert not v.startswith("SUCCEEDED"), (k, v)
    assert open("/proc/sys/kernel/hostname").read() == before


def test_planted_modules_do_not_persist(stack, unharmed):
    ev = evidence(stack.run(CAT, "plant_module", timeout=60))
    # only /tmp and below were writable
    assert ev["writable_dirs"], ev
    for d in ev["writable_dirs"]:
        assert d == "/tmp" or d.startswith("/tmp/"), d
    for p in ev["planted"]:
        assert p.startswith("/tmp/"), p
    # the same slot may serve the next job: run the check a few times
    for _ in range(3):
        chk = evidence(stack.run(CAT, "check_planted_module", stdin="\n".join(ev["planted"]),
                                 timeout=60))
        assert chk["still_there"] == [], chk
        assert chk["PWNED"] is False, chk
        assert chk["json"].startswith("/usr/lib/python3"), chk
        assert chk["numpy"].startswith("/usr/lib/python3"), chk
        assert chk["sitecustomize"] in (None, "/usr/lib/python3.11/sitecustomize.py"), chk
        assert chk["usercustomize"] is None, chk
        assert chk["found"] == ["/etc/python3.11/sitecustomize.py"] or chk["found"] == [], chk
        assert chk["tmp"] == [".shm"], chk


def test_markers_in_every_writable_dir(stack, unharmed):
    name = "sandrun-marker-" + secrets.token_hex(6)
    ev = evidence(stack.run(CAT, "markers_everywhere", stdin=name, timeout=60))
    assert ev["dirs_tried"] > 1000, ev
    assert set(ev["written"]) <= {"/tmp", "/tmp/.shm", "/dev/shm"}, ev
    for _ in range(3):
        chk = evidence(stack.run(CAT, "find_markers", stdin=name, timeout=60))
        assert chk["found"] == [], chk
        assert chk["tmp"] == [".shm"] and chk["shm"] == [], chk
    # nor on the host
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        for root, dirs, files in os.walk(top):
            assert not [n for n in files + dirs if n.startswith(name)], root


def test_every_mount_read_only_nosuid_nodev(stack, unharmed):
    ev = evidence(stack.run(CAT, "mountinfo"))
    points = [m["point"] for m in ev]
    assert "/" in points and "/tmp" in points and "/usr" in points and "/proc" in points
    findings = []
    for m in ev:
        opts = set(m["opts"])
        if m["remount_rw"] != "EPERM":
            findings.append(("remount allowed", m))
        if m["point"] == "/tmp":
            assert "rw" in opts and {"nosuid", "nodev", "noexec"} <= opts, m
            assert m["fstype"] == "tmpfs", m
            continue
        if "ro" not in opts:
            findings.append(("read-write mount", m))
        if "nosuid" not in opts:
            findings.append(("no nosuid", m))
        # /dev and the device nodes bound into it need device access
        if "nodev" not in opts and not (m["point"] == "/dev" or m["point"].startswith("/dev/")):
            findings.append(("no nodev", m))
        if m["point"] == "/dev" or m["point"].startswith("/dev/") or m["point"] == "/proc":
            if "noexec" not in opts:
                findings.append(("no noexec", m))
    assert not findings, findings


def test_setuid_and_exec_from_tmp(stack, unharmed):
    ev = evidence(stack.run(CAT, "setuid_from_tmp"))
    assert ev["mode"] == "0o104755"  # the job may set the bit on its own file...
    # ...but nothing in /tmp can be executed or mapped executable
    assert ev["exec /tmp/id"] == "PermissionError errno=13", ev
    assert ev["exec /tmp/s.sh"] == "PermissionError errno=13", ev
    rc, out = None, ev["ld.so /tmp/id"]
    assert "failed to map segment" in out or not out.startswith("SUCCEEDED"), ev
    assert ev["dlopen /tmp/libx.so"].startswith("OSError"), ev
    assert ev["mmap PROT_EXEC /tmp/id"] == "PermissionError errno=1", ev
    ref = re.search(r"uid=(\d+)", ev["id via /usr/bin (for reference)"])
    assert ref and job_uid(int(ref.group(1))), ev


def test_symlinks_planted_in_tmp_are_not_followed(stack, unharmed):
    keys = os.path.join(stack.state_dir, "sandrun-api-keys.conf")
    before = {p: (os.lstat(p), open(p, "rb").read()) for p in
              (keys, os.path.join(stack.state_dir, "sandrun.conf"))}
    ev = evidence(stack.run(CAT, "symlink_plant", stdin=stack.state_dir))
    assert ev["/tmp/keys"] == "ok" and ev["tmp"] > 200, ev  # the links were made
    assert ev["read through /tmp/keys"] == "FileNotFoundError errno=2", ev
    assert ev["rename /tmp/.shm"] == "PermissionError errno=1", ev  # sticky, root's
    assert ev["rmdir /tmp/.shm"] == "PermissionError errno=1", ev
    # a few more requests after it (the service sets up and tears down a
    # /tmp each time): the host files are untouched, the state dir intact
    for _ in range(3):
        chk = evidence(stack.run(CAT, "find_markers", stdin="k0"))
        assert chk["found"] == [] and chk["tmp"] == [".shm"], chk
    for p, (st, data) in before.items():
        st2 = os.lstat(p)
        assert (st2.st_mode, st2.st_uid, st2.st_size, st2.st_mtime_ns) == \
            (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns), p
        assert open(p, "rb").read() == data, p
    assert os.path.isdir(stack.state_dir)
    assert os.path.exists(os.path.join(stack.state_dir, "fcgi.sock"))


def test_inherited_file_descriptors(stack, unharmed):
    ev = evidence(stack.run(CAT, "inherited_fds"))
    fds = ev["fds"]
    assert ev["listed"] == [0, 1, 2, 4] and sorted(fds, key=int) == ["0", "1", "2", "4"], ev
    # stdin: the service's anonymous file, sealed; 1, 2 and 4: the job's pipes
    assert fds["0"]["kind"] == "reg" and fds["0"]["link"].startswith("/memfd:"), fds["0"]
    assert fds["0"]["reopen for writing"].startswith("PermissionError"), fds["0"]
    for fd in ("1", "2", "4"):
        assert fds[fd]["kind"] == "fifo" and fds[fd]["link"].startswith("pipe:["), (fd, fds[fd])
        assert fds[fd]["reopen for writing"] == "PermissionError errno=13", (fd, fds[fd])
    assert ev["pid 1 fds"] == "PermissionError errno=13", ev
    assert ev["cwd"] == "/tmp" and ev["root"] == "/", ev


def test_proc_surface(stack, unharmed):
    ev = evidence(stack.run(CAT, "proc_surface", stdin=f"{stack.state_dir} {SRC_DIR} {stack.key}",
                            timeout=30))
    assert ev["readable"] > 100, ev
    assert ev["hits"] == [], ev["hits"]
    for k, v in ev.items():
        if k.startswith("write "):
            assert v.startswith(("OSError errno=30", "PermissionError")), (k, v)
    assert ev["read /proc/kcore"] in ("FileNotFoundError errno=2", "PermissionError errno=13"), ev
    # no physical addresses for an unprivileged process
    assert ev["pagemap"] == "PermissionError errno=13" or ev["pagemap"]["pfn"] == 0, ev
    assert ev["/sys"] == "FileNotFoundError errno=2", ev
    # masked: unreadable (EACCES: /dev/null on a nodev mount) or absent on this kernel
    masked = {k: v for k, v in ev.items() if k.startswith("masked /proc/")}
    assert len(masked) == 8, masked
    for k, v in masked.items():
        assert v in ("PermissionError errno=13", "FileNotFoundError errno=2"), (k, v)
