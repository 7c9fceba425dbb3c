#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "metrics.h"

static const int codes[METRICS_CODES] = { 200, 400, 401, 403, 404, 405, 411, 413, 415, 422, 429, 500, 502, 503, 504, 0 };
static const double buckets[METRICS_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                 0.5,   1,      2.5,   5,    10,    30,   60,  300 };

void metrics_init(struct metrics *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

static void observe(struct histogram *h, double v)
{
        for (size_t i = 0; i < METRICS_BUCKETS; i++)
                if (v <= buckets[i])
                        h->counts[i]++;
        h->counts[METRICS_BUCKETS]++;
        h->sum += v;
        h->n++;
}

static size_t code_index(int http_status)
{
        size_t c = METRICS_CODES - 1;
        for (size_t i = 0; i < METRICS_CODES; i++)
                if (codes[i] == http_status)
                        c = i;
        return c;
}

void metrics_request(struct metrics *m, enum endpoint e, int http_status)
{
        size_t c = code_index(http_status);
        if ((unsigned) e >= EP_COUNT)
                e = EP_OTHER;
        pthread_mutex_lock(&m->lock);
        m->requests[e][c]++;
        pthread_mutex_unlock(&m->lock);
}

const char *verdict_name(enum verdict v)
{
        static const char *const words[] = {
#define GRADE_VERDICT_WORD_(id, word) [id] = word,
                GRADE_VERDICTS(GRADE_VERDICT_WORD_)
#undef GRADE_VERDICT_WORD_
        };
        return (unsigned) v < N_VERDICTS ? words[v] : "unknown";
}

void metrics_verdict(struct metrics *m, enum verdict v)
{
        pthread_mutex_lock(&m->lock);
        if ((unsigned) v < N_VERDICTS)
                m->verdicts[v]++;
        pthread_mutex_unlock(&m->lock);
}

void metrics_execution(struct metrics *m, enum sb_status status, double seconds)
{
        pthread_mutex_lock(&m->lock);
        if ((unsigned) status < SB_N_STATUSES)
                m->executions[status]++;
        observe(&m->exec_hist, seconds);
        pthread_mutex_unlock(&m->lock);
}

void metrics_queue_wait(struct metrics *m, double seconds)
{
        pthread_mutex_lock(&m->lock);
        observe(&m->wait_hist, seconds);
        pthread_mutex_unlock(&m->lock);
}

void metrics_rejected(struct metrics *m)
{
        pthread_mutex_lock(&m->lock);
        m->rejected++;
        pthread_mutex_unlock(&m->lock);
}

void metrics_class_request(struct metrics *m, size_t class_index, int http_status)
{
        if (class_index >= CLASS_MAX)
                return;
        size_t c = code_index(http_status);
        pthread_mutex_lock(&m->lock);
        m->class_requests[class_index][c]++;
        pthread_mutex_unlock(&m->lock);
}

void metrics_class_wait(struct metrics *m, size_t class_index, double seconds)
{
        if (class_index >= CLASS_MAX)
                return;
        pthread_mutex_lock(&m->lock);
        observe(&m->class_wait[class_index], seconds);
        pthread_mutex_unlock(&m->lock);
}

void metrics_class_capped(struct metrics *m, size_t class_index)
{
        if (class_index >= CLASS_MAX)
                return;
        pthread_mutex_lock(&m->lock);
        m->class_capped[class_index]++;
        pthread_mutex_unlock(&m->lock);
}

void metrics_setup_failure(struct metrics *m)
{
        pthread_mutex_lock(&m->lock);
        m->setup_failures++;
        pthread_mutex_unlock(&m->lock);
}

void metrics_job_started(struct metrics *m, bool pooled)
{
        pthread_mutex_lock(&m->lock);
        if (pooled)
                m->jobs_pooled++;
        else
                m->jobs_unpooled++;
        pthread_mutex_unlock(&m->lock);
}

/* The samples of a histogram; label is "" or `class="x",` */
static void render_hist_samples(FILE *f, const char *name, const char *label, const struct histogram *h)
{
        size_t ll = strlen(label);
        /* the label list without its trailing comma, for _sum and _count */
        for (size_t i = 0; i < METRICS_BUCKETS; i++)
                fprintf(f, "%s_bucket{%sle=\"%g\"} %llu\n", name, label, buckets[i], h->counts[i]);
        fprintf(f, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, label, h->counts[METRICS_BUCKETS]);
        if (ll)
                fprintf(f, "%s_sum{%.*s} %.6f\n%s_count{%.*s} %llu\n", name, (int) ll - 1, label, h->sum, name,
                        (int) ll - 1, label, h->n);
        else
                fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name, h->n);
}

static void render_hist(FILE *f, const char *name, const char *help, const struct histogram *h)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
        render_hist_samples(f, name, "", h);
}

/* The per-class series; the class names are the operator's (checked by
 * class_name_ok, so they need no escaping), never a client's. */
