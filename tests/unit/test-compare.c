/* /grade's comparisons, each mode at its edges. */
#include <string.h>

#include "jobs/compare.h"
#include "tap.h"

static bool m(const char *got, const char *want, enum compare_kind k, double tol)
{
        struct compare_mode mode = { .kind = k, .tolerance = tol };
        return output_matches(got, strlen(got), want, strlen(want), &mode);
}

int main(void)
{
        /* exact */
        ok(m("4\n", "4\n", COMPARE_EXACT, 0), "exact: same bytes");
        ok(!m("4", "4\n", COMPARE_EXACT, 0), "exact: a missing final newline differs");
        ok(!m("4\r\n", "4\n", COMPARE_EXACT, 0), "exact: CRLF differs");
        ok(m("", "", COMPARE_EXACT, 0), "exact: empty equals empty");
        ok(!m("\xff\xfe", "\xff", COMPARE_EXACT, 0), "exact: bytes that are not UTF-8 compared as bytes");
        /* trim */
        ok(m("4", "4\n", COMPARE_TRIM, 0), "trim: no final newline");
        ok(m("4\r\n", "4\n", COMPARE_TRIM, 0), "trim: CRLF");
        ok(m("a  \nb\t\n\n\n", "a\nb\n", COMPARE_TRIM, 0), "trim: trailing spaces and blank lines");
        ok(!m(" a\n", "a\n", COMPARE_TRIM, 0), "trim: leading space counts");
        ok(!m("a\n\nb\n", "a\nb\n", COMPARE_TRIM, 0), "trim: a blank line inside counts");
        ok(m("a\n   \nb", "a\n\nb\n", COMPARE_TRIM, 0), "trim: a line of spaces is blank");
        ok(m("", "\n\n", COMPARE_TRIM, 0), "trim: empty output, expected only newlines");
        ok(!m("", "x", COMPARE_TRIM, 0), "trim: empty output, expected text");
        ok(!m("a b\n", "a  b\n", COMPARE_TRIM, 0), "trim: spaces inside a line count");
        /* tokens */
        ok(m("1 2\n3", "1\n2 3\n", COMPARE_TOKENS, 0), "tokens: any whitespace");
        ok(m("  \t\n", "", COMPARE_TOKENS, 0), "tokens: whitespace only is no tokens");
        ok(!m("1 2", "1 2 3", COMPARE_TOKENS, 0), "tokens: a missing token");
        ok(!m("1.0", "1", COMPARE_TOKENS, 0), "tokens: numbers compared as text");
        ok(m("\xff x", "\xff\n x", COMPARE_TOKENS, 0), "tokens: non-UTF-8 bytes as bytes");
        /* float tolerance */
        ok(m("0.3333333", "0.333333333", COMPARE_FLOAT, 1e-6), "float: within the absolute tolerance");
        ok(!m("0.334", "0.333", COMPARE_FLOAT, 1e-6), "float: outside it");
        ok(m("1000000.5", "1000000", COMPARE_FLOAT, 1e-6), "float: relative to the expected value");
        ok(m("1e300", "1.0000000001e300", COMPARE_FLOAT, 1e-6), "float: huge numbers, relative");
        ok(m("1e400", "1e400", COMPARE_FLOAT, 1e-6), "float: an overflow compared as text first");
        ok(m("inf", "INF", COMPARE_FLOAT, 1e-6), "float: infinities of one sign");
        ok(!m("inf", "-inf", COMPARE_FLOAT, 1e-6), "float: infinities of two signs");
        ok(!m("inf", "1e308", COMPARE_FLOAT, 1e-6), "float: an infinity is no number near it");
        ok(m("nan", "NaN", COMPARE_FLOAT, 1e-6), "float: NaN matches NaN");
        ok(!m("nan", "0", COMPARE_FLOAT, 1e-6), "float: NaN matches nothing else");
        ok(m("x 1.0000001 y", "x 1 y", COMPARE_FLOAT, 1e-6), "float: words exact, numbers near");
        ok(!m("X 1", "x 1", COMPARE_FLOAT, 1e-6), "float: words exactly");
        ok(!m("0x10", "16", COMPARE_FLOAT, 1e-6), "float: hexadecimal is a word");
        ok(m("-0", "0", COMPARE_FLOAT, 0), "float: zero tolerance, equal values");
        ok(!m("1 2", "1", COMPARE_FLOAT, 1e-6), "float: token counts must agree");
        return tap_done();
}
