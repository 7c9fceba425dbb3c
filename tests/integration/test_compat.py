"""Ordinary Python works: what a data scientist or a student writes every
day, run as they would run it on a laptop, each with its exact result, at
the default limits (no timeout or memory_limit in the request), in the
session's mode (the suite runs warm and cold).

Issue 13's table is the first part: what failed before (pickling what the
script defines, process pools, many threads, numpy values in results, UTF-8
in warm mode)."""
import json

import pytest

from thread_scripts import blas_pool_fields, numpy_pool, threads_alive

CORPUS = {
    # -- the table ----------------------------------------------------
    "multiprocessing_pool": ("""
import multiprocessing

def sq(x):
    return x * x

def main():
    with multiprocessing.Pool(4) as pool:
        return pool.map(sq, range(10))
""", [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]),
    "process_pool_executor": ("""
from concurrent.futures import ProcessPoolExecutor

def sq(x):
    return x * x

def main():
    with ProcessPoolExecutor(2) as ex:
        return list(ex.map(sq, range(6)))
""", [0, 1, 4, 9, 16, 25]),
    "pickle_own_class": ("""
import pickle

class P:
    def __init__(self, v):
        self.v = v

def main():
    back = pickle.loads(pickle.dumps(P(5)))
    return [type(back).__name__, back.v, type(back) is P]
""", ["P", 5, True]),
    "threads_64_alive": (threads_alive(64), 64),
    "numpy_thread_pool_16": (numpy_pool(16, 16, 200), 16 * 200.0 ** 3),
    "numpy_bool_result": ("""
import numpy as np

def main():
    y = np.array([1, 0, 1, 1])
    score = (y == np.array([1, 0, 1, 0])).mean()
    return score > 0.5
""", True),
    "numpy_values_result": ("""
import numpy as np

def main():
    a = np.arange(6).reshape(2, 3)
    return {"sum": a.sum(), "mean": a.mean(), "max": np.int32(7), "f32": np.float32(0.5),
            "rows": a, "any": np.bool_(False)}
""", {"sum": 15, "mean": 2.5, "max": 7, "f32": 0.5, "rows": [[0, 1, 2], [3, 4, 5]], "any": False}),
    "utf8_files": ("""
import os, sys, locale

def main():
    with open('notes.txt', 'w') as f:
        f.write('café')
    with open('données-é.csv', 'w') as f:
        f.write('naïve,€\\n')
    print('héllo ✓')
    sys.stderr.write('ünïcode\\n')
    return [open('notes.txt').read(), open('données-é.csv').read(), sorted(n for n in os.listdir('.') if not n.startswith('.')),
            sys.getfilesystemencoding(), locale.getpreferredencoding(False), sys.stdout.encoding]
""", ["café", "naïve,€\n", ["données-é.csv", "notes.txt"], "utf-8", "utf-8", "utf-8"]),
    # -- everyday scripts ------------------------------------------------------
    "pandas_csv_in_tmp": ("""
import pandas as pd

def main():
    df = pd.DataFrame({'city': ['Oslo', 'Lima', 'Oslo'], 'temp': [3.5, 19.0, 4.5]})
    df.to_csv('/tmp/temps.csv', index=False)
    back = pd.read_csv('/tmp/temps.csv')
    return back.groupby('city')['temp'].mean().to_dict()
""", {"Lima": 19.0, "Oslo": 4.0}),
    "matplotlib_to_file": ("""
import matplotlib.pyplot as plt

def main():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1, 4, 9])
    fig.savefig('/tmp/plot.png')
    with open('/tmp/plot.png', 'rb') as f:
        return f.read(8) == b'\\x89PNG\\r\\n\\x1a\\n'
""", True),
    "scipy_optimize": ("""
from scipy import optimize, integrate

def main():
    m = optimize.minimize_scalar(lambda x: (x - 3) ** 2 + 1)
    q, _ = integrate.quad(lambda x: x * x, 0, 3)
    return [round(float(m.x), 6), round(q, 9)]
""", [3.0, 9.0]),
    "sympy_solve": ("""
import sympy as sp

def main():
    x = sp.symbols('x')
    return [str(r) for r in sorted(sp.solve(x**2 - 5*x + 6, x))]
""", ["2", "3"]),
    "sklearn_n_jobs_2": ("""
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from joblib import Parallel, delayed

def cube(x):
    return x ** 3

def main():
    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=20, n_jobs=2, random_state=0).fit(X, y)
    cv = cross_val_score(LogisticRegression(max_iter=500), X, y, cv=3, n_jobs=2)
    return [model.score(X, y) > 0.9, cv.mean() > 0.9, Parallel(n_jobs=2)(delayed(cube)(i) for i in range(4))]
""", [True, True, [0, 1, 8, 27]]),
    "logging": ("""
import logging, io

def main():
    buf = io.StringIO()
    log = logging.getLogger('app')
    log.addHandler(logging.StreamHandler(buf))
    log.setLevel(logging.INFO)
    log.info('loaded %d rows', 3)
    log.debug('hidden')
    log.warning('careful')
    return buf.getvalue()
""", "loaded 3 rows\ncareful\n"),
    "warnings": ("""
import warnings

def main():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        warnings.warn('old api', DeprecationWarning)
    return [str(w[0].message), w[0].category.__name__]
""", ["old api", "DeprecationWarning"]),
    "tempfile": ("""
import os, tempfile

def main():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 'x.txt')
        with open(p, 'w') as f:
            f.write('kept')
        with tempfile.NamedTemporaryFile('w+', suffix='.txt') as t:
            t.write('temp'); t.flush(); t.seek(0)
            return [open(p).read(), t.read(), os.path.dirname(d)]
""", ["kept", "temp", "/tmp"]),
    "sqlite3": ("""
import sqlite3, tempfile, os

def main():
    path = os.path.join(tempfile.mkdtemp(), 'db.sqlite')
    con = sqlite3.connect(path)
    con.execute('create table t (name text, n int)')
    con.executemany('insert into t values (?, ?)', [('a', 1), ('b', 2), ('a', 3)])
    con.commit()
    rows = con.execute('select name, sum(n) from t group by name order by name').fetchall()
    con.close()
    return [list(r) for r in rows]
""", [["a", 4], ["b", 2]]),
    "asyncio": ("""
import asyncio

async def double(x):
    await asyncio.sleep(0.01)
    return 2 * x

async def run():
    return await asyncio.gather(*(double(i) for i in range(5)))

def main():
    return asyncio.run(run())
""", [0, 2, 4, 6, 8]),
    "subprocess_python": ("""
import subprocess, sys

def main():
    p = subprocess.run([sys.executable, '-c', 'print(6 * 7)'], capture_output=True, text=True)
    return [p.returncode, p.stdout]
""", [0, "42\n"]),
    "threading_lock": ("""
import threading

def main():
    n = 0
    lock = threading.Lock()
    def add():
        nonlocal n
        for _ in range(1000):
            with lock:
                n += 1
    ts = [threading.Thread(target=add) for _ in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
    return n
""", 8000),
    "multiprocessing_spawn_forkserver": ("""
import multiprocessing as mp

def sq(x):
    return x * x

def main():
    out = {}
    for method in ('fork', 'spawn', 'forkserver'):
        with mp.get_context(method).Pool(2) as pool:
            out[method] = pool.map(sq, range(4))
    q = mp.Queue()
    p = mp.Process(target=q.put, args=('from a child',))
    p.start(); p.join()
    out['process'] = [q.get(), p.exitcode]
    return out
""", {"fork": [0, 1, 4, 9], "spawn": [0, 1, 4, 9], "forkserver": [0, 1, 4, 9], "process": ["from a child", 0]}),
    "dataclasses": ("""
from dataclasses import dataclass, asdict, field

@dataclass(order=True)
class Item:
    price: float
    name: str = field(compare=False)

def main():
    items = sorted([Item(2.5, 'tea'), Item(1.0, 'bread')])
    return [asdict(i) for i in items]
""", [{"price": 1.0, "name": "bread"}, {"price": 2.5, "name": "tea"}]),
    "decimal": ("""
from decimal import Decimal, getcontext

def main():
    getcontext().prec = 30
    return [str(Decimal('0.1') + Decimal('0.2')), str(Decimal(1) / Decimal(7))]
""", ["0.3", "0.142857142857142857142857142857"]),
    "json_and_re": ("""
import json, re

def main():
    text = 'order 12 costs 3.50, order 7 costs 10.25'
    pairs = re.findall(r'order (\\d+) costs (\\d+\\.\\d+)', text)
    return json.loads(json.dumps({int(o): float(p) for o, p in pairs}))
""", {"12": 3.5, "7": 10.25}),
    "time_sleep": ("""
import time

def main():
    t0 = time.monotonic()
    time.sleep(0.2)
    return 0.2 <= time.monotonic() - t0 < 2
""", True),
}

