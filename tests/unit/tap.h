/* A minimal TAP producer for automake's tap-driver.sh. */
#pragma once

#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

/* cond is evaluated once; every line is flushed, so a sanitizer that ends
 * the process early still leaves the results so far for the driver */
#define ok(cond, ...) do { \
        int _pass = !!(cond); \
        tap_n++; \
        if (_pass) { printf("ok %d - ", tap_n); } \
        else { printf("not ok %d - ", tap_n); tap_failed++; } \
        printf(__VA_ARGS__); \
        printf("\n"); \
        if (!_pass) printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
        fflush(stdout); \
} while (0)

#define is_str(got, want, ...) do { \
        const char *_g = (got), *_w = (want); \
        int _ok = _g && _w && strcmp(_g, _w) == 0; \
        ok(_ok, __VA_ARGS__); \
        if (!_ok) printf("#   got:  '%s'\n#   want: '%s'\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
} while (0)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
