"""Files out: whatever a script leaves in output/ (links out of it, FIFOs,
sockets, sparse giants, a flood of files, deep trees, names that are not
UTF-8, a process that keeps rewriting), only regular files inside output/
ever come back, within the caps, and the gathering neither hangs nor reads
more than the caps.  Judge0's CVE-2024-28185 and CVE-2024-28189 are this
class: a link planted where the service reads results."""

import base64
import time

from conftest import evidence

CAT = "files"


def paths(r):
    return [f["path"] for f in r.json["files"]]


def contents(r):
    return {f["path"]: base64.b64decode(f["content"]) for f in r.json["files"]}


def test_links_fifos_sockets_and_devices_are_skipped(stack, unharmed):
    t0 = time.monotonic()
    r = stack.run(CAT, "escape_links")
    ev = evidence(r)
    assert time.monotonic() - t0 < 30, "a FIFO must never be opened"
    assert ev["symlink passwd"] == "SUCCEEDED"        # the links were there...
    assert ev["fifo"] == "SUCCEEDED"
    assert ev["device"] != "SUCCEEDED"                 # (no CAP_MKNOD in a job)
    assert paths(r) == ["output/real.txt"], paths(r)   # ...and none came back
    assert contents(r)["output/real.txt"] == b"real"
    assert r.json["files_truncated"] is False
    for f in r.json["files"]:
        assert b"root:" not in base64.b64decode(f["content"])


def test_output_itself_a_link_to_root(stack, unharmed):
    r = stack.run(CAT, "output_is_link")
    ev = evidence(r)
    assert ev["symlink output -> /"] == "SUCCEEDED"
    assert r.json["files"] == [], r.json["files"]


def test_sparse_giant_and_a_flood_of_empty_files(stack, unharmed):
    t0 = time.monotonic()
    r = stack.run(CAT, "sparse_and_many", timeout=120, memory_limit=1024)
    took = time.monotonic() - t0
    ev = evidence(r)
    assert ev["empty files"] > 1000, ev
    # the sparse file is over the byte budget: never read; the flood is past
    # the count (and the entries visited): cut, and said so
    assert "output/a-sparse.bin" not in paths(r)
    assert len(r.json["files"]) == 32
    assert all(f["size"] == 0 for f in r.json["files"])
    assert r.json["files_truncated"] is True
    assert took < 110, took


def test_deep_trees_and_names_that_are_not_utf8(stack, unharmed):
    r = stack.run(CAT, "deep_and_odd_names")
    ev = evidence(r)
    assert ev["depth"] >= 40, ev
    got = paths(r)
    assert "output/ok.txt" in got
    # too deep, not UTF-8, control characters, unreadable: left out and flagged
    assert not any("bottom" in p or "bad-" in p or "ctl-" in p or "inside" in p for p in got), got
    assert r.json["files_truncated"] is True


def test_a_leftover_rewriter_cannot_race_the_gathering(stack, unharmed):
    for _ in range(5):
        r = stack.run(CAT, "rewriter")
        assert evidence(r) == "left a rewriter"
        for p, data in contents(r).items():
            assert b"root:" not in data, p
            assert set(data) <= {ord("x")}, p
