/* Response helpers: output is always valid JSON. */
#include <stdlib.h>
#include <string.h>

#include "jobs/dialects.h"
#include "jobs/response.h"
#include "tap.h"

static const char *str(struct json_object *o)
{
        return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

int main(void)
{
        struct json_object *o;

        /* what a script may write on the result channel is passed on only
         * when it is JSON, strictly */
        static const char *const good[] = { "1", "-0.5e3", "\"x\"", "[1, {\"a\": null}]", "\"nul\\u0000\"",
                                            "\"tab\\there\"", "true" };
        static const char *const bad[] = { "NaN", "Infinity", "-Infinity", "[1, NaN]", "{\"a\": -Infinity}",
                                           "\"tab\there\"", "\"new\nline\"", "1 2", "{", "'x'", "nan" };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                ok(dialect_valid_json(good[i], strlen(good[i])), "JSON accepted: %s", good[i]);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ok(!dialect_valid_json(bad[i], strlen(bad[i])), "not JSON refused: %s", bad[i]);

        o = json_text("hello", 5);
        is_str(str(o), "\"hello\"", "plain ASCII kept");
        json_object_put(o);

        o = json_text("a\xff" "b", 3);
        is_str(json_object_get_string(o), "a\xef\xbf\xbd" "b", "invalid byte becomes U+FFFD");
        json_object_put(o);

        o = json_text("\xc3\xa9", 2);
        is_str(json_object_get_string(o), "\xc3\xa9", "valid two-byte sequence kept");
        json_object_put(o);

        o = json_text("\xe2\x82", 2);
        is_str(json_object_get_string(o), "\xef\xbf\xbd\xef\xbf\xbd", "sequence cut by the cap replaced");
        json_object_put(o);

        o = json_text("\xed\xa0\x80", 3);
        is_str(json_object_get_string(o), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "surrogate replaced");
        json_object_put(o);

        o = json_text("a\0b", 3);
        ok(json_object_get_string_len(o) == 3, "NUL byte kept as \\u0000");
        is_str(str(o), "\"a\\u0000b\"", "NUL escaped in output");
        json_object_put(o);

        o = json_text(NULL, 0);
        is_str(str(o), "\"\"", "no output is an empty string");
        json_object_put(o);

        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "result", json_raw("123456789012345678901234567890", 30));
        is_str(str(obj), "{\"result\":123456789012345678901234567890}", "raw result passed verbatim (big int)");
        json_object_put(obj);

        o = json_ms(3.14159);
        is_str(str(o), "3.142", "milliseconds rounded to 3 decimals");
        json_object_put(o);
        o = json_ms(2.0);
        is_str(str(o), "2.0", "whole milliseconds keep one decimal");
        json_object_put(o);

        struct http_response r;
        response_init(&r);
        response_error(&r, 404, "not found");
        size_t len;
        is_str(response_text(&r, &len), "{\"error\":\"not found\"}", "error body");
        ok(r.status == 404, "error status");
        response_free(&r);

        is_str(http_reason(413), "Payload Too Large", "reason phrase for 413");
        is_str(http_reason(503), "Service Unavailable", "reason phrase for 503");
        return tap_done();
}
