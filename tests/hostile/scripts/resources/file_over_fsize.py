"""One file past RLIMIT_FSIZE (64 MB) without filling the disk: a sparse
write at offset 100 MB, and truncate() to 1 GB.  SIGXFSZ is ignored by
Python, so the writes should fail with EFBIG."""
import errno
import os


def main():
    out = {}
    with open("/tmp/sparse", "wb") as f:
        f.seek(100 << 20)
        try:
            f.write(b"x")
            f.flush()
            out["write at 100MB"] = "SUCCEEDED"
        except OSError as e:
            out["write at 100MB"] = errno.errorcode.get(e.errno)
    try:
        os.truncate("/tmp/sparse", 1 << 30)
        out["truncate 1GB"] = "SUCCEEDED"
    except OSError as e:
        out["truncate 1GB"] = errno.errorcode.get(e.errno)
    out["size"] = os.path.getsize("/tmp/sparse")
    return out
