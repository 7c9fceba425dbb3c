"""Password hashes: /etc/shadow, /etc/gshadow, and what /etc holds at all
(the real /etc would have them)."""
import os


def main():
    out = {}
    for p in ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/sudoers", "/etc/ssh/ssh_host_ed25519_key"):
        try:
            with open(p) as f:
                out[p] = "READ: " + f.read(200)
        except OSError as e:
            out[p] = refusal(e)
    out["/etc listing"] = sorted(os.listdir("/etc"))
    with open("/etc/passwd") as f:
        out["/etc/passwd"] = f.read()
    return out
