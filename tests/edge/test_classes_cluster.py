"""A client's cap on requests in flight holds across backends: two
sandrun-fcgi hosts (network namespaces, as in test_failover) behind the
production site, both with the same classes, and nginx's limit_conn zone for
the class (sandrun-classes.conf from `sandrun-fcgi --nginx-classes`) counting
the client's requests whichever backend they go to.  Each backend alone would
let the client have its cap running there; nginx keeps the total at it."""

import json
import random
import threading

import pytest

from conftest import edge_stack, wait_for
from sandrun_client import JSON_CT
from test_failover import FCGI_PORT, Host

CAP = 3
CLASSES = {"capped": {"max_concurrent": CAP}}
KEY = "kcapped0123456789"
SLEEPY = "import time\ndef main():\n    time.sleep(2)\n    return 'ok'\n"


@pytest.fixture(scope="module")
def capped_cluster():
    a, b = random.randrange(16, 250), random.randrange(0, 250, 2)
    hosts = []
    try:
        hosts = [Host("c", f"10.{a}.{b}"), Host("d", f"10.{a}.{b + 1}")]
        for h in hosts:
            # two slots and a queue of 8 each: either could take the whole burst
            h.start(extra=["--classes", json.dumps(CLASSES, separators=(",", ":"))])
        env = {"SANDRUN_CLASSES": json.dumps(CLASSES), "SANDRUN_EXTRA_KEYS": f"{KEY} carla:capped"}
        with edge_stack("sandrun-edge-classes-", backends=[f"{h.addr}:{FCGI_PORT}" for h in hosts],
                        extra_env=env) as edge:
            assert wait_for(lambda: edge.request("GET", "/health").status == 200, 20)
            yield edge, hosts
    finally:
        for h in hosts:
            h.destroy()


def test_nginx_holds_a_clients_cap_across_backends(capped_cluster):
    edge, hosts = capped_cluster
    n = 8
    results = [None] * n

    def one(i):
        results[i] = edge.post("/execute", {"script": SLEEPY, "timeout": 10}, key=KEY, timeout=60)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    ok = [r for r in results if r.status == 200]
    refused = [r for r in results if r.status == 429]
    assert len(ok) == CAP and len(refused) == n - CAP, results
    for r in refused:
        assert r.content_type == JSON_CT and r.headers.get("Retry-After"), r
        assert r.json["error"] == "too many concurrent requests for this client", r
    log = edge.log("nginx-error.log")
    assert 'limiting connections by zone "sandrun_conn_capped"' in log, log[-2000:]
    # the accepted ones ran on both backends: the cap is not one backend's
    access = edge.log("nginx-access.log")
    assert all(f"ua={h.addr}:{FCGI_PORT}" in access for h in hosts), access[-2000:]
    # and no backend refused anything itself
    for h in hosts:
        assert "client at its class's max_concurrent" not in h.app.read_log()
    # with nothing in flight, the client runs again
    r = edge.post("/execute", {"script": "def main():\n    return 1\n"}, key=KEY, timeout=60)
    assert r.status == 200, r
