"""Network: no route out, no host loopback, no FastCGI socket, no netlink,
no raw sockets, no DNS, no abstract sockets shared between jobs."""

import os
import secrets
import socket

from conftest import assert_all, evidence, denied, run_concurrently

CAT = "network"


def test_internet_tcp_udp(stack, unharmed):
    ev = evidence(stack.run(CAT, "internet_tcp_udp"))
    assert set(ev) == {"tcp 1.1.1.1:80", "tcp 8.8.8.8:53", "udp 8.8.8.8:53", "tcp6 [2606:4700:4700::1111]:80"}
    for k, v in ev.items():
        # socket() itself is refused by the filter: EPERM
        assert v.startswith("socket: PermissionError errno=1"), (k, v)


def test_internet_via_raw_libc(stack, unharmed):
    ev = evidence(stack.run(CAT, "internet_via_libc"))
    assert ev["socket"] == -1 and ev["socket_errno"] == "EPERM", ev
    assert ev["syscall_socket"] == -1 and ev["syscall_errno"] == "EPERM", ev
    assert "connect" not in ev, ev


def test_metadata_service(stack, unharmed):
    ev = evidence(stack.run(CAT, "metadata_service"))
    assert ev["connect"] == "PermissionError errno=1", ev
    for url in ("http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/computeMetadata/v1/"):
        assert ev[url].startswith("URLError") and "Operation not permitted" in ev[url], ev


def test_host_loopback_services(stack, unharmed):
    ev = evidence(stack.run(CAT, "host_loopback", stdin=str(stack.port)))
    tried = {k: v for k, v in ev.items() if ":" in k and not k.startswith("/")}
    assert len(tried) == 24
    for k, v in tried.items():
        assert not v.startswith("connected"), (k, v)
    assert ev[f"127.0.0.1:{stack.port}"] == "PermissionError errno=1", ev
    # the job's own net namespace: no socket of the host is even listed
    for name, lines in ev["/proc/net"].items():
        assert lines == [], (name, lines)
    # while the host does listen there
    with socket.create_connection(("127.0.0.1", stack.port), timeout=5):
        pass


def test_fcgi_socket_not_visible(stack, unharmed):
    path = os.path.join(stack.state_dir, "fcgi.sock")
    assert os.path.exists(path), "the host socket exists (precondition)"
    ev = evidence(stack.run(CAT, "fcgi_socket", stdin=path))
    assert ev["path"] == path
    assert ev["stat"] == "FileNotFoundError errno=2", ev
    assert ev["dir_listing"] == "FileNotFoundError errno=2", ev
    assert ev["connect"] == "FileNotFoundError errno=2", ev
    assert ev["in_proc_net_unix"] == [], ev
    assert ev["socket_files"] == [], ev


def test_netlink(stack, unharmed):
    assert_all(evidence(stack.run(CAT, "netlink")), "PermissionError errno=1", 5)


def test_raw_and_exotic_sockets(stack, unharmed):
    ev = evidence(stack.run(CAT, "raw_sockets"))
    assert ev.pop("socketpair AF_UNIX (allowed)") == "ok", ev
    assert_all(ev, "PermissionError errno=1", 12)


def test_dns_resolution(stack, unharmed):
    ev = evidence(stack.run(CAT, "dns_resolution"))
    for name in ("example.com", "google.com", "metadata.google.internal", "host.docker.internal"):
        assert isinstance(ev[name], str) and ev[name].startswith("gaierror"), (name, ev[name])
    assert ev["/etc/resolv.conf"] == "FileNotFoundError errno=2", ev
    assert "dns" not in ev["/etc/nsswitch.conf"], ev
    assert ev["localhost"] == "127.0.0.1"
    assert ev["systemd-resolved socket"] is False


def test_abstract_unix_sockets_not_shared(stack, unharmed):
    """Job A listens on an abstract name, job B (concurrent) and the host
    test process listen/connect across: nobody reaches anybody."""
    job_name = "sandrun-hostile-" + secrets.token_hex(6)
    host_name = "sandrun-hostile-host-" + secrets.token_hex(6)
    host = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    host.bind("\0" + host_name)
    host.listen(4)
    host.settimeout(0.1)
    try:
        listener, connector = run_concurrently(
            lambda: stack.run(CAT, "abstract_listener", stdin=f"{job_name} 4", timeout=20),
            lambda: stack.run(CAT, "abstract_connect", stdin=f"{job_name}\n{host_name}\n", timeout=20))
        # the host also tries to reach the job's name
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect("\0" + job_name)
            host_to_job = "connected"
        except OSError as e:
            host_to_job = type(e).__name__
        finally:
            c.close()
        try:
            host.accept()
            job_to_host = "accepted"
        except OSError:
            job_to_host = "nothing"
    finally:
        host.close()
    lv, cv = evidence(listener), evidence(connector)
    assert lv["bound"] == job_name
    assert lv["received"] == [], lv
    assert cv[job_name] == "ConnectionRefusedError errno=111", cv
    assert cv[host_name] == "ConnectionRefusedError errno=111", cv
    assert cv["abstract names seen"] == [], cv
    assert host_to_job == "ConnectionRefusedError"
    assert job_to_host == "nothing"
