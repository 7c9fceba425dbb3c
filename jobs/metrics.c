#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "sandbox/outcome.h"
#include "metrics.h"

static const char *const endpoints[] = { "/execute", "/run", "/invoke", "/health", "/", "/metrics", "other" };
static const int codes[] = { 200, 400, 401, 403, 404, 405, 411, 413, 415, 422, 429, 500, 502, 503, 504, 0 };
#define EXEC_STATUS_(id, word) word,
static const char *const exec_statuses[] = { SB_EXEC_STATUSES(EXEC_STATUS_) };
#undef EXEC_STATUS_
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };
#define NB ELEMENTSOF(buckets)

struct histogram {
        unsigned long long counts[NB + 1];   /* last: +Inf */
        double sum;
        unsigned long long n;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long requests[ELEMENTSOF(endpoints)][ELEMENTSOF(codes)];
static unsigned long long executions[ELEMENTSOF(exec_statuses)];
static unsigned long long rejected, setup_failures;
static struct histogram exec_hist, wait_hist;

static void observe(struct histogram *h, double v)
{
        for (size_t i = 0; i < NB; i++)
                if (v <= buckets[i])
                        h->counts[i]++;
        h->counts[NB]++;
        h->sum += v;
        h->n++;
}

void metrics_request(const char *endpoint, int http_status)
{
        size_t e = ELEMENTSOF(endpoints) - 1, c = ELEMENTSOF(codes) - 1;
        for (size_t i = 0; i < ELEMENTSOF(endpoints); i++)
                if (strcmp(endpoints[i], endpoint) == 0)
                        e = i;
        for (size_t i = 0; i < ELEMENTSOF(codes); i++)
                if (codes[i] == http_status)
                        c = i;
        pthread_mutex_lock(&lock);
        requests[e][c]++;
        pthread_mutex_unlock(&lock);
}

void metrics_execution(const char *status, double seconds)
{
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < ELEMENTSOF(exec_statuses); i++)
                if (strcmp(exec_statuses[i], status) == 0)
                        executions[i]++;
        observe(&exec_hist, seconds);
        pthread_mutex_unlock(&lock);
}

void metrics_queue_wait(double seconds)
{
        pthread_mutex_lock(&lock);
        observe(&wait_hist, seconds);
        pthread_mutex_unlock(&lock);
}

void metrics_rejected(void)
{
        pthread_mutex_lock(&lock);
        rejected++;
        pthread_mutex_unlock(&lock);
}

void metrics_setup_failure(void)
{
        pthread_mutex_lock(&lock);
        setup_failures++;
        pthread_mutex_unlock(&lock);
}

static void render_hist(FILE *f, const char *name, const char *help, const struct histogram *h)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
        for (size_t i = 0; i < NB; i++)
                fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[i], h->counts[i]);
        fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, h->counts[NB], name, h->sum,
                name, h->n);
}

char *metrics_render(struct service *s, size_t *len)
{
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);
        if (!f)
                return NULL;
        unsigned busy, total, waiting;
        slots_snapshot(&s->slots, &busy, &total, &waiting);

        pthread_mutex_lock(&lock);
        fprintf(f, "# HELP sandrun_build_info Version and mode of the running sandrun.\n"
                   "# TYPE sandrun_build_info gauge\n"
                   "sandrun_build_info{version=\"%s\",mode=\"%s\"} 1\n",
                PACKAGE_VERSION, s->cfg.mode);
        fprintf(f, "# HELP sandrun_requests_total HTTP requests answered, by endpoint and status.\n"
                   "# TYPE sandrun_requests_total counter\n");
        for (size_t e = 0; e < ELEMENTSOF(endpoints); e++)
                for (size_t c = 0; c < ELEMENTSOF(codes); c++)
                        if (requests[e][c] && codes[c])
                                fprintf(f, "sandrun_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n", endpoints[e],
                                        codes[c], requests[e][c]);
                        else if (requests[e][c])
                                fprintf(f, "sandrun_requests_total{endpoint=\"%s\",code=\"other\"} %llu\n", endpoints[e],
                                        requests[e][c]);
        fprintf(f, "# HELP sandrun_executions_total Jobs run, by outcome.\n# TYPE sandrun_executions_total counter\n");
        for (size_t i = 0; i < ELEMENTSOF(exec_statuses); i++)
                fprintf(f, "sandrun_executions_total{status=\"%s\"} %llu\n", exec_statuses[i], executions[i]);
        fprintf(f, "# HELP sandrun_rejected_total Requests turned away with 503 because every slot and the queue were full.\n"
                   "# TYPE sandrun_rejected_total counter\nsandrun_rejected_total %llu\n", rejected);
        fprintf(f, "# HELP sandrun_sandbox_setup_failures_total Jobs whose sandbox could not be set up.\n"
                   "# TYPE sandrun_sandbox_setup_failures_total counter\nsandrun_sandbox_setup_failures_total %llu\n",
                setup_failures);
        render_hist(f, "sandrun_execution_duration_seconds", "Wall time of jobs.", &exec_hist);
        render_hist(f, "sandrun_queue_wait_seconds", "Time requests waited for an execution slot.", &wait_hist);
        pthread_mutex_unlock(&lock);

        fprintf(f, "# HELP sandrun_slots_busy Execution slots running a job.\n# TYPE sandrun_slots_busy gauge\n"
                   "sandrun_slots_busy %u\n", busy);
        fprintf(f, "# HELP sandrun_slots_total Execution slots.\n# TYPE sandrun_slots_total gauge\n"
                   "sandrun_slots_total %u\n", total);
        fprintf(f, "# HELP sandrun_queue_length Requests waiting for a slot.\n# TYPE sandrun_queue_length gauge\n"
                   "sandrun_queue_length %u\n", waiting);
        unsigned starts = s->spawner.stats ? s->spawner.stats->zygote_starts : 0;
        fprintf(f, "# HELP sandrun_spawner_restarts_total Times the spawner (the zygote in warm mode) died and was restarted.\n"
                   "# TYPE sandrun_spawner_restarts_total counter\nsandrun_spawner_restarts_total %u\n",
                starts > 0 ? starts - 1 : 0);
        fclose(f);
        return buf;
}
