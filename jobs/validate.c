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

/* "timeout" and "memory_limit" mean the same in /execute and /invoke. */
static int check_timeout(const struct config *c, struct json_object *val, double *out, struct request_error *e)
{
        if (!json_object_is_type(val, json_type_int) && !json_object_is_type(val, json_type_double))
                return fail(e, 400, "timeout", "'timeout' must be a number of seconds, not %s", type_name(val));
        double t = json_object_get_double(val);
        if (!isfinite(t) || t <= 0 || t > c->max_timeout_s)
                return fail(e, 400, "timeout", "'timeout' must be greater than 0 and at most %g seconds",
                            c->max_timeout_s);
        *out = t;
        return 0;
}

static int check_memory(const struct config *c, struct json_object *val, unsigned *out, struct request_error *e)
{
        if (!json_object_is_type(val, json_type_int))
                return fail(e, 400, "memory_limit",
                            "'memory_limit' must be an integer number of MB written without a fraction (such as "
                            "512), not %s",
                            json_object_is_type(val, json_type_double) ? "a decimal number" : type_name(val));
        int64_t m = json_object_get_int64(val);
        if (m < c->min_memory_mb || m > c->max_memory_mb)
                return fail(e, 400, "memory_limit", "'memory_limit' must be from %u to %u MB", c->min_memory_mb,
                            c->max_memory_mb);
        *out = (unsigned) m;
        return 0;
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
                        if (check_timeout(c, val, &out->timeout_s, e) < 0)
                                return -EINVAL;
                } else if (strcmp(key, "memory_limit") == 0) {
                        if (check_memory(c, val, &out->memory_mb, e) < 0)
                                return -EINVAL;
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

/* A whole number given as an integer or as a float without a fraction
 * (2.0), never a boolean or a string. */
static int whole_number(struct json_object *v, int64_t *out)
{
        if (json_object_is_type(v, json_type_int)) {
                *out = json_object_get_int64(v);
                return 0;
        }
        if (json_object_is_type(v, json_type_double)) {
                double d = json_object_get_double(v);
                if (isfinite(d) && d == floor(d) && fabs(d) < 1e15) {
                        *out = (int64_t) d;
                        return 0;
                }
        }
        return -EINVAL;
}

int validate_run(const struct config *c, const char *body, size_t len, struct run_request *out,
                 struct request_error *e)
{
        memset(out, 0, sizeof(*out));
        out->timeout_s = c->default_timeout_s;
        out->memory_mb = c->default_memory_mb;

        struct json_object *root = parse_json_body(body, len, e);
        if (!root) {
                e->http_status = e->http_status == 413 ? 413 : 422;
                return -EINVAL;
        }
        out->root = root;
        json_object_object_foreach(root, key, val) {
                int64_t n;
                if (strcmp(key, "code") == 0) {
                        if (!json_object_is_type(val, json_type_string))
                                return fail(e, 422, key, "Input should be a valid string");
                        out->code = json_object_get_string(val);
                        out->code_len = (size_t) json_object_get_string_len(val);
                } else if (strcmp(key, "timeout") == 0) {
                        if (whole_number(val, &n) < 0)
                                return fail(e, 422, key, "Input should be a valid integer");
                        if (n < 1 || (double) n > c->max_timeout_s)
                                return fail(e, 422, key, "Input should be from 1 to %g", c->max_timeout_s);
                        out->timeout_s = (double) n;
                } else if (strcmp(key, "memory_limit") == 0) {
                        if (whole_number(val, &n) < 0)
                                return fail(e, 422, key, "Input should be a valid integer");
                        if (n < c->min_memory_mb || n > c->max_memory_mb)
                                return fail(e, 422, key, "Input should be from %u to %u", c->min_memory_mb,
                                            c->max_memory_mb);
                        out->memory_mb = (unsigned) n;
                } else {
                        return fail(e, 422, key, "Extra inputs are not permitted");
                }
        }
        if (!out->code)
                return fail(e, 422, "code", "Field required");
        if (out->code_len == 0)
                return fail(e, 422, "code", "String should have at least 1 character");
        if (out->code_len > c->max_script_bytes)
                return fail(e, 422, "code", "String should have at most %llu bytes",
                            (unsigned long long) c->max_script_bytes);
        return 0;
}

static int is_ident(const char *s, size_t n)
{
        if (n == 0 || isdigit((unsigned char) s[0]))
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return 0;
        return 1;
}

int handler_is_valid(const char *s)
{
        const char *dot = strchr(s, '.');
        if (!dot || strchr(dot + 1, '.') || strlen(s) > 128)
                return 0;
        return is_ident(s, (size_t) (dot - s)) && is_ident(dot + 1, strlen(dot + 1));
}

int validate_invoke(const struct config *c, const char *body, size_t len, struct invoke_request *out,
                    struct request_error *e)
{
        bool have_version = false;

        memset(out, 0, sizeof(*out));
        out->timeout_s = 10;
        out->memory_mb = 256;
        snprintf(out->handler, sizeof(out->handler), "main.handler");

        struct json_object *root = parse_json_body(body, len, e);
        if (!root)
                return -EINVAL;
        out->root = root;
        json_object_object_foreach(root, key, val) {
                if (strcmp(key, "version") == 0) {
                        if (!json_object_is_type(val, json_type_string) || strcmp(json_object_get_string(val), "v1"))
                                return fail(e, 400, key, "unsupported version: 'version' must be \"v1\"");
                        have_version = true;
                } else if (strcmp(key, "handler") == 0) {
                        if (!json_object_is_type(val, json_type_string))
                                return fail(e, 400, key, "'handler' must be a string \"module.function\", not %s",
                                            type_name(val));
                        const char *h = json_object_get_string(val);
                        if (!handler_is_valid(h))
                                return fail(e, 400, key,
                                            "'handler' must be \"module.function\", two Python identifiers "
                                            "joined by one dot, such as \"main.handler\"");
                        snprintf(out->handler, sizeof(out->handler), "%s", h);
                } else if (strcmp(key, "code") == 0) {
                        if (!json_object_is_type(val, json_type_string))
                                return fail(e, 400, key, "'code' must be a string, not %s", type_name(val));
                        out->code = json_object_get_string(val);
                        out->code_len = (size_t) json_object_get_string_len(val);
                } else if (strcmp(key, "event") == 0) {
                        out->event = val;
                } else if (strcmp(key, "context") == 0) {
                        if (!json_object_is_type(val, json_type_object) && !json_object_is_type(val, json_type_null))
                                return fail(e, 400, key, "'context' must be an object, not %s", type_name(val));
                        out->context = val;
                } else if (strcmp(key, "timeout") == 0) {
                        if (check_timeout(c, val, &out->timeout_s, e) < 0)
                                return -EINVAL;
                } else if (strcmp(key, "memory_limit") == 0) {
                        if (check_memory(c, val, &out->memory_mb, e) < 0)
                                return -EINVAL;
                } else {
                        return fail(e, 400, key,
                                    "unknown field '%.64s': allowed are version, handler, code, event, context, "
                                    "timeout, memory_limit",
                                    key);
                }
        }
        if (!have_version)
                return fail(e, 400, "version", "'version' is required and must be \"v1\"");
        if (!out->code)
                return fail(e, 400, "code", "'code' is required");
        if (out->code_len == 0)
                return fail(e, 400, "code", "'code' must not be empty");
        if (out->code_len > c->max_script_bytes)
                return fail(e, 400, "code", "'code' is larger than %llu bytes", (unsigned long long) c->max_script_bytes);
        const char *dot = strchr(out->handler, '.');
        snprintf(out->module, sizeof(out->module), "%.*s", (int) (dot - out->handler), out->handler);
        return 0;
}
