"""Second half of the warm-interpreter attack: is anything an earlier
request poisoned (interpreter_plant) still there?  Everything is read
without trusting it: the functions' modules and names, not their results
alone."""
import atexit
import builtins
import json
import os
import random
import signal
import sys
import threading
import warnings

import numpy
import pandas


def main():
    np_state = numpy.random.get_state()[1][:4].tolist()
    numpy.random.seed(1234)
    seeded = numpy.random.get_state()[1][:4].tolist()
    random.seed(1234)
    r1234 = random.random()
    random.seed()
    return {
        "json.dumps": json.dumps([1, "a"]),
        "json.dumps module": json.dumps.__module__,
        "len": builtins.len("abc"),
        "builtins.PWNED": hasattr(builtins, "PWNED"),
        "numpy.sum": str(numpy.sum([1, 2])),
        "numpy.sum is numpy's": numpy.sum.__module__,
        "numpy state is the seed 1234 one": np_state == seeded,
        "pandas sum": str(pandas.DataFrame({"a": [1, 2]}).sum()["a"]),
        "random is seed 1234": random.random() == r1234,
        "hashlib": getattr(sys.modules.get("hashlib"), "__file__", None),
        "pwned_module": "pwned_module" in sys.modules,
        "environ PWNED": os.environ.get("PWNED"),
        "PATH": os.environ.get("PATH"),
        "sys.path /tmp/evil": "/tmp/evil" in sys.path,
        "meta_path": [type(f).__name__ for f in sys.meta_path],
        "atexit handlers": atexit._ncallbacks(),
        "trace": sys.gettrace() is not None,
        "profile": sys.getprofile() is not None,
        "SIGTERM": str(signal.getsignal(signal.SIGTERM)),
        "SIGALRM": str(signal.getsignal(signal.SIGALRM)),
        "warnings ignore all": ("ignore", None, Warning, None, 0) in warnings.filters,
        "recursionlimit": sys.getrecursionlimit(),
        "int_max_str_digits": sys.get_int_max_str_digits(),
        "umask": os.umask(0o022),
        "cwd": os.getcwd(),
        "threads": sorted(t.name for t in threading.enumerate()),
        "meta_path_ran": os.path.exists("/tmp/meta_path_ran"),
    }
