"""POST /grade through the real nginx: every verdict, each test in a fresh
sandbox, the compare modes end to end, stop_on_failure, files for every
test, the bounds, streamed test events, the command line."""

import http.client
import json
import os
import subprocess

import pytest

from sandrun_client import assert_json_error

DOUBLE = "n = int(input())\nprint(n * 2)\n"


def grade(stack, code, tests, **fields):
    r = stack.post("/grade", dict({"code": code, "tests": tests}, **fields))
    assert r.status == 200, r
    return r.json


def test_accepted_and_wrong_answer(stack):
    b = grade(stack, DOUBLE, [{"name": "small", "stdin": "2\n", "expected_stdout": "4\n"},
                              {"stdin": "21\n", "expected_stdout": "41\n"}])
    assert b["verdict"] == "wrong_answer" and b["passed"] == 1 and b["total"] == 2, b
    small, second = b["tests"]
    assert small["name"] == "small" and small["verdict"] == "accepted" and small["stdout"] == "4\n"
    assert "expected_stdout" not in small
    assert second["name"] == "test-2" and second["verdict"] == "wrong_answer"
    assert second["stdout"] == "42\n" and second["expected_stdout"] == "41\n"
    for t in b["tests"]:
        assert t["duration_ms"] > 0 and t["cpu_ms"] >= 0 and t["max_rss_kb"] > 0
    assert b["request_id"]


