"""What holds a job to its memory_limit, on each kind of host.

Where a memory cgroup is (v1 or v2), it is the limit for the whole job and
RLIMIT_AS only a backstop; a stack with `--cgroup off` is a host without
one, where RLIMIT_AS is the limit and what threads reserve must not eat it
(one malloc arena, 4 MB thread stacks).  Both must run 64 threads and a
16-thread numpy pool at the default limits, and stop a memory bomb near
its limit (docs/security.md, Memory)."""
import pytest

from stack import own_stack
from thread_scripts import blas_pool_fields, numpy_pool, threads_alive

THREADS_64 = threads_alive(64)
NUMPY_POOL_16 = numpy_pool(16, 32, 300)

BOMB = """
def main():
    hoard = []
    while True:
        hoard.append(b"\\x01" * (16 << 20))
"""


@pytest.fixture(scope="module")
def no_cgroup():
    with own_stack("sandrun-as-", "--cgroup off") as st:
        yield st


def test_health_says_what_limits_memory(stack):
    h = stack.get("/health").json
    want = "address_space" if h["cgroup"] == "none" else "cgroup"
    assert h["memory_limit_by"] == want, h


def test_health_without_a_cgroup(no_cgroup):
    h = no_cgroup.get("/health").json
    assert h["cgroup"] == "none" and h["memory_limit_by"] == "address_space", h


@pytest.mark.parametrize("which", ["stack", "no_cgroup"])
def test_threads_at_the_default_limits(request, which):
    st = request.getfixturevalue(which)
    b = st.execute(THREADS_64).json
    assert b["status"] == "success" and b["result"] == 64, (which, b)
    b = st.execute(NUMPY_POOL_16, **blas_pool_fields(st)).json
    assert b["status"] == "success" and b["result"] == 32 * 300.0 ** 3, (which, b)


@pytest.mark.parametrize("limit", [64, 256])
def test_a_bomb_stops_at_the_limit_without_a_cgroup(no_cgroup, limit):
    base = no_cgroup.execute("def main():\n    return 1\n").json["max_rss_kb"]
    b = no_cgroup.execute(BOMB, memory_limit=limit, timeout=30).json
    assert b["status"] == "memory_exceeded", b
    # RLIMIT_AS counts what the job maps beyond its start: the limit itself,
    # and the few pages of the interpreter the bomb touches on its way
    assert (b["max_rss_kb"] - base) / 1024 <= limit + 8, (base, b)
