#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "files.h"
#include "response.h"
#include "strict_json.h"
#include "validate.h"

int request_fail(struct request_error *e, int status, const char *field, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        e->http_status = status;
        /* the field may be the client's key: never cut inside a character */
        size_t n = field ? utf8_cut(field, strlen(field), sizeof(e->field) - 1) : 0;
        memcpy(e->field, field ? field : "", n);
        e->field[n] = 0;
        return -EINVAL;
}

bool content_type_is_json(const char *ct)
{
        if (!ct)
                return false;
        while (*ct == ' ')
                ct++;
        static const char want[] = "application/json";
        if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
                return false;
        const char *rest = ct + sizeof(want) - 1;
        while (*rest == ' ' || *rest == '\t')
                rest++;
        return *rest == 0 || *rest == ';';
}

struct json_object *parse_json_body(const char *body, size_t len, struct request_error *e)
{
        if (len == 0) {
                request_fail(e, 400, NULL, "invalid JSON: the request body is empty");
                return NULL;
        }
        if (len > INT32_MAX) {
                request_fail(e, 413, NULL, "request body too large");
                return NULL;
        }
        struct json_tokener *tok = json_tokener_new_ex(64);
        if (!tok) {
                request_fail(e, 500, NULL, "out of memory");
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        struct json_object *root = json_tokener_parse_ex(tok, body, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_continue) {
                json_object_put(root);
                request_fail(e, 400, NULL, "invalid JSON: unexpected end of input");
                return NULL;
        }
        if (!root || jerr != json_tokener_success) {
                json_object_put(root);
                request_fail(e, 400, NULL, "invalid JSON: %s at byte %zu", json_tokener_error_desc(jerr), end);
                return NULL;
        }
        while (end < len && isspace((unsigned char) body[end]))
                end++;
        if (end != len) {
                json_object_put(root);
                request_fail(e, 400, NULL, "invalid JSON: unexpected data after the value at byte %zu", end);
                return NULL;
        }
        /* json-c checked the shape of each sequence; overlong forms,
         * surrogates and code points above U+10FFFF are not UTF-8 either, and
         * would reach the answer wherever a string is echoed */
        size_t valid = utf8_valid_prefix(body, len);
        if (valid != len) {
                json_object_put(root);
                request_fail(e, 400, NULL, "invalid JSON: invalid UTF-8 at byte %zu", valid);
                return NULL;
        }
        /* json-c's strict mode lets a few non-JSON tokens through: they
         * would reach the runner as they are (an /invoke event) */
        if ((valid = json_strict_prefix(body, len)) != len) {
                json_object_put(root);
                request_fail(e, 400, NULL, "invalid JSON: a number, word or control character JSON does not allow at byte %zu",
                     valid);
                return NULL;
        }
        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                request_fail(e, 400, NULL, "the request body must be a JSON object");
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

/* A whole number given as an integer or as a float without a fraction
 * (2.0), never a boolean or a string (/run's rule). */
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

static int check_timeout(const struct request_rules *d, const struct config *c, struct json_object *val,
                         struct job_request *r, struct request_error *e)
{
        if (d->pydantic) {
                int64_t n;
                if (whole_number(val, &n) < 0)
                        return request_fail(e, 422, "timeout", "Input should be a valid integer");
                if (n < 1 || (double) n > c->max_timeout_s)
                        return request_fail(e, 422, "timeout", "Input should be from 1 to %g%s", c->max_timeout_s,
                                            request_limits_note(c));
                r->timeout_s = (double) n;
                return 0;
        }
        if (!json_object_is_type(val, json_type_int) && !json_object_is_type(val, json_type_double))
                return request_fail(e, 400, "timeout", "'timeout' must be a number of seconds, not %s", type_name(val));
        double t = json_object_get_double(val);
        if (!isfinite(t) || t <= 0 || t > c->max_timeout_s)
                return request_fail(e, 400, "timeout", "'timeout' must be greater than 0 and at most %g seconds%s",
                            c->max_timeout_s, request_limits_note(c));
        r->timeout_s = t;
        return 0;
}

static int check_memory(const struct request_rules *d, const struct config *c, struct json_object *val,
                        struct job_request *r, struct request_error *e)
{
        int64_t m;
        if (d->pydantic) {
                if (whole_number(val, &m) < 0)
                        return request_fail(e, 422, "memory_limit", "Input should be a valid integer");
                if (m < c->min_memory_mb || m > c->max_memory_mb)
                        return request_fail(e, 422, "memory_limit", "Input should be from %u to %u%s", c->min_memory_mb,
                                    c->max_memory_mb, request_limits_note(c));
                r->memory_mb = (unsigned) m;
                return 0;
        }
        if (!json_object_is_type(val, json_type_int))
                return request_fail(e, 400, "memory_limit",
                            "'memory_limit' must be an integer number of MB written without a fraction (such as "
                            "512), not %s",
                            json_object_is_type(val, json_type_double) ? "a decimal number" : type_name(val));
        m = json_object_get_int64(val);
        if (m < c->min_memory_mb || m > c->max_memory_mb)
                return request_fail(e, 400, "memory_limit", "'memory_limit' must be from %u to %u MB%s", c->min_memory_mb,
                            c->max_memory_mb, request_limits_note(c));
        r->memory_mb = (unsigned) m;
        return 0;
}

static int check_string(const struct request_rules *d, struct json_object *val, const char *key, const char **s,
                        size_t *len, struct request_error *e)
{
        if (!json_object_is_type(val, json_type_string)) {
                if (d->pydantic)
                        return request_fail(e, 422, key, "Input should be a valid string");
                return request_fail(e, 400, key, "'%s' must be a string, not %s", key, type_name(val));
        }
        *s = json_object_get_string(val);
        *len = (size_t) json_object_get_string_len(val);
        return 0;
}

static bool is_ident(const char *s, size_t n)
{
        if (n == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

bool handler_is_valid(const char *s)
{
        const char *dot = strchr(s, '.');
        if (!dot || strchr(dot + 1, '.') || strlen(s) > SB_HANDLER_MAX)
                return false;
        return is_ident(s, (size_t) (dot - s)) && is_ident(dot + 1, strlen(dot + 1));
}

/* /invoke's own fields; 1 when key is none of them. */
static int invoke_field(struct job_request *r, const char *key, struct json_object *val, bool *have_version,
                        struct json_object **event, struct json_object **context, struct request_error *e)
{
        if (strcmp(key, "version") == 0) {
                if (!json_object_is_type(val, json_type_string) || strcmp(json_object_get_string(val), "v1"))
                        return request_fail(e, 400, key, "unsupported version: 'version' must be \"v1\"");
                *have_version = true;
        } else if (strcmp(key, "handler") == 0) {
                if (!json_object_is_type(val, json_type_string))
                        return request_fail(e, 400, key, "'handler' must be a string \"module.function\", not %s",
                                    type_name(val));
                const char *h = json_object_get_string(val);
                if (!handler_is_valid(h))
                        return request_fail(e, 400, key,
                                    "'handler' must be \"module.function\", two Python identifiers joined by one "
                                    "dot, such as \"main.handler\", at most %d bytes",
                                    SB_HANDLER_MAX);
                snprintf(r->handler, sizeof(r->handler), "%s", h);
        } else if (strcmp(key, "event") == 0) {
                *event = val;
        } else if (strcmp(key, "context") == 0) {
                if (!json_object_is_type(val, json_type_object) && !json_object_is_type(val, json_type_null))
                        return request_fail(e, 400, key, "'context' must be an object, not %s", type_name(val));
                *context = val;
        } else {
                return 1;
        }
        return 0;
}

static int unknown_field(const struct request_rules *d, const char *key, struct request_error *e)
{
        if (d->pydantic)
                return request_fail(e, 422, key, "Extra inputs are not permitted");
        return request_fail(e, 400, key, "unknown field '%.*s': allowed are %s", (int) utf8_cut(key, strlen(key), 64), key,
                    d->is_invoke  ? "version, handler, code, event, context, timeout, memory_limit, files"
                    : d->is_grade ? "code, tests, compare, timeout, memory_limit, stop_on_failure, files"
                                  : "script, timeout, memory_limit, stdin, files");
}

static int check_code(const struct request_rules *d, const struct config *c, const struct job_request *r,
                      struct request_error *e)
{
        const char *f = d->code_field;
        unsigned long long max = (unsigned long long) c->max_script_bytes;
        if (!r->code)
                return d->pydantic ? request_fail(e, 422, f, "Field required") : request_fail(e, 400, f, "'%s' is required", f);
        if (r->code_len == 0)
                return d->pydantic ? request_fail(e, 422, f, "String should have at least 1 character")
                                   : request_fail(e, 400, f, "'%s' must not be empty", f);
        if (r->code_len > max)
                return d->pydantic ? request_fail(e, 422, f, "String should have at most %llu bytes", max)
                                   : request_fail(e, 400, f, "'%s' is larger than %llu bytes", f, max);
        return 0;
}

/* event and context travel to the runner on its stdin. */
static void invoke_payload(struct job_request *r, struct json_object *event, struct json_object *context)
{
        r->payload = json_object_new_object();
        json_object_object_add(r->payload, "event", event ? json_object_get(event) : json_object_new_object());
        json_object_object_add(r->payload, "context", context ? json_object_get(context) : json_object_new_object());
        r->stdin_data = json_object_to_json_string_length(r->payload, JSON_C_TO_STRING_PLAIN, &r->stdin_len);
        const char *dot = strchr(r->handler, '.');
        snprintf(r->module, sizeof(r->module), "%.*s", (int) (dot - r->handler), r->handler);
}

const char *request_limits_note(const struct config *c)
{
        /* one buffer per thread: the note goes into a refusal at once */
        static __thread char note[CLASS_NAME_MAX + 32];
        if (!c->limits_of[0])
                return "";
        snprintf(note, sizeof(note), " (the limit of class '%s')", c->limits_of);
        return note;
}

double request_default_timeout(const struct request_rules *d, const struct config *c)
{
        /* a dialect's own default never goes past the operator's limit */
        double t = d->default_timeout_s > 0 ? d->default_timeout_s : c->default_timeout_s;
        return t > c->max_timeout_s ? c->max_timeout_s : t;
}

unsigned request_default_memory(const struct request_rules *d, const struct config *c)
{
        unsigned m = d->default_memory_mb > 0 ? d->default_memory_mb : c->default_memory_mb;
        if (m > c->max_memory_mb)
                m = c->max_memory_mb;
        return m < c->min_memory_mb ? c->min_memory_mb : m;
}

int validate_request(const struct request_rules *d, const struct config *c, const char *body, size_t len,
                     struct job_request *r, struct request_error *e)
{
        struct json_object *event = NULL, *context = NULL;
        bool have_version = false;
        int k;

        memset(r, 0, sizeof(*r));
        r->timeout_s = request_default_timeout(d, c);
        r->memory_mb = request_default_memory(d, c);
        if (d->is_invoke)
                snprintf(r->handler, sizeof(r->handler), "%s", d->default_handler);
        if (!(r->root = parse_json_body(body, len, e))) {
                if (d->pydantic && e->http_status == 400)
                        e->http_status = 422;
                return -EINVAL;
        }
        json_object_object_foreach(r->root, key, val) {
                if (strcmp(key, d->code_field) == 0)
                        k = check_string(d, val, key, &r->code, &r->code_len, e);
                else if (strcmp(key, "timeout") == 0)
                        k = check_timeout(d, c, val, r, e);
                else if (strcmp(key, "memory_limit") == 0)
                        k = check_memory(d, c, val, r, e);
                else if (d->has_stdin && strcmp(key, "stdin") == 0) {
                        if ((k = check_string(d, val, key, &r->stdin_data, &r->stdin_len, e)) == 0 &&
                            r->stdin_len > c->max_stdin_bytes)
                                k = request_fail(e, 400, key, "'stdin' is larger than %llu bytes",
                                         (unsigned long long) c->max_stdin_bytes);
                } else if (strcmp(key, "files") == 0) {
                        k = files_in_validate(d, c, val, r, e);
                } else if (d->is_grade && strcmp(key, "tests") == 0) {
                        r->tests = val;
                        k = 0;
                } else if (d->is_grade && strcmp(key, "compare") == 0) {
                        r->compare = val;
                        k = 0;
                } else if (d->is_grade && strcmp(key, "stop_on_failure") == 0) {
                        k = json_object_is_type(val, json_type_boolean)
                                    ? (r->stop_on_failure = json_object_get_boolean(val), 0)
                                    : request_fail(e, 400, key, "'stop_on_failure' must be true or false, not %s",
                                                   type_name(val));
                } else if (!d->is_invoke ||
                           (k = invoke_field(r, key, val, &have_version, &event, &context, e)) > 0)
                        k = unknown_field(d, key, e);
                if (k < 0)
                        return k;
        }
        if (d->is_invoke && !have_version)
                return request_fail(e, 400, "version", "'version' is required and must be \"v1\"");
        if ((k = check_code(d, c, r, e)) < 0)
                return k;
        if (d->is_invoke)
                invoke_payload(r, event, context);
        /* the code's own file name is known only now (/invoke's handler) */
        return files_in_check_name(d, r, e);
}

void job_request_free(struct job_request *r)
{
        free(r->files_in);
        json_object_put(r->payload);
        json_object_put(r->root);
        memset(r, 0, sizeof(*r));
}
