/* Execution slots and the bounded queue in front of them.  A slot is an index
 * (it picks the job's uid); at most queue_max callers wait for one, each at
 * most queue_wait_s, and the rest are turned away at once (503). */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct slots {
        pthread_mutex_t lock;
        pthread_cond_t freed;
        unsigned total, busy, waiting, queue_max;
        double wait_s;
        bool *in_use;
};

int slots_init(struct slots *s, unsigned total, unsigned queue_max, double wait_s);
void slots_destroy(struct slots *s);
/* Returns a slot index, -EBUSY when the queue is full, -ETIMEDOUT when the wait ran out. */
int slots_acquire(struct slots *s);
void slots_release(struct slots *s, int slot);
void slots_snapshot(struct slots *s, unsigned *busy, unsigned *total, unsigned *waiting);