@pytest.mark.parametrize("code, fields, verdict", [
    ("import time\ntime.sleep(10)\n", {"timeout": 1}, "time_limit_exceeded"),
    ("x = bytearray(400 << 20)\nx[::4096] = b'1' * len(x[::4096])\n", {"memory_limit": 128}, "memory_limit_exceeded"),
    ("raise ValueError('nope')\n", {}, "runtime_error"),
    ("import sys\nsys.exit(3)\n", {}, "runtime_error"),
    ("while True:\n    print('x' * 1000)\n", {"timeout": 30}, "output_limit_exceeded"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", {}, "killed"),
])
def test_every_failing_verdict(stack, code, fields, verdict):
    b = grade(stack, code, [{"stdin": "", "expected_stdout": "ok\n"}], **fields)
    assert b["verdict"] == verdict and b["tests"][0]["verdict"] == verdict, b
    if verdict == "runtime_error":
        t = b["tests"][0]
        assert t["error"], t
        if "ValueError" in code:
            assert t["error"].startswith("ValueError") and "Traceback" in t["stderr"], t


def test_the_overall_verdict_is_the_first_failure(stack):
    code = "n = int(input())\nif n == 2:\n    raise SystemExit(1)\nprint(n)\n"
    b = grade(stack, code, [{"stdin": "1", "expected_stdout": "1"}, {"stdin": "2", "expected_stdout": "2"},
                            {"stdin": "3", "expected_stdout": "4"}])
    assert [t["verdict"] for t in b["tests"]] == ["accepted", "runtime_error", "wrong_answer"]
    assert b["verdict"] == "runtime_error" and b["passed"] == 1


def test_stop_on_failure_skips_the_rest(stack):
    b = grade(stack, DOUBLE, [{"stdin": "1", "expected_stdout": "3"}, {"stdin": "2", "expected_stdout": "4"}],
              stop_on_failure=True)
    assert [t["verdict"] for t in b["tests"]] == ["wrong_answer", "skipped"]
    assert b["verdict"] == "wrong_answer"


def test_each_test_in_a_fresh_sandbox(stack):
    # a file, a process and random state left by one test are not in the next
    code = ("import os, random, subprocess, sys\n"
            "seen = os.path.exists('left.txt')\n"
            "open('left.txt', 'w').write('x')\n"
            "subprocess.Popen(['sleep', '30'])\n"
            "procs = len([p for p in os.listdir('/proc') if p.isdigit()])\n"
            "print(seen, procs <= 4, random.random())\n")
    b = grade(stack, code, [{"expected_stdout": ""}, {"expected_stdout": ""}])
    outs = [t["stdout"].split() for t in b["tests"]]
    assert outs[0][:2] == ["False", "True"] and outs[1][:2] == ["False", "True"], outs
    assert outs[0][2] != outs[1][2]


@pytest.mark.parametrize("compare, got, want, ok", [
    ("exact", "4\n", "4", False),
    ("trim", "4  \r\n\n", "4", True),
    ("tokens", "1  2\n3", "1 2 3", True),
    ({"float_tolerance": 1e-3}, "0.3334", "0.333", True),
    ({"float_tolerance": 1e-6}, "0.3334", "0.333", False),
])
def test_compare_modes(stack, compare, got, want, ok):
    b = grade(stack, "import sys\nsys.stdout.write(%r)\n" % got, [{"expected_stdout": want}], compare=compare)
    assert (b["verdict"] == "accepted") == ok, b


def test_files_for_every_test(stack):
    b = grade(stack, "print(open('data/n.txt').read().strip())\n",
              [{"expected_stdout": "7\n"}, {"expected_stdout": "7\n"}],
              files=[{"path": "data/n.txt", "content": "7"}])
    assert b["verdict"] == "accepted" and b["passed"] == 2, b


@pytest.mark.parametrize("fields, needle", [
    ({"tests": []}, "tests"),
    ({"tests": "x"}, "tests"),
    ({"tests": [{"stdin": "1"}]}, "expected_stdout"),
    ({"tests": [{"expected_stdout": "", "extra": 1}]}, "tests"),
    ({"tests": [{"expected_stdout": 4}]}, "tests"),
    ({"tests": [{"expected_stdout": ""}] * 65}, "tests"),
    ({"tests": [{"expected_stdout": ""}] * 61, "timeout": 5}, "timeout"),
    ({"tests": [{"expected_stdout": ""}], "compare": "fuzzy"}, "compare"),
    ({"tests": [{"expected_stdout": ""}], "compare": {"float_tolerance": -1}}, "float_tolerance"),
    ({"tests": [{"expected_stdout": ""}], "stop_on_failure": "yes"}, "stop_on_failure"),
    ({"tests": [{"expected_stdout": ""}], "script": "x"}, "script"),
])
def test_bad_requests_are_400_naming_the_field(stack, fields, needle):
    r = stack.post("/grade", dict({"code": DOUBLE}, **fields))
    assert_json_error(r, 400, contains=needle)


def test_streamed_test_events(stack):
    code = "import time\nn = int(input())\ntime.sleep(n)\nprint(n)\n"
    c = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
    c.request("POST", "/grade", json.dumps({"code": code, "tests": [{"stdin": "0", "expected_stdout": "0"},
                                                                      {"stdin": "2", "expected_stdout": "2"}]}),
              {"X-API-Key": stack.key, "Content-Type": "application/json", "Accept": "application/x-ndjson"})
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "application/x-ndjson"
    evs = [json.loads(line) for line in r]
    assert [e["type"] for e in evs] == ["test", "test", "result"], evs
    assert evs[0]["verdict"] == "accepted" and evs[-1]["verdict"] == "accepted" and evs[-1]["http_status"] == 200


def test_verdicts_are_counted(stack):
    grade(stack, DOUBLE, [{"stdin": "1", "expected_stdout": "2"}])
    text = stack.get("/metrics").body.decode()
    assert 'sandrun_grade_verdicts_total{verdict="accepted"}' in text
    line = [l for l in text.splitlines() if l.startswith('sandrun_grade_verdicts_total{verdict="accepted"}')][0]
    assert float(line.split()[-1]) >= 1
    assert '"verdict":"accepted"' in stack.log() and '"tests":1' in stack.log()


def test_command_line_grade(stack, tmp_path):
    code = tmp_path / "double.py"
    code.write_text(DOUBLE)
    tests = tmp_path / "tests.json"
    tests.write_text(json.dumps([{"stdin": "2", "expected_stdout": "4"}, {"stdin": "3", "expected_stdout": "6 "}]))
    cli = [os.path.join(stack.build_dir, "cli", "sandrun"), "grade", str(code), str(tests),
           "--config", os.path.join(stack.state_dir, "sandrun.conf")]
    p = subprocess.run(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert json.loads(p.stdout)["verdict"] == "accepted"
    p = subprocess.run(cli + ["--compare", "exact"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 1 and json.loads(p.stdout)["verdict"] == "wrong_answer", p.stdout
