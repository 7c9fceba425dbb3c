"""Files in and out, through the real nginx, in the mode the suite runs in
(warm or cold): input files in every dialect, the files of output/ with
their MIME types and the caps, matplotlib figures, and every bad path
refused naming `files` and the path."""

import base64
import json

import pytest

from sandrun_client import assert_json_error

MiB = 1024 * 1024


def b64(data):
    return base64.b64encode(data).decode()


def unb64(f):
    assert f["encoding"] == "base64"
    return base64.b64decode(f["content"], validate=True)


def files_by_path(body):
    return {f["path"]: f for f in body["files"]}


# ------------------------------------------------------------ round trips

def test_text_and_binary_round_trip(stack):
    blob = bytes(range(256)) * 40
    script = (
        "import os\n"
        "def main():\n"
        "    text = open('data/in.csv', encoding='utf-8').read()\n"
        "    blob = open('raw.bin', 'rb').read()\n"
        "    os.makedirs('output/deep', exist_ok=True)\n"
        "    open('output/report.csv', 'w').write(text.upper())\n"
        "    open('output/deep/copy.bin', 'wb').write(blob[::-1])\n"
        "    return {'cwd': os.getcwd(), 'n': len(blob)}\n")
    r = stack.execute(script, files=[
        {"path": "data/in.csv", "content": "a,b\n1,é\n"},
        {"path": "raw.bin", "content": b64(blob), "encoding": "base64"},
    ])
    assert r.status == 200, r
    assert r.json["result"] == {"cwd": "/tmp", "n": len(blob)}
    assert [f["path"] for f in r.json["files"]] == ["output/deep/copy.bin", "output/report.csv"]
    got = files_by_path(r.json)
    assert unb64(got["output/report.csv"]) == "A,B\n1,É\n".encode()
    assert got["output/report.csv"]["mime"] == "text/csv"
    assert got["output/report.csv"]["size"] == len("A,B\n1,É\n".encode())
    assert unb64(got["output/deep/copy.bin"]) == blob[::-1]
    assert got["output/deep/copy.bin"]["mime"] == "application/octet-stream"
    assert r.json["files_truncated"] is False


def test_no_output_dir_is_an_empty_list(stack):
    r = stack.execute("def main():\n    return 1\n")
    assert r.status == 200, r
    assert r.json["files"] == [] and r.json["files_truncated"] is False


def test_files_come_back_when_the_script_fails(stack):
    r = stack.execute("import os\ndef main():\n    os.mkdir('output')\n"
                      "    open('output/partial.txt', 'w').write('so far')\n    raise ValueError('late')\n")
    assert r.status == 400 and r.json["status"] == "error", r
    assert [unb64(f) for f in r.json["files"]] == [b"so far"]


def test_run_dialect_files(stack):
    r = stack.post("/run", {"code": "import os\nos.mkdir('output')\n"
                                    "open('output/x.json', 'w').write(open('in/x.txt').read())\n",
                            "files": [{"path": "in/x.txt", "content": "[1, 2]"}]})
    assert r.status == 200 and r.json["status"] == "success", r
    assert r.json["files"][0]["path"] == "output/x.json"
    assert r.json["files"][0]["mime"] == "application/json"
    assert unb64(r.json["files"][0]) == b"[1, 2]"


def test_invoke_dialect_files(stack):
    code = ("import os\n"
            "def handler(event, context):\n"
            "    os.makedirs('output', exist_ok=True)\n"
            "    open('output/' + event['name'], 'w').write(open('conf.ini').read())\n"
            "    return 'ok'\n")
    r = stack.post("/invoke", {"version": "v1", "code": code, "event": {"name": "out.txt"},
                               "files": [{"path": "conf.ini", "content": "[a]\nb=1\n"}]})
    assert r.status == 200 and r.json["result"] == "ok", r
    assert unb64(r.json["files"][0]) == b"[a]\nb=1\n"


