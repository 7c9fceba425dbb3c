#include <stdio.h>
#include <string.h>

#include "error.h"

int sb_error_set(struct sb_error *err, int errnum, bool with_errno, const char *fmt, ...)
{
        if (errnum < 0)
                errnum = -errnum;
        if (errnum == 0)
                errnum = EIO;
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                if (with_errno && n >= 0 && (size_t) n < sizeof(err->msg))
                        snprintf(err->msg + n, sizeof(err->msg) - (size_t) n, ": %s", strerror(errnum));
                err->code = -errnum;
        }
        return -errnum;
}

int sb_error_wrap(struct sb_error *err, const char *fmt, ...)
{
        char context[sizeof(err->msg)], below[sizeof(err->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(context, sizeof(context), fmt, ap);
        va_end(ap);
        memcpy(below, err->msg, sizeof(below));
        /* the message stays within its buffer: the innermost part is cut first */
        size_t n = strnlen(context, sizeof(err->msg) - 3);
        memcpy(err->msg, context, n);
        memcpy(err->msg + n, ": ", 2);
        n += 2;
        size_t k = strnlen(below, sizeof(err->msg) - 1 - n);
        memcpy(err->msg + n, below, k);
        err->msg[n + k] = 0;
        return err->code ? err->code : -EIO;
}
