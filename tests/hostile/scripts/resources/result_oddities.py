"""Odd return values and exits, one per request (the case name on stdin):
values JSON cannot carry (NaN, infinity, a circular list, an int past the
str conversion limit, nesting past the recursion limit, a generator, bytes,
a set), values it can but that look dangerous (lone surrogates, NUL bytes
in keys and values, invalid UTF-8 printed to stdout, nesting just under the
limit), and ways out of main() that are not a return (KeyboardInterrupt,
SystemExit, os._exit(0) and (3), sys.exit in a thread, an exception whose
message is not valid text)."""
import os
import sys
import threading


class BadText(Exception):
    def __str__(self):
        return "\ud800 \udcff not \x00 text"


def main():
    case = sys.stdin.read().strip()
    if case == "nan":
        return {"x": float("nan")}
    if case == "inf":
        return [float("inf"), -float("inf")]
    if case == "circular":
        a = []
        a.append(a)
        return a
    if case == "bigint":
        return 10 ** 5000
    if case == "deep":
        x = []
        for _ in range(100000):
            x = [x]
        return x
    if case == "deep_ok":
        x = []
        for _ in range(900):
            x = [x]
        return x
    if case == "generator":
        return (i for i in range(3))
    if case == "bytes":
        return b"\xff\x00"
    if case == "set":
        return {1, 2}
    if case == "surrogates":
        sys.stdout.write("lone \ud800 in stdout\n")
        os.write(1, b"raw \xff\xfe\x00 bytes\n")
        return {"s": "\ud800\udfff\ud800", "k\x00": "nul\x00", "\udcff": 1}
    if case == "keyboardinterrupt":
        raise KeyboardInterrupt("pressed")
    if case == "systemexit":
        sys.exit(0)
    if case == "os_exit_0":
        print("leaving")
        os._exit(0)
    if case == "os_exit_3":
        os._exit(3)
    if case == "thread_exit":
        t = threading.Thread(target=sys.exit, args=(5,))
        t.start()
        t.join()
        return "still here"
    if case == "bad_text_exception":
        raise BadText()
    raise ValueError("unknown case %r" % case)