@pytest.mark.parametrize("name", sorted(CORPUS))
def test_everyday_script(stack, name):
    script, want = CORPUS[name]
    fields = blas_pool_fields(stack) if name == "numpy_thread_pool_16" else {}
    r = stack.execute(script.lstrip("\n"), http_timeout=120, **fields)
    body = r.json
    assert r.status == 200 and body["status"] == "success", (name, {k: body.get(k) for k in
                                                                   ("status", "error", "stderr", "traceback")})
    assert body["result"] == want, (name, body["result"])
    if name == "utf8_files":
        assert body["stdout"] == "héllo ✓\n" and body["stderr"] == "ünïcode\n", body


def test_utf8_stdin(stack):
    r = stack.execute("import sys\ndef main():\n    return [sys.stdin.read(), sys.stdin.encoding]\n",
                      stdin="naïve ✓ 日本\n")
    assert r.status == 200 and r.json["result"] == ["naïve ✓ 日本\n", "utf-8"], r.json


def test_pandas_result_names_the_fix(stack):
    r = stack.execute("import pandas as pd\ndef main():\n    return pd.DataFrame({'a': [1]})\n")
    assert r.status == 400 and r.json["status"] == "error", r.json
    assert r.json["error"].startswith("main() must return a JSON-serializable value: "), r.json
    assert "to_dict()" in r.json["error"], r.json
    r = stack.execute("import pandas as pd\ndef main():\n    return pd.Series([1, 2])\n")
    assert "tolist()" in r.json["error"] and r.json["status"] == "error", r.json


