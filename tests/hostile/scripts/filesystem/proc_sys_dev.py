"""Kernel knobs and devices: /proc/sys writes, /proc/sysrq-trigger,
oom_score_adj lowered, core_pattern; /dev/mem, /dev/kmsg, disks, a new
device node with mknod."""
import os
import stat


def succeeded(r):
    return "SUCCEEDED %r" % (r,)


def main():
    out = {}
    for p, data in (("/proc/sys/kernel/hostname", "pwned"), ("/proc/sys/kernel/core_pattern", "|/tmp/x"),
                    ("/proc/sys/vm/drop_caches", "3"), ("/proc/sysrq-trigger", "h"),
                    ("/proc/self/oom_score_adj", "-1000"), ("/proc/1/oom_score_adj", "1000"),
                    ("/proc/self/coredump_filter", "0x3f"), ("/proc/sys/kernel/modprobe", "/tmp/x")):
        out["write " + p] = attempt(lambda: write(p, data), succeeded)
    for p in ("/dev/mem", "/dev/kmem", "/dev/kmsg", "/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/tty",
              "/dev/console", "/dev/ptmx", "/dev/fuse", "/dev/net/tun", "/dev/kvm"):
        out["open " + p] = attempt(lambda: os.open(p, os.O_RDWR), succeeded)
    out["mknod /tmp/mem"] = attempt(lambda: os.mknod("/tmp/mem", stat.S_IFCHR | 0o666, os.makedev(1, 1)), succeeded)
    out["mknod /tmp/fifo (allowed)"] = attempt(lambda: os.mkfifo("/tmp/fifo"), succeeded)
    out["dev listing"] = sorted(os.listdir("/dev"))
    out["write /dev/full"] = attempt(lambda: write("/dev/full", "x"), succeeded)
    return out
