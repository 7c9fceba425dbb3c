/* init's file frames as the front turns them into the answer's "files"
 * (jobs/files_out.c), on any bytes and cut into chunks anywhere, as reads
 * from the pipe arrive: the answer is valid UTF-8 JSON whatever came, each
 * file's content is base64 of exactly its size, and feeding the same bytes
 * whole or in pieces makes the same text.
 *
 * The input: one byte of chunk size, then the stream. */
#include "fuzz.h"
#include "common/base64.h"
#include "jobs/files.h"

static char *answer(const uint8_t *data, size_t size, size_t chunk, size_t *len)
{
        struct files_out fo;
        struct http_response r;
        response_init(&r);
        files_out_init(&fo);
        for (size_t off = 0; off < size; off += chunk)
                files_out_write(&fo, (const char *) data + off, size - off < chunk ? size - off : chunk);
        files_out_finish(&fo, false, &r);
        char *text = malloc(r.tail_len + 2);
        if (!text)
                abort();
        text[0] = '{';
        memcpy(text + 1, r.tail + 1, r.tail_len - 1);
        memcpy(text + r.tail_len, "}", 2);
        *len = r.tail_len + 1;
        response_free(&r);
        return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        size_t chunk = (size_t) data[0] % 64 + 1;
        data++, size--;
        size_t len, whole_len;
        char *text = answer(data, size, chunk, &len);
        char *whole = answer(data, size, size ? size : 1, &whole_len);
        FUZZ_ASSERT(len == whole_len && memcmp(text, whole, len) == 0, "chunks of %zu change the answer", chunk);
        struct json_object *v = fuzz_check_body(text, len), *files, *t;
        FUZZ_ASSERT(json_object_object_get_ex(v, "files", &files) && json_object_is_type(files, json_type_array) &&
                            json_object_object_get_ex(v, "files_truncated", &t) &&
                            json_object_is_type(t, json_type_boolean),
                    "shape: %s", text);
        for (size_t i = 0; i < json_object_array_length(files); i++) {
                struct json_object *f = json_object_array_get_idx(files, i), *c, *s, *p;
                FUZZ_ASSERT(json_object_object_get_ex(f, "content", &c) && json_object_object_get_ex(f, "size", &s) &&
                                    json_object_object_get_ex(f, "path", &p),
                            "file fields: %s", text);
                const char *b = json_object_get_string(c);
                size_t blen = strlen(b);
                unsigned char *dec = malloc(base64_decoded_max(blen) + 1);
                ssize_t n = base64_decode(b, blen, dec);
                FUZZ_ASSERT(n == (ssize_t) json_object_get_int64(s), "content is %zd bytes, size says %lld", n,
                            (long long) json_object_get_int64(s));
                FUZZ_ASSERT(strncmp(json_object_get_string(p), "output/", 7) == 0, "path %s",
                            json_object_get_string(p));
                free(dec);
        }
        json_object_put(v);
        free(text);
        free(whole);
        return 0;
}
