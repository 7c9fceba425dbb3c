"""A client's cap on requests in flight holds across backends: two
sandrun-fcgi hosts (network namespaces, as in test_failover) behind the
production site, both with the same classes, and nginx's limit_conn zone for
the class (sandrun-classes.conf from `sandrun-fcgi --nginx-classes`) counting
the client's requests whichever backend they go to.  Each backend alone would
let the client have its cap running there; nginx keeps the total at it."""

import json

import pytest

from sandrun_client import JSON_CT, concurrently
from test_failover import FCGI_PORT, backend_pair

CAP = 3
CLASSES = {"capped": {"max_concurrent": CAP}}
KEY = "kcapped0123456789"
SLEEPY = "import time\ndef main():\n    time.sleep(2)\n    return 'ok'\n"


@pytest.fixture(scope="module")
def capped_cluster():
    # two slots and a queue of 8 each: either backend could take the whole burst
    env = {"SANDRUN_CLASSES": json.dumps(CLASSES), "SANDRUN_EXTRA_KEYS": f"{KEY} carla:capped"}
    with backend_pair("cd", "sandrun-edge-classes-", ["--classes", json.dumps(CLASSES, separators=(",", ":"))],
                      env) as pair:
        yield pair


def test_nginx_holds_a_clients_cap_across_backends(capped_cluster):
    edge, hosts = capped_cluster
    n = 8
    results = concurrently(
        lambda i: edge.post("/execute", {"script": SLEEPY, "timeout": 10}, key=KEY, timeout=60), n)
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
