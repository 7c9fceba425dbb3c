"""Privilege: no way to root, to new namespaces, mounts, chroot, setuid
binaries, capabilities or a blocked system call; foreign ABIs are killed."""

from conftest import evidence, failed, job_uid, JOB_GID

CAT = "privilege"


def test_setuid_root(stack, unharmed):
    ev = evidence(stack.run(CAT, "setuid_root"))
    for k in ("setuid(0)", "setgid(0)", "setgroups([0])", "setresuid(0,0,0)", "setreuid(0,0)",
              "setuid(other slot)", "seteuid(65534)"):
        assert ev[k] == "PermissionError errno=1", (k, ev[k])
    uid = ev["uid"]
    assert job_uid(uid), ev
    assert ev["setfsuid(0) then fsuid"] == uid, ev  # silently ignored
    assert ev["Uid"] == [str(uid)] * 4 and ev["Gid"] == [str(JOB_GID)] * 4, ev
    assert ev["Groups"] == [], ev


def test_namespaces(stack, unharmed):
    ev = evidence(stack.run(CAT, "namespaces"))
    for k, v in ev.items():
        if k.startswith(("unshare", "clone ")):
            assert v == "EPERM", (k, v)
    assert ev["clone3 CLONE_NEWUSER"] == "ENOSYS", ev
    for ns in ("user", "mnt", "net", "pid"):
        assert ev["setns pid1 " + ns] in ("open: EACCES", "EPERM"), ev
    assert ev["CapEff"] == "0000000000000000"


def test_mount_syscalls(stack, unharmed):
    ev = evidence(stack.run(CAT, "mount_syscalls"))
    assert len(ev) == 11
    for k, v in ev.items():
        assert v == "EPERM", (k, v)


def test_chroot(stack, unharmed):
    ev = evidence(stack.run(CAT, "chroot_escape"))
    assert ev["os.chroot"] == "PermissionError errno=1", ev
    assert ev["libc chroot"] == "EPERM", ev
    assert "escaped_listing" not in ev
    assert "tmp" in ev["root after"] and "usr" in ev["root after"], ev


def test_setuid_binaries_gain_nothing(stack, unharmed):
    ev = evidence(stack.run(CAT, "setuid_binaries", timeout=60))
    assert "/usr/bin/su" in ev["setuid_binaries"], ev   # they are there...
    assert job_uid(int(ev["id -u"])), ev["id -u"]
    for p, res in ev["results"].items():               # ...and useless
        out = res.get("out", "")
        lines = [l.strip() for l in out.splitlines()]
        assert "0" not in lines and "uid=0" not in out and "euid=0" not in out, (p, res)
    assert ev["results"]["/usr/bin/su"]["rc"] != 0, ev["results"]["/usr/bin/su"]
    assert ev["results"]["/usr/bin/mount"]["rc"] != 0, ev["results"]["/usr/bin/mount"]


def test_capabilities_all_zero(stack, unharmed):
    ev = evidence(stack.run(CAT, "capabilities"))
    for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(ev[k], 16) == 0, (k, ev[k])
    assert ev["NoNewPrivs"] == "1" and ev["Seccomp"] == "2", ev
    assert ev["capget"] == [[0, 0, 0], [0, 0, 0]], ev
    assert ev["bounding_set_members"] == [], ev
    assert ev["clear no_new_privs"] == "EINVAL", ev
    assert ev["seccomp off"] == "EINVAL", ev
    assert ev["raise ambient CAP_SYS_ADMIN"] == "EPERM", ev


def test_blocked_syscalls(stack, unharmed):
    r = stack.run(CAT, "blocked_syscalls")
    if r.status == 400:   # a kill is acceptable, a success never
        failed(r, "killed")
        return
    ev = evidence(r)
    assert ev.pop("hostname after") == "sandrun"
    assert len(ev) == 53, sorted(ev)
    for name, res in ev.items():
        want = "ENOSYS" if name == "clone3" else "EPERM"
        assert res["ret"] == -1 and res["errno"] == want, (name, res)


def test_int80_i386_syscall_killed(stack, unharmed):
    b = failed(stack.run(CAT, "int80_i386"), "killed")
    assert b["signal"] == 31 and "SIGSYS" in b["error"], b
    # the answer names the call: init heard it on the filter's listener
    assert "forbidden system call, i386 getpid (20)" in b["error"], b
    assert "int80_returned" not in b["stdout"]


def test_x32_syscall_killed(stack, unharmed):
    b = failed(stack.run(CAT, "x32_syscall"), "killed")
    assert b["signal"] == 31 and "SIGSYS" in b["error"], b
    assert "forbidden system call, x32 getpid (39)" in b["error"], b


def test_rlimits_cannot_be_raised(stack, unharmed):
    ev = evidence(stack.run(CAT, "rlimits_raise", timeout=20, memory_limit=256))
    want = {"RLIMIT_FSIZE": 64 << 20, "RLIMIT_NOFILE": 256,
            "RLIMIT_NPROC": 64, "RLIMIT_CORE": 0, "RLIMIT_MEMLOCK": 0, "RLIMIT_MSGQUEUE": 0}
    for n, v in ev.items():
        if not n.startswith("RLIMIT"):
            continue
        assert v["raise"].startswith("ValueError"), (n, v)
        assert v["after"] == v["before"], (n, v)
        if n in want:
            assert v["before"][1] == want[n], (n, v)
    assert ev["RLIMIT_CPU"]["before"][0] <= 21, ev["RLIMIT_CPU"]
    # AS is the memory limit plus the zygote's share: bounded, never infinite
    assert 256 << 20 <= ev["RLIMIT_AS"]["before"][1] <= 1 << 30, ev["RLIMIT_AS"]
    assert ev["prlimit pid 1"].startswith("PermissionError"), ev
    assert ev["nice -20"] == "PermissionError errno=13", ev
