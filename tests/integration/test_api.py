"""The HTTP contract around /execute: validation, keys, errors, /health."""

import base64
import json
import re
import socket
import time

import pytest

from sandrun_client import JSON_CT, REQUEST_ID_RE, assert_json_error, read_to_end

HELLO = "def main():\n    return 'hi'\n"


# ---------------------------------------------------------------- validation


def test_invalid_json(stack):
    r = stack.post("/execute", b'{"script": "def main(): pass", ')
    body = assert_json_error(r, 400)
    assert body["error"].startswith("invalid JSON: "), body
    assert len(body["error"]) > len("invalid JSON: "), body


def test_invalid_json_garbage(stack):
    r = stack.post("/execute", b"not json at all")
    body = assert_json_error(r, 400)
    assert body["error"].startswith("invalid JSON: "), body


def test_empty_body(stack):
    r = stack.post("/execute", b"")
    assert_json_error(r, 400)


@pytest.mark.parametrize("payload", [[1, 2], "a string", 42, None],
                         ids=["array", "string", "number", "null"])
def test_top_level_not_an_object(stack, payload):
    r = stack.post("/execute", json.dumps(payload).encode())
    assert_json_error(r, 400)


@pytest.mark.parametrize("payload, field", [
    ({}, "script"),
    ({"stdin": "x"}, "script"),
    ({"script": ""}, "script"),
    ({"script": 123}, "script"),
    ({"script": ["def main(): pass"]}, "script"),
    ({"script": None}, "script"),
    ({"script": HELLO, "foo": 1}, "foo"),
    ({"script": HELLO, "code": HELLO}, "code"),
    ({"script": HELLO, "timeout": 0}, "timeout"),
    ({"script": HELLO, "timeout": -1}, "timeout"),
    ({"script": HELLO, "timeout": 301}, "timeout"),
    ({"script": HELLO, "timeout": 300.5}, "timeout"),
    ({"script": HELLO, "timeout": "5"}, "timeout"),
    ({"script": HELLO, "timeout": "abc"}, "timeout"),
    ({"script": HELLO, "timeout": True}, "timeout"),
    ({"script": HELLO, "timeout": [5]}, "timeout"),
    ({"script": HELLO, "memory_limit": 63}, "memory_limit"),
    ({"script": HELLO, "memory_limit": 2049}, "memory_limit"),
    ({"script": HELLO, "memory_limit": 1.5}, "memory_limit"),
    ({"script": HELLO, "memory_limit": 512.5}, "memory_limit"),
    ({"script": HELLO, "memory_limit": "512"}, "memory_limit"),
    ({"script": HELLO, "memory_limit": -512}, "memory_limit"),
    ({"script": HELLO, "memory_limit": False}, "memory_limit"),
    ({"script": HELLO, "stdin": 5}, "stdin"),
    ({"script": HELLO, "stdin": ["a"]}, "stdin"),
    ({"script": HELLO, "stdin": {"a": 1}}, "stdin"),
], ids=lambda v: json.dumps(v)[:40] if isinstance(v, dict) else v)
def test_validation_error_names_the_field(stack, payload, field):
    r = stack.post("/execute", payload)
    body = assert_json_error(r, 400)
    assert field in body["error"], body
    # A validation error is not a script outcome.
    assert "result" not in body


def test_get_execute_is_405(stack):
    r = stack.get("/execute", headers={"X-API-Key": stack.key})
    assert_json_error(r, 405)
    assert "POST" in r.headers.get("Allow", ""), r.headers


def test_wrong_content_type_is_415(stack):
    r = stack.post("/execute", json.dumps({"script": HELLO}).encode(),
                   headers={"Content-Type": "text/plain"})
    assert_json_error(r, 415)


def test_missing_content_type_is_415(stack):
    r = stack.request("POST", "/execute",
                      body=json.dumps({"script": HELLO}).encode(),
                      headers={"X-API-Key": stack.key})
    assert_json_error(r, 415)


