/* json_text() (jobs/response.c) on any bytes, as a job's stdout or stderr
 * goes into an answer: the answer is valid UTF-8 JSON, UTF-8 input comes
 * back byte for byte (NUL included), and every byte that is not part of a
 * valid sequence becomes one U+FFFD, judged by a decoder of this file
 * (fuzz.h), not the project's.  And json_ms() of a duration: a JSON number
 * within half a microsecond of it. */
#include <math.h>

#include "fuzz.h"
#include "jobs/response.h"

/* The text json_text should make of data: valid sequences kept, any other
 * byte replaced by U+FFFD. */
static char *expected(const uint8_t *data, size_t size, size_t *len)
{
        char *out = malloc(size * 3 + 1);
        if (!out)
                abort();
        size_t o = 0;
        for (size_t i = 0; i < size;) {
                size_t k = fuzz_utf8_len(data + i, size - i);
                if (k) {
                        memcpy(out + o, data + i, k);
                        o += k;
                        i += k;
                } else {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                }
        }
        *len = o;
        return out;
}

static void check_ms(const uint8_t *data, size_t size)
{
        if (size < 8)
                return;
        uint64_t us;
        memcpy(&us, data, 8);
        us %= UINT64_C(18446744073709551); /* what a duration in us can be */
        double ms = (double) us / 1000.0;
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "duration_ms", json_ms(ms));
        size_t len;
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        struct json_object *v = fuzz_check_body(text, len);
        struct json_object *n;
        FUZZ_ASSERT(json_object_object_get_ex(v, "duration_ms", &n) && json_object_is_type(n, json_type_double),
                    "duration %s", text);
        double got = json_object_get_double(n);
        FUZZ_ASSERT(fabs(got - ms) <= 0.0005 + fabs(ms) * 1e-15, "json_ms(%.6f) wrote %s", ms, text);
        json_object_put(v);
        json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* the bytes as a job's output: exactly these, no terminator */
        char *bytes = malloc(size ? size : 1);
        if (!bytes)
                return 0;
        if (size)
                memcpy(bytes, data, size);

        struct http_response resp;
        response_init(&resp);
        resp.status = 200;
        resp.body = json_object_new_object();
        json_object_object_add(resp.body, "stdout", json_text(bytes, size));
        size_t len;
        const char *text = response_text(&resp, &len);
        struct json_object *v = fuzz_check_body(text, len);

        struct json_object *s;
        FUZZ_ASSERT(json_object_object_get_ex(v, "stdout", &s) && json_object_is_type(s, json_type_string),
                    "no stdout string: %s", text);
        size_t want_len;
        char *want = expected(data, size, &want_len);
        size_t got_len = (size_t) json_object_get_string_len(s);
        FUZZ_ASSERT(got_len == want_len && memcmp(json_object_get_string(s), want, want_len) == 0,
                    "json_text made %zu bytes where %zu were due", got_len, want_len);
        if (fuzz_utf8_valid((const char *) data, size))
                FUZZ_ASSERT(got_len == size, "valid UTF-8 changed");
        free(want);
        json_object_put(v);
        response_free(&resp);
        free(bytes);

        check_ms(data, size);
        return 0;
}
