# A sparse file as large as the file-size limit allows, and as many empty
# files as the job's /tmp holds: the gatherer reads neither more than the
# caps nor for long.
import resource


def main():
    os.makedirs("output/many", exist_ok=True)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    size = limit if limit != resource.RLIM_INFINITY else 1 << 40
    with open("output/a-sparse.bin", "wb") as f:
        f.truncate(size)
    n = 0
    try:
        while n < 200000:
            open("output/many/%06d" % n, "wb").close()
            n += 1
    except OSError as e:
        stop = refusal(e)
    else:
        stop = "cap of the script"
    return {"sparse": size, "empty files": n, "stopped by": stop}
