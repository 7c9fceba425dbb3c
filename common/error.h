/* Errors are values: a function returns 0 or a negative errno and, on failure,
 * fills a small struct with a sentence for the log.  Only the programs' main
 * code turns an error into a log line or an HTTP status; the sandbox library
 * itself never logs. */
#pragma once

#include <errno.h>
#include <stdarg.h>

struct sb_error {
        int code;          /* negative errno, 0 when no error was recorded */
        char msg[256];
};

/* Record "fmt: strerror(errnum)" and return -errnum, so a failing call site
 * reads: return sb_fail(err, errno, "mount %s", path); */
int sb_fail(struct sb_error *err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Same, without the strerror suffix, for failures that are not syscalls. */
int sb_failx(struct sb_error *err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
