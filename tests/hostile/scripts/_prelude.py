"""What every hostile script starts with: hostile_scripts.script() (in
tests/lib) puts this file before the script's own text, so that the attacks
share one evidence format instead of each spelling it out.  Helpers only:
nothing is imported at load time that a job has not loaded already (the
leaks tests compare a job's interpreter before and after)."""
import os


def refusal(e):
    """How a refused call is reported: the exception's type and errno (the
    tests assert on exactly this text)."""
    return "%s errno=%s" % (type(e).__name__, getattr(e, "errno", None))


def attempt(fn, ok="SUCCEEDED", errors=OSError):
    """The evidence of one try: `ok` when fn() went through (a function of
    what fn returned when ok is callable), refusal(e) when it raised."""
    try:
        r = fn()
    except errors as e:
        return refusal(e)
    return ok(r) if callable(ok) else ok


def returned(r):
    """attempt(fn, returned): what fn returned is the evidence."""
    return r


def write(path, data):
    with open(path, "w") as f:
        f.write(data)


def look(path, n=200):
    """A directory's listing or the start of a file: what a reader gets."""
    if os.path.isdir(path):
        return "LISTED: %s" % os.listdir(path)
    with open(path) as f:
        return "READ: " + f.read(n)


def machine_code(code, restype):
    """Run raw x86-64 code from an executable anonymous page; returns what
    it leaves in rax (if the process survives it)."""
    import ctypes
    import mmap
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
    return ctypes.CFUNCTYPE(restype)(addr)()

# ---- the script ----
