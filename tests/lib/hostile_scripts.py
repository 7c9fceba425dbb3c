"""The hostile scripts (tests/hostile/scripts/<category>/<name>.py) as they
are sent into the sandbox: each after the shared prelude
(scripts/_prelude.py), since a script body cannot import anything of the
test tree from inside the job."""

import os

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile", "scripts")
PRELUDE = os.path.join(SCRIPTS, "_prelude.py")


def script(category, name):
    """The source of scripts/<category>/<name>.py, prelude first."""
    with open(PRELUDE) as f:
        prelude = f.read()
    with open(os.path.join(SCRIPTS, category, name + ".py")) as f:
        return prelude + "\n" + f.read()


def catalogue():
    """{category: [names]} of every hostile script on disk."""
    out = {}
    for cat in sorted(os.listdir(SCRIPTS)):
        d = os.path.join(SCRIPTS, cat)
        if os.path.isdir(d):
            out[cat] = sorted(n[:-3] for n in os.listdir(d) if n.endswith(".py"))
    return out
