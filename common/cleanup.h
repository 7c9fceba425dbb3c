/* Cleanup attributes, as systemd and crun use them: a variable declared with
 * one of these is released on every path out of its scope, which keeps error
 * paths to a single "return r;". */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void sb_freep(void *p) { free(*(void **) p); }
static inline void sb_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void sb_fclosep(FILE **f) { if (*f) fclose(*f); }

#define _cleanup_free_ __attribute__((cleanup(sb_freep)))
#define _cleanup_close_ __attribute__((cleanup(sb_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(sb_fclosep)))

/* Hand ownership out of a cleanup variable. */
static inline int sb_take_fd(int *fd) { int r = *fd; *fd = -1; return r; }
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
