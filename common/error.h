/* Errors are values: a function returns 0 or a negative errno and, on failure,
 * fills a small struct with a sentence for the log.  Only the programs' main
 * code turns an error into a log line or an HTTP status; the libraries never
 * log. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>

struct sb_error {
        int code;          /* negative errno, 0 when no error was recorded */
        char msg[256];
};

/* Record the message (with ": strerror(errnum)" after it when with_errno)
 * and return -errnum. */
int sb_error_set(struct sb_error *err, int errnum, bool with_errno, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* A failing call site reads: return sb_fail(err, errno, "mount %s", path); */
#define sb_fail(err, errnum, ...) sb_error_set((err), (errnum), true, __VA_ARGS__)
/* The same, without the strerror suffix, for failures that are not syscalls. */
#define sb_failx(err, errnum, ...) sb_error_set((err), (errnum), false, __VA_ARGS__)

/* Add context on the way up, as crun's crun_error_wrap: "CONTEXT: what
 * failed below".  Returns the recorded code, so a caller reads:
 *   if ((r = sb_cgroup_open(...)) < 0) return sb_error_wrap(err, "slot %u", slot); */
int sb_error_wrap(struct sb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
