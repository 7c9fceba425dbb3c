"""Home directories: /root (ssh keys, shell history, cloud credentials),
/home/*, and the user's own $HOME."""
import os


def main():
    out = {"HOME": os.environ.get("HOME")}
    for p in ("/root", "/root/.ssh", "/root/.ssh/id_rsa", "/root/.bash_history",
              "/root/.aws/credentials", "/root/.pyenv", "/home", "/home/sandrun"):
        out[p] = attempt(lambda: look(p, 100), returned)
    out["expanduser(~root)"] = os.path.expanduser("~root")
    return out
