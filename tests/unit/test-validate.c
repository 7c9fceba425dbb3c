/* /execute request validation: every rejection path and its status. */
#include <stdlib.h>

#include "jobs/validate.h"
#include "tap.h"

static struct config cfg;

static int check(const char *body, int want_status, const char *want_field, const char *what)
{
        struct exec_request r;
        struct request_error e = { 0 };
        int rc = validate_execute(&cfg, body, strlen(body), &r, &e);
        int good = want_status == 0 ? rc == 0 : (rc < 0 && e.http_status == want_status &&
                                                  (!want_field || strcmp(e.field, want_field) == 0));
        ok(good, "%s", what);
        if (!good)
                printf("#   body %s -> rc %d status %d field '%s' msg '%s'\n", body, rc, e.http_status, e.field, e.msg);
        exec_request_free(&r);
        return good;
}

int main(void)
{
        struct sb_error err;
        config_defaults(&cfg);
        config_finish(&cfg, &err);

        check("{\"script\": \"def main(): return 1\"}", 0, NULL, "minimal request accepted");
        check("{\"script\": \"x\", \"timeout\": 1.5, \"memory_limit\": 64, \"stdin\": \"\"}", 0, NULL, "all fields accepted");
        check("{\"script\": \"x\", \"timeout\": 300, \"memory_limit\": 2048}", 0, NULL, "upper bounds accepted");

        struct exec_request r;
        struct request_error e = { 0 };
        const char *b = "{\"script\": \"abc\", \"stdin\": \"in\"}";
        ok(validate_execute(&cfg, b, strlen(b), &r, &e) == 0 && r.timeout_s == 30 && r.memory_mb == 512 &&
           r.script_len == 3 && r.stdin_len == 2, "defaults applied: 30 s, 512 MB");
        exec_request_free(&r);

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
        validate_execute(&cfg, "{", 1, &r, &e);
        ok(strncmp(e.msg, "invalid JSON: ", 14) == 0, "invalid JSON message starts with 'invalid JSON: ' (%s)", e.msg);
        exec_request_free(&r);

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

        ok(content_type_is_json("application/json"), "application/json accepted");
        ok(content_type_is_json("application/json; charset=utf-8"), "with charset accepted");
        ok(content_type_is_json("Application/JSON"), "case-insensitive");
        ok(!content_type_is_json("text/plain"), "text/plain refused");
        ok(!content_type_is_json("application/jsonx"), "application/jsonx refused");
        ok(!content_type_is_json(NULL), "missing content type refused");
        ok(!content_type_is_json(""), "empty content type refused");
        return tap_done();
}
