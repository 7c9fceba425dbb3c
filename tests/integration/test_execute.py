"""POST /execute: what a script gets back, success and every failure row."""

import json
import math
import re
import time

import pytest

from sandrun_client import JSON_CT, REQUEST_ID_RE

MIB = 1024 * 1024


def assert_success(r):
    assert r.status == 200, r
    assert r.content_type == JSON_CT, r
    body = r.json
    assert body["status"] == "success", r
    assert body.get("stdout_truncated") is False or body["stdout_truncated"] is True, r
    return body


def assert_script_failure(r, status):
    """400 with error, status, stdout and stderr, as API.md says."""
    assert r.status == 400, r
    assert r.content_type == JSON_CT, r
    body = r.json
    assert body["status"] == status, r
    assert isinstance(body["error"], str) and body["error"], r
    assert isinstance(body["stdout"], str), r
    assert isinstance(body["stderr"], str), r
    assert body["request_id"] == r.request_id, r
    return body


# ---------------------------------------------------------------- success


def test_hello_world_with_stdout(stack):
    r = stack.execute(
        "def main():\n"
        "    print('Calculating...')\n"
        "    return {'answer': 2 + 2}\n")
    body = assert_success(r)
    assert body["result"] == {"answer": 4}
    assert body["stdout"] == "Calculating...\n"
    assert body["stderr"] == ""
    assert body["stdout_truncated"] is False


def test_stderr_is_captured(stack):
    r = stack.execute(
        "import sys\n"
        "def main():\n"
        "    sys.stderr.write('warn\\n')\n"
        "    return None\n")
    body = assert_success(r)
    assert body["result"] is None
    assert body["stderr"] == "warn\n"
    assert body["stdout"] == ""


def test_response_fields_are_sane(stack):
    r = stack.execute("def main():\n    return sum(range(1000))\n")
    body = assert_success(r)
    assert body["result"] == 499500
    for field in ("duration_ms", "cpu_ms"):
        v = body[field]
        assert isinstance(v, (int, float)) and not isinstance(v, bool), (field, v)
        assert 0 <= v < 30000, (field, v)
    assert body["duration_ms"] > 0
    assert isinstance(body["max_rss_kb"], int) and not isinstance(body["max_rss_kb"], bool)
    assert 1000 < body["max_rss_kb"] < 2 * 1024 * 1024, body["max_rss_kb"]
    assert REQUEST_ID_RE.match(body["request_id"]), body
    assert body["request_id"] == r.request_id


def test_numpy(stack):
    r = stack.execute(
        "import numpy as np\n"
        "def main():\n"
        "    a = np.arange(12).reshape(3, 4)\n"
        "    m = np.array([[2.0, 1.0], [1.0, 3.0]])\n"
        "    return {'sum': int(a.sum()), 'col_means': a.mean(axis=0).tolist(),\n"
        "            'det': float(np.linalg.det(m))}\n")
    body = assert_success(r)
    res = body["result"]
    assert res["sum"] == 66
    assert res["col_means"] == [4.0, 5.0, 6.0, 7.0]
    assert math.isclose(res["det"], 5.0, rel_tol=1e-9)


def test_pandas(stack):
    r = stack.execute(
        "import pandas as pd\n"
        "def main():\n"
        "    df = pd.DataFrame({'k': ['a', 'b', 'a', 'b', 'a'],\n"
        "                       'v': [1, 2, 3, 4, 5]})\n"
        "    g = df.groupby('k')['v'].sum()\n"
        "    return {'sums': {k: int(v) for k, v in g.items()},\n"
        "            'mean': float(df['v'].mean()), 'rows': len(df)}\n")
    body = assert_success(r)
    assert body["result"] == {"sums": {"a": 9, "b": 6}, "mean": 3.0, "rows": 5}


def test_stdin(stack):
    r = stack.execute(
        "import sys\n"
        "def main():\n"
        "    data = sys.stdin.read()\n"
        "    return {'lines': data.splitlines(), 'n': len(data)}\n",
        stdin="hello\nwörld\n")
    body = assert_success(r)
    assert body["result"] == {"lines": ["hello", "wörld"], "n": 12}


def test_stdin_defaults_to_empty(stack):
    r = stack.execute("import sys\ndef main():\n    return sys.stdin.read()\n")
    body = assert_success(r)
    assert body["result"] == ""


def test_unicode_round_trip(stack):
    r = stack.execute(
        "def main():\n"
        "    print('héllo ☃ 🐍')\n"
        "    return {'s': 'ünïcödé ☃', 'nested': [1, 2.5, None, True, {'x': []}]}\n")
    body = assert_success(r)
    assert body["stdout"] == "héllo ☃ 🐍\n"
    assert body["result"] == {"s": "ünïcödé ☃", "nested": [1, 2.5, None, True, {"x": []}]}


