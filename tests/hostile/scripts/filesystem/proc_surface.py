"""The job's /proc as a way to the host: read every file of it that opens
(the global files, /proc/sys, and the per-process files of init, pid 1)
and look for the host's paths and names (the state dir, the source tree and
the API key, given on stdin); and try the writable-looking corners:
/proc/self/attr (the LSM context), uid_map/gid_map/setgroups,
timens_offsets, ns_last_pid, /proc/kcore, /proc/self/pagemap (physical
frame numbers would help an exploit), /proc/self/mem (writing one's own
memory is allowed: evidence only), and /sys."""
import ctypes
import os
import struct
import sys


def succeeded(r):
    return "SUCCEEDED" if r is None else r


def main():
    needles = sys.stdin.read().split()
    hits, readable, refused = [], 0, 0
    for root, dirs, files in os.walk("/proc"):
        parts = root.split("/")
        if len(parts) > 2 and (parts[2] in ("self", "thread-self") or
                               (parts[2].isdigit() and parts[2] != "1")):
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if d not in ("fd", "fdinfo", "map_files", "task")]
        for n in files:
            p = os.path.join(root, n)
            if p in ("/proc/kmsg", "/proc/kcore", "/proc/1/pagemap", "/proc/1/mem") or p.startswith("/proc/sys/vm/"):
                continue
            try:
                with open(p, "rb") as f:
                    data = f.read(1 << 20)
            except OSError:
                refused += 1
                continue
            readable += 1
            hits += [[p, x] for x in needles if x.encode() in data]
    out = {"readable": readable, "refused": refused, "hits": hits}
    for p, data in (("/proc/self/attr/current", "unconfined"), ("/proc/self/attr/exec", "unconfined"),
                    ("/proc/self/uid_map", "0 0 1"), ("/proc/self/gid_map", "0 0 1"),
                    ("/proc/self/setgroups", "allow"), ("/proc/self/timens_offsets", "monotonic 100 0"),
                    ("/proc/sys/kernel/ns_last_pid", "100"), ("/proc/1/comm", "x"),
                    ("/proc/self/loginuid", "0")):
        out["write " + p] = attempt(lambda: write(p, data), succeeded)
    out["read /proc/kcore"] = attempt(lambda: len(open("/proc/kcore", "rb").read(4096)), succeeded)
    # physical frame of one of our own pages (bits 0-54, zero without CAP_SYS_ADMIN)
    buf = ctypes.create_string_buffer(4096)
    ctypes.memset(buf, 1, 4096)
    vaddr = ctypes.addressof(buf)

    def pfn():
        with open("/proc/self/pagemap", "rb") as f:
            f.seek(vaddr // 4096 * 8)
            entry = struct.unpack("<Q", f.read(8))[0]
        return {"present": bool(entry >> 63), "pfn": entry & ((1 << 55) - 1)}
    out["pagemap"] = attempt(pfn, succeeded)

    def own_mem():
        fd = os.open("/proc/self/mem", os.O_RDWR)
        try:
            os.pwrite(fd, b"Z", vaddr)
        finally:
            os.close(fd)
        return "wrote own memory: %r" % buf.raw[:1]
    out["/proc/self/mem"] = attempt(own_mem, succeeded)
    out["/sys"] = attempt(lambda: os.listdir("/sys"), succeeded)
    # what an exploit looks up first: the kernel's configuration, symbols,
    # memory and I/O layout, keys, modules (masked, as container runtimes do)
    for name in ("config.gz", "kallsyms", "iomem", "ioports", "keys", "modules", "vmallocinfo", "timer_list"):
        out["masked /proc/" + name] = attempt(lambda: len(open("/proc/" + name, "rb").read(4096)), succeeded)
    return out
