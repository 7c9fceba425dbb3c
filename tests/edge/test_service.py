"""Service management: the systemd units (verify, exposure score), socket
activation with systemd-socket-activate, and the spawn-fcgi command for
hosts without systemd.  Each serves a request through the socket it was
handed, with a small FastCGI client."""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import FCGI, app_args, setting_default, wait_for
import fcgi_client
from hostprocs import holds_a_request, process_table
from stack import SRC_DIR

SYSTEMD = os.path.join(SRC_DIR, "systemd")
# ProtectControlGroups=yes with the unit's own cgroup writable
# (ReadWritePaths=): the jobs keep their per-job memory
# and pids cgroups are worth more than the points (docs/operations.md)
EXPOSURE_TARGET = 2.5


def test_units_verify():
    tmp = tempfile.mkdtemp(prefix="sandrun-units-")
    try:
        for unit in ("sandrun.socket", "sandrun.service"):
            shutil.copy(os.path.join(SYSTEMD, unit), tmp)
        p = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            os.path.join(tmp, "sandrun.socket"),
                            os.path.join(tmp, "sandrun.service")],
                           capture_output=True, text=True, timeout=60)
        # The binary is not installed on the test host; everything else
        # must be clean.
        problems = [l for l in p.stderr.splitlines()
                    if l.strip() and "/usr/sbin/sandrun-fcgi" not in l]
        assert not problems, p.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def exposure():
    p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                        os.path.join(SYSTEMD, "sandrun.service")],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for sandrun\.service: ([\d.]+)", p.stdout)
    assert m, p.stdout + p.stderr
    return float(m.group(1)), p.stdout


def test_exposure_score():
    score, report = exposure()
    print(f"exposure: {score}")
    assert score <= EXPOSURE_TARGET, report


def test_unit_settings_the_sandbox_depends_on():
    with open(os.path.join(SYSTEMD, "sandrun.service")) as f:
        unit = f.read()
    def setting(name):
        return [l.split("=", 1)[1] for l in unit.splitlines() if l.startswith(name + "=")]
    assert setting("RestrictNamespaces") == ["pid mnt net ipc uts cgroup"]
    assert setting("CapabilityBoundingSet") == [
        "CAP_SYS_ADMIN CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_MKNOD CAP_SYS_CHROOT"]
    assert "User" not in [l.split("=")[0] for l in unit.splitlines()]  # starts as root
    assert setting("KillMode") == ["mixed"]
    timeout = int(setting("TimeoutStopSec")[0].rstrip("s"))
    max_timeout = float(setting_default("max_timeout_s"))
    assert timeout > max_timeout
    assert not setting("ProtectHostname")      # would break sethostname in the job's UTS ns
    assert setting("PrivateDevices") == ["no"]  # would forbid the job's mknod of /dev/null...
    assert setting("DevicePolicy") == ["closed"]
    # the cgroup tree read-only, but for the unit's own delegated cgroup
    assert setting("Delegate") == ["yes"] and setting("ProtectControlGroups") == ["yes"]
    assert "-/sys/fs/cgroup/system.slice/%n" in " ".join(setting("ReadWritePaths"))
    with open(os.path.join(SYSTEMD, "sandrun.socket")) as f:
        sock = f.read()
    for line in ("ListenStream=/run/sandrun/fcgi.sock", "SocketUser=sandrun",
                 "SocketGroup=www-data", "SocketMode=0660"):
        assert line in sock.splitlines()


@contextlib.contextmanager
def launched(prefix, argv):
    """sandrun-fcgi started by argv(socket path) in a new directory (its
    output in log there), serving: yields (socket, directory); afterwards it
    must stop cleanly on TERM.  Killed and removed whatever happens."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.chmod(tmp, 0o755)
    sock = os.path.join(tmp, "fcgi.sock")
    with open(os.path.join(tmp, "log"), "wb") as log:
        p = subprocess.Popen(argv(sock), stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        _serve_one(sock)
        yield sock, tmp
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def test_capability_bounding_set_is_enough():
    """The app under exactly the unit's bounding set runs jobs, times them
    out and stops cleanly (capsh-style, with setpriv)."""
    with launched("sandrun-caps-", lambda sock: [
            "setpriv", "--bounding-set", "-all,+sys_admin,+setuid,+setgid,+setpcap,+mknod,+sys_chroot",
            "--inh-caps", "-all", FCGI, "--listen", sock, "--slots", "1", *app_args()]) as (sock, _):
        r = fcgi_client.execute(sock, "import os\ndef main():\n    return os.getuid()\n")
        assert r.status == 200 and r.json["result"] >= 200000, r
        r = fcgi_client.request(sock, "POST", "/execute",
                                body=b'{"script": "def main():\\n    while True: pass\\n", "timeout": 1}')
        assert r.json["status"] == "timeout", r
        # The spawner's own deadline, behind init's: with init stopped from
        # the host, only the spawner can end the job, and it may not signal
        # another uid's process without CAP_KILL (not in the set): it kills
        # as the job's uid.  Without that, the job stayed stopped and its
        # caller answered 500 ten seconds later.
        answer = {}
        t = threading.Thread(target=lambda: answer.update(r=fcgi_client.request(
            sock, "POST", "/execute", timeout=60,
            body=b'{"script": "import time\\ndef main():\\n    time.sleep(30)\\n", "timeout": 2}')))
        t.start()
        init = None
        def running_init():
            nonlocal init
            init = request_init()
            return init is not None
        assert wait_for(running_init, 10), "no running job's init"
        os.kill(init, signal.SIGSTOP)
        t.join(40)
        assert answer["r"].json["status"] == "timeout", answer["r"]
        assert wait_for(lambda: gone(init), 10), f"the stopped init {init} is still there"


def request_init():
    """The host pid of the init of the job that runs a request: named
    sandrun-init (a waiting one is sandrun-pool), with a runner whose stdin
    is the request's memfd."""
    table = process_table()
    for pid, proc in table.items():
        if proc.comm != "sandrun-init":
            continue
        for child, cp in table.items():
            if cp.ppid != pid:
                continue
            if holds_a_request(child):
                return pid
    return None


