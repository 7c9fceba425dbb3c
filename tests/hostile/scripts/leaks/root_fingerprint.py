"""What a job sees of its root, outside its own /proc and /tmp: every entry
of the root's tmpfs and of /dev with its type, mode, owner, size, link
count, times (access, change, modification) and extended attributes, the
targets of the links, the files' bytes, and the mounts with their options.
A slot's root is built once (sandbox/slot_ns.c): every job of a slot must
see exactly this, whatever the slot's earlier jobs tried."""
import hashlib
import os
import stat


def entry(path):
    st = os.lstat(path)
    e = [stat.filemode(st.st_mode), st.st_uid, st.st_gid, st.st_size, st.st_nlink,
         st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns, st.st_rdev]
    if stat.S_ISLNK(st.st_mode):
        e.append(os.readlink(path))
    else:
        e.append(attempt(lambda: sorted(os.listxattr(path, follow_symlinks=False)), returned))
        if stat.S_ISREG(st.st_mode):
            e.append(attempt(lambda: hashlib.sha256(open(path, "rb").read()).hexdigest(), returned))
    return e


def main():
    root_dev = os.lstat("/").st_dev
    dev_dev = os.lstat("/dev").st_dev
    seen = {}
    for top, dirs, files in os.walk("/"):
        keep = []
        for d in dirs:
            p = os.path.join(top, d)
            if p in ("/proc", "/tmp"):
                continue            # the job's own
            if os.lstat(p).st_dev in (root_dev, dev_dev):
                keep.append(d)
            seen[p] = entry(p) if os.lstat(p).st_dev in (root_dev, dev_dev) else "mount point"
        dirs[:] = keep
        for f in files:
            p = os.path.join(top, f)
            if os.lstat(p).st_dev in (root_dev, dev_dev):
                seen[p] = entry(p)
    seen["/"] = entry("/")
    mounts = []
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        point = f[4]
        if point == "/proc" or point.startswith("/proc/") or point == "/tmp":
            continue
        sep = f.index("-")
        mounts.append([f[3], point, f[5], f[sep + 1], f[sep + 3]])
    return {"uid": os.getuid(), "entries": seen, "mounts": sorted(mounts)}
