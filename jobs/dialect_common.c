#include <math.h>
#include <stdio.h>
#include <string.h>

#include <time.h>

#include "dialects.h"
#include "metrics.h"

int dialect_run_job(struct service *s, struct sb_job_spec *spec, struct sb_outcome *o, struct http_response *resp)
{
        struct sb_error err = { 0 };

        /* the caps are the service's; the limits the request's */
        spec->max_stdout_bytes = s->cfg.max_stdout_bytes;
        spec->max_stderr_bytes = s->cfg.max_stderr_bytes;
        spec->max_result_bytes = s->cfg.max_result_bytes;
        resp->timeout_s = spec->timeout_s;
        resp->memory_mb = spec->memory_mb;
        memset(o, 0, sizeof(*o));
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int slot = slots_acquire(&s->slots);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        metrics_queue_wait((double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
        if (slot < 0) {
                metrics_rejected();
                response_error(resp, 503, "server busy, retry later");
                resp->retry_after = (unsigned) ceil(s->cfg.queue_wait_s > 1 ? s->cfg.queue_wait_s / 2 : 1);
                snprintf(resp->reason, sizeof(resp->reason), "%s",
                         slot == -EBUSY ? "queue full" : "queue wait ran out");
                return -EBUSY;
        }
        spec->slot = (unsigned) slot;
        int r = service_run(s, spec, o, &err);
        if (r == 0 && o->pending_fd >= 0) {
                /* the answer is ready before the job's teardown is: the slot
                 * is given back once it is done (dialect_settle) */
                resp->pending_fd = o->pending_fd;
                o->pending_fd = -1;
                resp->pending_slot = slot;
                resp->service = s;
        } else {
                slots_release(&s->slots, slot);
        }
        if (r < 0) {
                response_error(resp, 500, "internal error: the job could not be run");
                snprintf(resp->reason, sizeof(resp->reason), "job failed: %s", err.msg);
                sb_outcome_free(o);
                return r;
        }
        if (o->status == SB_SETUP_FAILED) {
                metrics_setup_failure();
                response_error(resp, 500, "internal error: the sandbox could not be set up");
                snprintf(resp->reason, sizeof(resp->reason), "sandbox set-up failed: %s", o->setup.msg);
                sb_outcome_free(o);
                return -EIO;
        }
        resp->ran = true;
        resp->duration_ms = o->duration_ms;
        resp->cpu_ms = o->cpu_ms;
        resp->max_rss_kb = o->max_rss_kb;
        return 0;
}

void dialect_settle(struct http_response *resp)
{
        if (resp->pending_fd < 0)
                return;
        sb_job_settle(&resp->pending_fd);
        slots_release(&resp->service->slots, resp->pending_slot);
        resp->pending_slot = -1;
}

void dialect_health(struct service *s, struct http_response *resp)
{
        struct json_object *b = json_object_new_object();
        unsigned busy, total, waiting;

        pthread_mutex_lock(&s->lock);
        bool broken = s->broken;
        char reason[sizeof(s->broken_reason)];
        snprintf(reason, sizeof(reason), "%s", s->broken_reason);
        pthread_mutex_unlock(&s->lock);

        if (broken) {
                json_object_object_add(b, "status", json_object_new_string("unhealthy"));
                json_object_object_add(b, "reason", json_object_new_string(reason));
                json_object_put(resp->body);
                resp->body = b;
                resp->status = 503;
                snprintf(resp->reason, sizeof(resp->reason), "unhealthy: %s", reason);
                return;
        }
        slots_snapshot(&s->slots, &busy, &total, &waiting);
        json_object_object_add(b, "status", json_object_new_string("healthy"));
        json_object_object_add(b, "service", json_object_new_string("sandrun"));
        json_object_object_add(b, "version", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(b, "mode", json_object_new_string(s->cfg.mode));
        /* "v2" or "v1": jobs run in memory and pids cgroups of that version;
         * "none": the rlimits alone (the start-up log says why) */
        json_object_object_add(b, "cgroup", json_object_new_string(sb_cgroup_name(&s->policy)));

        struct json_object *lim = json_object_new_object();
        const struct config *c = &s->cfg;
        char t[32];
        snprintf(t, sizeof(t), "%g", c->max_timeout_s);
        json_object_object_add(lim, "max_timeout_s", json_object_new_double_s(c->max_timeout_s, t));
        json_object_object_add(lim, "max_memory_mb", json_object_new_int64(c->max_memory_mb));
        json_object_object_add(lim, "max_script_bytes", json_object_new_int64((int64_t) c->max_script_bytes));
        json_object_object_add(lim, "min_memory_mb", json_object_new_int64(c->min_memory_mb));
        snprintf(t, sizeof(t), "%g", c->default_timeout_s);
        json_object_object_add(lim, "default_timeout_s", json_object_new_double_s(c->default_timeout_s, t));
        json_object_object_add(lim, "default_memory_mb", json_object_new_int64(c->default_memory_mb));
        json_object_object_add(lim, "max_stdin_bytes", json_object_new_int64((int64_t) c->max_stdin_bytes));
        json_object_object_add(lim, "max_stdout_bytes", json_object_new_int64((int64_t) c->max_stdout_bytes));
        json_object_object_add(lim, "max_stderr_bytes", json_object_new_int64((int64_t) c->max_stderr_bytes));
        json_object_object_add(lim, "max_result_bytes", json_object_new_int64((int64_t) c->max_result_bytes));
        json_object_object_add(lim, "max_body_bytes", json_object_new_int64((int64_t) c->max_body_bytes));
        json_object_object_add(lim, "tmp_size_mb", json_object_new_int64(c->tmp_size_mb));
        json_object_object_add(lim, "max_processes", json_object_new_int64(c->max_processes));
        json_object_object_add(lim, "max_open_files", json_object_new_int64(c->max_open_files));
        json_object_object_add(lim, "max_file_size_mb", json_object_new_int64(c->max_file_size_mb));
        json_object_object_add(b, "limits", lim);

        struct json_object *libs = json_object_new_array();
        for (size_t i = 0; i < s->n_libraries; i++)
                json_object_array_add(libs, json_object_new_string(s->libraries[i]));
        json_object_object_add(b, "libraries", libs);

        struct json_object *sl = json_object_new_object();
        json_object_object_add(sl, "busy", json_object_new_int64(busy));
        json_object_object_add(sl, "total", json_object_new_int64(total));
        json_object_object_add(b, "slots", sl);
        struct json_object *q = json_object_new_object();
        json_object_object_add(q, "waiting", json_object_new_int64(waiting));
        json_object_object_add(q, "max", json_object_new_int64(c->queue_max));
        json_object_object_add(b, "queue", q);

        json_object_put(resp->body);
        resp->body = b;
        resp->status = 200;
}