def gone(pid):
    """Ended: no such process, or only its zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _serve_one(sock):
    assert wait_for(lambda: os.path.exists(sock), 30), "no socket"
    r = None
    def answered():
        nonlocal r
        try:
            r = fcgi_client.execute(sock, "def main():\n    return 'hi'\n", timeout=30)
            return True
        except (ConnectionRefusedError, FileNotFoundError, fcgi_client.ConnectionRefusedByPeer):
            return False
    assert wait_for(answered, 30)
    assert r.status == 200 and r.json["result"] == "hi", r
    h = fcgi_client.request(sock, "GET", "/health")
    assert h.status == 200 and h.json["status"] == "healthy", h


def test_systemd_socket_activation():
    # As sandrun.socket does: systemd opens the socket, the service gets it
    # as LISTEN_FDS (fd 3) and has no --listen.
    with launched("sandrun-sa-", lambda sock: [
            "systemd-socket-activate", "--listen", sock, FCGI, *app_args()]) as (_, tmp):
        with open(os.path.join(tmp, "log"), errors="replace") as f:
            assert "systemd socket (fd 3)" in f.read()


def test_spawn_fcgi():
    """The command docs/operations.md gives for hosts without systemd."""
    tmp = tempfile.mkdtemp(prefix="sandrun-sf-")
    os.chmod(tmp, 0o755)
    sock, pidfile, logfile = (os.path.join(tmp, n) for n in ("fcgi.sock", "pid", "sandrun.log"))
    app = " ".join([FCGI, *app_args()])
    cmd = ["spawn-fcgi", "-s", sock, "-M", "0660", "-U", "sandrun", "-G", "www-data",
           "-P", pidfile, "--", "/bin/sh", "-c", f"exec {app} 2>>{logfile}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    pid = int(open(pidfile).read())
    try:
        st = os.stat(sock)
        assert oct(st.st_mode & 0o777) == "0o660"
        import grp, pwd
        assert grp.getgrgid(st.st_gid).gr_name == "www-data"
        assert pwd.getpwuid(st.st_uid).pw_name == "sandrun"
        _serve_one(sock)
        with open(logfile, errors="replace") as f:
            assert "inherited socket (fd 0)" in f.read()
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 30)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)


def _start_on(listener, log):
    """sandrun-fcgi serving the listening socket it is handed as fd 0, as
    spawn-fcgi and systemd (StandardInput=socket) hand it."""
    return subprocess.Popen([FCGI, *app_args()], stdin=listener.fileno(), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def test_restart_under_load_loses_no_request():
    """The listening socket outlives the service (systemd and spawn-fcgi hold
    it): on TERM the old instance stops accepting without closing the socket
    to anyone, finishes what is in flight, and exits 0; the requests that
    arrive meanwhile wait in the socket's backlog for the next instance.  No
    request fails, but with 503 and Retry-After."""
    import socket
    import threading
    tmp = tempfile.mkdtemp(prefix="sandrun-restart-")
    os.chmod(tmp, 0o755)
    path = os.path.join(tmp, "fcgi.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o666)
    listener.listen(256)
    logs = [open(os.path.join(tmp, f"log{i}"), "wb") for i in range(2)]
    procs = [_start_on(listener, logs[0])]
    answers, stop = [], threading.Event()
    lock = threading.Lock()

    def client(script):
        while not stop.is_set():
            try:
                r = fcgi_client.execute(path, script, timeout=120)
                got = (r.status, r.headers.get("Retry-After") if r.status == 503 else None,
                       r.json.get("result") if r.status == 200 else r.body[:200])
            except Exception as e:   # noqa: BLE001 -- every failure is the evidence
                got = ("exception", repr(e))
            with lock:
                answers.append(got)

    try:
        _serve_one(path)
        threads = [threading.Thread(target=client, args=("def main():\n    return 4\n",)) for _ in range(3)]
        # one long job is always in flight when the stop comes: it must finish
        threads.append(threading.Thread(
            target=client, args=("import time\ndef main():\n    time.sleep(1.5)\n    return 4\n",)))
        for t in threads:
            t.start()
        time.sleep(2)
        old = procs[0]
        old.send_signal(signal.SIGTERM)
        assert old.wait(60) == 0, "the old instance did not stop cleanly"
        procs.append(_start_on(listener, logs[1]))
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(120)
        bad = [a for a in answers if not (a[0] == 200 and a[2] == 4) and not (a[0] == 503 and a[1])]
        assert not bad, bad[:5]
        served = sum(1 for a in answers if a[0] == 200)
        assert served > 10, answers
        with open(os.path.join(tmp, "log1"), errors="replace") as f:
            assert "sandrun-fcgi started" in f.read()
        # the second instance served too: the socket was not shut for it
        h = fcgi_client.request(path, "GET", "/health")
        assert h.status == 200, h
    finally:
        stop.set()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        listener.close()
        for f in logs:
            f.close()
        shutil.rmtree(tmp, ignore_errors=True)