def test_limits_at_their_bounds_are_accepted(stack):
    r = stack.execute("def main():\n    return 1\n", timeout=300, memory_limit=2048)
    assert assert_success(r)["result"] == 1
    r = stack.execute("def main():\n    return 2\n", timeout=0.5, memory_limit=64)
    assert assert_success(r)["result"] == 2


def test_content_type_with_charset_is_accepted(stack):
    r = stack.post("/execute", {"script": "def main():\n    return 'ok'\n"},
                   headers={"Content-Type": "application/json; charset=utf-8"})
    assert assert_success(r)["result"] == "ok"


# ---------------------------------------------------------------- failures


def test_missing_main(stack):
    r = stack.execute("x = 1\ndef helper():\n    return x\n")
    body = assert_script_failure(r, "error")
    assert body["error"] == "Script must contain a 'def main()' function"


def test_syntax_error_names_the_line(stack):
    r = stack.execute("def main():\n    x = 1\n    return x +\n")
    body = assert_script_failure(r, "error")
    assert re.fullmatch(r"SyntaxError: .+ \(line 3\)", body["error"]), body["error"]


def test_exception_with_traceback_of_user_lines(stack):
    r = stack.execute(
        "def helper(x):\n"
        "    raise ValueError('bad value %d' % x)\n"
        "\n"
        "def main():\n"
        "    print('before')\n"
        "    return helper(7)\n")
    body = assert_script_failure(r, "error")
    assert body["error"] == "ValueError: bad value 7"
    tb = body["traceback"]
    if isinstance(tb, list):
        tb = "\n".join(map(str, tb))
    assert isinstance(tb, str), body
    assert "line 6" in tb and "line 2" in tb, tb
    assert "ValueError" in tb, tb
    assert body["stdout"] == "before\n"


def test_set_return_is_not_json(stack):
    r = stack.execute("def main():\n    return {1, 2, 3}\n")
    body = assert_script_failure(r, "error")
    assert body["error"].startswith("main() must return a JSON-serializable value: "), body
    assert len(body["error"]) > len("main() must return a JSON-serializable value: ")


def test_nan_return_is_not_json(stack):
    r = stack.execute("def main():\n    return {'x': float('nan')}\n")
    body = assert_script_failure(r, "error")
    assert body["error"].startswith("main() must return a JSON-serializable value: "), body


def test_object_return_is_not_json(stack):
    r = stack.execute("class A:\n    pass\n\ndef main():\n    return A()\n")
    body = assert_script_failure(r, "error")
    assert body["error"].startswith("main() must return a JSON-serializable value: "), body


def test_timeout_wall_clock(stack):
    t0 = time.monotonic()
    r = stack.execute("import time\ndef main():\n    time.sleep(30)\n", timeout=1,
                      http_timeout=15)
    elapsed = time.monotonic() - t0
    body = assert_script_failure(r, "timeout")
    assert body["error"] == "Script execution timed out (1s limit)"
    assert 0.9 < elapsed < 5, elapsed


def test_timeout_cpu_loop(stack):
    r = stack.execute(
        "def main():\n"
        "    print('spinning', flush=True)\n"
        "    while True:\n"
        "        pass\n", timeout=1, http_timeout=15)
    body = assert_script_failure(r, "timeout")
    assert body["error"] == "Script execution timed out (1s limit)"
    assert body["stdout"] == "spinning\n"


@pytest.mark.parametrize("script, limit", [
    ("def main():\n"
     "    x = bytearray(512 * 1024 * 1024)\n"
     "    return len(x)\n", 64),
    ("def main():\n"
     "    chunks = []\n"
     "    while True:\n"
     "        chunks.append(b'x' * (4 * 1024 * 1024))\n", 128),
], ids=["at_once", "growing"])
def test_memory_exceeded(stack, script, limit):
    body = assert_script_failure(stack.execute(script, memory_limit=limit), "memory_exceeded")
    assert body["error"] == f"Script exceeded the memory limit ({limit} MB)"


@pytest.mark.parametrize("script, signal", [
    ("import os, signal\n"
     "def main():\n"
     "    os.kill(os.getpid(), signal.SIGKILL)\n"
     "    return 'still alive'\n", "SIGKILL"),
    ("import ctypes\n"
     "def main():\n"
     "    return ctypes.string_at(1, 8)\n", "SIGSEGV"),
], ids=["sigkill", "sigsegv"])
def test_killed_by_a_signal(stack, script, signal):
    body = assert_script_failure(stack.execute(script), "killed")
    assert signal in body["error"], body


def test_result_over_limit(stack):
    r = stack.execute("def main():\n    return 'x' * (1024 * 1024 + 16)\n")
    body = assert_script_failure(r, "output_limit")
    assert "limit" in body["error"].lower() or "large" in body["error"].lower(), body


