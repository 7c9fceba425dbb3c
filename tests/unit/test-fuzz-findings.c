/* What the fuzzers of tests/fuzz/ found, one check each, so that a finding
 * stays fixed without clang or libFuzzer.  The input that found it is in
 * tests/fuzz/corpus/<target>/regress-* as well. */
#include <stdlib.h>

#include "common/cleanup.h"
#include "jobs/dialects.h"
#include "jobs/response.h"
#include "jobs/strict_json.h"
#include "tap.h"

static struct config cfg;

/* Is text valid UTF-8 (RFC 3629)? */
static int utf8_ok(const char *text)
{
        return utf8_valid_prefix(text, strlen(text)) == strlen(text);
}

/* validate_request's verdict on body: its status (0 when accepted), and the
 * refusal as the client would get it, which must be valid UTF-8. */
static int verdict(enum endpoint ep, const char *body, char *msg, size_t msg_size)
{
        struct job_request r;
        struct request_error e = { 0 };
        const struct request_rules *rules = &dialect_of(ep)->rules;
        int status = validate_request(rules, &cfg, body, strlen(body), &r, &e) == 0 ? 0 : e.http_status;
        job_request_free(&r);
        if (msg)
                snprintf(msg, msg_size, "%s", status ? e.msg : "");
        if (status && (!utf8_ok(e.msg) || !utf8_ok(e.field)))
                return -1;
        return status;
}

