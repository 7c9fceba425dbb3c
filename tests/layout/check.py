#!/usr/bin/python3
"""The shape of the tree, as a test: every rule here is one a reader relies on.

- No C function over 100 lines, no C file over 450 lines, in the project's own
  code (common/, sandbox/, jobs/, fcgi-app/, cli/).
- Dependencies point down only: common/ includes nothing of the project above
  it; sandbox/ includes only common/ and itself; jobs/ (the job layer) and
  cli/ never include from fcgi-app/; cli/ and fcgi-app/ may use jobs/.

Run by dev/test; prints TAP, so a broken rule names the file and line.
"""
import os
import re
import sys

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIRS = ["common", "sandbox", "jobs", "fcgi-app", "cli"]
MAX_FUNC_LINES = 100
MAX_FILE_LINES = 450
# what each layer may include from the project (besides its own directory)
ALLOWED = {
    "common": set(),
    "sandbox": {"common"},
    "jobs": {"common", "sandbox"},
    "cli": {"common", "sandbox", "jobs"},
    "fcgi-app": {"common", "sandbox", "jobs"},
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# a function definition's body: "{" alone at column 0, up to "}" at column 0
FUNC_NAME_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def sources():
    for d in DIRS:
        for root, _, files in os.walk(os.path.join(SRC, d)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield d, os.path.join(root, f)


def functions(lines):
    """(name, first line, length) of every function body in the file."""
    start = None
    for i, line in enumerate(lines):
        if line.startswith("{") and start is None:
            start = i
        elif line.startswith("}") and start is not None:
            name = "?"
            for j in range(start - 1, max(start - 6, -1), -1):
                m = FUNC_NAME_RE.search(lines[j])
                if m:
                    name = m.group(1)
                    break
            yield name, start + 1, i - start + 1
            start = None


def main():
    results = []
    for layer, path in sources():
        rel = os.path.relpath(path, SRC)
        with open(path, errors="replace") as f:
            lines = f.read().split("\n")
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        results.append((n <= MAX_FILE_LINES, f"{rel} has {n} lines (at most {MAX_FILE_LINES})"))
        long = [(name, at, k) for name, at, k in functions(lines) if k > MAX_FUNC_LINES]
        results.append((not long, f"{rel}: no function over {MAX_FUNC_LINES} lines"
                        + "".join(f"; {name}() at line {at} has {k}" for name, at, k in long)))
        bad = []
        for i, line in enumerate(lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            inc = m.group(1)
            if inc.startswith("../"):
                bad.append(f"line {i}: relative include {inc}")
                continue
            top = inc.split("/")[0] if "/" in inc else layer
            if top != layer and top in ALLOWED and top not in ALLOWED[layer]:
                bad.append(f"line {i}: {inc} is a layer above {layer}/")
        results.append((not bad, f"{rel}: includes point down only" + "".join("; " + b for b in bad)))
    print(f"1..{len(results)}")
    failed = 0
    for k, (ok, text) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {k} - {text}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
