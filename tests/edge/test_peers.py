"""FastCGI over TCP executes code for whoever connects: sandrun-fcgi must
refuse peers that are not in `web_server_addrs`, IPv4 and IPv6 alike
(fcgi-app/peers.c checks every accepted connection before reading it)."""

import pytest

import fcgi_client
from conftest import App, free_port


def _serve(listen, allowed):
    app = App(["--listen", listen, "--web-server-addrs", allowed, "--slots", "1"])
    app.wait_started()
    return app


def _answered(addr, source):
    try:
        r = fcgi_client.execute(addr, "def main():\n    return 1\n",
                                source_address=source, timeout=20)
    except (fcgi_client.ConnectionRefusedByPeer, ConnectionRefusedError):
        return False
    assert r.status == 200, r
    return True


def test_ipv4_listener_refuses_other_peers():
    port = free_port()
    app = _serve(f"127.0.0.1:{port}", "127.0.0.2")
    try:
        assert _answered(("127.0.0.1", port), ("127.0.0.2", 0))
        assert not _answered(("127.0.0.1", port), ("127.0.0.1", 0))
        assert not _answered(("127.0.0.1", port), ("127.0.0.3", 0))
        # still serving the allowed peer after refusing the others
        assert _answered(("127.0.0.1", port), ("127.0.0.2", 0))
    finally:
        app.cleanup()


def test_default_allows_loopback_only():
    port = free_port()
    app = App(["--listen", f"127.0.0.1:{port}", "--slots", "1"])
    app.wait_started()
    try:
        assert _answered(("127.0.0.1", port), ("127.0.0.1", 0))
        assert not _answered(("127.0.0.1", port), ("127.0.0.9", 0))
    finally:
        app.cleanup()


# libfcgi 2.4 (os_unix.c, OS_Accept) checks FCGI_WEB_SERVER_ADDRS only when
# the peer is AF_INET, which is why sandrun-fcgi checks peers itself: an
# AF_INET6 peer, and an IPv4 client of a dual-stack [::] listener (seen as
# ::ffff:a.b.c.d), must be refused too.


def test_ipv6_listener_refuses_other_peers():
    port = free_port()
    app = _serve(f"[::1]:{port}", "127.0.0.2")
    try:
        assert not _answered(("::1", port), ("::1", 0))
    finally:
        app.cleanup()


def test_dual_stack_listener_refuses_other_ipv4_peers():
    port = free_port()
    app = _serve(f"[::]:{port}", "127.0.0.2")
    try:
        assert not _answered(("127.0.0.1", port), ("127.0.0.3", 0))
    finally:
        app.cleanup()
