#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "validate.h"

static int fail(struct request_error *e, int status, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int fail(struct request_error *e, int status, const char *field, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        e->http_status = status;
        snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
        return -EINVAL;
}

int content_type_is_json(const char *ct)
{
        if (!ct)
                return 0;
        while (*ct == ' ')
                ct++;
        static const char want[] = "application/json";
        if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
                return 0;
        const char *rest = ct + sizeof(want) - 1;
        while (*rest == ' ' || *rest == '\t')
                rest++;
        return *rest == 0 || *rest == ';';
}

struct json_object *parse_json_body(const char *body, size_t len, struct request_error *e)
{
        if (len == 0) {
                fail(e, 400, NULL, "invalid JSON: the request body is empty");
                return NULL;
        }
        if (len > INT32_MAX) {
                fail(e, 413, NULL, "request body too large");
                return NULL;
        }
        struct json_tokener *tok = json_tokener_new_ex(64);
        if (!tok) {
                fail(e, 500, NULL, "out of memory");
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        struct json_object *root = json_tokener_parse_ex(tok, body, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_continue) {
                json_object_put(root);
                fail(e, 400, NULL, "invalid JSON: unexpected end of input");
                return NULL;
        }
        if (!root || jerr != json_tokener_success) {
                json_object_put(root);
                fail(e, 400, NULL, "invalid JSON: %s at byte %zu", json_tokener_error_desc(jerr), end);
                return NULL;
        }
        while (end < len && isspace((unsigned char) body[end]))
                end++;
        if (end != len) {
                json_object_put(root);
                fail(e, 400, NULL, "invalid JSON: unexpected data after the value at byte %zu", end);
                return NULL;
        }
        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                fail(e, 400, NULL, "the request body must be a JSON object");
                return NULL;
        }
        return root;
}

static const char *type_name(struct json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_null: return "null";
        case json_type_boolean: return "a boolean";
        case json_type_double: return "a number";
        case json_type_int: return "an integer";
        case json_type_object: return "an object";
        case json_type_array: return "an array";
        case json_type_string: return "a string";
        }
        return "unknown";
}

int validate_execute(const struct config *c, const char *body, size_t len, struct exec_request *out,
                     struct request_error *e)
{
        memset(out, 0, sizeof(*out));
        out->timeout_s = c->default_timeout_s;
        out->memory_mb = c->default_memory_mb;

        struct json_object *root = parse_json_body(body, len, e);
        if (!root)
                return -EINVAL;
        out->root = root;

        json_object_object_foreach(root, key, val) {
                if (strcmp(key, "script") == 0) {
                        if (!json_object_is_type(val, json_type_string))
                                return fail(e, 400, key, "'script' must be a string, not %s", type_name(val));
                        out->script = json_object_get_string(val);
                        out->script_len = (size_t) json_object_get_string_len(val);
                } else if (strcmp(key, "timeout") == 0) {
                        if (!json_object_is_type(val, json_type_int) && !json_object_is_type(val, json_type_double))
                                return fail(e, 400, key, "'timeout' must be a number of seconds, not %s", type_name(val));
                        double t = json_object_get_double(val);
                        if (!isfinite(t) || t <= 0 || t > c->max_timeout_s)
                                return fail(e, 400, key, "'timeout' must be greater than 0 and at most %g seconds",
                                            c->max_timeout_s);
                        out->timeout_s = t;
                } else if (strcmp(key, "memory_limit") == 0) {
                        if (!json_object_is_type(val, json_type_int))
                                return fail(e, 400, key, "'memory_limit' must be an integer number of MB, not %s",
                                            type_name(val));
                        int64_t m = json_object_get_int64(val);
                        if (m < c->min_memory_mb || m > c->max_memory_mb)
                                return fail(e, 400, key, "'memory_limit' must be from %u to %u MB", c->min_memory_mb,
                                            c->max_memory_mb);
                        out->memory_mb = (unsigned) m;
                } else if (strcmp(key, "stdin") == 0) {
                        if (!json_object_is_type(val, json_type_string))
                                return fail(e, 400, key, "'stdin' must be a string, not %s", type_name(val));
                        out->stdin_data = json_object_get_string(val);
                        out->stdin_len = (size_t) json_object_get_string_len(val);
                        if (out->stdin_len > c->max_stdin_bytes)
                                return fail(e, 400, key, "'stdin' is larger than %llu bytes",
                                            (unsigned long long) c->max_stdin_bytes);
                } else {
                        return fail(e, 400, key, "unknown field '%.64s': allowed are script, timeout, memory_limit, stdin",
                                    key);
                }
        }
        if (!out->script)
                return fail(e, 400, "script", "'script' is required");
        if (out->script_len == 0)
                return fail(e, 400, "script", "'script' must not be empty");
        if (out->script_len > c->max_script_bytes)
                return fail(e, 400, "script", "'script' is larger than %llu bytes",
                            (unsigned long long) c->max_script_bytes);
        return 0;
}

void exec_request_free(struct exec_request *r)
{
        json_object_put(r->root);
        memset(r, 0, sizeof(*r));
}
