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

/* Growing text, bounded by what the frames' cap allows. */
static bool grow(struct files_out *fo, size_t more)
{
        if (fo->failed)
                return false;
        if (fo->len + more <= fo->cap)
                return true;
        size_t cap = fo->cap ? fo->cap : 4096;
        while (cap < fo->len + more)
                cap *= 2;
        char *t = realloc(fo->text, cap);
        if (!t) {
                fo->failed = true;
                return false;
        }
        fo->text = t, fo->cap = cap;
        return true;
}

static void put(struct files_out *fo, const char *s, size_t n)
{
        if (grow(fo, n)) {
                memcpy(fo->text + fo->len, s, n);
                fo->len += n;
        }
}

/* The stream broke a rule: what is whole stays, the rest is dropped. */
static void broken(struct files_out *fo)
{
        fo->state = FO_BROKEN;
        fo->len = fo->object_start;
        fo->truncated = true;
}

/* Path and size known: the object's start, up to its "mime". */
static void open_object(struct files_out *fo)
{
        fo->object_start = fo->len;
        if (fo->count)
                put(fo, ",", 1);
        struct json_object *path = json_object_new_string_len(fo->path, (int) fo->head.path_len);
        size_t plen;
        const char *ptext = json_object_to_json_string_length(path, JSON_C_TO_STRING_NOSLASHESCAPE, &plen);
        char num[48];
        int n = snprintf(num, sizeof(num), ",\"size\":%llu", (unsigned long long) fo->head.size);
        put(fo, "{\"path\":", 8);
        put(fo, ptext, plen);
        put(fo, num, (size_t) n);
        json_object_put(path);
}

/* The first bytes are in: the MIME type, then the content as it comes. */
static void start_content(struct files_out *fo)
{
        const char *mime = files_mime(fo->path, fo->head.path_len, fo->sniff, fo->sniff_len);
        put(fo, ",\"mime\":\"", 9);
        put(fo, mime, strlen(mime));
        put(fo, "\",\"encoding\":\"base64\",\"content\":\"", 33);
        fo->content_open = true;
}

/* Content bytes: whole groups of three are encoded now, one or two wait. */
static void content(struct files_out *fo, const unsigned char *d, size_t n)
{
        while (n && fo->carry_len) {
                fo->carry[fo->carry_len++] = *d++, n--;
                if (fo->carry_len == 3) {
                        if (grow(fo, 4))
                                base64_encode(fo->carry, 3, fo->text + fo->len), fo->len += 4;
                        fo->carry_len = 0;
                }
        }
        size_t whole = n / 3 * 3;
        if (whole && grow(fo, base64_encoded_len(whole))) {
                base64_encode(d, whole, fo->text + fo->len);
                fo->len += base64_encoded_len(whole);
        }
        for (size_t i = whole; i < n; i++)
                fo->carry[fo->carry_len++] = d[i];
}

static void close_object(struct files_out *fo)
{
        if (!fo->content_open)
                start_content(fo);
        if (fo->carry_len && grow(fo, 4)) {
                base64_encode(fo->carry, fo->carry_len, fo->text + fo->len);
                fo->len += 4;
        }
        fo->carry_len = 0;
        put(fo, "\"}", 2);
        fo->object_start = fo->len;
        fo->count++;
        fo->state = FO_HEAD;
        fo->have = 0;
}

/* A header is whole: the end frame, or a file's. */
static void take_head(struct files_out *fo)
{
        struct sb_file_frame *h = &fo->head;
        if (h->magic != SB_FILES_MAGIC)
                return broken(fo);
        if (h->path_len == 0) {
                fo->flags = (uint32_t) h->size;
                fo->state = FO_END;
                return;
        }
        if (h->path_len > SB_FILE_PATH_MAX)
                return broken(fo);
        fo->state = FO_PATH;
        fo->have = 0;
}

static void take_path(struct files_out *fo)
{
        /* init's paths: output/ and a path the contract allows */
        if (fo->head.path_len < 8 || memcmp(fo->path, "output/", 7) != 0 ||
            files_path_problem(fo->path, fo->head.path_len))
                return broken(fo);
        open_object(fo);
        fo->state = FO_CONTENT;
        fo->have = 0;
        fo->sniff_len = 0;
        fo->content_open = false;
        if (fo->head.size == 0)
                close_object(fo);
}

void files_out_write(void *ctx, const char *data, size_t len)
{
        struct files_out *fo = ctx;
        const unsigned char *d = (const unsigned char *) data;
        while (len && fo->state != FO_BROKEN) {
                size_t n;
                switch (fo->state) {
                case FO_HEAD:
                        n = sizeof(fo->head) - fo->have < len ? sizeof(fo->head) - fo->have : len;
                        memcpy((char *) &fo->head + fo->have, d, n);
                        if ((fo->have += n) == sizeof(fo->head))
                                take_head(fo);
                        break;
                case FO_PATH:
                        n = fo->head.path_len - fo->have < len ? fo->head.path_len - fo->have : len;
                        memcpy(fo->path + fo->have, d, n);
                        if ((fo->have += n) == fo->head.path_len)
                                take_path(fo);
                        break;
                case FO_CONTENT: {
                        uint64_t left = fo->head.size - fo->have;
                        n = left < len ? (size_t) left : len;
                        size_t s = 0;
                        if (!fo->content_open) {
                                /* the first bytes name a picture: wait for them */
                                s = sizeof(fo->sniff) - fo->sniff_len < n ? sizeof(fo->sniff) - fo->sniff_len : n;
                                memcpy(fo->sniff + fo->sniff_len, d, s);
                                fo->sniff_len += s;
                                if (fo->sniff_len == sizeof(fo->sniff) || fo->sniff_len == fo->head.size) {
                                        start_content(fo);
                                        content(fo, fo->sniff, fo->sniff_len);
                                }
                        }
                        content(fo, d + s, n - s);
                        if ((fo->have += n) == fo->head.size)
                                close_object(fo);
                        break;
                }
                default:
                        /* anything after the end frame breaks the stream */
                        broken(fo);
                        n = len;
                        break;
                }
                d += n, len -= n;
        }
}

void files_out_init(struct files_out *fo)
{
        memset(fo, 0, sizeof(*fo));
        put(fo, ",\"files\":[", 10);
        fo->object_start = fo->len;
}

void files_out_finish(struct files_out *fo, bool cut, struct http_response *resp)
{
        /* a stream without its end frame (init was ended, or wrote past what
         * we read) lost something; a file half-way is dropped */
        if (fo->state != FO_END && fo->state != FO_BROKEN)
                broken(fo);
        bool truncated = cut || fo->truncated || (fo->flags & SB_FILES_TRUNCATED);
        put(fo, "],\"files_truncated\":", 20);
        put(fo, truncated ? "true" : "false", truncated ? 4 : 5);
        free(resp->tail);
        resp->tail = NULL;
        resp->tail_len = 0;
        if (fo->failed) {
                free(fo->text);
                resp->tail = strdup(",\"files\":[],\"files_truncated\":true");
                resp->tail_len = resp->tail ? strlen(resp->tail) : 0;
        } else {
                resp->tail = fo->text;
                resp->tail_len = fo->len;
        }
        fo->text = NULL;
}

void files_out_respond(const struct sb_buf *frames, struct http_response *resp)
{
        struct files_out fo;
        files_out_init(&fo);
        if (frames->data)
                files_out_write(&fo, frames->data, frames->len);
        files_out_finish(&fo, frames->truncated, resp);
}
