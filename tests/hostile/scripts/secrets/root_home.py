"""Home directories: /root (ssh keys, shell history, cloud credentials),
/home/*, and the user's own $HOME."""
import os


def main():
    out = {"HOME": os.environ.get("HOME")}
    for p in ("/root", "/root/.ssh", "/root/.ssh/id_rsa", "/root/.bash_history",
              "/root/.aws/credentials", "/root/.pyenv", "/home", "/home/sandrun"):
        try:
            if os.path.isdir(p):
                out[p] = "LISTED: %s" % os.listdir(p)
            else:
                with open(p) as f:
                    out[p] = "READ: " + f.read(100)
        except OSError as e:
            out[p] = "%s errno=%s" % (type(e).__name__, e.errno)
    out["expanduser(~root)"] = os.path.expanduser("~root")
    return out
