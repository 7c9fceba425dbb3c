/* How /grade compares a program's output with the expected output
 * (docs/api.md, "POST /grade").  Pure: unit-tested in tests/unit/test-compare.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum compare_kind {
        COMPARE_EXACT,                /* byte for byte */
        COMPARE_TRIM,                 /* trailing whitespace of each line and trailing blank lines ignored */
        COMPARE_TOKENS,               /* the whitespace-separated tokens equal */
        COMPARE_FLOAT,                /* tokens; two that both read as numbers within the tolerance */
};

struct compare_mode {
        enum compare_kind kind;
        double tolerance;             /* COMPARE_FLOAT: absolute, and relative to the expected value */
};

bool output_matches(const char *got, size_t got_len, const char *want, size_t want_len,
                    const struct compare_mode *m);
/* "exact", "trim", "tokens", or "float_tolerance=1e-06" for the log. */
void compare_mode_name(const struct compare_mode *m, char *buf, size_t size);
