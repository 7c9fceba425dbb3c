/* dialect_valid_json() (jobs/result.c) decides whether what came on a
 * job's result channel is passed into the answer verbatim (json_raw): a
 * script can write anything there.  Whatever it says yes to must make the
 * answer strict JSON in valid UTF-8, as judged by fuzz.h's own RFC 8259
 * reader and json-c; and it must say yes to what the runner writes
 * (json.dumps(allow_nan=False, ensure_ascii=False)), which the seeds hold. */
#include "fuzz.h"
#include "jobs/dialects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* the result is NUL-terminated where the job's reader kept it */
        char *text = fuzz_cstring(data, size);
        if (!text)
                return 0;

        if (dialect_valid_json(text, size)) {
                FUZZ_ASSERT(fuzz_utf8_valid(text, size), "passed on, not UTF-8: %.300s", text);
                FUZZ_ASSERT(fuzz_rfc8259(text, size), "passed on, not RFC 8259: %.300s", text);
                struct json_object *body = json_object_new_object();
                json_object_object_add(body, "result", json_raw(text, size));
                json_object_object_add(body, "status", json_object_new_string("success"));
                size_t len;
                const char *out = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
                json_object_put(fuzz_check_body(out, len));
                json_object_put(body);
        }
        free(text);
        return 0;
}
