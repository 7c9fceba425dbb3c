/* The request's "files": checked whole before a job exists, then packed as
 * file frames for the runner (files.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "files.h"
#include "response.h"
#include "sandbox/protocol.h"

const char *files_path_problem(const char *path, size_t len)
{
        if (len == 0)
                return "is empty";
        if (len > SB_FILE_PATH_MAX)
                return "is longer than 1024 bytes";
        if (path[0] == '/')
                return "is absolute: paths are relative to the script's working directory";
        if (memchr(path, 0, len))
                return "contains a NUL character";
        if (memchr(path, '\\', len))
                return "contains a backslash: separate directories with '/'";
        if (utf8_valid_prefix(path, len) != len)
                return "is not valid UTF-8";
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) path[i] < 0x20 || path[i] == 0x7f)
                        return "contains a control character";
        for (size_t start = 0; start <= len;) {
                const char *slash = memchr(path + start, '/', len - start);
                size_t end = slash ? (size_t) (slash - path) : len;
                size_t n = end - start;
                if (n == 0)
                        return "has an empty component (a leading, doubled or trailing '/')";
                if ((n == 1 && path[start] == '.') || (n == 2 && path[start] == '.' && path[start + 1] == '.'))
                        return "has a '.' or '..' component";
                if (n > SB_FILE_NAME_MAX)
                        return "has a component longer than 255 bytes";
                start = end + 1;
        }
        return NULL;
}

/* One entry, checked: its path and decoded content into f (content in a
 * buffer of its own, or pointing into the request for UTF-8 text). */
struct file_in {
        const char *path;
        size_t path_len;
        const char *content;          /* the text as it came, or the decoded bytes */
        size_t len;
        unsigned char *decoded;       /* owned, for base64 */
};

static int bad(const struct request_rules *d, struct request_error *e, const char *path, size_t path_len,
               const char *why)
{
        int status = d->pydantic ? 422 : 400;
        if (!path)
                return request_fail(e, status, "files", "'files': %s", why);
        /* the path is the client's and goes back into JSON: cut on a character */
        size_t n = utf8_valid_prefix(path, path_len);
        n = utf8_cut(path, n, 200);
        return request_fail(e, status, "files", "'files': the file \"%.*s\" %s", (int) n, path, why);
}

static int entry(const struct request_rules *d, struct json_object *o, size_t idx, struct file_in *f,
                 struct request_error *e)
{
        char where[160];
        snprintf(where, sizeof(where), "entry %zu must be an object {\"path\", \"content\", \"encoding\"}", idx);
        if (!json_object_is_type(o, json_type_object))
                return bad(d, e, NULL, 0, where);
        struct json_object *content = NULL;
        const char *encoding = "utf-8";
        json_object_object_foreach(o, key, val) {
                if (strcmp(key, "path") == 0 && json_object_is_type(val, json_type_string)) {
                        f->path = json_object_get_string(val);
                        f->path_len = (size_t) json_object_get_string_len(val);
                } else if (strcmp(key, "content") == 0 && json_object_is_type(val, json_type_string)) {
                        content = val;
                } else if (strcmp(key, "encoding") == 0 && json_object_is_type(val, json_type_string)) {
                        encoding = json_object_get_string(val);
                } else {
                        snprintf(where, sizeof(where), "entry %zu: '%.*s' %s", idx,
                                 (int) utf8_cut(key, strlen(key), 40), key,
                                 strcmp(key, "path") && strcmp(key, "content") && strcmp(key, "encoding")
                                         ? "is not a field of a file (path, content, encoding)"
                                         : "must be a string");
                        return bad(d, e, NULL, 0, where);
                }
        }
        if (!f->path) {
                snprintf(where, sizeof(where), "entry %zu has no 'path'", idx);
                return bad(d, e, NULL, 0, where);
        }
        const char *why = files_path_problem(f->path, f->path_len);
        if (why)
                return bad(d, e, f->path, f->path_len, why);
        if (!content)
                return bad(d, e, f->path, f->path_len, "has no 'content'");
        const char *text = json_object_get_string(content);
        size_t tlen = (size_t) json_object_get_string_len(content);
        if (strcmp(encoding, "utf-8") == 0) {
                f->content = text, f->len = tlen;
                return 0;
        }
        if (strcmp(encoding, "base64") != 0)
                return bad(d, e, f->path, f->path_len, "has an unknown 'encoding': use \"utf-8\" or \"base64\"");
        if (!(f->decoded = malloc(base64_decoded_max(tlen) + 1)))
                return request_fail(e, 500, "files", "out of memory");
        ssize_t n = base64_decode(text, tlen, f->decoded);
        if (n < 0)
                return bad(d, e, f->path, f->path_len, "is not valid base64 (RFC 4648, no whitespace)");
        f->content = (const char *) f->decoded, f->len = (size_t) n;
        return 0;
}

