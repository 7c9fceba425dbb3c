"""Paced latency: requests sent open loop at a fixed rate.

A closed loop (wrk, or one client sending its next request when the last
answer came) slows down with the system it measures: while one request is
slow, the next is not sent, and the slow moment is counted once instead of
for every request that would have been sent during it (coordinated
omission).  Here request i is due at start + i / rate and is sent then, in
a thread of its own, whether or not earlier requests have been answered;
its latency runs from the time it was due, so a late send (the sender
itself held up) counts against the target too.  At 10 requests/s this is
the light load the issue's latency goals are stated for: a job rarely
waits for another, and the figures say what one request costs.

open_loop() drives any send function; HttpTarget sends POST /execute to a
stack over a small pool of keep-alive connections (a client library would
keep its connection, as wrk does in the closed loop).
"""

import http.client
import json
import statistics
import threading
import time


def open_loop(send, rate, seconds):
    """Call send() at rate per second for seconds, each call in a thread of
    its own; send returns None (a good answer) or an error string.  Returns
    the latencies of the good answers (ms, from the time each was due, in
    the order they were due), the errors, and whether the target kept up."""
    n = max(1, int(round(rate * seconds)))
    done = [None] * n
    late = [0.0] * n

    def fire(i, due):
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        late[i] = time.perf_counter() - due
        try:
            err = send()
        except Exception as e:       # one request's failure, not the run's
            err = "%s: %s" % (type(e).__name__, e)
        done[i] = (due, time.perf_counter(), err)

    # Each request's thread is started a little ahead of its due time and
    # sleeps the rest, so that starting a thread is not part of the latency;
    # how late the sends were anyway (the sleep's overshoot, a busy CPU) is
    # reported, and counts against the target like any other delay.
    AHEAD = 0.005
    threads = []
    start = time.perf_counter() + 0.02
    for i in range(n):
        due = start + i / rate
        delay = due - AHEAD - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=fire, args=(i, due), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()

    lat = [(t1 - due) * 1000.0 for due, t1, err in done if not err]
    errors = [err for _, _, err in done if err]
    # answers per second between the first good answer and the last: the
    # rate itself for a target that keeps up, its capacity for one that
    # does not
    ends = sorted(t1 for _, t1, err in done if not err)
    answered = (len(ends) - 1) / (ends[-1] - ends[0]) if len(ends) > 1 and ends[-1] > ends[0] else float("nan")
    late_ms = sorted(x * 1000.0 for x in late)
    # Kept up: it answered at 80 % of the rate or more, the last quarter's
    # answers waited no longer than the first quarter's (twice as long, plus
    # one period, for noise), and none was refused for want of room.  A target slower than the rate builds a
    # queue that grows for the whole run, so its p50 depends on the run's
    # length, not on what one request costs; sandrun's queue is bounded
    # (queue_max, queue_wait_s) and answers 503 past it, which sheds the
    # load instead.
    q = max(1, len(lat) // 4)
    first = statistics.median(lat[:q]) if lat else float("nan")
    final = statistics.median(lat[-q:]) if lat else float("nan")
    shed = sum(1 for e in errors if e.startswith(("503 ", "429 ")))
    kept_up = answered >= 0.8 * rate and final <= 2 * first + 1000.0 / rate and not shed
    return {
        "latencies_ms": lat,
        "requests": n,
        "bad": len(errors),
        "shed": shed,
        "error_sample": errors[0] if errors else "",
        "rate": answered,
        # how late the sends left: the client's own share of the latencies
        "send_late_median_ms": late_ms[n // 2],
        "send_late_max_ms": late_ms[-1],
        "kept_up": kept_up,
        "first_quarter_ms": first,
        "last_quarter_ms": final,
    }


class HttpTarget:
    """POST /execute of one body to a stack; send() is safe from many
    threads at once (each takes an idle connection, or opens one)."""

    def __init__(self, port, key, body):
        self.port = port
        self.body = body
        self.headers = {"X-API-Key": key, "Content-Type": "application/json"}
        self.idle = []
        self.lock = threading.Lock()

    def _take(self):
        with self.lock:
            if self.idle:
                return self.idle.pop(), True
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120), False

    def _post(self, conn):
        conn.request("POST", "/execute", self.body, self.headers)
        r = conn.getresponse()
        return r.status, r.read()

    def send(self):
        conn, reused = self._take()
        try:
            status, data = self._post(conn)
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            if not reused:
                return "socket error: %s: %s" % (type(e).__name__, e)
            # nginx may have closed an idle keep-alive connection: once more
            # on a new one (the time lost counts, from the due time)
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                status, data = self._post(conn)
            except (OSError, http.client.HTTPException) as e2:
                conn.close()
                return "socket error: %s: %s" % (type(e2).__name__, e2)
        with self.lock:
            self.idle.append(conn)
        try:
            ok = status == 200 and json.loads(data).get("status") == "success"
        except (ValueError, AttributeError):
            ok = False
        if not ok:
            return "%s %s" % (status, data[:300].decode(errors="replace"))
        return None

    def close(self):
        with self.lock:
            for c in self.idle:
                c.close()
            self.idle = []
