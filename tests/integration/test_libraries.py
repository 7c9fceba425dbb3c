"""The scientific libraries, offered through the `libraries` setting.

A stack of its own offers all six; each test uses a library for real and
checks the numbers.  The CLI twins are checked against the HTTP bodies."""
import base64
import json
import os
import subprocess

import pytest

from stack import own_stack

LIBS = ["numpy", "pandas", "scipy", "sympy", "matplotlib", "sklearn"]


@pytest.fixture(scope="module")
def libstack():
    with own_stack("sandrun-lib-", "--libraries " + ",".join(LIBS)) as st:
        yield st


def ok(r):
    assert r.status == 200, r
    body = r.json
    assert body["status"] == "success", body
    return body["result"]


def test_health_lists_exactly_the_libraries_that_import(libstack):
    body = libstack.get("/health").json
    assert body["libraries"] == LIBS


def test_pandas_groupby(libstack):
    r = libstack.execute(
        "import pandas as pd\n"
        "def main():\n"
        "    df = pd.DataFrame({'team': ['a', 'b', 'a', 'b', 'c'], 'score': [1, 2, 3, 4, 5]})\n"
        "    g = df.groupby('team')['score'].agg(['sum', 'mean'])\n"
        "    return {k: [int(v['sum']), float(v['mean'])] for k, v in g.iterrows()}\n")
    assert ok(r) == {"a": [4, 2.0], "b": [6, 3.0], "c": [5, 5.0]}


def test_scipy_optimize_and_integrate(libstack):
    r = libstack.execute(
        "from scipy import optimize, integrate\n"
        "import math\n"
        "def main():\n"
        "    m = optimize.minimize_scalar(lambda x: (x - 3) ** 2 + 1)\n"
        "    q, _ = integrate.quad(lambda x: x * x, 0, 3)\n"
        "    return [round(m.x, 6), round(q, 9)]\n")
    assert ok(r) == [3.0, 9.0]


def test_sympy_solve_and_derivative(libstack):
    r = libstack.execute(
        "import sympy as sp\n"
        "def main():\n"
        "    x = sp.symbols('x')\n"
        "    roots = sorted(sp.solve(x**2 - 5*x + 6, x))\n"
        "    d = sp.diff(sp.sin(x) * x**2, x)\n"
        "    return [[int(r) for r in roots], str(d)]\n")
    assert ok(r) == [[2, 3], "x**2*cos(x) + 2*x*sin(x)"]


def test_matplotlib_png_in_memory(libstack):
    r = libstack.execute(
        "import io, base64\n"
        "import matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "def main():\n"
        "    fig, ax = plt.subplots(figsize=(3, 2))\n"
        "    ax.plot([1, 2, 3], [1, 4, 9])\n"
        "    buf = io.BytesIO()\n"
        "    fig.savefig(buf, format='png')\n"
        "    return {'backend': matplotlib.get_backend(), 'png': base64.b64encode(buf.getvalue()).decode()}\n")
    res = ok(r)
    assert res["backend"].lower() == "agg"
    png = base64.b64decode(res["png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000


def test_sklearn_fit_predict(libstack):
    r = libstack.execute(
        "from sklearn.linear_model import LinearRegression\n"
        "import numpy as np\n"
        "def main():\n"
        "    X = np.array([[1.0], [2.0], [3.0], [4.0]])\n"
        "    y = 2 * X[:, 0] + 1\n"
        "    m = LinearRegression().fit(X, y)\n"
        "    return [round(float(m.coef_[0]), 6), round(float(m.intercept_), 6), round(float(m.predict([[10.0]])[0]), 6)]\n")
    assert ok(r) == [2.0, 1.0, 21.0]


def test_math_libraries_use_one_thread(libstack):
    r = libstack.execute(
        "import numpy as np, os\n"
        "def main():\n"
        "    a = np.random.rand(300, 300)\n"
        "    (a @ a).sum()\n"
        "    threads = int([l for l in open('/proc/self/status') if l.startswith('Threads:')][0].split()[1])\n"
        "    return [threads, os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS')]\n")
    assert ok(r) == [1, "1", "1"]


def _without_measurements(body):
    return {k: v for k, v in body.items()
            if k not in ("duration_ms", "cpu_ms", "max_rss_kb", "request_id")}


def _cli(stack, *args):
    exe = os.path.join(stack.build_dir, "cli", "sandrun")
    return subprocess.run([exe, *args, "--config", os.path.join(stack.state_dir, "sandrun.conf")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)


@pytest.mark.parametrize("script, status", [
    ("def main():\n    print('hi')\n    return {'x': [1, 2]}\n", 0),
    ("def main():\n    return 1/0\n", 1),
])
def test_cli_run_matches_http_execute(libstack, tmp_path, script, status):
    path = tmp_path / "s.py"
    path.write_text(script)
    p = _cli(libstack, "run", str(path))
    assert p.returncode == status, p.stderr
    http = libstack.execute(script)
    assert _without_measurements(json.loads(p.stdout)) == _without_measurements(http.json)


@pytest.mark.parametrize("event, status", [({"a": 6, "b": 3}, 0), ({"a": 1, "b": 0}, 1)])
def test_cli_invoke_matches_http_invoke(libstack, tmp_path, event, status):
    code = ("import logging\n"
            "def handler(event, context):\n"
            "    print('start')\n"
            "    logging.info('dividing')\n"
            "    return {'q': event['a'] / event['b'], 'ctx': context}\n")
    (tmp_path / "calc.py").write_text(code)
    (tmp_path / "event.json").write_text(json.dumps({"version": "v1", "event": event, "context": {"id": "c1"}}))
    p = _cli(libstack, "invoke", "calc.handler", str(tmp_path / "calc.py"), str(tmp_path / "event.json"))
    assert p.returncode == status, p.stderr
    http = libstack.post("/invoke", {"version": "v1", "handler": "calc.handler", "code": code,
                                     "event": event, "context": {"id": "c1"}})
    assert http.status == 200
    assert _without_measurements(json.loads(p.stdout)) == _without_measurements(http.json)


@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_no_library_at_all(libstack, tmp_path, mode):
    # "libraries": [] is a valid configuration: plain Python, nothing preloaded
    with open(os.path.join(libstack.state_dir, "sandrun.conf")) as f:
        conf = json.load(f)
    conf.update({"libraries": [], "mode": mode})
    (tmp_path / "sandrun.conf").write_text(json.dumps(conf))
    (tmp_path / "s.py").write_text("import sys\ndef main():\n    return sorted(m for m in ('numpy', 'pandas') if m in sys.modules)\n")
    p = subprocess.run([os.path.join(libstack.build_dir, "cli", "sandrun"), "run", str(tmp_path / "s.py"),
                        "--config", str(tmp_path / "sandrun.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert json.loads(p.stdout)["result"] == [], p.stdout