int main(void)
{
        struct sb_error err;
        char msg[512];
        config_defaults(&cfg);
        cfg.slots = 4;
        config_finish(&cfg, &err);

        /* validate-execute: json-c's JSON_TOKENER_VALIDATE_UTF8 checks the
         * shape of a sequence only; an unknown key beyond U+10FFFF came back
         * in the error message, and the 400 was not UTF-8 */
        ok(verdict(EP_EXECUTE, "{\"s\xf4\x96\x8f\x8c\": \"x\"}", msg, sizeof(msg)) == 400 &&
                   strstr(msg, "invalid UTF-8 at byte 3"),
           "a key above U+10FFFF: 400 invalid UTF-8 (%s)", msg);
        ok(verdict(EP_EXECUTE, "{\"script\": \"\xc0\x80\"}", NULL, 0) == 400, "an overlong NUL: 400");
        ok(verdict(EP_EXECUTE, "{\"script\": \"\xed\xa0\x80\"}", NULL, 0) == 400, "an encoded surrogate: 400");
        ok(verdict(EP_EXECUTE, "{\"script\": \"\xf0\x9f\x98\x80\"}", NULL, 0) == 0, "U+1F600 accepted");
        ok(verdict(EP_EXECUTE, "{\"script\": \"\\ud800\"}", NULL, 0) == 0,
           "a lone surrogate escape is JSON (json-c makes it U+FFFD)");

        /* an unknown key is echoed cut to 64 bytes: never inside a character */
        char body[256];
        snprintf(body, sizeof(body), "{\"a%s\": 1}",
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        ok(verdict(EP_EXECUTE, body, msg, sizeof(msg)) == 400, "/execute: a long unknown key cut on a character (%s)",
           msg);
        ok(verdict(EP_RUN, body, NULL, 0) == 422, "/run: its field in detail.loc cut on a character");
        ok(utf8_cut("a\xc3\xa9", 3, 2) == 1 && utf8_cut("a\xc3\xa9", 3, 3) == 3 && utf8_cut("ab", 2, 1) == 1 &&
                   utf8_cut("\xf0\x9f\x98\x80", 4, 3) == 0,
           "utf8_cut backs off to a character's first byte");

        /* validate-invoke: json-c's strict mode took 00.5 (and -01, 1., 1.e5,
         * NaN, Infinity, raw control characters in strings), and the /invoke
         * event reached the runner as that text */
        static const char *const not_json[] = { "00.5", "-01", "1.", "1.e5", "NaN", "-Infinity", "00", "-00.1" };
        for (size_t i = 0; i < ELEMENTSOF(not_json); i++) {
                snprintf(body, sizeof(body), "{\"version\": \"v1\", \"code\": \"x\", \"event\": {\"n\": %s}}",
                         not_json[i]);
                ok(verdict(EP_INVOKE, body, msg, sizeof(msg)) == 400 && strstr(msg, "invalid JSON"),
                   "/invoke: event number %s is not JSON: 400", not_json[i]);
        }
        ok(verdict(EP_EXECUTE, "{\"script\": \"a\tb\"}", NULL, 0) == 400, "a raw tab in a string: 400");
        ok(verdict(EP_INVOKE, "{\"version\": \"v1\", \"code\": \"x\", \"event\": [0, -0, 0.5e-3, 1E+2, -12.25e1]}",
                   NULL, 0) == 0,
           "numbers JSON allows are accepted");
        ok(json_strict_prefix("[1, 00]", 7) == 4 && json_strict_prefix("\"a\nb\"", 5) == 2 &&
                   json_strict_prefix("{\"a\": [true, false, null]}", 26) == 26,
           "json_strict_prefix points at the first token JSON does not allow");

        /* valid-json: a forged result in overlong UTF-8 or with 00.5 passed
         * dialect_valid_json and went into the answer verbatim */
        ok(!dialect_valid_json("\"\xc0\x80\"", 4), "a result with an overlong sequence is not passed on");
        ok(!dialect_valid_json("\"\xf4\x90\x80\x80\"", 6), "a result above U+10FFFF is not passed on");
        ok(!dialect_valid_json("[00.5]", 6), "a result with 00.5 is not passed on");
        ok(dialect_valid_json("[0.5, \"\xc3\xa9\"]", 11), "a result of JSON in UTF-8 is passed on");

        /* outcome: a script can forge the runner's frame on fd 4; a header of
         * raw bytes that are not UTF-8 went into /execute's "error" */
        char forged[] = "{\"error\": \"\xff\xfe\"}";
        struct sb_outcome o = { .status = SB_ERROR, .header = forged, .pending_fd = -1 };
        struct json_object *h = dialect_header(&o);
        ok(h == NULL, "a forged header that is not UTF-8 is no header");
        json_object_put(h);
        struct job_request req = { .timeout_s = 1, .memory_mb = 64 };
        struct http_response resp;
        response_init(&resp);
        respond_execute(&req, &o, &resp);
        size_t len;
        const char *text = response_text(&resp, &len);
        ok(resp.status == 400 && utf8_valid_prefix(text, len) == len, "/execute answers it in UTF-8: %s", text);
        response_free(&resp);

        /* outcome: /run's error is the runner's text cut to 255 bytes, and
         * sys.exit("é" * 200) cut it inside a character */
        char header[2048] = "{\"error\": \"SystemExit with status x";   /* 200 x 6 bytes and the rest */
        size_t at = strlen(header);
        for (int i = 0; i < 200; i++)
                at += (size_t) snprintf(header + at, sizeof(header) - at, "\\u00e9");
        snprintf(header + at, sizeof(header) - at, "\"}");
        o.header = header;
        response_init(&resp);
        respond_run(&req, &o, &resp);
        text = response_text(&resp, &len);
        ok(resp.status == 200 && utf8_valid_prefix(text, len) == len, "/run cuts a long error on a character");
        response_free(&resp);

        /* validate-invoke with tight settings: /invoke's own defaults (10 s,
         * 256 MB) went past max_timeout_s and max_memory_mb */
        struct config small = cfg;
        small.max_timeout_s = 5;
        small.default_timeout_s = 2;
        small.max_memory_mb = 128;
        small.default_memory_mb = 128;
        const struct request_rules *inv = &dialect_of(EP_INVOKE)->rules;
        ok(request_default_timeout(inv, &small) == 5 && request_default_memory(inv, &small) == 128,
           "/invoke's defaults stay within max_timeout_s and max_memory_mb");
        ok(request_default_timeout(inv, &cfg) == 10 && request_default_memory(inv, &cfg) == 256,
           "/invoke's defaults are its own under the default settings");
        return tap_done();
}
