"""FastCGI over TCP executes code for whoever connects: sandrun-fcgi must
refuse peers that are not in `web_server_addrs`, IPv4 and IPv6 alike
(fcgi-app/peers.c checks every accepted connection before reading it)."""

import contextlib

from conftest import App
import fcgi_client
from stack import free_port


@contextlib.contextmanager
def serving(host, allowed=None):
    """A sandrun-fcgi listening on host:PORT (one free port), allowing the
    peers `allowed` (None: its default); yields the port."""
    port = free_port()
    args = ["--listen", f"{host}:{port}", "--slots", "1"]
    if allowed:
        args += ["--web-server-addrs", allowed]
    app = App(args)
    try:
        app.wait_started()
        yield port
    finally:
        app.cleanup()


def _answered(addr, source):
    try:
        r = fcgi_client.execute(addr, "def main():\n    return 1\n",
                                source_address=source, timeout=20)
    except (fcgi_client.ConnectionRefusedByPeer, ConnectionRefusedError):
        return False
    assert r.status == 200, r
    return True


def test_ipv4_listener_refuses_other_peers():
    with serving("127.0.0.1", "127.0.0.2") as port:
        assert _answered(("127.0.0.1", port), ("127.0.0.2", 0))
        assert not _answered(("127.0.0.1", port), ("127.0.0.1", 0))
        assert not _answered(("127.0.0.1", port), ("127.0.0.3", 0))
        # still serving the allowed peer after refusing the others
        assert _answered(("127.0.0.1", port), ("127.0.0.2", 0))


def test_default_allows_loopback_only():
    with serving("127.0.0.1") as port:
        assert _answered(("127.0.0.1", port), ("127.0.0.1", 0))
        assert not _answered(("127.0.0.1", port), ("127.0.0.9", 0))


# libfcgi 2.4 (os_unix.c, OS_Accept) checks FCGI_WEB_SERVER_ADDRS only when
# the peer is AF_INET, which is why sandrun-fcgi checks peers itself: an
# AF_INET6 peer, and an IPv4 client of a dual-stack [::] listener (seen as
# ::ffff:a.b.c.d), must be refused too.


def test_ipv6_listener_refuses_other_peers():
    with serving("[::1]", "127.0.0.2") as port:
        assert not _answered(("::1", port), ("::1", 0))


def test_dual_stack_listener_refuses_other_ipv4_peers():
    with serving("[::]", "127.0.0.2") as port:
        assert not _answered(("127.0.0.1", port), ("127.0.0.3", 0))