/* Two paths that cannot both be files: the same, or one a directory of the other. */
static bool clash(const struct file_in *a, const struct file_in *b)
{
        size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
        if (memcmp(a->path, b->path, n) != 0)
                return false;
        if (a->path_len == b->path_len)
                return true;
        const struct file_in *longer = a->path_len > b->path_len ? a : b;
        return longer->path[n] == '/';
}

static int check_all(const struct request_rules *d, const struct config *c, struct file_in *fs, size_t n,
                     struct request_error *e)
{
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++) {
                total += fs[i].len;
                if (total > c->max_files_in_bytes)
                        return bad(d, e, fs[i].path, fs[i].path_len, "takes the input files past their limit of "
                                                                     "max_files_in_bytes (decoded)");
                /* quadratic, over at most max_files_in entries */
                for (size_t k = 0; k < i; k++)
                        if (clash(&fs[k], &fs[i]))
                                return bad(d, e, fs[i].path, fs[i].path_len,
                                           fs[k].path_len == fs[i].path_len
                                                   ? "is given twice"
                                                   : "is both a file and a directory of another file");
        }
        return 0;
}

static void pack(struct job_request *r, const struct file_in *fs, size_t n)
{
        char *p = r->files_in;
        for (size_t i = 0; i < n; i++) {
                struct sb_file_frame f = { .magic = SB_FILES_MAGIC, .path_len = (uint32_t) fs[i].path_len,
                                           .size = fs[i].len };
                memcpy(p, &f, sizeof(f));
                memcpy(p + sizeof(f), fs[i].path, fs[i].path_len);
                memcpy(p + sizeof(f) + fs[i].path_len, fs[i].content, fs[i].len);
                p += sizeof(f) + fs[i].path_len + fs[i].len;
        }
        r->files_in_len = (size_t) (p - r->files_in);
        r->n_files_in = (unsigned) n;
}

int files_in_validate(const struct request_rules *d, const struct config *c, struct json_object *val,
                      struct job_request *r, struct request_error *e)
{
        if (!json_object_is_type(val, json_type_array))
                return bad(d, e, NULL, 0, "must be an array of {\"path\", \"content\", \"encoding\"} objects");
        size_t n = json_object_array_length(val);
        if (n > c->max_files_in) {
                char why[96];
                snprintf(why, sizeof(why), "holds %zu files, more than max_files_in (%u)", n, c->max_files_in);
                return bad(d, e, NULL, 0, why);
        }
        struct file_in *fs = calloc(n ? n : 1, sizeof(*fs));
        if (!fs)
                return request_fail(e, 500, "files", "out of memory");
        int k = 0;
        size_t need = 0;
        for (size_t i = 0; i < n && k == 0; i++) {
                k = entry(d, json_object_array_get_idx(val, i), i, &fs[i], e);
                need += sizeof(struct sb_file_frame) + fs[i].path_len + fs[i].len;
        }
        if (k == 0)
                k = check_all(d, c, fs, n, e);
        free(r->files_in);
        r->files_in = NULL;
        if (k == 0 && n && !(r->files_in = malloc(need)))
                k = request_fail(e, 500, "files", "out of memory");
        if (k == 0 && n)
                pack(r, fs, n);
        for (size_t i = 0; i < n; i++)
                free(fs[i].decoded);
        free(fs);
        return k;
}

int files_in_check_name(const struct request_rules *d, const struct job_request *r, struct request_error *e)
{
        char own[SB_HANDLER_MAX + 8];
        if (d->is_invoke)
                snprintf(own, sizeof(own), "%s.py", r->module);
        else
                snprintf(own, sizeof(own), "%s", d->pydantic ? "main.py" : "script.py");
        size_t olen = strlen(own);
        for (size_t off = 0; off < r->files_in_len;) {
                struct sb_file_frame f;
                memcpy(&f, r->files_in + off, sizeof(f));
                const char *path = r->files_in + off + sizeof(f);
                if (f.path_len == olen && memcmp(path, own, olen) == 0)
                        return bad(d, e, path, f.path_len, "is the name the code itself runs as");
                off += sizeof(f) + f.path_len + f.size;
        }
        return 0;
}