def test_numpy_nan_still_refused(stack):
    for expr in ("np.float64('nan')", "np.array([1.0, np.inf])", "np.float32('nan')"):
        r = stack.execute("import numpy as np\ndef main():\n    return %s\n" % expr)
        assert r.status == 400 and r.json["error"] == (
            "main() must return a JSON-serializable value: Out of range float values are not JSON compliant"), \
            (expr, r.json)


def _post(stack, path, payload):
    return stack.request("POST", path, json.dumps(payload).encode(),
                         {"Content-Type": "application/json", "X-API-Key": stack.key}, timeout=120)


POOL_RUN = """
import multiprocessing, pickle

class P:
    pass

def sq(x):
    return x * x

if __name__ == '__main__':
    print(len(pickle.dumps(P())) > 0)
    with multiprocessing.Pool(2) as pool:
        print(pool.map(sq, range(4)))
    with multiprocessing.get_context('spawn').Pool(2) as pool:
        print(pool.map(sq, range(4)))
"""


def test_run_dialect_pickles_its_main_module(stack):
    r = _post(stack, "/run", {"code": POOL_RUN})
    b = r.json
    assert r.status == 200 and b["status"] == "success", b
    assert b["stdout"] == "True\n[0, 1, 4, 9]\n[0, 1, 4, 9]\n", b


def test_invoke_dialect_pools_and_numpy(stack):
    code = ("import multiprocessing\nimport numpy as np\n\ndef sq(x):\n    return x * x\n\n"
            "def handler(event, context):\n    with multiprocessing.Pool(2) as pool:\n"
            "        squares = pool.map(sq, range(event['n']))\n"
            "    return {'squares': squares, 'total': np.array(squares).sum()}\n")
    r = _post(stack, "/invoke", {"version": "v1", "handler": "main.handler", "code": code, "event": {"n": 4}})
    b = r.json
    assert r.status == 200 and b["error"] is None, b
    assert b["result"] == {"squares": [0, 1, 4, 9], "total": 14}, b
