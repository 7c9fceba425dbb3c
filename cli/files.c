#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/cleanup.h"
#include "common/fileio.h"
#include "files.h"
#include "jobs/files.h"

static int read_whole(const char *path, size_t max, unsigned char **out, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        unsigned char *buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        size_t n = 0;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        *out = buf;
        *len = n;
        return 0;
}

int cli_add_files(struct json_object *req, char *const *paths, size_t n, size_t max_bytes)
{
        if (!n)
                return 0;
        struct json_object *files = json_object_new_array();
        json_object_object_add(req, "files", files);
        for (size_t i = 0; i < n; i++) {
                unsigned char *data = NULL;
                size_t len = 0;
                int r = read_whole(paths[i], max_bytes, &data, &len);
                if (r < 0) {
                        fprintf(stderr, "sandrun: --file %s: %s\n", paths[i],
                                r == -EINVAL ? "not a regular file" : strerror(-r));
                        return 2;
                }
                char *copy = strdup(paths[i]);
                const char *name = files_path_problem(paths[i], strlen(paths[i])) ? basename(copy) : paths[i];
                char *b64 = malloc(base64_encoded_len(len) + 1);
                if (b64) {
                        base64_encode(data, len, b64);
                        b64[base64_encoded_len(len)] = 0;
                }
                struct json_object *f = json_object_new_object();
                json_object_object_add(f, "path", json_object_new_string(name));
                json_object_object_add(f, "content", json_object_new_string(b64 ? b64 : ""));
                json_object_object_add(f, "encoding", json_object_new_string("base64"));
                json_object_array_add(files, f);
                free(b64);
                free(copy);
                free(data);
        }
        return 0;
}

/* dirfd of the directory `rel` below base, made as needed, never through a link. */
static int open_dirs(int base, const char *rel, size_t len)
{
        int fd = fcntl(base, F_DUPFD_CLOEXEC, 3);
        char name[256];
        for (size_t start = 0; fd >= 0 && start < len;) {
                const char *slash = memchr(rel + start, '/', len - start);
                size_t end = slash ? (size_t) (slash - rel) : len;
                snprintf(name, sizeof(name), "%.*s", (int) (end - start), rel + start);
                if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
                        close(fd);
                        return -1;
                }
                int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                close(fd);
                fd = next;
                start = end + 1;
        }
        return fd;
}

static int write_one(int dir, struct json_object *f)
{
        struct json_object *p = NULL, *c = NULL;
        if (!json_object_object_get_ex(f, "path", &p) || !json_object_object_get_ex(f, "content", &c))
                return -EINVAL;
        const char *path = json_object_get_string(p);
        size_t plen = strlen(path);
        /* the service's paths: output/ and a path the contract allows */
        if (plen < 8 || strncmp(path, "output/", 7) != 0 || files_path_problem(path, plen))
                return -EINVAL;
        const char *rel = path + 7, *slash = strrchr(rel, '/');
        _cleanup_close_ int d = slash ? open_dirs(dir, rel, (size_t) (slash - rel)) : fcntl(dir, F_DUPFD_CLOEXEC, 3);
        if (d < 0)
                return -errno;
        const char *b64 = json_object_get_string(c);
        size_t blen = strlen(b64);
        _cleanup_free_ unsigned char *data = malloc(base64_decoded_max(blen) + 1);
        ssize_t n = data ? base64_decode(b64, blen, data) : -1;
        if (n < 0)
                return -EINVAL;
        _cleanup_close_ int fd = openat(d, slash ? slash + 1 : rel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                                        0644);
        if (fd < 0)
                return -errno;
        return sb_write_all(fd, data, (size_t) n);
}

int cli_write_outputs(const struct http_response *resp, const char *dir)
{
        if (!resp->tail || resp->tail_len < 2)
                return 0;
        /* the tail is ",members": as an object of its own */
        char *text = malloc(resp->tail_len + 2);
        if (!text)
                return 1;
        text[0] = '{';
        memcpy(text + 1, resp->tail + 1, resp->tail_len - 1);
        memcpy(text + resp->tail_len, "}", 2);
        struct json_object *o = json_tokener_parse(text), *files = NULL;
        free(text);
        int rc = 0;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "sandrun: --output-dir %s: %s\n", dir, strerror(errno));
                rc = 1;
        }
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rc == 0 && dfd < 0) {
                fprintf(stderr, "sandrun: --output-dir %s: %s\n", dir, strerror(errno));
                rc = 1;
        }
        if (rc == 0 && o && json_object_object_get_ex(o, "files", &files))
                for (size_t i = 0; i < json_object_array_length(files); i++) {
                        struct json_object *f = json_object_array_get_idx(files, i), *p = NULL;
                        int r = write_one(dfd, f);
                        if (r < 0) {
                                json_object_object_get_ex(f, "path", &p);
                                fprintf(stderr, "sandrun: could not write %s under %s: %s\n",
                                        p ? json_object_get_string(p) : "a file", dir, strerror(-r));
                                rc = 1;
                        }
                }
        json_object_put(o);
        return rc;
}