MAX_BODY = 16 * 1024 * 1024   # max_body_bytes and client_max_body_size


def test_body_over_the_cap_is_413(stack):
    payload = json.dumps({"script": HELLO, "stdin": "z" * 10}) + " " * MAX_BODY
    r = stack.post("/execute", payload)
    assert_json_error(r, 413, error="request body too large")


def test_body_over_the_cap_without_key_is_413_json(stack):
    # The size check comes before the key check.
    r = stack.post("/execute", b"x" * (MAX_BODY + 1024 * 1024), key=None)
    assert_json_error(r, 413, error="request body too large")


def test_body_of_exactly_the_cap_is_accepted(stack):
    # input files ride in the body: 8 MiB of them, base64, fit with room to spare;
    # JSON's own whitespace makes up the rest, to the byte
    content = base64.b64encode(b"\x00\xff" * (4 * 1024 * 1024)).decode()
    text = json.dumps({"script": "import os\ndef main():\n    return os.path.getsize('blob.bin')\n",
                       "files": [{"path": "blob.bin", "content": content, "encoding": "base64"}]})
    text = text[:-1] + " " * (MAX_BODY - len(text)) + "}"
    assert len(text) == MAX_BODY
    r = stack.post("/execute", text)
    assert r.status == 200, r
    assert r.json["result"] == 8 * 1024 * 1024


def test_stdin_over_its_cap_is_400_naming_it(stack):
    r = stack.post("/execute", {"script": HELLO, "stdin": "z" * (1024 * 1024 + 1)})
    assert_json_error(r, 400, contains="stdin")


# ---------------------------------------------------------------- API keys


def _assert_401(r):
    assert_json_error(r, 401, error="missing or invalid API key")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers


@pytest.mark.parametrize("path", ["/execute", "/run", "/invoke"])
def test_missing_key_is_401(stack, path):
    _assert_401(stack.post(path, {"script": HELLO}, key=None))


def test_wrong_x_api_key_is_401(stack):
    _assert_401(stack.post("/execute", {"script": HELLO}, key="0" * 32))


def test_wrong_bearer_is_401(stack):
    r = stack.post("/execute", {"script": HELLO}, key=None,
                   headers={"Authorization": "Bearer " + "0" * 32})
    _assert_401(r)


def test_key_with_wrong_scheme_is_401(stack):
    r = stack.post("/execute", {"script": HELLO}, key=None,
                   headers={"Authorization": "Basic " + stack.key})
    _assert_401(r)


def test_key_prefix_is_401(stack):
    _assert_401(stack.post("/execute", {"script": HELLO}, key=stack.key[:-1]))


def test_right_x_api_key_is_200(stack):
    r = stack.post("/execute", {"script": HELLO})
    assert r.status == 200, r
    assert r.json["result"] == "hi"


def test_right_bearer_is_200(stack):
    r = stack.post("/execute", {"script": HELLO}, key=None,
                   headers={"Authorization": "Bearer " + stack.key})
    assert r.status == 200, r
    assert r.json["result"] == "hi"


def test_key_is_never_logged(stack):
    stack.post("/execute", {"script": HELLO})
    stack.post("/execute", {"script": HELLO}, key=None,
               headers={"Authorization": "Bearer " + stack.key})
    assert _wait_for_log(stack, "nginx-access.log", " client=dev ")
    for name in ("nginx-access.log", "nginx-error.log", "sandrun.log"):
        assert stack.key not in stack.log(name), name


def test_app_never_sees_the_key(stack):
    # The script cannot see request headers either; the check is that
    # nothing in the environment of the job carries the key.
    r = stack.execute("import os\ndef main():\n    return dict(os.environ)\n")
    assert r.status == 200, r
    assert stack.key not in json.dumps(r.json)


# ---------------------------------------------------------------- routing


def test_unknown_path_is_404_json(stack):
    r = stack.get("/nope", headers={"X-API-Key": stack.key})
    assert_json_error(r, 404)


def test_unknown_path_post_is_404_json(stack):
    r = stack.post("/execute/extra", {"script": HELLO})
    assert_json_error(r, 404)


