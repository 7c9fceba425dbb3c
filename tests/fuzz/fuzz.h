/* What every harness checks an answer with.
 *
 * A response body must be JSON that any careful client parses: RFC 8259
 * exactly (no NaN, no raw control characters in strings, nothing after the
 * value) and valid UTF-8 throughout.  Two independent judges say so:
 * json-c's tokener in its strict, UTF-8-validating mode (what the brief
 * asks for), and the small RFC 8259 reader below, which also refuses what
 * json-c's strict mode still lets through (raw control characters inside
 * strings, NaN and Infinity).  A harness that finds an answer either judge
 * refuses stops with the input that made it: that is a bug. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

/* Stop the run with the reason; libFuzzer saves the input as a crash. */
#define FUZZ_ASSERT(cond, ...)                                                                   \
        do {                                                                                     \
                if (!(cond)) {                                                                   \
                        fprintf(stderr, "\nFUZZ_ASSERT failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                            \
                        fprintf(stderr, "\n");                                                   \
                        abort();                                                                 \
                }                                                                                \
        } while (0)

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0.  Written
 * apart from jobs/response.c's on purpose: a second opinion. */
/* The input as a C string, as the parsers under test get theirs (a file or
 * a job's output read whole and NUL-terminated); NULL when out of memory.
 * The caller frees it. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return NULL;
        if (size)
                memcpy(text, data, size);
        text[size] = 0;
        return text;
}

static inline size_t fuzz_utf8_len(const unsigned char *s, size_t n)
{
        if (s[0] < 0x80)
                return 1;
        size_t len;
        uint32_t cp;
        if ((s[0] & 0xe0) == 0xc0)
                len = 2, cp = s[0] & 0x1fu;
        else if ((s[0] & 0xf0) == 0xe0)
                len = 3, cp = s[0] & 0x0fu;
        else if ((s[0] & 0xf8) == 0xf0)
                len = 4, cp = s[0] & 0x07u;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3fu);
        }
        static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

static inline bool fuzz_utf8_valid(const char *text, size_t len)
{
        const unsigned char *s = (const unsigned char *) text;
        for (size_t i = 0; i < len;) {
                size_t k = fuzz_utf8_len(s + i, len - i);
                if (!k)
                        return false;
                i += k;
        }
        return true;
}

/* ---- a strict RFC 8259 reader (validates, builds nothing) ---- */
struct fuzz_rd {
        const unsigned char *s;
        size_t n, i;
        int depth;
};

static inline void fuzz_ws(struct fuzz_rd *r)
{
        while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r'))
                r->i++;
}

static inline bool fuzz_lit(struct fuzz_rd *r, const char *w)
{
        size_t l = strlen(w);
        if (r->n - r->i < l || memcmp(r->s + r->i, w, l) != 0)
                return false;
        r->i += l;
        return true;
}

static inline bool fuzz_hex4(struct fuzz_rd *r, unsigned *v)
{
        *v = 0;
        for (int k = 0; k < 4; k++, r->i++) {
                if (r->i >= r->n)
                        return false;
                unsigned c = r->s[r->i];
                unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                             : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;
                if (d > 15)
                        return false;
                *v = *v << 4 | d;
        }
        return true;
}

static inline bool fuzz_string(struct fuzz_rd *r)
{
        r->i++;                                /* the opening quote */
        while (r->i < r->n) {
                unsigned char c = r->s[r->i];
                if (c == '"') {
                        r->i++;
                        return true;
                }
                if (c < 0x20)
                        return false;
                if (c == '\\') {
                        if (++r->i >= r->n)
                                return false;
                        c = r->s[r->i];
                        if (c == 'u') {
                                unsigned v;
                                r->i++;
                                if (!fuzz_hex4(r, &v))
                                        return false;
                                /* a lone surrogate escape is legal JSON text
                                 * (RFC 8259 8.2 allows it); not our concern */
                                continue;
                        }
                        if (!strchr("\"\\/bfnrt", c))
                                return false;
                        r->i++;
                        continue;
                }
                size_t k = fuzz_utf8_len(r->s + r->i, r->n - r->i);
                if (!k)
                        return false;
                r->i += k;
        }
        return false;
}

static inline bool fuzz_number(struct fuzz_rd *r)
{
        size_t st = r->i;
        if (r->i < r->n && r->s[r->i] == '-')
                r->i++;
        if (r->i >= r->n)
                return false;
        if (r->s[r->i] == '0')
                r->i++;
        else if (r->s[r->i] >= '1' && r->s[r->i] <= '9')
                while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9')
                        r->i++;
        else
                return false;
        if (r->i < r->n && r->s[r->i] == '.') {
                size_t d = ++r->i;
                while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9')
                        r->i++;
                if (r->i == d)
                        return false;
        }
        if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
                r->i++;
                if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-'))
                        r->i++;
                size_t d = r->i;
                while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9')
                        r->i++;
                if (r->i == d)
                        return false;
        }
        return r->i > st;
}

static inline bool fuzz_value(struct fuzz_rd *r)
{
        fuzz_ws(r);
        if (r->i >= r->n || ++r->depth > 10000)
                return false;
        bool ok;
        unsigned char c = r->s[r->i];
        if (c == '{' || c == '[') {
                unsigned char close = c == '{' ? '}' : ']';
                r->i++;
                fuzz_ws(r);
                if (r->i < r->n && r->s[r->i] == close) {
                        r->i++;
                        r->depth--;
                        return true;
                }
                for (;;) {
                        if (c == '{') {
                                fuzz_ws(r);
                                if (r->i >= r->n || r->s[r->i] != '"' || !fuzz_string(r))
                                        return false;
                                fuzz_ws(r);
                                if (r->i >= r->n || r->s[r->i++] != ':')
                                        return false;
                        }
                        if (!fuzz_value(r))
                                return false;
                        fuzz_ws(r);
                        if (r->i >= r->n)
                                return false;
                        if (r->s[r->i] == ',') {
                                r->i++;
                                continue;
                        }
                        if (r->s[r->i] != close)
                                return false;
                        r->i++;
                        break;
                }
                ok = true;
        } else if (c == '"') {
                ok = fuzz_string(r);
        } else if (c == 't') {
                ok = fuzz_lit(r, "true");
        } else if (c == 'f') {
                ok = fuzz_lit(r, "false");
        } else if (c == 'n') {
                ok = fuzz_lit(r, "null");
        } else {
                ok = fuzz_number(r);
        }
        r->depth--;
        return ok;
}

/* Is text[0..len) exactly one RFC 8259 value, in valid UTF-8? */
static inline bool fuzz_rfc8259(const char *text, size_t len)
{
        struct fuzz_rd r = { (const unsigned char *) text, len, 0, 0 };
        if (!fuzz_value(&r))
                return false;
        fuzz_ws(&r);
        return r.i == len;
}

/* json-c's judgement: strict, UTF-8 validated, one value, nothing after.
 * Deeper than anything the service passes on (dialect_valid_json allows
 * 4096 levels); one tokener for the run, as its stack is large. */
static inline struct json_object *fuzz_jsonc_parse(const char *text, size_t len)
{
        static struct json_tokener *tok;
        if (!tok && !(tok = json_tokener_new_ex(8192)))
                abort();
        json_tokener_reset(tok);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        struct json_object *v = json_tokener_parse_ex(tok, text, (int) len);
        bool ok = v && json_tokener_get_error(tok) == json_tokener_success;
        size_t end = json_tokener_get_parse_end(tok);
        while (ok && end < len && strchr(" \t\r\n", text[end]))
                end++;
        if (!ok || end != len) {
                json_object_put(v);
                return NULL;
        }
        return v;
}

/* Both judges accept text as a response body.  Returns json-c's value of it
 * (the caller puts it) so the harness can look inside. */
static inline struct json_object *fuzz_check_body(const char *text, size_t len)
{
        FUZZ_ASSERT(strlen(text) == len, "the body has a NUL byte at %zu of %zu", strlen(text), len);
        FUZZ_ASSERT(fuzz_utf8_valid(text, len), "the body is not valid UTF-8: %.300s", text);
        FUZZ_ASSERT(fuzz_rfc8259(text, len), "the body is not RFC 8259 JSON: %.300s", text);
        struct json_object *v = fuzz_jsonc_parse(text, len);
        FUZZ_ASSERT(v, "json-c's strict UTF-8 tokener refuses the body: %.300s", text);
        return v;
}

/* The string member key of object o, or NULL. */
static inline const char *fuzz_member_string(struct json_object *o, const char *key)
{
        struct json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* Take bytes off the front of the input: the harnesses split one input
 * into fields this way, so every byte the fuzzer mutates means something. */
struct fuzz_in {
        const uint8_t *p;
        size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
        if (!in->n)
                return 0;
        in->n--;
        return *in->p++;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in, size_t bytes)
{
        uint64_t v = 0;
        for (size_t i = 0; i < bytes; i++)
                v = v << 8 | fuzz_u8(in);
        return v;
}

/* The next field: up to the separator byte sep (not included), or the rest.
 * Returns a NUL-terminated copy (the caller frees it) and its length. */
static inline char *fuzz_field(struct fuzz_in *in, uint8_t sep, size_t *len)
{
        const uint8_t *end = in->n ? memchr(in->p, sep, in->n) : NULL;
        size_t l = end ? (size_t) (end - in->p) : in->n;
        char *s = malloc(l + 1);
        if (!s)
                abort();
        if (l)
                memcpy(s, in->p, l);
        s[l] = 0;
        in->p += l + (end ? 1 : 0);
        in->n -= l + (end ? 1 : 0);
        if (len)
                *len = l;
        return s;
}
