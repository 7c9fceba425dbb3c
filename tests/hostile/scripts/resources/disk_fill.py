"""Fill /tmp (and /dev/shm, the same tmpfs) with 8 MB files until ENOSPC,
then exhaust inodes with empty files.  Evidence: bytes and files written
and the errors that stopped them."""
import errno
import os


def main():
    written, err, i = 0, None, 0
    chunk = b"\xaa" * (1 << 20)
    try:
        while True:
            with open("/tmp/fill%04d" % i, "wb") as f:
                for _ in range(8):
                    f.write(chunk)
                    written += len(chunk)
            i += 1
    except OSError as e:
        err = errno.errorcode.get(e.errno)
    try:
        with open("/dev/shm/more", "wb") as f:
            f.write(chunk)
        shm = "wrote"
    except OSError as e:
        shm = errno.errorcode.get(e.errno)
    for n in range(i):
        os.unlink("/tmp/fill%04d" % n)
    files, ierr = 0, None
    try:
        while True:
            open("/tmp/i%06d" % files, "w").close()
            files += 1
    except OSError as e:
        ierr = errno.errorcode.get(e.errno)
    st = os.statvfs("/tmp")
    return {"bytes": written, "error": err, "shm_after_full": shm, "inodes_made": files,
            "inode_error": ierr, "tmp_size_bytes": st.f_blocks * st.f_frsize}
