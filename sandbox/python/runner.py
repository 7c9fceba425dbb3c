"""sandrun's in-sandbox runner.

Runs inside the confined child, after every sandbox step: the process is
already unprivileged, namespaced, limited and filtered.  It reads the user's
code from fd 3, runs it in the way the request's dialect asks, and writes its
answer on fd 4 as one frame:

    b"<status> <header length>\\n" + header JSON + result JSON

The status word is what the service classifies on; the header carries the
error text and traceback; the result JSON is passed through to the client
as it is.  Usage figures (CPU, memory, wall time) are not ours to report:
the script runs in this process and could make them up; the job's init
measures them.  stdout and stderr are the job's own pipes, read by the service.

Usage: runner.py execute|run|invoke MAX_RESULT_BYTES [module.function]
"""

import json
import os
import sys
import traceback

SCRIPT_FD = 3
RESULT_FD = 4


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def send(status, header=None, result=b""):
    """Write the one frame and close the channel, so nothing after it counts.
    Nothing here may need a new file descriptor: the script may have used
    them all."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    head = json.dumps(header or {}).encode()
    try:
        _write_all(RESULT_FD, b"%s %d\n" % (status.encode(), len(head)) + head + result)
        os.close(RESULT_FD)
    except OSError:
        pass


def read_code():
    chunks = []
    while True:
        b = os.read(SCRIPT_FD, 1 << 20)
        if not b:
            break
        chunks.append(b)
    os.close(SCRIPT_FD)
    # the service only sends text it decoded from JSON, so this is valid UTF-8
    return b"".join(chunks).decode("utf-8", "replace")


def register_source(filename, source):
    """Let tracebacks show the user's lines, as for a file on disk."""
    import linecache
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def user_traceback(exc, filename):
    """The traceback from the user's first frame on: runner frames are noise."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def user_line(exc, filename):
    """The line of the innermost frame that belongs to the user's code."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError):
        line = exc.lineno
    return line


def exception_text(exc):
    """"Type: message".  str() of the script's exception is the script's own
    code, and may itself raise anything (SystemExit included)."""
    try:
        msg = str(exc)
    except BaseException as inner:
        msg = "(its str() raised %s)" % type(inner).__name__
    return "%s: %s" % (type(exc).__name__, msg) if msg else type(exc).__name__


def encode_result(value, max_bytes, what):
    """JSON text of the value, or a (status, header) pair saying why not."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        return None, ("error", {"error": "%s must return a JSON-serializable value: %s" % (what, e)})
    data = text.encode()
    if len(data) > max_bytes:
        return None, ("output_limit", {
            "error": "Result is %d bytes, over the %d-byte limit" % (len(data), max_bytes)})
    return data, None


def send_result(value, max_result, what, filename):
    """Answer with the value as JSON, or say why it can't be."""
    try:
        data, failure = encode_result(value, max_result, what)
    except MemoryError:
        return send("memory_exceeded", {"error": "MemoryError"})
    except BaseException as e:
        # the script's code, run by the encoder (a dict subclass's items(),
        # a list subclass's __iter__), failed or tried to leave: its error
        return send("error", {"error": "%s must return a JSON-serializable value: %s" % (what, exception_text(e)),
                              "traceback": user_traceback(e, filename)})
    if failure:
        return send(*failure)
    return send("success", {}, data)


def compile_user(source, filename):
    """The code object, or (message, line, text, headline) saying why not;
    headline is None for a SyntaxError, else the error's own words."""
    try:
        return compile(source, filename, "exec", dont_inherit=True), None
    except SyntaxError as e:
        msg = e.msg if e.msg else str(e)
        line = e.lineno if e.lineno is not None else 0
        return None, (msg, line, "".join(traceback.format_exception_only(type(e), e)), None)
    except ValueError as e:  # e.g. source code string cannot contain null bytes
        return None, (str(e), 0, "ValueError: %s\n" % e, None)
    except (MemoryError, RecursionError) as e:
        # nested past what the compiler can hold: the script's fault too
        text = "%s: %s (the code is nested too deeply to compile)" % (type(e).__name__, e or "out of memory")
        return None, (text, 0, text + "\n", text)


# -- POST /execute: a script with a top-level main() ---------------------------

def run_execute(source, max_result):
    filename = "script.py"
    register_source(filename, source)
    code, syntax = compile_user(source, filename)
    if syntax:
        msg, line, _, headline = syntax
        return send("error", {"error": headline or "SyntaxError: %s (line %d)" % (msg, line)})
    namespace = {"__name__": "__sandrun__", "__file__": filename, "__builtins__": __builtins__}
    try:
        exec(code, namespace)
        main = namespace.get("main")
        if not callable(main):
            return send("error", {"error": "Script must contain a 'def main()' function"})
        value = main()
    except MemoryError:
        return send("memory_exceeded", {"error": "MemoryError"})
    except BaseException as e:  # SystemExit and KeyboardInterrupt are the script's failures too
        return send("error", {"error": exception_text(e), "traceback": user_traceback(e, filename)})
    return send_result(value, max_result, "main()", filename)


# -- POST /run: plain code -----------------------------------------------------