def test_next_request_never_sees_previous_files(stack):
    r = stack.execute("import os\ndef main():\n    os.mkdir('output')\n"
                      "    open('output/secret.txt', 'w').write('mine')\n    return 1\n",
                      files=[{"path": "private.txt", "content": "first"}])
    assert r.status == 200 and len(r.json["files"]) == 1, r
    for _ in range(3):
        r = stack.execute("import os\ndef main():\n    return sorted(os.listdir('.'))\n")
        assert r.status == 200, r
        assert "private.txt" not in r.json["result"] and "output" not in r.json["result"], r.json
        assert r.json["files"] == []


# ------------------------------------------------------------ MIME types

@pytest.mark.parametrize("name, data, mime", [
    ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16, "image/png"),
    ("a.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 16, "image/jpeg"),
    ("a.gif", b"GIF89a" + b"\0" * 16, "image/gif"),
    ("fake.png", b"<html><script>alert(1)</script>", "application/octet-stream"),
    ("noext", b"\x89PNG\r\n\x1a\n" + b"\0" * 16, "image/png"),
    ("page.html", b"<p>x</p>", "text/html"),
    ("data.TXT", b"hello", "text/plain"),
    ("pic.svg", b"<svg/>", "image/svg+xml"),
])
def test_mime_from_name_and_picture_bytes(stack, name, data, mime):
    script = ("import os, base64\ndef main():\n    os.mkdir('output')\n"
              "    open('output/%s', 'wb').write(base64.b64decode('%s'))\n    return 1\n" % (name, b64(data)))
    r = stack.execute(script)
    assert r.status == 200, r
    assert r.json["files"][0]["mime"] == mime


# ------------------------------------------------------------ caps

def _writer(sizes):
    return ("import os\ndef main():\n    os.makedirs('output', exist_ok=True)\n"
            "    for i, n in enumerate(%r):\n"
            "        open('output/f%%03d.bin' %% i, 'wb').write(b'x' * n)\n    return 1\n" % (sizes,))


def test_files_out_bytes_exactly_at_the_cap(stack):
    r = stack.execute(_writer([4 * MiB, 4 * MiB]), memory_limit=512)
    assert r.status == 200, r
    assert [f["size"] for f in r.json["files"]] == [4 * MiB, 4 * MiB]
    assert r.json["files_truncated"] is False


def test_files_out_bytes_one_past_the_cap_leaves_that_file_out(stack):
    # the second does not fit; the third (small) still does
    r = stack.execute(_writer([4 * MiB, 4 * MiB + 1, 10]), memory_limit=512)
    assert r.status == 200, r
    assert [f["path"] for f in r.json["files"]] == ["output/f000.bin", "output/f002.bin"]
    assert r.json["files_truncated"] is True


def test_files_out_count_at_and_past_the_cap(stack):
    r = stack.execute(_writer([1] * 32))
    assert len(r.json["files"]) == 32 and r.json["files_truncated"] is False, r
    r = stack.execute(_writer([1] * 33))
    assert len(r.json["files"]) == 32 and r.json["files_truncated"] is True, r
    assert r.json["files"][-1]["path"] == "output/f031.bin"


def test_files_in_count_and_bytes_at_and_past_the_caps(stack):
    ok = [{"path": "f%d" % i, "content": ""} for i in range(64)]
    r = stack.execute("import os\ndef main():\n    return len([n for n in os.listdir('.') if n[0] == 'f'])\n",
                      files=ok)
    assert r.status == 200 and r.json["result"] == 64, r
    r = stack.execute("def main():\n    return 1\n", files=ok + [{"path": "g", "content": ""}])
    assert_json_error(r, 400, contains="files")
    half = b64(b"y" * (4 * MiB))
    two = [{"path": "a", "content": half, "encoding": "base64"},
           {"path": "b", "content": half, "encoding": "base64"}]
    r = stack.execute("import os\ndef main():\n    return os.path.getsize('a') + os.path.getsize('b')\n",
                      files=two)
    assert r.status == 200 and r.json["result"] == 8 * MiB, r
    two[1] = {"path": "b", "content": b64(b"y" * (4 * MiB + 1)), "encoding": "base64"}
    r = stack.execute("def main():\n    return 1\n", files=two)
    assert_json_error(r, 400, contains='"b"')


# ------------------------------------------------------------ bad input

