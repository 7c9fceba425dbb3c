#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

int sb_write_all(int fd, const void *buf, size_t len)
{
        for (const char *b = buf; len > 0;) {
                ssize_t n = write(fd, b, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                b += n, len -= (size_t) n;
        }
        return 0;
}

int sb_write_at(int dir, const char *name, const char *value)
{
        _cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t n = strlen(value);
        /* one write: a cgroup or /proc file takes a value whole or not at all */
        ssize_t w = write(fd, value, n);
        if (w < 0)
                return -errno;
        return (size_t) w == n ? 0 : -EIO;
}

ssize_t sb_read_at(int dir, const char *name, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return n;
}
