/* The files a job leaves in output/, gathered by the job's own init once
 * every other process of the job is gone, and written as file frames
 * (protocol.h) for the caller.
 *
 * Nothing here follows a link or opens anything but a directory or a regular
 * file: every open is openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS and O_NOFOLLOW, relative to output/ itself, so a path
 * can only ever name something inside output/ (the symlink escapes of
 * Judge0's CVE-2024-28185 and CVE-2024-28189 have no way in: the kernel
 * refuses the path, no check of ours has to catch it).  Types come from the
 * directory entry or an fstatat that does not follow; FIFOs, sockets and
 * devices are never opened.  A size is known (fstat of the open file) before
 * a byte is read, and bounded by what is left of the budget.  And it runs
 * with the job's uid, no capabilities and the job's seccomp filter: even a
 * mistake here reaches nothing the script could not.
 *
 * Used by sandrun-init (static, no sanitizers) and the unit tests: libc only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* How much of output/ is looked at, whatever the caps: entries of any kind,
 * directory depth, and the bytes of the paths kept for sorting.  Past any of
 * them the rest is left out and the stream's flags say so. */
#define SB_GATHER_VISIT_MAX 10000
#define SB_GATHER_DEPTH_MAX 32
#define SB_GATHER_PATHS_MAX (1u << 20)

struct sb_gather_limits {
        uint32_t max_files;
        uint64_t max_bytes;
};

struct sb_gather_stats {
        uint32_t files;              /* files written */
        uint64_t bytes;              /* their contents */
        bool truncated;              /* something regular was left out */
};

/* Gather the regular files under the directory `name` (relative to dirfd,
 * not followed if it is a link) into frames on out_fd, sorted by path, and
 * end the stream with the flags frame.  0, or a negative errno when out_fd
 * failed (the stream is then cut short, which the caller sees). */
int sb_gather_output(int dirfd, const char *name, int out_fd, const struct sb_gather_limits *lim,
                     struct sb_gather_stats *st);
