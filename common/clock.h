/* One time unit for the whole project: nanoseconds of CLOCK_MONOTONIC, in a
 * uint64_t.  Milliseconds and microseconds appear only where a figure is
 * shown or sent (a reply's wall_us, a response's duration_ms), converted
 * from this at that point. */
#pragma once

#include <stdint.h>
#include <time.h>

#define SB_NSEC_PER_USEC 1000ull
#define SB_NSEC_PER_MSEC 1000000ull
#define SB_NSEC_PER_SEC 1000000000ull

static inline uint64_t sb_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * SB_NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

/* Milliseconds from now until deadline_ns, rounded up, for poll(); 0 when
 * it has passed, at most cap_ms. */
static inline int sb_ms_until(uint64_t deadline_ns, int cap_ms)
{
        uint64_t now = sb_now_ns();
        if (now >= deadline_ns)
                return 0;
        uint64_t ms = (deadline_ns - now + SB_NSEC_PER_MSEC - 1) / SB_NSEC_PER_MSEC;
        return ms > (uint64_t) cap_ms ? cap_ms : (int) ms;
}

static inline double sb_ns_to_ms(uint64_t ns)
{
        return (double) ns / (double) SB_NSEC_PER_MSEC;
}