def test_result_just_under_limit(stack):
    # A 1000 000-character string is 1000 002 bytes of JSON: under 1 MiB.
    r = stack.execute("def main():\n    return 'y' * 1000000\n")
    body = assert_success(r)
    assert body["result"] == "y" * 1000000


def test_stdout_over_cap_is_cut(stack):
    r = stack.execute(
        "import sys\n"
        "def main():\n"
        "    sys.stdout.write('a' * (3 * 1024 * 1024))\n"
        "    return 'done'\n")
    body = assert_success(r)
    assert body["result"] == "done"
    assert body["stdout_truncated"] is True
    assert len(body["stdout"]) == MIB, len(body["stdout"])
    assert set(body["stdout"]) == {"a"}
    assert body.get("stderr_truncated", False) is False


def test_stderr_over_cap_is_cut(stack):
    r = stack.execute(
        "import sys\n"
        "def main():\n"
        "    sys.stderr.write('e' * (2 * 1024 * 1024))\n"
        "    return 1\n")
    body = assert_success(r)
    assert body["stderr_truncated"] is True
    assert len(body["stderr"]) == MIB, len(body["stderr"])
    assert body["stdout_truncated"] is False


def test_stdout_at_cap_is_not_truncated(stack):
    r = stack.execute(
        "import sys\n"
        "def main():\n"
        "    sys.stdout.write('b' * (1024 * 1024))\n"
        "    return 0\n")
    body = assert_success(r)
    assert body["stdout_truncated"] is False
    assert len(body["stdout"]) == MIB


DRAIN = 64 * MIB   # max_output_drain_bytes' default
RUNAWAY = {
    "/execute": ("script", "import sys\ndef main():\n    while True:\n        print('x' * 4095)\n"),
    "/run": ("code", "import sys\nwhile True:\n    sys.stderr.write('e' * 65536)\n"),
    "/invoke": ("code", "def handler(event, context):\n    while True:\n        print('y' * 8191)\n"),
}


@pytest.mark.parametrize("path", sorted(RUNAWAY))
def test_runaway_output_ends_the_job_early(stack, path):
    """A script that never stops writing holds its slot only until it has
    written max_output_drain_bytes, not until its timeout (30 s here)."""
    field, code = RUNAWAY[path]
    payload = {field: code, "timeout": 30}
    if path == "/invoke":
        payload["version"] = "v1"
    t0 = time.monotonic()
    r = stack.post(path, payload)
    took = time.monotonic() - t0
    assert took < 10, f"the job ran {took:.1f} s: its output did not end it"
    text = f"Script wrote more than {DRAIN} bytes of output"
    if path == "/execute":
        body = assert_script_failure(r, "output_limit")
        assert body["error"] == text, body["error"]
        assert body["stdout_truncated"] is True and len(body["stdout"]) == MIB
    elif path == "/run":
        assert r.status == 200, r
        assert r.json["status"] == "error" and r.json["error"] == text, r.json
        assert r.json["stderr_truncated"] is True
    else:
        assert r.status == 200, r
        assert r.json["result"] is None and r.json["error"] == text, r.json


def test_output_a_little_over_the_cap_still_succeeds(stack):
    r = stack.execute(
        "def main():\n"
        "    for _ in range(300):\n"
        "        print('z' * 4095)\n"
        "    return 'fine'\n")
    body = assert_success(r)
    assert body["result"] == "fine"
    assert body["stdout_truncated"] is True and len(body["stdout"]) == MIB


def test_non_utf8_stdout_is_replaced(stack):
    r = stack.execute(
        "import sys\n"
        "def main():\n"
        "    sys.stdout.buffer.write(b'ok \\xff\\xfe end\\n')\n"
        "    sys.stdout.flush()\n"
        "    sys.stderr.buffer.write(b'\\xc3(\\n')\n"
        "    sys.stderr.flush()\n"
        "    return 1\n")
    # Response.json decodes strictly: the body itself must be valid UTF-8.
    body = assert_success(r)
    assert body["stdout"].startswith("ok \ufffd"), body["stdout"]
    assert body["stdout"].endswith(" end\n"), body["stdout"]
    assert "\udcff" not in body["stdout"]
    assert "\ufffd" in body["stderr"], body["stderr"]
    json.dumps(body, ensure_ascii=False).encode("utf-8")


def test_failure_keeps_output(stack):
    r = stack.execute(
        "import sys\n"
        "def main():\n"
        "    print('out')\n"
        "    sys.stderr.write('err\\n')\n"
        "    raise KeyError('k')\n")
    body = assert_script_failure(r, "error")
    assert body["error"].startswith("KeyError: "), body
    assert body["stdout"] == "out\n"
    assert "err\n" in body["stderr"]


def test_system_exit_in_main(stack):
    r = stack.execute("import sys\ndef main():\n    sys.exit(3)\n")
    assert r.status == 400, r
    assert r.content_type == JSON_CT, r
    assert r.json["status"] in ("error", "killed"), r