BAD_PATHS = [
    "", "/etc/passwd", "../x", "a/../../x", "a/./b", ".", "..", "a//b", "a/", "a\\b",
    "nul\u0000byte", "tab\there", "x" * 256, "/".join(["d"] * 600),
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_path_is_400_naming_files(stack, path):
    r = stack.execute("def main():\n    return 1\n", files=[{"path": path, "content": "x"}])
    assert_json_error(r, 400, contains="files")


@pytest.mark.parametrize("path", BAD_PATHS[:6])
def test_bad_path_on_run_is_422(stack, path):
    r = stack.post("/run", {"code": "print(1)", "files": [{"path": path, "content": "x"}]})
    assert r.status == 422, r
    assert r.json["detail"][0]["loc"] == ["body", "files"], r.json


@pytest.mark.parametrize("files, needle", [
    ("notalist", "files"),
    ([1], "entry 0"),
    ([{"content": "x"}], "path"),
    ([{"path": "a"}], "content"),
    ([{"path": "a", "content": "x", "encoding": "latin-1"}], "encoding"),
    ([{"path": "a", "content": "not base64!", "encoding": "base64"}], "base64"),
    ([{"path": "a", "content": "QQ", "extra": 1}], "extra"),
    ([{"path": "a", "content": "x"}, {"path": "a", "content": "y"}], "twice"),
    ([{"path": "a", "content": "x"}, {"path": "a/b", "content": "y"}], "directory"),
    ([{"path": "script.py", "content": "x"}], "script.py"),
    ([{"path": "a", "content": 5}], "string"),
])
def test_bad_files_field_is_400(stack, files, needle):
    r = stack.execute("def main():\n    return 1\n", files=files)
    assert_json_error(r, 400, contains=needle)
    assert "files" in r.json["error"]


def test_invoke_module_name_is_taken(stack):
    r = stack.post("/invoke", {"version": "v1", "handler": "calc.handler",
                               "code": "def handler(e, c):\n    return 1\n",
                               "files": [{"path": "calc.py", "content": "x = 1"}]})
    assert_json_error(r, 400, contains="calc.py")


def test_unicode_paths_are_fine(stack):
    r = stack.execute("import os\ndef main():\n    os.mkdir('output')\n"
                      "    open('output/résumé ✓.txt', 'w').write(open('données/été.txt').read())\n    return 1\n",
                      files=[{"path": "données/été.txt", "content": "ça"}])
    assert r.status == 200, r
    assert r.json["files"][0]["path"] == "output/résumé ✓.txt"
    assert unb64(r.json["files"][0]) == "ça".encode()


# ------------------------------------------------------------ figures

def test_matplotlib_show_and_open_figures_become_pngs(stack):
    script = ("import matplotlib.pyplot as plt\n"
              "def main():\n"
              "    plt.plot([1, 2, 3]); plt.show()\n"
              "    plt.figure(); plt.bar([1, 2], [3, 4])\n"
              "    return len(plt.get_fignums())\n")
    r = stack.execute(script, timeout=60)
    assert r.status == 200, r
    assert r.json["result"] == 1   # the first went with show()
    paths = [f["path"] for f in r.json["files"]]
    assert paths == ["output/figure-1.png", "output/figure-2.png"], paths
    for f in r.json["files"]:
        assert f["mime"] == "image/png"
        assert unb64(f).startswith(b"\x89PNG\r\n\x1a\n")


def test_figures_in_run_dialect(stack):
    r = stack.post("/run", {"code": "import matplotlib.pyplot as plt\nplt.plot([0, 1])\n", "timeout": 60})
    assert r.status == 200 and r.json["status"] == "success", r
    assert [f["path"] for f in r.json["files"]] == ["output/figure-1.png"]


def test_no_matplotlib_no_figures(stack):
    r = stack.execute("import sys\ndef main():\n    return 'matplotlib.pyplot' in sys.modules\n")
    assert r.status == 200 and r.json["files"] == [], r


def test_health_shows_the_file_limits(stack):
    lim = stack.get("/health").json["limits"]
    assert lim["max_files_in"] == 64 and lim["max_files_in_bytes"] == 8 * MiB
    assert lim["max_files_out"] == 32 and lim["max_files_out_bytes"] == 8 * MiB
    assert lim["max_body_bytes"] == 16 * MiB
    json.dumps(lim)
