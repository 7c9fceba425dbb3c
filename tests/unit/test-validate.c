/* Request validation: every rejection path of /execute and its status, and
 * the dialects' own rules for /run and /invoke. */
#include <stdlib.h>

#include "jobs/dialects.h"
#include "tap.h"

static struct config cfg;
static const struct request_rules *rules;

static int check(const char *body, int want_status, const char *want_field, const char *what)
{
        struct job_request r;
        struct request_error e = { 0 };
        int rc = validate_request(rules, &cfg, body, strlen(body), &r, &e);
        int good = want_status == 0 ? rc == 0 : (rc < 0 && e.http_status == want_status &&
                                                  (!want_field || strcmp(e.field, want_field) == 0));
        ok(good, "%s", what);
        if (!good)
                printf("#   body %s -> rc %d status %d field '%s' msg '%s'\n", body, rc, e.http_status, e.field, e.msg);
        job_request_free(&r);
        return good;
}

int main(void)
{
        struct sb_error err;
        config_defaults(&cfg);
        config_finish(&cfg, &err);
        rules = &dialect_of(EP_EXECUTE)->rules;

        check("{\"script\": \"def main(): return 1\"}", 0, NULL, "minimal request accepted");
        check("{\"script\": \"x\", \"timeout\": 1.5, \"memory_limit\": 64, \"stdin\": \"\"}", 0, NULL, "all fields accepted");
        check("{\"script\": \"x\", \"timeout\": 300, \"memory_limit\": 2048}", 0, NULL, "upper bounds accepted");

        struct job_request r;
        struct request_error e = { 0 };
        const char *b = "{\"script\": \"abc\", \"stdin\": \"in\"}";
        ok(validate_request(rules, &cfg, b, strlen(b), &r, &e) == 0 && r.timeout_s == 30 && r.memory_mb == 512 &&
           r.code_len == 3 && r.stdin_len == 2, "defaults applied: 30 s, 512 MB");
        job_request_free(&r);

        check("", 400, NULL, "empty body: 400");
        check("{", 400, NULL, "truncated JSON: 400");
        check("{\"script\": \"x\"} {}", 400, NULL, "two values: 400");
        check("[\"script\"]", 400, NULL, "array body: 400");
        check("\"script\"", 400, NULL, "string body: 400");
        check("{\"script\": \"x\",}", 400, NULL, "trailing comma: 400");
        check("{'script': 'x'}", 400, NULL, "single quotes: 400");
        check("{\"script\": \"\xff\"}", 400, NULL, "invalid UTF-8: 400");
        check("{\"script\": NaN}", 400, NULL, "NaN literal: 400");

        e.msg[0] = 0;
        validate_request(rules, &cfg, "{", 1, &r, &e);
        ok(strncmp(e.msg, "invalid JSON: ", 14) == 0, "invalid JSON message starts with 'invalid JSON: ' (%s)", e.msg);
        job_request_free(&r);

        check("{}", 400, "script", "missing script: 400 naming script");
        check("{\"script\": \"\"}", 400, "script", "empty script: 400");
        check("{\"script\": 5}", 400, "script", "numeric script: 400");
        check("{\"script\": null}", 400, "script", "null script: 400");
        check("{\"script\": [\"x\"]}", 400, "script", "array script: 400");
        check("{\"script\": \"x\", \"extra\": 1}", 400, "extra", "unknown field: 400 naming it");
        check("{\"script\": \"x\", \"Script\": \"y\"}", 400, "Script", "field names are case-sensitive");

        check("{\"script\": \"x\", \"timeout\": 0}", 400, "timeout", "timeout 0: 400");
        check("{\"script\": \"x\", \"timeout\": -1}", 400, "timeout", "negative timeout: 400");
        check("{\"script\": \"x\", \"timeout\": 300.5}", 400, "timeout", "timeout above 300: 400");
        check("{\"script\": \"x\", \"timeout\": 1e999}", 400, "timeout", "infinite timeout: 400");
        check("{\"script\": \"x\", \"timeout\": \"5\"}", 400, "timeout", "string timeout: 400");
        check("{\"script\": \"x\", \"timeout\": true}", 400, "timeout", "boolean timeout: 400");
        check("{\"script\": \"x\", \"timeout\": null}", 400, "timeout", "null timeout: 400");

        check("{\"script\": \"x\", \"memory_limit\": 63}", 400, "memory_limit", "memory 63: 400");
        check("{\"script\": \"x\", \"memory_limit\": 2049}", 400, "memory_limit", "memory 2049: 400");
        check("{\"script\": \"x\", \"memory_limit\": 1.5}", 400, "memory_limit", "fractional memory: 400");
        check("{\"script\": \"x\", \"memory_limit\": 512.0}", 400, "memory_limit", "512.0 is not an integer: 400");
        check("{\"script\": \"x\", \"memory_limit\": \"512\"}", 400, "memory_limit", "string memory: 400");
        check("{\"script\": \"x\", \"memory_limit\": 99999999999999999999}", 400, "memory_limit", "huge memory: 400");
        check("{\"script\": \"x\", \"memory_limit\": -512}", 400, "memory_limit", "negative memory: 400");

        check("{\"script\": \"x\", \"stdin\": 5}", 400, "stdin", "numeric stdin: 400");
        check("{\"script\": \"x\", \"stdin\": {}}", 400, "stdin", "object stdin: 400");

        /* size caps */
        cfg.max_script_bytes = 8;
        check("{\"script\": \"123456789\"}", 400, "script", "script over max_script_bytes: 400");
        check("{\"script\": \"12345678\"}", 0, NULL, "script at max_script_bytes accepted");
        cfg.max_stdin_bytes = 2;
        check("{\"script\": \"x\", \"stdin\": \"abc\"}", 400, "stdin", "stdin over max_stdin_bytes: 400");

        cfg.max_script_bytes = 1 << 20;
        cfg.max_stdin_bytes = 1 << 20;

        /* /run: the code runners' 422 and their whole numbers */
        rules = &dialect_of(EP_RUN)->rules;
        check("{\"code\": \"print(1)\"}", 0, NULL, "/run: minimal request accepted");
        check("{\"code\": \"x\", \"timeout\": 2.0, \"memory_limit\": 128.0}", 0, NULL,
              "/run: whole numbers written as floats accepted");
        check("{\"code\": \"x\", \"timeout\": 1.5}", 422, "timeout", "/run: fractional timeout: 422");
        check("{\"code\": \"x\", \"timeout\": 0}", 422, "timeout", "/run: timeout 0: 422");
        check("{\"code\": \"x\", \"memory_limit\": 63}", 422, "memory_limit", "/run: memory 63: 422");
        check("{\"code\": \"x\", \"stdin\": \"\"}", 422, "stdin", "/run: stdin is not a field of /run: 422");
        check("{}", 422, "code", "/run: missing code: 422 naming code");
        check("{\"code\": \"\"}", 422, "code", "/run: empty code: 422");
        check("{\"code\": 1}", 422, "code", "/run: numeric code: 422");
        check("{", 422, NULL, "/run: invalid JSON: 422");

        /* /invoke: version, handler, its own defaults */
        rules = &dialect_of(EP_INVOKE)->rules;
        b = "{\"version\": \"v1\", \"code\": \"def handler(e, c): pass\", \"event\": {\"a\": 1}}";
        ok(validate_request(rules, &cfg, b, strlen(b), &r, &e) == 0 && r.timeout_s == 10 && r.memory_mb == 256 &&
           strcmp(r.handler, "main.handler") == 0 && strcmp(r.module, "main") == 0 &&
           strcmp(r.stdin_data, "{\"event\":{\"a\":1},\"context\":{}}") == 0,
           "/invoke: defaults 10 s, 256 MB, main.handler; event and context on stdin");
        job_request_free(&r);
        check("{\"code\": \"x\"}", 400, "version", "/invoke: missing version: 400");
        check("{\"version\": \"v2\", \"code\": \"x\"}", 400, "version", "/invoke: version v2: 400");
        check("{\"version\": \"v1\", \"code\": \"x\", \"handler\": \"main\"}", 400, "handler",
              "/invoke: handler without a dot: 400");
        check("{\"version\": \"v1\", \"code\": \"x\", \"handler\": \"a.b.c\"}", 400, "handler",
              "/invoke: handler with two dots: 400");
        check("{\"version\": \"v1\", \"code\": \"x\", \"handler\": \"1a.b\"}", 400, "handler",
              "/invoke: handler module starting with a digit: 400");
        check("{\"version\": \"v1\", \"code\": \"x\", \"context\": 5}", 400, "context",
              "/invoke: numeric context: 400");
        check("{\"version\": \"v1\", \"code\": \"x\", \"script\": \"x\"}", 400, "script",
              "/invoke: unknown field: 400");
        char longest[SB_HANDLER_MAX + 2];
        memset(longest, 'a', sizeof(longest));
        longest[1] = '.';
        longest[SB_HANDLER_MAX] = 0;
        ok(handler_is_valid(longest), "a handler of SB_HANDLER_MAX bytes is valid");
        longest[SB_HANDLER_MAX] = 'a';
        longest[SB_HANDLER_MAX + 1] = 0;
        ok(!handler_is_valid(longest), "a handler one byte longer is refused, never cut short");

        ok(content_type_is_json("application/json"), "application/json accepted");
        ok(content_type_is_json("application/json; charset=utf-8"), "with charset accepted");
        ok(content_type_is_json("Application/JSON"), "case-insensitive");
        ok(!content_type_is_json("text/plain"), "text/plain refused");
        ok(!content_type_is_json("application/jsonx"), "application/jsonx refused");
        ok(!content_type_is_json(NULL), "missing content type refused");
        ok(!content_type_is_json(""), "empty content type refused");
        return tap_done();
}
