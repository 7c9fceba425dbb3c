/* Counters for GET /metrics, in the Prometheus text format.  The service
 * owns one struct metrics; whoever answers a request records into it. */
#pragma once

#include <pthread.h>
#include <stddef.h>

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
        struct histogram exec_hist, wait_hist;
};

/* What the metrics show but do not count: gauges read at render time. */
struct metrics_gauges {
        const char *mode;
        unsigned slots_busy, slots_total, queue_length;
        unsigned spawner_restarts;
};

void metrics_init(struct metrics *m);
void metrics_request(struct metrics *m, enum endpoint e, int http_status);
void metrics_execution(struct metrics *m, enum sb_status status, double seconds);
void metrics_verdict(struct metrics *m, enum verdict v);
void metrics_queue_wait(struct metrics *m, double seconds);
void metrics_rejected(struct metrics *m);
void metrics_setup_failure(struct metrics *m);
/* The whole exposition; caller frees. */
char *metrics_render(struct metrics *m, const struct metrics_gauges *g, size_t *len);
