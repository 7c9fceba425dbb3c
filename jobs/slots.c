#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slots.h"

/* A request waiting for a slot: the slot is handed to it, not taken by
 * whoever wakes first, so the order of service is the queue's. */
struct waiter {
        pthread_cond_t granted;
        int slot;                     /* -1 until granted */
        struct waiter *next;
};

struct slot_client {
        char name[65];
        unsigned class_index, weight;
        unsigned active;              /* running + waiting, the count the cap bounds */
        unsigned running;
        struct waiter *head, *tail;   /* its waiting requests, oldest first */
        unsigned turns;               /* left in its current turn of the round */
        enum { LIST_NONE, LIST_FRESH, LIST_ROUND } list;
        struct slot_client *next_waiting;   /* in the fresh list or the round */
        struct slot_client *next;     /* in s->clients */
};

int slots_init(struct slots *s, unsigned total, unsigned queue_max, double wait_s)
{
        memset(s, 0, sizeof(*s));
        s->owner = calloc(total, sizeof(*s->owner));
        if (!s->owner)
                return -ENOMEM;
        s->total = total;
        s->queue_max = queue_max;
        s->wait_s = wait_s;
        pthread_mutex_init(&s->lock, NULL);
        return 0;
}

void slots_destroy(struct slots *s)
{
        pthread_mutex_destroy(&s->lock);
        free(s->owner);
        s->owner = NULL;
        while (s->clients) {
                struct slot_client *c = s->clients;
                s->clients = c->next;
                free(c);
        }
}

static struct slot_client *client_get(struct slots *s, const struct slot_who *who)
{
        const char *name = who->client ? who->client : "";
        for (struct slot_client *c = s->clients; c; c = c->next)
                if (c->class_index == who->class_index && strcmp(c->name, name) == 0)
                        return c;
        struct slot_client *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        snprintf(c->name, sizeof(c->name), "%s", name);
        c->class_index = who->class_index;
        c->weight = who->weight ? who->weight : 1;
        c->next = s->clients;
        s->clients = c;
        s->n_clients++;
        return c;
}

/* A client with nothing running or waiting is forgotten: the table holds
 * at most slots + queue_max clients. */
static void client_put(struct slots *s, struct slot_client *c)
{
        if (c->active > 0)
                return;
        for (struct slot_client **p = &s->clients; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        s->n_clients--;
                        free(c);
                        return;
                }
}

static void list_append(struct slot_client **head, struct slot_client **tail, struct slot_client *c)
{
        c->next_waiting = NULL;
        if (*tail)
                (*tail)->next_waiting = c;
        else
                *head = c;
        *tail = c;
}

static void list_remove(struct slot_client **head, struct slot_client **tail, struct slot_client *c)
{
        struct slot_client *prev = NULL;
        for (struct slot_client *p = *head; p; prev = p, p = p->next_waiting)
                if (p == c) {
                        if (prev)
                                prev->next_waiting = c->next_waiting;
                        else
                                *head = c->next_waiting;
                        if (*tail == c)
                                *tail = prev;
                        c->next_waiting = NULL;
                        return;
                }
}

static void unlist(struct slots *s, struct slot_client *c)
{
        if (c->list == LIST_FRESH)
                list_remove(&s->fresh_head, &s->fresh_tail, c);
        else if (c->list == LIST_ROUND)
                list_remove(&s->round_head, &s->round_tail, c);
        c->list = LIST_NONE;
}

static int take(struct slots *s, struct slot_client *c)
{
        for (unsigned i = 0; i < s->total; i++)
                if (!s->owner[i]) {
                        s->owner[i] = c;
                        s->busy++;
                        c->running++;
                        return (int) i;
                }
        return -EBUSY;
}

/* The client whose oldest waiting request gets the next slot, with the
 * lists moved on for the turn after. */
static struct slot_client *next_client(struct slots *s)
{
        struct slot_client *c = s->fresh_head;
        if (c) {
                list_remove(&s->fresh_head, &s->fresh_tail, c);
                /* its first request is served; the rest wait their turn */
                if (c->head && c->head->next) {
                        c->list = LIST_ROUND;
                        c->turns = c->weight;
                        list_append(&s->round_head, &s->round_tail, c);
                } else {
                        c->list = LIST_NONE;
                }
                return c;
        }
        c = s->round_head;
        if (!c)
                return NULL;
        if (!c->head->next) {
                unlist(s, c);
        } else if (--c->turns == 0) {
                c->turns = c->weight;
                list_remove(&s->round_head, &s->round_tail, c);
                list_append(&s->round_head, &s->round_tail, c);
        }
        return c;
}

