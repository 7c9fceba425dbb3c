"""Several backends behind one nginx: two sandrun-fcgi hosts, each in its
own network namespace (a veth pair to this host), in the upstream of the
production site.  One of them is stopped under steady load, gracefully
(SIGTERM) and then by a crash (SIGKILL): the other keeps answering, and the
only requests that fail are those that were running on the dead one, each
with a JSON 503 and Retry-After (nginx's 502, answered as "retry").  nginx retries a POST elsewhere only when it never
reached the dead backend (fastcgi_next_upstream error timeout, without
non_idempotent), so no script runs twice."""

import contextlib
import os
import random
import subprocess
import threading
import time

import pytest

from conftest import App, edge_stack, wait_for
from sandrun_client import JSON_CT

FCGI_PORT = 9000
SLEEPY = "import time\ndef main():\n    time.sleep(0.3)\n    return 'ok'\n"


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


class Host:
    """A network namespace reached from this host over a veth pair."""

    def __init__(self, tag, net):
        self.ns = f"sandrun-edge-{os.getpid()}-{tag}"
        self.host_if = f"sre{os.getpid() % 100000}{tag}"
        self.ns_if = "eth0"
        self.host_addr = f"{net}.1"
        self.addr = f"{net}.2"
        ip("netns", "add", self.ns)
        ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if,
           "netns", self.ns)
        ip("addr", "add", f"{self.host_addr}/24", "dev", self.host_if)
        ip("link", "set", self.host_if, "up")
        ip("-n", self.ns, "addr", "add", f"{self.addr}/24", "dev", self.ns_if)
        ip("-n", self.ns, "link", "set", self.ns_if, "up")
        ip("-n", self.ns, "link", "set", "lo", "up")
        self.app = None

    def start(self, extra=()):
        if self.app:                 # a restart: the old instance's log goes
            self.app.cleanup()
        self.app = App(["--listen", f"{self.addr}:{FCGI_PORT}",
                        "--web-server-addrs", self.host_addr,
                        "--slots", "2", "--queue-max", "8", *extra], netns=self.ns)
        self.app.wait_started()

    def pids(self):
        out = ip("netns", "pids", self.ns, check=False).stdout.split()
        return [int(p) for p in out]

    def destroy(self):
        if self.app:
            self.app.cleanup()
        for p in self.pids():        # our own processes, if any survived
            try:
                os.kill(p, 9)
            except OSError:
                pass
        ip("link", "del", self.host_if, check=False)
        ip("netns", "del", self.ns, check=False)


@contextlib.contextmanager
def backend_pair(tags, prefix, extra=(), env=None):
    """Two hosts (tags: their names) each running a sandrun-fcgi with the
    extra settings, behind the production site (env: dev/stack's); yields
    (edge, hosts) once nginx answers, and tears everything down."""
    a, b = random.randrange(16, 250), random.randrange(0, 250, 2)
    hosts = []
    try:
        hosts = [Host(tags[0], f"10.{a}.{b}"), Host(tags[1], f"10.{a}.{b + 1}")]
        for h in hosts:
            h.start(extra)
        with edge_stack(prefix, backends=[f"{h.addr}:{FCGI_PORT}" for h in hosts], extra_env=env) as edge:
            assert wait_for(lambda: edge.request("GET", "/health").status == 200, 20)
            yield edge, hosts
    finally:
        for h in hosts:
            h.destroy()


@pytest.fixture(scope="module")
def cluster():
    with backend_pair("ab", "sandrun-edge-lb-") as pair:
        yield pair


class Load:
    """Clients sending POST /execute back to back; counts every outcome."""

    def __init__(self, edge, clients=4):
        self.edge = edge
        self.sent = 0
        self.answered = 0
        self.failed = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client) for _ in range(clients)]

    def _client(self):
        while not self.stop.is_set():
            with self.lock:
                self.sent += 1
            try:
                r = self.edge.execute(SLEEPY, http_timeout=60)
                ok = r.status == 200 and r.json.get("result") == "ok"
            except Exception as e:         # a lost request
                r, ok = e, False
            with self.lock:
                if ok:
                    self.answered += 1
                else:
                    self.failed.append(r)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(90)

    def report(self, what):
        line = (f"failover ({what}): sent {self.sent}, answered {self.answered}, "
                f"failed {len(self.failed)}")
        print(line)
        results = os.path.join(os.path.dirname(__file__), "..", "..", "test-results")
        os.makedirs(results, exist_ok=True)
        with open(os.path.join(results, "failover.txt"), "a") as f:
            f.write(line + "\n")
        return line


def _both_serving(edge, hosts):
    log = edge.log("nginx-access.log")
    return all(f"ua={h.addr}:{FCGI_PORT}" in log for h in hosts)


def _check_failures(load, limit):
    assert load.sent == load.answered + len(load.failed)
    assert len(load.failed) <= limit, load.failed
    for r in load.failed:
        assert not isinstance(r, Exception), r            # nothing lost: an answer
        assert r.status == 503 and r.headers.get("Retry-After"), r
        assert r.content_type == JSON_CT, r
        assert r.json["error"]


def test_graceful_stop_of_one_backend_loses_nothing(cluster):
    edge, (a, b) = cluster
    with Load(edge) as load:
        time.sleep(2)
        assert _both_serving(edge, (a, b))
        before = load.answered
        assert a.app.stop("TERM", timeout=30) == 0      # finishes its jobs, exits 0
        time.sleep(3)
        after_kill = load.answered
    line = load.report("SIGTERM")
    assert load.answered > before and after_kill > before, line
    # a job already accepted finishes; a connection made after the socket
    # closed is refused and retried on b
    _check_failures(load, 0)
    a.start()
    assert wait_for(lambda: edge.request("GET", "/health").status == 200, 20)


def test_crash_of_one_backend_fails_only_its_requests_in_flight(cluster):
    edge, (a, b) = cluster
    time.sleep(11)    # fail_timeout: let nginx use a again
    with Load(edge) as load:
        time.sleep(2)
        b.app.proc.kill()                                # SIGKILL: a crash
        t_kill = load.answered
        time.sleep(4)
        t_end = load.answered
    line = load.report("SIGKILL")
    assert t_end > t_kill + 10, line                      # a keeps answering
    # at most the jobs running or queued on b: 4 clients, 2 slots there
    _check_failures(load, 4)
    b.app.proc.wait(10)
    # the crash leaves nothing behind in b's namespace
    assert wait_for(lambda: b.pids() == [], 10), b.pids()