def run_plain(source, max_result):
    filename = "main.py"
    register_source(filename, source)
    code, syntax = compile_user(source, filename)
    if syntax:
        msg, line, text, headline = syntax
        sys.stderr.write(text)
        return send("error", {"error": headline or "SyntaxError on line %d" % line})
    namespace = {"__name__": "__main__", "__file__": filename, "__builtins__": __builtins__}
    try:
        exec(code, namespace)
    except MemoryError:
        return send("memory_exceeded", {"error": "MemoryError"})
    except SystemExit as e:
        if e.code in (None, 0):
            return send("success", {}, b"null")
        sys.stderr.write(user_traceback(e, filename))
        return send("error", {"error": "SystemExit with status %s" % (e.code,)})
    except BaseException as e:
        sys.stderr.write(user_traceback(e, filename))
        line = user_line(e, filename)
        where = " on line %d" % line if line else ""
        return send("error", {"error": "%s%s" % (type(e).__name__, where)})
    return send("success", {}, b"null")


# -- POST /invoke: module.function(event, context) -----------------------------

def run_invoke(source, max_result, handler):
    import logging
    import types

    module_name, _, function_name = handler.partition(".")
    filename = module_name + ".py"
    register_source(filename, source)
    if module_name in sys.modules or module_name in getattr(sys, "stdlib_module_names", ()):
        # importing the code under that name would replace a real module
        return send("error", {"error": "handler module '%s' is the name of an existing module: "
                              "name the module something else, such as 'main'" % module_name,
                              "client_error": True})

    # One stream in write order: stdout, stderr and logging records all land
    # in the job's stdout pipe, unbuffered, so their order is the order written.
    os.dup2(1, 2)
    stream = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stdout = sys.stderr = stream
    logging.basicConfig(level=logging.INFO, stream=stream, format="%(levelname)s:%(name)s:%(message)s")

    try:
        payload = json.loads(sys.stdin.read() or "{}")
    except ValueError:
        payload = {}
    event = payload.get("event", {})
    context = payload.get("context", {})
    # the event came on stdin; the handler gets an empty one like any function
    sys.stdin = open(os.devnull)

    code, syntax = compile_user(source, filename)
    if syntax:
        _, _, text, _ = syntax
        return send("error", {"error": text})
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules[module_name] = module
    try:
        exec(code, module.__dict__)
        func = getattr(module, function_name, None)
        if not callable(func):
            return send("error", {"error": "handler '%s' not found: module '%s' has no function '%s'"
                                  % (handler, module_name, function_name), "client_error": True})
        value = func(event, context)
    except MemoryError:
        return send("memory_exceeded", {"error": "MemoryError"})
    except BaseException as e:
        return send("error", {"error": user_traceback(e, filename)})
    return send_result(value, max_result, "the handler", filename)


def run(dialect, max_result, handler):
    """Run the job in the dialect asked, then end the process (never returns)."""
    try:
        source = read_code()
        if dialect == "run":
            run_plain(source, max_result)
        elif dialect == "invoke":
            run_invoke(source, max_result, handler)
        else:
            run_execute(source, max_result)
    except BaseException:
        # the runner itself failed: say so where the client can see it
        traceback.print_exc()
    finally:
        finish()


def finish():
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        # The output ends here (the service sees EOF now, not after this
        # process's teardown), and threads the script left running must not
        # hold the job open: the answer is written, the job is over.
        for fd in (1, 2):
            try:
                os.close(fd)
            except OSError:
                pass
        os._exit(0)


def main():
    """Cold mode: a fresh python3 runs this file."""
    dialect = sys.argv[1] if len(sys.argv) > 1 else "execute"
    max_result = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 20
    handler = sys.argv[3] if len(sys.argv) > 3 else ""
    # Output as it is written, so what a script printed before a timeout or
    # a crash still reaches the client.
    for s in (sys.stdout, sys.stderr):
        try:
            s.reconfigure(line_buffering=True, errors="backslashreplace")
        except Exception:
            pass
    run(dialect, max_result, handler)


_WARM_STREAMS = None


def warm_prepare():
    """In the zygote, once: the job's standard stream objects, made ahead.

    They wrap fd numbers 0, 1 and 2, which in each job are its own pipes
    (the sandbox puts them there); the zygote never reads or writes through
    them, so every job gets them empty."""
    global _WARM_STREAMS
    _WARM_STREAMS = (
        open(0, "r", encoding="utf-8", errors="replace", closefd=False),
        open(1, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False),
        open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False),
    )


def warm_main(dialect, max_result, handler):
    """Warm mode: called in a fork of the zygote, after every sandbox step.

    Everything a fork would share with the zygote and with other jobs is made
    fresh: the standard streams are unused objects on the job's own fds, and
    every random generator seeded at import is reseeded from the kernel
    (random's own at-fork hook has already run; numpy's global generator has
    none)."""
    import signal
    sys.stdin, sys.stdout, sys.stderr = _WARM_STREAMS
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = _WARM_STREAMS
    sys.argv = [""]
    signal.signal(signal.SIGINT, signal.default_int_handler)
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            # a whole Mersenne Twister state from the kernel: as random as
            # seed() with no argument, at a tenth of its cost in a fresh fork
            np.random.set_state(("MT19937", np.frombuffer(os.urandom(2496), dtype=np.uint32), 624))
        except Exception:
            np.random.seed()
    run(dialect, max_result, handler)


if __name__ == "__main__":
    main()
