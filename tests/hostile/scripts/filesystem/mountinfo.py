"""Every mount of the job with its per-mount and superblock options, and
whether a remount read-write of each one (mount(2) via ctypes) works."""
import ctypes
import errno

MS_REMOUNT, MS_BIND = 32, 4096


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            a = line.split()
            sep = a.index("-")
            m = {"point": a[4], "opts": a[5].split(","), "fstype": a[sep + 1],
                 "source": a[sep + 2], "super": a[sep + 3].split(",")}
            r = libc.mount(None, m["point"].encode(), None, MS_REMOUNT | MS_BIND, None)
            m["remount_rw"] = "SUCCEEDED" if r == 0 else errno.errorcode.get(ctypes.get_errno())
            mounts.append(m)
    return mounts
