#include "error.h"

#include <stdio.h>
#include <string.h>

static int vfail(struct sb_error *err, int errnum, int with_errno, const char *fmt, va_list ap)
{
        if (errnum < 0)
                errnum = -errnum;
        if (errnum == 0)
                errnum = EIO;
        if (err) {
                int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                if (with_errno && n >= 0 && (size_t) n < sizeof(err->msg))
                        snprintf(err->msg + n, sizeof(err->msg) - (size_t) n, ": %s", strerror(errnum));
                err->code = -errnum;
        }
        return -errnum;
}

int sb_fail(struct sb_error *err, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vfail(err, errnum, 1, fmt, ap);
        va_end(ap);
        return r;
}

int sb_failx(struct sb_error *err, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vfail(err, errnum, 0, fmt, ap);
        va_end(ap);
        return r;
}
