/* Execution slots and the fair, bounded queue in front of them.
 *
 * A slot is an index (it picks the job's uid).  Each request belongs to a
 * client (nginx's name for its API key) of a class (jobs/classes.h).  A
 * client may have at most its class's max_concurrent requests running or
 * waiting here at once; past that it is refused at once (-EUSERS: 429).
 * At most queue_max requests wait in all (-EBUSY: 503), each at most
 * queue_wait_s (-ETIMEDOUT: 503).
 *
 * Who gets a freed slot: the waiting requests are kept per client, and the
 * clients take turns.  A client that had nothing waiting is served first
 * (before any backlog), then it joins the round of clients with a backlog;
 * in the round each client is served as many requests in a row as its
 * class's weight.  So one client's backlog delays another client's request
 * by one freed slot, never by the backlog's length.  Within a client, its
 * requests are served in the order they came. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "jobs/classes.h"

struct slot_client;

struct slots {
        pthread_mutex_t lock;
        unsigned total, busy, waiting, queue_max;
        double wait_s;
        struct slot_client **owner;   /* per slot: whose request runs on it (NULL: free) */
        struct slot_client *clients;  /* every client with a request running or waiting */
        size_t n_clients;
        /* clients with waiting requests: those that had none before (served
         * first, in order), and the round of those with a backlog */
        struct slot_client *fresh_head, *fresh_tail, *round_head, *round_tail;
};

/* Who asks: the client's name ("" without nginx: one anonymous client) and
 * its class, whose index counts it in by_class. */
struct slot_who {
        const char *client;
        unsigned class_index;
        unsigned max_concurrent;
        unsigned weight;
};

int slots_init(struct slots *s, unsigned total, unsigned queue_max, double wait_s);
void slots_destroy(struct slots *s);
/* A slot index; -EUSERS when the client is at its cap, -EBUSY when the
 * queue is full, -ETIMEDOUT when the wait ran out. */
int slots_acquire(struct slots *s, const struct slot_who *who);
void slots_release(struct slots *s, int slot);
void slots_snapshot(struct slots *s, unsigned *busy, unsigned *total, unsigned *waiting);
/* Requests running and waiting per class index (arrays of CLASS_MAX). */
void slots_by_class(struct slots *s, unsigned running[CLASS_MAX], unsigned waiting[CLASS_MAX]);
