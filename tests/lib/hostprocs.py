"""The host's process table, as the suites check it for leftovers of jobs."""
import collections
import os
import time

Proc = collections.namedtuple("Proc", "ppid uid comm")


def process(pid):
    """Proc(parent pid, real uid, command name) of one process, None once it
    is gone; from /proc/PID/status, which has all three."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("Name", "PPid", "Uid"):
                    fields[key] = value.strip()
                    if len(fields) == 3:
                        break
    except OSError:
        return None
    if len(fields) < 3:
        return None
    return Proc(int(fields["PPid"]), int(fields["Uid"].split()[0]), fields["Name"])


def process_table():
    """pid -> Proc of every process on the host."""
    table = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            p = process(d)
            if p is not None:
                table[int(d)] = p
    return table


def children(pid, table=None):
    """[(pid, comm)] of a process's children."""
    table = process_table() if table is None else table
    return [(p, proc.comm) for p, proc in table.items() if proc.ppid == pid]


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ")[:200].decode(errors="replace")
    except OSError:
        return "?"


POOL_COMM = "sandrun-pool"


def runner_stdin(pid):
    """Where a job's runner has its stdin: the request's memfd
    ("/memfd:..."), or "/dev/null" while it waits in the pool; None once it
    is gone."""
    try:
        return os.readlink(f"/proc/{pid}/fd/0")
    except OSError:
        return None


def holds_a_request(runner):
    """Is this runner the request's?  A job of the pool still has /dev/null
    for stdin (and for a moment after its init's exec, before it names
    itself sandrun-pool, a pooled init is called sandrun-init too)."""
    return (runner_stdin(runner) or "").startswith("/memfd:")


def job_processes(uid_min, uid_max, own_app_pid=None, pool=True):
    """{pid: (uid, cmdline)} of host processes running as a job uid
    (uid_min..uid_max), except the live jobs of another sandrun-fcgi on the
    same host (a parallel stack).  Leftovers of our own stack get reparented
    away from it, so they are still found.  pool=False: without the jobs
    waiting in the pool for a request (their init and runner are named
    sandrun-pool until one comes), which a running service always has."""
    table = process_table()
    out = {}
    for pid, proc in table.items():
        if not uid_min <= proc.uid <= uid_max:
            continue
        if not pool and proc.comm == POOL_COMM:
            continue
        p, foreign = pid, False
        for _ in range(64):
            parent = table.get(table[p].ppid) if p in table else None
            if parent is None or table[p].ppid == own_app_pid:
                break
            if parent.comm == "sandrun-fcgi" and not uid_min <= parent.uid <= uid_max:
                foreign = True
                break
            p = table[p].ppid
        if not foreign:
            out[pid] = (proc.uid, cmdline(pid))
    return out


def wait_until_empty(probe, timeout):
    """Call probe() until it returns something empty or timeout seconds
    have passed; returns its last value."""
    deadline = time.monotonic() + timeout
    left = probe()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = probe()
    return left


def processes_in_pidns(ns):
    """Host pids whose pid namespace is ns ("pid:[inode]", as a job reports
    it from readlink /proc/self/ns/pid)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/ns/pid") == ns:
                    out.append(int(d))
            except OSError:
                pass
    return out


def reused_by_the_pool(pids):
    """Is this pid namespace a new job's, waiting in the pool?  The kernel
    hands a freed namespace's number to the next one made, and the pool
    makes one as soon as a job ends.  It is when its pid 1 is a child of the
    spawner (a root sandrun-zygote or sandrun-spawn) named sandrun-pool: no
    process of a finished job can be the spawner's child, whatever it calls
    itself, since its init (the spawner's child) is gone with it."""
    for pid in pids:
        p = process(pid)
        parent = process(p.ppid) if p else None
        if (p and p.comm == POOL_COMM and parent and parent.uid == 0 and
                parent.comm in ("sandrun-zygote", "sandrun-spawn")):
            return True
    return False


def assert_job_gone(ns, timeout=10):
    """Nothing of the finished job (its pid namespace) is left on the host."""
    assert ns.startswith("pid:["), ns

    def left_of_it():
        pids = processes_in_pidns(ns)
        return [] if reused_by_the_pool(pids) else pids
    left = wait_until_empty(left_of_it, timeout)
    info = {}
    for pid in left:
        try:
            with open(f"/proc/{pid}/status") as f:
                info[pid] = [l.strip() for l in f if l.startswith(("Name", "Uid", "State"))]
        except OSError:
            pass
    assert not left, f"processes of the finished job still on the host: {info}"
