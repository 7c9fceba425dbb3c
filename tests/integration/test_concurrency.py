"""Concurrent requests each get their own answer."""

import threading
import time

N = 20


def test_concurrent_requests_get_their_own_results(stack):
    results = [None] * N
    errors = []

    def worker(i):
        try:
            results[i] = stack.execute(
                "import sys, time\n"
                "def main():\n"
                f"    n = {i}\n"
                "    data = sys.stdin.read()\n"
                "    print('job', n)\n"
                "    time.sleep(0.05)\n"
                "    return {'n': n, 'square': n * n, 'stdin': data}\n",
                stdin=f"input-{i}", timeout=30, memory_limit=256)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    ids = set()
    for i, r in enumerate(results):
        assert r is not None, i
        assert r.status == 200, (i, r)
        body = r.json
        assert body["status"] == "success", (i, r)
        assert body["result"] == {"n": i, "square": i * i, "stdin": f"input-{i}"}, (i, body)
        assert body["stdout"] == f"job {i}\n", (i, body)
        assert body["request_id"] == r.request_id
        ids.add(body["request_id"])
    assert len(ids) == N


def test_health_answers_while_busy(stack):
    """/health does not wait for an execution slot."""
    done = threading.Event()
    slow = []

    def run():
        slow.append(stack.execute("import time\ndef main():\n    time.sleep(1.5)\n    return 1\n",
                                  timeout=5))
        done.set()

    t = threading.Thread(target=run)
    t.start()
    try:
        busy = []
        for _ in range(10):
            r = stack.get("/health", timeout=5)
            assert r.status == 200, r
            busy.append(r.json["slots"]["busy"])
            if busy[-1] >= 1 or done.is_set():
                break
            time.sleep(0.1)
        assert max(busy) >= 1, busy
    finally:
        t.join(30)
    assert slow and slow[0].status == 200, slow


def test_slow_clients_hold_no_slot():
    """nginx buffers both ways: a client that trickles its body in, or does
    not read its answer, never holds the service's only slot, and others are
    served at full speed meanwhile."""
    import json
    import socket

    from stack import own_stack
    hello = "def main():\n    return 4\n"
    with own_stack("sandrun-slow-", "--slots 1 --queue_max 0") as st:
        body = json.dumps({"script": "def main():\n    print('x' * (1 << 20))\n    return 1\n"}).encode()
        head = ("POST /execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                f"X-API-Key: {st.key}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        trickler = socket.create_connection(("127.0.0.1", st.port))
        trickler.sendall(head + body[:10])
        sleeper = socket.create_connection(("127.0.0.1", st.port))
        # a reader that never reads a 1 MiB answer
        sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sleeper.sendall(head + body)
        try:
            time.sleep(0.5)
            took = []
            for i in range(8):
                t0 = time.monotonic()
                r = st.execute(hello)
                took.append(time.monotonic() - t0)
                assert r.status == 200 and r.json["result"] == 4, r
                if i < 7:
                    trickler.send(body[10 + i:11 + i])
            # with one slot and no queue, a held slot would have meant 503s
            assert max(took) < 2, took
        finally:
            trickler.close()
            sleeper.close()
