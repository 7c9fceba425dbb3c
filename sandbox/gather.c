/* Gathering output/: walk, sort, then copy within the budget.  See gather.h
 * for why each open is made the way it is. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gather.h"
#include "protocol.h"

#define RESOLVE_INSIDE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

struct entry {
        uint32_t off;                /* of the path in the arena, NUL-terminated */
};

struct walk {
        char *paths;                 /* the arena */
        size_t paths_len;
        struct entry *ents;
        size_t n, cap;
        unsigned visited;
        bool truncated;
};

static int open_inside(int dirfd, const char *path, int flags)
{
        struct open_how how = { .flags = (uint64_t) (flags | O_NOFOLLOW | O_CLOEXEC), .resolve = RESOLVE_INSIDE };
        int fd;
        do
                fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EINTR);
        return fd;
}

/* A name the response can carry as it is: UTF-8 (RFC 3629), no control
 * characters (a client writing files under their names must not meet a
 * newline or an escape sequence). */
static bool name_ok(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned c = s[i], len, min;
                if (c < 0x20 || c == 0x7f)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        len = 2, min = 0x80, c &= 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        len = 3, min = 0x800, c &= 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        len = 4, min = 0x10000, c &= 0x07;
                else
                        return false;
                if (i + len > n)
                        return false;
                for (unsigned k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        c = (c << 6) | (s[i + k] & 0x3f);
                }
                if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}

static void keep(struct walk *w, const char *path, size_t len)
{
        if (w->paths_len + len + 1 > SB_GATHER_PATHS_MAX) {
                w->truncated = true;
                return;
        }
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 64;
                struct entry *e = realloc(w->ents, cap * sizeof(*e));
                if (!e) {
                        w->truncated = true;
                        return;
                }
                w->ents = e, w->cap = cap;
        }
        memcpy(w->paths + w->paths_len, path, len);
        w->paths[w->paths_len + len] = 0;
        w->ents[w->n++].off = (uint32_t) w->paths_len;
        w->paths_len += len + 1;
}

/* The entry's type without following it: d_type, or fstatat on file
 * systems that leave it unknown. */
static unsigned char entry_type(int dfd, const struct dirent *e)
{
        if (e->d_type != DT_UNKNOWN)
                return e->d_type;
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return DT_UNKNOWN;
        return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
}

/* Collect the regular files' paths under the directory dfd (owned), whose
 * path below output/ is path[0..plen). */
static void walk_dir(struct walk *w, int dfd, char *path, size_t plen, unsigned depth)
{
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                w->truncated = true;
                return;
        }
        for (struct dirent *e; (e = readdir(d));) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                if (++w->visited > SB_GATHER_VISIT_MAX) {
                        w->truncated = true;
                        break;
                }
                unsigned char type = entry_type(dirfd(d), e);
                if (type != DT_DIR && type != DT_REG)
                        continue;   /* links, FIFOs, sockets, devices: never opened */
                size_t nlen = strlen(e->d_name), len = plen + (plen ? 1 : 0) + nlen;
                /* "output/" and the path below it, within the contract's bound */
                if (len + 7 > SB_FILE_PATH_MAX || nlen > SB_FILE_NAME_MAX ||
                    !name_ok((const unsigned char *) e->d_name, nlen)) {
                        w->truncated = true;
                        continue;
                }
                if (plen)
                        path[plen] = '/';
                memcpy(path + len - nlen, e->d_name, nlen);
                if (type == DT_REG) {
                        keep(w, path, len);
                        continue;
                }
                if (depth + 1 >= SB_GATHER_DEPTH_MAX) {
                        w->truncated = true;
                        continue;
                }
                int sub = open_inside(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY);
                if (sub < 0) {
                        w->truncated = true;
                        continue;
                }
                walk_dir(w, sub, path, len, depth + 1);
        }
        closedir(d);
}

static const char *sort_base;
static int by_path(const void *a, const void *b)
{
        return strcmp(sort_base + ((const struct entry *) a)->off, sort_base + ((const struct entry *) b)->off);
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n, len -= (size_t) n;
        }
        return 0;
}

/* One file's frame: exactly `size` bytes follow the header, as it promised
 * (a file cannot change now, nothing of the job is left to write it; were
 * it shorter all the same, zeros make up the rest). */
static int copy_file(int fd, uint64_t size, int out)
{
        char buf[65536];
        while (size) {
                size_t want = size < sizeof(buf) ? (size_t) size : sizeof(buf);
                ssize_t n = read(fd, buf, want);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        memset(buf, 0, want);
                        n = (ssize_t) want;
                }
                int r = write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
                size -= (uint64_t) n;
        }
        return 0;
}

/* The sorted files within the caps.  A file that does not fit what is left
 * is skipped; later ones that fit still go. */
static int emit(struct walk *w, int outdir, int out, const struct sb_gather_limits *lim, struct sb_gather_stats *st)
{
        for (size_t i = 0; i < w->n; i++) {
                if (st->files >= lim->max_files) {
                        w->truncated = true;
                        break;
                }
                const char *rel = w->paths + w->ents[i].off;
                int fd = open_inside(outdir, rel, O_RDONLY | O_NONBLOCK);
                struct stat sb;
                if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
                    (uint64_t) sb.st_size > lim->max_bytes - st->bytes) {
                        if (fd >= 0)
                                close(fd);
                        w->truncated = true;
                        continue;
                }
                char head[sizeof(struct sb_file_frame) + SB_FILE_PATH_MAX];
                size_t rlen = strlen(rel);
                struct sb_file_frame f = { .magic = SB_FILES_MAGIC, .path_len = (uint32_t) (rlen + 7),
                                           .size = (uint64_t) sb.st_size };
                memcpy(head, &f, sizeof(f));
                memcpy(head + sizeof(f), "output/", 7);
                memcpy(head + sizeof(f) + 7, rel, rlen);
                int r = write_all(out, head, sizeof(f) + rlen + 7);
                if (r == 0)
                        r = copy_file(fd, f.size, out);
                close(fd);
                if (r < 0)
                        return r;
                st->files++;
                st->bytes += f.size;
        }
        return 0;
}

int sb_gather_output(int dirfd, const char *name, int out_fd, const struct sb_gather_limits *lim,
                     struct sb_gather_stats *st)
{
        struct walk w = { 0 };
        char path[SB_FILE_PATH_MAX + 1];
        int r = 0;

        memset(st, 0, sizeof(*st));
        /* a reader that went away is an error to return, not a signal */
        signal(SIGPIPE, SIG_IGN);
        int outdir = open_inside(dirfd, name, O_RDONLY | O_DIRECTORY);
        if (outdir >= 0 && (w.paths = malloc(SB_GATHER_PATHS_MAX))) {
                int walk_fd = fcntl(outdir, F_DUPFD_CLOEXEC, 0);
                if (walk_fd >= 0)
                        walk_dir(&w, walk_fd, path, 0, 0);
                else
                        w.truncated = true;
                sort_base = w.paths;
                qsort(w.ents, w.n, sizeof(*w.ents), by_path);
                r = emit(&w, outdir, out_fd, lim, st);
        } else if (outdir >= 0) {
                w.truncated = true;
        }
        if (outdir >= 0)
                close(outdir);
        free(w.paths);
        free(w.ents);
        st->truncated = w.truncated;
        if (r < 0)
                return r;
        struct sb_file_frame end = { .magic = SB_FILES_MAGIC, .path_len = 0,
                                     .size = w.truncated ? SB_FILES_TRUNCATED : 0 };
        return write_all(out_fd, &end, sizeof(end));
}
