# Links in output/ that point out of it, to secrets and to the whole root:
# the gatherer must skip every one of them (a link is never followed, not
# even a hard link could reach a host file: /tmp is its own file system).
import socket


def main():
    os.makedirs("output/sub", exist_ok=True)
    ev = {}
    for name, target in [("passwd", "/etc/passwd"), ("environ", "/proc/self/environ"),
                         ("init_environ", "/proc/1/environ"), ("up", ".."), ("root", "/"),
                         ("sub/upup", "../.."), ("fd0", "/proc/self/fd/0"), ("loop", "loop")]:
        ev["symlink " + name] = attempt(lambda: os.symlink(target, "output/" + name))
    # output/ itself a link to / in a second directory the gatherer walks
    os.makedirs("output/d", exist_ok=True)
    ev["dir link"] = attempt(lambda: os.symlink("/etc", "output/d/etc"))
    ev["hard link to the runner"] = attempt(lambda: os.link("/usr/bin/python3", "output/py"))
    ev["fifo"] = attempt(lambda: os.mkfifo("output/fifo"))
    s = socket.socket(socket.AF_UNIX)
    ev["socket"] = attempt(lambda: s.bind("output/sock"))
    ev["device"] = attempt(lambda: os.mknod("output/null", 0o20666, os.makedev(1, 3)))
    write("output/real.txt", "real")
    return ev