def test_internal_locations_are_not_reachable(stack):
    for path in ("/_sandrun_auth", "/_sandrun_error/500"):
        r = stack.get(path, headers={"X-API-Key": stack.key})
        assert_json_error(r, 404)


def test_malformed_request_is_400_json(stack):
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as s:
        s.sendall(b"GARBAGE\r\n\r\n")
        data = read_to_end(s)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), data
    assert b"Content-Type: application/json; charset=utf-8" in head, data
    assert b"X-Request-Id: " in head, data
    assert "error" in json.loads(body)


def test_oversized_headers_are_json(stack):
    r = stack.get("/health", headers={"X-Big": "a" * 20000})
    assert_json_error(r, 400)


# ---------------------------------------------------------------- /health


def test_health(stack):
    r = stack.get("/health")
    assert r.status == 200, r
    assert r.content_type == JSON_CT, r
    body = r.json
    assert body["status"] == "healthy"
    assert body["service"] == "sandrun"
    assert isinstance(body["version"], str) and re.match(r"^\d+\.\d+\.\d+", body["version"])
    # At least these three (more limits may be listed).
    for k, v in {"max_timeout_s": 300, "max_memory_mb": 2048,
                 "max_script_bytes": 1048576}.items():
        assert body["limits"].get(k) == v, (k, body["limits"])
    assert isinstance(body["libraries"], list)
    assert "numpy" in body["libraries"] and "pandas" in body["libraries"], body
    slots = body["slots"]
    assert isinstance(slots["total"], int) and slots["total"] >= 1, body
    assert isinstance(slots["busy"], int) and 0 <= slots["busy"] <= slots["total"], body
    assert REQUEST_ID_RE.match(r.request_id or ""), r


def test_health_needs_no_key_and_ignores_a_bad_one(stack):
    r = stack.get("/health", headers={"X-API-Key": "wrong"})
    assert r.status == 200, r


def test_post_health_is_405(stack):
    r = stack.post("/health", {})
    assert_json_error(r, 405)


# ---------------------------------------------------------------- /metrics


def test_metrics_from_loopback(stack):
    r = stack.get("/metrics")
    assert r.status == 200, r
    assert r.content_type.startswith("text/plain"), r
    assert REQUEST_ID_RE.match(r.request_id or ""), r


def test_metrics_from_elsewhere_is_403(stack):
    # nginx listens on 127.0.0.1; a connection from 127.0.0.2 is not
    # "loopback" for the allow list (127.0.0.1 and ::1 only).
    r = stack.get("/metrics", source_address=("127.0.0.2", 0))
    assert_json_error(r, 403)


# ---------------------------------------------------------------- request id


def test_every_response_has_a_request_id(stack):
    responses = [
        stack.get("/health"),
        stack.get("/nope"),
        stack.get("/execute"),
        stack.post("/execute", {"script": HELLO}, key=None),
        stack.post("/execute", {"script": HELLO}),
        stack.post("/execute", {"script": "x = 1\n"}),
        stack.post("/execute", {"script": HELLO, "bogus": 1}),
    ]
    ids = set()
    for r in responses:
        assert REQUEST_ID_RE.match(r.request_id or ""), r
        ids.add(r.request_id)
    assert len(ids) == len(responses)


def _wait_for_log(stack, name, text, seconds=3):
    # nginx writes its access log line after the response has gone out, and
    # the application may log after answering too.
    deadline = time.monotonic() + seconds
    while text not in stack.log(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return text in stack.log(name)


def test_execute_request_id_matches_header_and_log(stack):
    r = stack.post("/execute", {"script": HELLO})
    assert r.status == 200, r
    assert r.json["request_id"] == r.request_id
    assert _wait_for_log(stack, "nginx-access.log", r.request_id), "not in nginx-access.log"
    # The same id is in the application's log line for that request.
    assert _wait_for_log(stack, "sandrun.log", r.request_id), "not in sandrun.log"
