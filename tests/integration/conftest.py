"""Integration tests: the real nginx in front of the real sandrun-fcgi.

The session fixture `stack` starts both with `dev/stack start` in a fresh
state directory on a free loopback port and stops them at the end, failing
the session if anything of its jobs outlived it (tests/lib/stack.py).

Environment: see tests/lib/stack.py (SANDRUN_BUILD_DIR, SANDRUN_EXTRA_ARGS,
SANDRUN_JOB_UID_BASE, SANDRUN_KEEP_STATE).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from stack import session_stack  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    yield from session_stack("sandrun-it-")
