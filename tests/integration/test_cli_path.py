"""The README's command-line example, as a new user types it after the quick
start: `sandrun run script.py --timeout 5 --memory-limit 256 --stdin
input.txt`, with `sandrun` found on the PATH (dev/setup links the built
command into /usr/local/bin) and no --config: the built command must find its
runner and init beside itself, in the build tree (cli/sandrun.c,
use_own_build), not where an install would have put them."""
import json
import os
import shutil
import subprocess

from stack import SRC_DIR

SCRIPT = ('import sys\n'
          'def main():\n'
          '    print("Calculating...")\n'
          '    return {"answer": 2 + 2, "stdin": sys.stdin.read()}\n')


def test_readme_cli_example_from_the_path(tmp_path):
    exe = shutil.which("sandrun")
    assert exe, "sandrun is not on the PATH: dev/setup links it into /usr/local/bin"
    assert os.path.realpath(exe) == os.path.join(SRC_DIR, "cli", "sandrun"), \
        f"{exe} is not this build's cli/sandrun (run dev/setup)"
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "input.txt").write_text("some input\n")
    # As written in the README, from the directory holding the files.
    p = subprocess.run(["sandrun", "run", "script.py", "--timeout", "5", "--memory-limit", "256",
                        "--stdin", "input.txt"], cwd=tmp_path, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    body = json.loads(p.stdout)
    assert body["status"] == "success", body
    assert body["result"] == {"answer": 4, "stdin": "some input\n"}
    assert body["stdout"] == "Calculating...\n"
