"""POST /run (code runner) and POST /invoke (serverless handler) contracts."""

from sandrun_client import JSON_CT, assert_json_error


def _ok_json(r, status=200):
    assert r.status == status, r
    assert r.content_type == JSON_CT, r
    return r.json


# ---------------------------------------------------------------- /run


def test_run_hello(stack):
    body = _ok_json(stack.post("/run", {"code": "print('Hello')"}))
    assert body["status"] == "success", body
    assert body["stdout"] == "Hello\n"
    assert body["stderr"] == ""
    assert body["error"] is None
    assert isinstance(body["execution_time"], (int, float)) and 0 <= body["execution_time"] < 30
    assert isinstance(body["memory_used"], (int, float)) and body["memory_used"] > 0


def test_run_error_is_short_with_traceback_in_stderr(stack):
    body = _ok_json(stack.post("/run", {"code": "x = 1\nprint(undefined_name)\n"}))
    assert body["status"] == "error", body
    assert body["error"] == "NameError on line 2", body
    assert "Traceback" in body["stderr"] and "NameError" in body["stderr"], body


def test_run_timeout(stack):
    body = _ok_json(stack.post("/run", {"code": "while True:\n    pass\n", "timeout": 1},
                               timeout=15))
    assert body["status"] == "timeout", body
    assert body["error"], body


def test_run_schema_violation_is_422(stack):
    for payload, field in (({"code": ""}, "code"), ({}, "code"),
                           ({"code": "print(1)", "timeout": 0}, "timeout"),
                           ({"code": "print(1)", "memory_limit": 63}, "memory_limit")):
        r = stack.post("/run", payload)
        body = assert_json_error(r, 422)
        locs = [d.get("loc") for d in body["detail"]]
        assert ["body", field] in locs, (payload, body)


# ---------------------------------------------------------------- /invoke

EXAMPLE = {
    "version": "v1", "handler": "main.handler",
    "code": "def handler(event, context):\n    return {\"quotient\": event[\"a\"] / event[\"b\"]}",
    "event": {"a": 4, "b": 1}, "context": {"request_id": "abc"},
    "timeout": 10, "memory_limit": 256,
}


def test_invoke_example(stack):
    body = _ok_json(stack.post("/invoke", EXAMPLE))
    assert body["result"] == {"quotient": 4.0}, body
    assert body["error"] is None
    assert isinstance(body["logs"], str)
    assert isinstance(body["duration_ms"], (int, float))


def test_invoke_logs_in_order(stack):
    code = ("import logging, sys\n"
            "def handler(event, context):\n"
            "    print('one')\n"
            "    logging.info('two')\n"
            "    sys.stderr.write('three\\n')\n"
            "    return context\n")
    body = _ok_json(stack.post("/invoke", {"version": "v1", "code": code,
                                           "context": {"k": "v"}}))
    assert body["result"] == {"k": "v"}, body
    logs = body["logs"]
    assert "INFO:root:two" in logs, logs
    assert logs.index("one") < logs.index("INFO:root:two") < logs.index("three"), logs


def test_invoke_module_name(stack):
    code = "def go(event, context):\n    return __name__\n"
    body = _ok_json(stack.post("/invoke", {"version": "v1", "handler": "mymod.go",
                                           "code": code}))
    assert body["result"] == "mymod", body


def test_invoke_error_is_traceback(stack):
    bad = dict(EXAMPLE, event={"a": 1, "b": 0})
    body = _ok_json(stack.post("/invoke", bad))
    assert body["result"] is None, body
    assert "ZeroDivisionError" in body["error"] and "Traceback" in body["error"], body


def test_invoke_bad_version_is_400(stack):
    assert_json_error(stack.post("/invoke", dict(EXAMPLE, version="v2")), 400)
