/* Small file helpers: whole writes and reads through a directory fd, so a
 * caller names a file relative to a directory it already holds (a cgroup,
 * a job's /proc) and never resolves a path from the root again. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Write all of buf to fd, going on after EINTR and short writes.  0 or a
 * negative errno (-EIO when the file takes no more). */
int sb_write_all(int fd, const void *buf, size_t len);
/* Write the string value to dir/name (opened O_WRONLY, no O_CREAT).  0 or
 * a negative errno; a short write is -EIO. */
int sb_write_at(int dir, const char *name, const char *value);
/* Read at most size - 1 bytes of dir/name into buf, NUL-terminated.  The
 * count read or a negative errno. */
ssize_t sb_read_at(int dir, const char *name, char *buf, size_t size);
