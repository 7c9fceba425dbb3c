/* Counters for GET /metrics, in the Prometheus text format.  The service
 * owns one struct metrics; whoever answers a request records into it. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "jobs/classes.h"
#include "jobs/endpoints.h"
#include "jobs/verdicts.h"
#include "sandbox/job.h"

#define METRICS_BUCKETS 16
#define METRICS_CODES 16

struct histogram {
        unsigned long long counts[METRICS_BUCKETS + 1];   /* last: +Inf */
        double sum;
        unsigned long long n;
};

struct metrics {
        pthread_mutex_t lock;
        unsigned long long requests[EP_COUNT][METRICS_CODES];
        unsigned long long executions[SB_N_STATUSES];
        unsigned long long verdicts[N_VERDICTS];
        unsigned long long rejected, setup_failures;
        unsigned long long jobs_pooled, jobs_unpooled;   /* jobs confined before / for their request */
        struct histogram exec_hist, wait_hist;
        /* per client class (the config's order; bounded: CLASS_MAX) */
        unsigned long long class_requests[CLASS_MAX][METRICS_CODES];
        unsigned long long class_capped[CLASS_MAX];
        struct histogram class_wait[CLASS_MAX];
};

/* What the metrics show but do not count: gauges read at render time. */
struct metrics_gauges {
        const char *mode;
        unsigned slots_busy, slots_total, queue_length;
        unsigned spawner_restarts;
        const struct class_table *classes;
        unsigned class_running[CLASS_MAX], class_waiting[CLASS_MAX];
};

void metrics_init(struct metrics *m);
void metrics_request(struct metrics *m, enum endpoint e, int http_status);
void metrics_execution(struct metrics *m, enum sb_status status, double seconds);
void metrics_verdict(struct metrics *m, enum verdict v);
void metrics_queue_wait(struct metrics *m, double seconds);
void metrics_rejected(struct metrics *m);
void metrics_setup_failure(struct metrics *m);
/* a job ran: one from the pool, or one started for its request */
void metrics_job_started(struct metrics *m, bool pooled);
/* per class: a request that asked to run code and its status; a wait for a
 * slot; a request refused because its client was at the class's cap */
void metrics_class_request(struct metrics *m, size_t class_index, int http_status);
void metrics_class_wait(struct metrics *m, size_t class_index, double seconds);
void metrics_class_capped(struct metrics *m, size_t class_index);
/* The whole exposition; caller frees. */
char *metrics_render(struct metrics *m, const struct metrics_gauges *g, size_t *len);