static void render_classes(FILE *f, const struct metrics *m, const struct metrics_gauges *g)
{
        const struct class_table *t = g->classes;
        if (!t)
                return;
        fprintf(f, "# HELP sandrun_class_requests_total Requests to run code, by the client's class and status.\n"
                   "# TYPE sandrun_class_requests_total counter\n");
        for (size_t k = 0; k < t->n && k < CLASS_MAX; k++)
                for (size_t c = 0; c < METRICS_CODES; c++) {
                        if (!m->class_requests[k][c])
                                continue;
                        char code[16];
                        snprintf(code, sizeof(code), codes[c] ? "%d" : "other", codes[c]);
                        fprintf(f, "sandrun_class_requests_total{class=\"%s\",code=\"%s\"} %llu\n", t->c[k].name,
                                code, m->class_requests[k][c]);
                }
        fprintf(f, "# HELP sandrun_class_capped_total Requests refused with 429: their client already had its "
                   "class's max_concurrent requests running or waiting.\n"
                   "# TYPE sandrun_class_capped_total counter\n");
        for (size_t k = 0; k < t->n && k < CLASS_MAX; k++)
                fprintf(f, "sandrun_class_capped_total{class=\"%s\"} %llu\n", t->c[k].name, m->class_capped[k]);
        fprintf(f, "# HELP sandrun_class_running Jobs running, by the client's class.\n"
                   "# TYPE sandrun_class_running gauge\n");
        for (size_t k = 0; k < t->n && k < CLASS_MAX; k++)
                fprintf(f, "sandrun_class_running{class=\"%s\"} %u\n", t->c[k].name, g->class_running[k]);
        fprintf(f, "# HELP sandrun_class_waiting Requests waiting for a slot, by the client's class.\n"
                   "# TYPE sandrun_class_waiting gauge\n");
        for (size_t k = 0; k < t->n && k < CLASS_MAX; k++)
                fprintf(f, "sandrun_class_waiting{class=\"%s\"} %u\n", t->c[k].name, g->class_waiting[k]);
        fprintf(f, "# HELP sandrun_class_queue_wait_seconds Time requests waited for a slot, by the client's class.\n"
                   "# TYPE sandrun_class_queue_wait_seconds histogram\n");
        for (size_t k = 0; k < t->n && k < CLASS_MAX; k++) {
                char label[64];
                snprintf(label, sizeof(label), "class=\"%s\",", t->c[k].name);
                render_hist_samples(f, "sandrun_class_queue_wait_seconds", label, &m->class_wait[k]);
        }
}

/* "# HELP" and "# TYPE" of a single-sample metric, then the sample. */
static void render_one(FILE *f, const char *name, const char *type, const char *help, unsigned long long v)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static void render_counters(FILE *f, const struct metrics *m)
{
        fprintf(f, "# HELP sandrun_requests_total HTTP requests answered, by endpoint and status.\n"
                   "# TYPE sandrun_requests_total counter\n");
        for (size_t e = 0; e < EP_COUNT; e++)
                for (size_t c = 0; c < METRICS_CODES; c++) {
                        if (!m->requests[e][c])
                                continue;
                        char code[16];
                        snprintf(code, sizeof(code), codes[c] ? "%d" : "other", codes[c]);
                        fprintf(f, "sandrun_requests_total{endpoint=\"%s\",code=\"%s\"} %llu\n",
                                endpoint_path((enum endpoint) e), code, m->requests[e][c]);
                }
        fprintf(f, "# HELP sandrun_executions_total Jobs run, by outcome.\n# TYPE sandrun_executions_total counter\n");
        /* every status a job that ran can end with; a set-up failure is
         * counted apart */
#define EXEC_STATUS_(id, word) \
        fprintf(f, "sandrun_executions_total{status=\"%s\"} %llu\n", word, m->executions[id]);
        SB_EXEC_STATUSES(EXEC_STATUS_)
#undef EXEC_STATUS_
        fprintf(f, "# HELP sandrun_grade_verdicts_total POST /grade's tests, by verdict.\n"
                   "# TYPE sandrun_grade_verdicts_total counter\n");
#define VERDICT_(id, word) fprintf(f, "sandrun_grade_verdicts_total{verdict=\"%s\"} %llu\n", word, m->verdicts[id]);
        GRADE_VERDICTS(VERDICT_)
#undef VERDICT_
        render_one(f, "sandrun_rejected_total", "counter",
                   "Requests turned away with 503 because every slot and the queue were full.", m->rejected);
        render_one(f, "sandrun_sandbox_setup_failures_total", "counter", "Jobs whose sandbox could not be set up.",
                   m->setup_failures);
        fprintf(f, "# HELP sandrun_jobs_total Jobs that ran, by how they were started: pooled (confined before their "
                   "request came) or started (for their request, the pool being empty or off).\n"
                   "# TYPE sandrun_jobs_total counter\n"
                   "sandrun_jobs_total{start=\"pooled\"} %llu\nsandrun_jobs_total{start=\"started\"} %llu\n",
                m->jobs_pooled, m->jobs_unpooled);
        render_hist(f, "sandrun_execution_duration_seconds", "Wall time of jobs.", &m->exec_hist);
        render_hist(f, "sandrun_queue_wait_seconds", "Time requests waited for an execution slot.", &m->wait_hist);
}

char *metrics_render(struct metrics *m, const struct metrics_gauges *g, size_t *len)
{
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);
        if (!f)
                return NULL;
        fprintf(f, "# HELP sandrun_build_info Version and mode of the running sandrun.\n"
                   "# TYPE sandrun_build_info gauge\n"
                   "sandrun_build_info{version=\"%s\",mode=\"%s\"} 1\n",
                PACKAGE_VERSION, g->mode);
        pthread_mutex_lock(&m->lock);
        render_counters(f, m);
        render_classes(f, m, g);
        pthread_mutex_unlock(&m->lock);
        render_one(f, "sandrun_slots_busy", "gauge", "Execution slots running a job.", g->slots_busy);
        render_one(f, "sandrun_slots_total", "gauge", "Execution slots.", g->slots_total);
        render_one(f, "sandrun_queue_length", "gauge", "Requests waiting for a slot.", g->queue_length);
        render_one(f, "sandrun_spawner_restarts_total", "counter",
                   "Times the spawner (the zygote in warm mode) died and was restarted.", g->spawner_restarts);
        fclose(f);
        return buf;
}
