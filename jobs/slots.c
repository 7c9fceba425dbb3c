#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "slots.h"

int slots_init(struct slots *s, unsigned total, unsigned queue_max, double wait_s)
{
        pthread_condattr_t ca;
        s->in_use = calloc(total, sizeof(bool));
        if (!s->in_use)
                return -ENOMEM;
        s->total = total;
        s->busy = s->waiting = 0;
        s->queue_max = queue_max;
        s->wait_s = wait_s;
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->freed, &ca);
        pthread_condattr_destroy(&ca);
        return 0;
}

void slots_destroy(struct slots *s)
{
        pthread_cond_destroy(&s->freed);
        pthread_mutex_destroy(&s->lock);
        free(s->in_use);
        s->in_use = NULL;
}

static int take(struct slots *s)
{
        for (unsigned i = 0; i < s->total; i++)
                if (!s->in_use[i]) {
                        s->in_use[i] = true;
                        s->busy++;
                        return (int) i;
                }
        return -EBUSY;
}

int slots_acquire(struct slots *s)
{
        int r;
        pthread_mutex_lock(&s->lock);
        if (s->busy < s->total) {
                r = take(s);
                pthread_mutex_unlock(&s->lock);
                return r;
        }
        if (s->waiting >= s->queue_max) {
                pthread_mutex_unlock(&s->lock);
                return -EBUSY;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        double whole = floor(s->wait_s);
        until.tv_sec += (time_t) whole;
        until.tv_nsec += (long) ((s->wait_s - whole) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        s->waiting++;
        r = 0;
        while (s->busy >= s->total && r != ETIMEDOUT)
                r = pthread_cond_timedwait(&s->freed, &s->lock, &until);
        s->waiting--;
        r = s->busy < s->total ? take(s) : -ETIMEDOUT;
        pthread_mutex_unlock(&s->lock);
        return r;
}

void slots_release(struct slots *s, int slot)
{
        pthread_mutex_lock(&s->lock);
        if (slot >= 0 && (unsigned) slot < s->total && s->in_use[slot]) {
                s->in_use[slot] = false;
                s->busy--;
                pthread_cond_signal(&s->freed);
        }
        pthread_mutex_unlock(&s->lock);
}

void slots_snapshot(struct slots *s, unsigned *busy, unsigned *total, unsigned *waiting)
{
        pthread_mutex_lock(&s->lock);
        *busy = s->busy;
        *total = s->total;
        *waiting = s->waiting;
        pthread_mutex_unlock(&s->lock);
}
