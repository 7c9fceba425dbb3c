/* A job's outcome in words and checked JSON, for every dialect. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "dialects.h"
#include "strict_json.h"

static const char *signal_name(int sig)
{
        static char buf[32];
        const char *abbrev = sigabbrev_np(sig);
        if (!abbrev)
                return "an unknown signal";
        snprintf(buf, sizeof(buf), "SIG%s", abbrev);
        return buf;
}

/* json-c's strict mode still takes raw control characters inside strings
 * and the words NaN and Infinity; JSON (RFC 8259) has neither, and the
 * runner's json.dumps(allow_nan=False) writes neither. */
static bool strings_without_controls(const char *text, size_t len)
{
        bool in = false, escaped = false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) text[i];
                if (!in)
                        in = c == '"';
                else if (escaped)
                        escaped = false;
                else if (c == '\\')
                        escaped = true;
                else if (c == '"')
                        in = false;
                else if (c < 0x20)
                        return false;
        }
        return !in;
}

static bool numbers_finite(struct json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_double:
                return isfinite(json_object_get_double(v));
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        if (!numbers_finite(json_object_array_get_idx(v, i)))
                                return false;
                return true;
        case json_type_object: {
                json_object_object_foreach(v, key, val) {
                        (void) key;
                        if (!numbers_finite(val))
                                return false;
                }
                return true;
        }
        default:
                return true;
        }
}

/* Is this one JSON value?  The runner made it, but the script could write
 * to the same channel, so check before passing it on verbatim. */
bool dialect_valid_json(const char *text, size_t len)
{
        struct json_tokener *tok = json_tokener_new_ex(4096);
        if (!tok)
                return false;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        /* the text is NUL-terminated: include the NUL so a bare literal or
         * number at the very end is complete rather than "continue" */
        struct json_object *v = json_tokener_parse_ex(tok, text, (int) len + 1);
        /* utf8_valid_prefix: json-c's own check lets overlong forms,
         * surrogates and code points above U+10FFFF through */
        bool ok = json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) >= len &&
                  strlen(text) == len && strings_without_controls(text, len) && numbers_finite(v) &&
                  utf8_valid_prefix(text, len) == len && json_strict_prefix(text, len) == len;
        json_object_put(v);
        json_tokener_free(tok);
        return ok;
}

struct json_object *dialect_header(const struct sb_outcome *o)
{
        if (!o->header || !dialect_valid_json(o->header, strlen(o->header)))
                return NULL;
        struct json_object *h = json_tokener_parse(o->header);
        if (h && !json_object_is_type(h, json_type_object)) {
                json_object_put(h);
                return NULL;
        }
        return h;
}

/* The runner's header is JSON it wrote; take one string field from it. */
struct json_object *dialect_header_string(struct json_object *header, const char *key)
{
        struct json_object *v;
        if (header && json_object_object_get_ex(header, key, &v) && json_object_is_type(v, json_type_string))
                return v;
        return NULL;
}

void outcome_error_text(const struct sb_outcome *o, double timeout_s, unsigned memory_mb, const char *what,
                        char *buf, size_t size)
{
        switch (o->status) {
        case SB_TIMEOUT:
                snprintf(buf, size, "Script execution timed out (%gs limit)", timeout_s);
                break;
        case SB_MEMORY:
                snprintf(buf, size, "Script exceeded the memory limit (%u MB)", memory_mb);
                break;
        case SB_KILLED:
                if (o->signal == SIGSYS)
                        /* the filter ends a job only for a call of another
                         * architecture's table; every other refused call answers EPERM */
                        snprintf(buf, size,
                                 "Script was killed by signal %s (%d): it made a forbidden system call, %s "
                                 "(a call of another architecture's table: i386 int 0x80 or x32)",
                                 signal_name(o->signal), o->signal, o->syscall[0] ? o->syscall : "unknown");
                else
                        snprintf(buf, size, "Script was killed by signal %s (%d)", signal_name(o->signal), o->signal);
                break;
        case SB_OUTPUT_LIMIT:
                if (o->output_stopped)
                        snprintf(buf, size, "Script wrote more than %llu bytes of output",
                                 (unsigned long long) o->output_drain_limit);
                else
                        snprintf(buf, size, "Result is larger than the limit");
                break;
        case SB_ERROR:
                if (o->exit_code != 0)
                        snprintf(buf, size, "Script exited with status %d before %s returned", o->exit_code, what);
                else
                        snprintf(buf, size, "Script ended before %s returned", what);
                break;
        default:
                snprintf(buf, size, "internal error");
        }
}

