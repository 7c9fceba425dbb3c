"""Runs last (file order): nothing of the jobs outlives them on the host."""

import os
import pwd
import time

from conftest import _mounts, _tmp_entries, job_processes

try:
    SANDRUN_UID = pwd.getpwnam("sandrun").pw_uid
except KeyError:
    SANDRUN_UID = -1


def test_no_job_process_left(stack):
    own = stack.app_pid()
    deadline = time.monotonic() + 5
    left = job_processes(own)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = job_processes(own)
    details = {}
    for pid in left:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                details[pid] = f.read().replace(b"\0", b" ")[:200]
        except OSError:
            pass
    assert not left, f"job processes left: {left} {details}"


def test_no_mount_left(stack, baseline):
    now = _mounts()
    new = sorted(set(now) - set(baseline["mounts"]))
    assert not new, "new mounts on the host:\n" + "\n".join(new)


def test_no_job_tmp_dir_left(stack, baseline):
    new = _tmp_entries() - baseline["tmp"]
    suspicious = []
    for name in sorted(new):
        path = os.path.join("/tmp", name)
        if name.startswith("sandrun-") and os.path.exists(os.path.join(path, "sandrun.conf")):
            continue  # state dirs of test stacks (ours or a parallel suite's)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if (200000 <= st.st_uid <= 200099 or st.st_uid == SANDRUN_UID
                or "sandrun" in name or "job" in name.lower()):
            suspicious.append(f"{path} (uid {st.st_uid})")
    assert not suspicious, "left in /tmp: " + ", ".join(suspicious)
