"""Confinement, proven from inside a script."""

import os

PROBE = r'''
import os

def main():
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    ns = {}
    for n in ("pid", "mnt", "net", "ipc", "uts"):
        try:
            ns[n] = os.readlink("/proc/self/ns/" + n)
        except OSError as e:
            ns[n] = "error: %r" % e
    return {"status": status, "ns": ns, "pid": os.getpid(),
            "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
            "groups": os.getgroups()}
'''


def _status_field(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].split()
    raise KeyError(field)


def _probe(stack):
    r = stack.execute(PROBE)
    assert r.status == 200, r
    return r.json["result"]


def test_unprivileged_user(stack):
    res = _probe(stack)
    st = res["status"]
    uids = [int(x) for x in st["Uid"].split()]
    gids = [int(x) for x in st["Gid"].split()]
    app_uid = int(_status_field(stack.app_pid(), "Uid")[0])
    for u in uids:
        assert u != 0, st["Uid"]
        assert u != app_uid, (st["Uid"], app_uid)
    assert 0 not in gids, st["Gid"]
    assert res["groups"] == [] or res["groups"] == [gids[0]], res["groups"]


def test_no_capabilities_no_new_privs_seccomp(stack):
    st = _probe(stack)["status"]
    assert int(st["CapEff"], 16) == 0, st["CapEff"]
    assert int(st["CapPrm"], 16) == 0, st["CapPrm"]
    assert int(st["CapAmb"], 16) == 0, st["CapAmb"]
    assert st["NoNewPrivs"] == "1", st["NoNewPrivs"]
    assert st["Seccomp"] == "2", st["Seccomp"]


def test_own_namespaces(stack):
    res = _probe(stack)
    for n, inside in res["ns"].items():
        mine = os.readlink(f"/proc/self/ns/{n}")
        assert not inside.startswith("error"), (n, inside)
        assert inside != mine, (n, inside, mine)
        assert inside.startswith(n + ":["), (n, inside)


def test_two_jobs_do_not_share_a_pid_namespace_view(stack):
    # Inside a fresh pid namespace the job sees only its own processes.
    r = stack.execute(
        "import os\n"
        "def main():\n"
        "    return sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n")
    assert r.status == 200, r
    pids = r.json["result"]
    assert len(pids) <= 3, pids
    assert max(pids) < 100, pids


def test_no_network(stack):
    r = stack.execute(
        "import socket\n"
        "def main():\n"
        "    out = {}\n"
        "    try:\n"
        "        s = socket.create_connection(('127.0.0.1', %d), timeout=1)\n"
        "        s.close()\n"
        "        out['loopback'] = 'connected'\n"
        "    except OSError as e:\n"
        "        out['loopback'] = type(e).__name__\n"
        "    try:\n"
        "        socket.create_connection(('1.1.1.1', 53), timeout=1).close()\n"
        "        out['internet'] = 'connected'\n"
        "    except OSError as e:\n"
        "        out['internet'] = type(e).__name__\n"
        "    return out\n" % stack.port)
    assert r.status in (200, 400), r
    if r.status == 200:
        assert r.json["result"]["loopback"] != "connected", r.json
        assert r.json["result"]["internet"] != "connected", r.json
    else:
        # A seccomp kill of socket() is also acceptable.
        assert r.json["status"] in ("killed", "error"), r


def test_private_tmp(stack):
    marker = "sandrun-it-marker"
    r1 = stack.execute(
        "def main():\n"
        f"    open('/tmp/{marker}', 'w').write('x')\n"
        "    return 1\n")
    assert r1.status == 200, r1
    assert not os.path.exists(f"/tmp/{marker}")
    r2 = stack.execute(
        "import os\n"
        "def main():\n"
        f"    return os.path.exists('/tmp/{marker}')\n")
    assert r2.status == 200, r2
    assert r2.json["result"] is False


def test_root_only_files_are_unreadable(stack):
    # The host must see the job as an unprivileged uid: a root-only file
    # stays closed even if it is visible at all.
    r = stack.execute(
        "def main():\n"
        "    out = {}\n"
        "    for p in ('/etc/shadow', '/etc/gshadow', '/root'):\n"
        "        try:\n"
        "            if p == '/root':\n"
        "                import os\n"
        "                os.listdir(p)\n"
        "            else:\n"
        "                open(p).read()\n"
        "            out[p] = 'readable'\n"
        "        except OSError as e:\n"
        "            out[p] = type(e).__name__\n"
        "    return out\n")
    assert r.status == 200, r
    for path, outcome in r.json["result"].items():
        assert outcome != "readable", (path, r.json)


def test_requests_do_not_share_random_state(stack):
    script = (
        "import os, random\n"
        "import numpy as np\n"
        "def main():\n"
        "    return [os.urandom(8).hex(), random.random(), float(np.random.rand())]\n")
    a = stack.execute(script)
    b = stack.execute(script)
    assert a.status == 200 and b.status == 200, (a, b)
    ra, rb = a.json["result"], b.json["result"]
    for x, y in zip(ra, rb):
        assert x != y, (ra, rb)


def test_namespace_and_mount_calls_are_refused(stack):
    r = stack.execute(
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def call(f, *args):\n"
        "    rc = f(*args)\n"
        "    return [rc, os.strerror(ctypes.get_errno()) if rc != 0 else '']\n"
        "def main():\n"
        "    return {\n"
        "        'unshare_user': call(libc.unshare, 0x10000000),\n"
        "        'unshare_net': call(libc.unshare, 0x40000000),\n"
        "        'mount_tmpfs': call(libc.mount, b'none', b'/tmp', b'tmpfs', 0, None),\n"
        "        'sethostname': call(libc.sethostname, b'x', 1),\n"
        "    }\n")
    assert r.status == 200, r
    for name, (rc, err) in r.json["result"].items():
        assert rc == -1, (name, r.json["result"])
