"""First half of the warm-interpreter attack: a warm job is a fork of a
zygote holding CPython, numpy and pandas.  Poison everything a later
request's interpreter would use, in memory only: json.dumps, builtins,
numpy and pandas functions, sys.modules entries, os.environ, the random
state, sys.path and sys.meta_path hooks, an audit hook (which can never be
removed), atexit handlers, a trace/profile function, signal handlers,
warnings filters, the recursion and int-digit limits, umask and cwd, a
codec, a thread left running.  interpreter_look (a later request) must see
a pristine interpreter."""
import atexit
import builtins
import codecs
import json
import os
import random
import signal
import sys
import threading
import time
import warnings

import numpy
import pandas

PWNED = "PWNED-by-an-earlier-request"


class Finder:
    def find_spec(self, name, path=None, target=None):
        open("/tmp/meta_path_ran", "w").close()
        return None


def main():
    json.dumps = lambda *a, **k: '"%s"' % PWNED
    json.JSONEncoder.encode = lambda self, o: '"%s"' % PWNED
    builtins.len = lambda x: 42
    builtins.PWNED = PWNED
    numpy.sum = lambda *a, **k: PWNED
    numpy.random.seed(1234)
    pandas.DataFrame.sum = lambda *a, **k: PWNED
    random.seed(1234)
    sys.modules["hashlib"] = type(sys)("hashlib")
    sys.modules["pwned_module"] = type(sys)("pwned_module")
    os.environ["PWNED"] = PWNED
    os.environ["PATH"] = "/tmp/evil"
    sys.path.insert(0, "/tmp/evil")
    sys.meta_path.insert(0, Finder())
    sys.addaudithook(lambda ev, args: None)
    atexit.register(lambda: print(PWNED))
    sys.settrace(lambda *a: None)
    sys.setprofile(lambda *a: None)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    warnings.simplefilter("ignore")
    sys.setrecursionlimit(50)
    sys.set_int_max_str_digits(640)
    os.umask(0o000)
    os.chdir("/tmp")
    codecs.register(lambda name: None)
    threading.Thread(target=lambda: time.sleep(3600), daemon=False, name="pwned-thread").start()
    sys.setrecursionlimit(1000)
    # The runner answers with this poisoned interpreter (json.dumps, len):
    # whatever it says is this request's own business; the test only needs
    # to know the poison was laid.
    os.write(1, b"planted\n")
    return {"poisoned": True}