/* Hand free slots to waiting requests, in turn. */
static void dispatch(struct slots *s)
{
        while (s->busy < s->total && s->waiting > 0) {
                struct slot_client *c = next_client(s);
                if (!c)
                        break;
                struct waiter *w = c->head;
                c->head = w->next;
                if (!c->head)
                        c->tail = NULL;
                w->next = NULL;
                s->waiting--;
                w->slot = take(s, c);
                pthread_cond_signal(&w->granted);
        }
}

static void deadline(double wait_s, struct timespec *until)
{
        clock_gettime(CLOCK_MONOTONIC, until);
        double whole = floor(wait_s);
        until->tv_sec += (time_t) whole;
        until->tv_nsec += (long) ((wait_s - whole) * 1e9);
        if (until->tv_nsec >= 1000000000L) {
                until->tv_sec++;
                until->tv_nsec -= 1000000000L;
        }
}

/* A request whose wait ran out leaves its client's queue. */
static void withdraw(struct slots *s, struct slot_client *c, struct waiter *w)
{
        struct waiter *prev = NULL;
        for (struct waiter *p = c->head; p; prev = p, p = p->next)
                if (p == w) {
                        if (prev)
                                prev->next = w->next;
                        else
                                c->head = w->next;
                        if (c->tail == w)
                                c->tail = prev;
                        break;
                }
        s->waiting--;
        if (!c->head)
                unlist(s, c);
}

int slots_acquire(struct slots *s, const struct slot_who *who)
{
        int r;
        pthread_mutex_lock(&s->lock);
        struct slot_client *c = client_get(s, who);
        if (!c) {
                pthread_mutex_unlock(&s->lock);
                return -ENOMEM;
        }
        if (c->active >= (who->max_concurrent ? who->max_concurrent : 1)) {
                pthread_mutex_unlock(&s->lock);
                return -EUSERS;
        }
        /* a free slot while others wait cannot be: dispatch hands each
         * freed slot on at once */
        if (s->busy < s->total) {
                r = take(s, c);
                if (r >= 0)
                        c->active++;
                pthread_mutex_unlock(&s->lock);
                return r;
        }
        if (s->waiting >= s->queue_max) {
                client_put(s, c);
                pthread_mutex_unlock(&s->lock);
                return -EBUSY;
        }

        struct waiter w = { .slot = -1 };
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w.granted, &ca);
        pthread_condattr_destroy(&ca);
        if (c->tail)
                c->tail->next = &w;
        else
                c->head = &w;
        c->tail = &w;
        if (c->list == LIST_NONE) {
                c->list = LIST_FRESH;
                list_append(&s->fresh_head, &s->fresh_tail, c);
        }
        c->active++;
        s->waiting++;

        struct timespec until;
        deadline(s->wait_s, &until);
        r = 0;
        while (w.slot < 0 && r != ETIMEDOUT)
                r = pthread_cond_timedwait(&w.granted, &s->lock, &until);
        if (w.slot < 0) {
                withdraw(s, c, &w);
                c->active--;
                client_put(s, c);
                r = -ETIMEDOUT;
        } else {
                r = w.slot;
        }
        pthread_mutex_unlock(&s->lock);
        pthread_cond_destroy(&w.granted);
        return r;
}

void slots_release(struct slots *s, int slot)
{
        pthread_mutex_lock(&s->lock);
        if (slot >= 0 && (unsigned) slot < s->total && s->owner[slot]) {
                struct slot_client *c = s->owner[slot];
                s->owner[slot] = NULL;
                s->busy--;
                c->running--;
                c->active--;
                client_put(s, c);
                dispatch(s);
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

void slots_by_class(struct slots *s, unsigned running[CLASS_MAX], unsigned waiting[CLASS_MAX])
{
        memset(running, 0, CLASS_MAX * sizeof(unsigned));
        memset(waiting, 0, CLASS_MAX * sizeof(unsigned));
        pthread_mutex_lock(&s->lock);
        for (struct slot_client *c = s->clients; c; c = c->next)
                if (c->class_index < CLASS_MAX) {
                        running[c->class_index] += c->running;
                        waiting[c->class_index] += c->active - c->running;
                }
        pthread_mutex_unlock(&s->lock);
}
