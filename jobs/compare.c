#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next token at *pos: its start and length, false at the end. */
static bool next_token(const char *s, size_t len, size_t *pos, const char **tok, size_t *tlen)
{
        while (*pos < len && is_space(s[*pos]))
                (*pos)++;
        if (*pos >= len)
                return false;
        *tok = s + *pos;
        while (*pos < len && !is_space(s[*pos]))
                (*pos)++;
        *tlen = (size_t) (s + *pos - *tok);
        return true;
}

/* A token that reads whole as a number (strtod's forms: 12, -3.5e2, inf,
 * nan; never "0x", since a judge's "0x10" is a word), into *v. */
static bool number(const char *tok, size_t n, double *v)
{
        char buf[128];
        if (n == 0 || n >= sizeof(buf))
                return false;
        memcpy(buf, tok, n);
        buf[n] = 0;
        for (size_t i = 0; i < n; i++)
                if (buf[i] == 'x' || buf[i] == 'X' || buf[i] == 'p' || buf[i] == 'P')
                        return false;
        char *end;
        *v = strtod(buf, &end);
        return *end == 0;
}

static bool tokens_equal(const char *a, size_t an, const char *b, size_t bn, const struct compare_mode *m)
{
        if (an == bn && memcmp(a, b, an) == 0)
                return true;
        double got, want;
        if (m->kind != COMPARE_FLOAT || !number(a, an, &got) || !number(b, bn, &want))
                return false;
        if (isnan(got) || isnan(want))
                return isnan(got) && isnan(want);
        if (isinf(got) || isinf(want))
                return got == want;
        double allowed = fmax(m->tolerance, m->tolerance * fabs(want));
        return fabs(got - want) <= allowed;
}

static bool tokens_match(const char *got, size_t gl, const char *want, size_t wl, const struct compare_mode *m)
{
        size_t gp = 0, wp = 0;
        for (;;) {
                const char *gt, *wt;
                size_t gn, wn;
                bool g = next_token(got, gl, &gp, &gt, &gn), w = next_token(want, wl, &wp, &wt, &wn);
                if (!g || !w)
                        return g == w;
                if (!tokens_equal(gt, gn, wt, wn, m))
                        return false;
        }
}

/* The length of s without trailing blank lines and the trailing whitespace
 * of its last line; a line's own trailing whitespace is skipped as lines
 * are compared. */
static size_t trimmed_end(const char *s, size_t len)
{
        while (len > 0 && is_space(s[len - 1]))
                len--;
        return len;
}

static size_t line_end(const char *s, size_t len, size_t pos)
{
        const char *nl = memchr(s + pos, '\n', len - pos);
        return nl ? (size_t) (nl - s) : len;
}

static bool trim_match(const char *got, size_t gl, const char *want, size_t wl)
{
        gl = trimmed_end(got, gl);
        wl = trimmed_end(want, wl);
        size_t gp = 0, wp = 0;
        while (gp < gl && wp < wl) {
                size_t ge = line_end(got, gl, gp), we = line_end(want, wl, wp);
                size_t gn = ge - gp, wn = we - wp;
                while (gn > 0 && (got[gp + gn - 1] == ' ' || got[gp + gn - 1] == '\t' || got[gp + gn - 1] == '\r'))
                        gn--;
                while (wn > 0 &&
                       (want[wp + wn - 1] == ' ' || want[wp + wn - 1] == '\t' || want[wp + wn - 1] == '\r'))
                        wn--;
                if (gn != wn || memcmp(got + gp, want + wp, gn) != 0)
                        return false;
                gp = ge + 1, wp = we + 1;
        }
        return gp >= gl && wp >= wl;
}

bool output_matches(const char *got, size_t got_len, const char *want, size_t want_len,
                    const struct compare_mode *m)
{
        switch (m->kind) {
        case COMPARE_EXACT:
                return got_len == want_len && memcmp(got, want, got_len) == 0;
        case COMPARE_TRIM:
                return trim_match(got, got_len, want, want_len);
        case COMPARE_TOKENS:
        case COMPARE_FLOAT:
                return tokens_match(got, got_len, want, want_len, m);
        }
        return false;
}

void compare_mode_name(const struct compare_mode *m, char *buf, size_t size)
{
        static const char *const names[] = { "exact", "trim", "tokens", "float_tolerance" };
        if (m->kind == COMPARE_FLOAT)
                snprintf(buf, size, "float_tolerance=%g", m->tolerance);
        else
                snprintf(buf, size, "%s", names[m->kind]);
}
