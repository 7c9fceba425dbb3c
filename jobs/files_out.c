/* The job's output/ as the response's "files" (files.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "files.h"
#include "sandbox/protocol.h"

static const struct {
        const char *ext;
        const char *mime;
} by_name[] = {
        { "txt", "text/plain" },        { "log", "text/plain" },         { "csv", "text/csv" },
        { "tsv", "text/tab-separated-values" },                          { "json", "application/json" },
        { "ndjson", "application/x-ndjson" },                            { "jsonl", "application/x-ndjson" },
        { "html", "text/html" },        { "htm", "text/html" },          { "md", "text/markdown" },
        { "xml", "application/xml" },   { "yaml", "application/yaml" },  { "yml", "application/yaml" },
        { "py", "text/x-python" },      { "pdf", "application/pdf" },    { "zip", "application/zip" },
        { "gz", "application/gzip" },   { "parquet", "application/vnd.apache.parquet" },
        { "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
        { "npy", "application/octet-stream" },
        { "svg", "image/svg+xml" },
};

/* Pictures by their first bytes: what a viewer would render. */
static const struct {
        const char *magic;
        size_t len;
        const char *mime;
} pictures[] = {
        { "\x89PNG\r\n\x1a\n", 8, "image/png" },
        { "\xff\xd8\xff", 3, "image/jpeg" },
        { "GIF87a", 6, "image/gif" },
        { "GIF89a", 6, "image/gif" },
        { "BM", 2, "image/bmp" },
};

static const char *picture_by_bytes(const unsigned char *d, size_t len)
{
        for (size_t i = 0; i < sizeof(pictures) / sizeof(pictures[0]); i++)
                if (len >= pictures[i].len && memcmp(d, pictures[i].magic, pictures[i].len) == 0)
                        return pictures[i].mime;
        if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
                return "image/webp";
        return NULL;
}

static bool picture_name(const char *ext)
{
        static const char *const names[] = { "png", "jpg", "jpeg", "gif", "bmp", "webp" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcasecmp(ext, names[i]) == 0)
                        return true;
        return false;
}

const char *files_mime(const char *path, size_t path_len, const unsigned char *data, size_t len)
{
        const char *pic = picture_by_bytes(data, len);
        /* the extension, after the last dot of the last component */
        char ext[16] = "";
        for (size_t i = path_len; i > 0 && path[i - 1] != '/'; i--) {
                if (path[i - 1] == '.') {
                        size_t n = path_len - i;
                        if (n < sizeof(ext)) {
                                memcpy(ext, path + i, n);
                                ext[n] = 0;
                        }
                        break;
                }
        }
        /* a picture's name on bytes that are not one (or on another kind)
         * is not called a picture: a viewer would be told a lie */
        if (picture_name(ext))
                return pic ? pic : "application/octet-stream";
        if (pic && !ext[0])
                return pic;
        for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
                if (strcasecmp(ext, by_name[i].ext) == 0)
                        return by_name[i].mime;
        return "application/octet-stream";
}

struct frame {
        const char *path;
        size_t path_len;
        const unsigned char *data;
        uint64_t size;
};

/* The next frame at *off, checked against the stream's rules: 1 and f
 * set, 0 at the end frame (*flags set), -1 when the stream breaks them. */
static int next_frame(const struct sb_buf *b, size_t *off, struct frame *f, uint32_t *flags)
{
        struct sb_file_frame h;
        if (b->len - *off < sizeof(h))
                return -1;
        memcpy(&h, b->data + *off, sizeof(h));
        if (h.magic != SB_FILES_MAGIC)
                return -1;
        if (h.path_len == 0) {
                *flags = (uint32_t) h.size;
                return 0;
        }
        size_t rest = b->len - *off - sizeof(h);
        if (h.path_len > SB_FILE_PATH_MAX || h.path_len > rest || h.size > rest - h.path_len)
                return -1;
        f->path = b->data + *off + sizeof(h);
        f->path_len = h.path_len;
        f->data = (const unsigned char *) f->path + h.path_len;
        f->size = h.size;
        /* init's paths: output/ and a path the contract allows */
        if (f->path_len < 8 || memcmp(f->path, "output/", 7) != 0 || files_path_problem(f->path, f->path_len))
                return -1;
        *off += sizeof(h) + h.path_len + h.size;
        return 1;
}

/* Append to a growing buffer whose final size was reserved up front. */
static char *put(char *p, const char *s, size_t n)
{
        memcpy(p, s, n);
        return p + n;
}

static char *put_file(char *p, const struct frame *f)
{
        struct json_object *path = json_object_new_string_len(f->path, (int) f->path_len);
        size_t plen;
        const char *ptext = json_object_to_json_string_length(path, JSON_C_TO_STRING_NOSLASHESCAPE, &plen);
        char num[32];
        int n = snprintf(num, sizeof(num), "%llu", (unsigned long long) f->size);
        const char *mime = files_mime(f->path, f->path_len, f->data, (size_t) f->size);
        p = put(p, "{\"path\":", 8);
        p = put(p, ptext, plen);
        p = put(p, ",\"size\":", 8);
        p = put(p, num, (size_t) n);
        p = put(p, ",\"mime\":\"", 9);
        p = put(p, mime, strlen(mime));
        p = put(p, "\",\"encoding\":\"base64\",\"content\":\"", 33);
        base64_encode(f->data, (size_t) f->size, p);
        p += base64_encoded_len((size_t) f->size);
        json_object_put(path);
        return put(p, "\"}", 2);
}

void files_out_respond(const struct sb_buf *frames, struct http_response *resp)
{
        /* first pass: the frames that hold, and the room their JSON takes */
        size_t off = 0, need = 64, count = 0;
        uint32_t flags = 0;
        bool whole = false;
        struct frame f;
        int k;
        while (frames->data && (k = next_frame(frames, &off, &f, &flags)) != -1) {
                if (k == 0) {
                        whole = true;
                        break;
                }
                /* a path's JSON text is at most 6 bytes a byte ("\u001f") */
                need += 96 + 6 * f.path_len + base64_encoded_len((size_t) f.size);
                count++;
        }
        /* a stream cut short (init was ended, or wrote past what we read) lost something */
        bool truncated = !whole || frames->truncated || (flags & SB_FILES_TRUNCATED);
        char *text = malloc(need);
        if (!text) {
                resp->tail = strdup(",\"files\":[],\"files_truncated\":true");
                resp->tail_len = resp->tail ? strlen(resp->tail) : 0;
                return;
        }
        char *p = put(text, ",\"files\":[", 10);
        off = 0;
        for (size_t i = 0; i < count; i++) {
                next_frame(frames, &off, &f, &flags);
                if (i)
                        *p++ = ',';
                p = put_file(p, &f);
        }
        p = put(p, "],\"files_truncated\":", 20);
        p = put(p, truncated ? "true" : "false", truncated ? 4 : 5);
        free(resp->tail);
        resp->tail = text;
        resp->tail_len = (size_t) (p - text);
}
