/* GET /health: whether jobs can run, and the limits and defaults a client
 * may rely on (the playground takes its defaults from here). */
#include <stdio.h>

#include "dialects.h"

/* Each dialect's defaults, as its requests get them. */
static struct json_object *dialect_defaults(const struct config *c)
{
        struct json_object *all = json_object_new_object();
        for (size_t i = 0; i < n_dialects; i++) {
                const struct request_rules *r = &dialects[i].rules;
                double t = request_default_timeout(r, c);
                char num[32];
                snprintf(num, sizeof(num), "%g", t);
                struct json_object *d = json_object_new_object();
                json_object_object_add(d, "code_field", json_object_new_string(r->code_field));
                json_object_object_add(d, "default_timeout_s", json_object_new_double_s(t, num));
                json_object_object_add(d, "default_memory_mb", json_object_new_int64(request_default_memory(r, c)));
                if (r->is_invoke)
                        json_object_object_add(d, "default_handler", json_object_new_string(r->default_handler));
                json_object_object_add(all, endpoint_path(dialects[i].endpoint), d);
        }
        return all;
}

/* The caller's class: what its requests may ask and how many it may have
 * in flight.  An unknown class (nginx and sandrun.conf disagree) is said. */
static struct json_object *caller_class(const struct job_lease *caller)
{
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "name", caller->client && caller->client[0]
                                                  ? json_object_new_string(caller->client)
                                                  : NULL);
        const struct client_class *cls = caller->cls;
        if (!cls) {
                json_object_object_add(o, "class", NULL);
                json_object_object_add(o, "error", json_object_new_string("the client's class is not configured"));
                return o;
        }
        char t[32];
        snprintf(t, sizeof(t), "%g", cls->max_timeout_s);
        json_object_object_add(o, "class", json_object_new_string(cls->name));
        json_object_object_add(o, "max_timeout_s", json_object_new_double_s(cls->max_timeout_s, t));
        json_object_object_add(o, "max_memory_mb", json_object_new_int64(cls->max_memory_mb));
        json_object_object_add(o, "max_concurrent", json_object_new_int64(cls->max_concurrent));
        json_object_object_add(o, "weight", json_object_new_int64(cls->weight));
        return o;
}

void dialect_health(struct service *s, const struct job_lease *caller, struct http_response *resp)
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
        /* what holds a job to its memory_limit: its memory cgroup, or
         * RLIMIT_AS alone on a host without one (docs/security.md) */
        json_object_object_add(b, "memory_limit_by",
                               json_object_new_string(s->policy.cgroup != SB_CGROUP_NONE ? "cgroup" : "address_space"));

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
        json_object_object_add(lim, "max_output_drain_bytes",
                               json_object_new_int64((int64_t) c->max_output_drain_bytes));
        json_object_object_add(lim, "max_body_bytes", json_object_new_int64((int64_t) c->max_body_bytes));
        json_object_object_add(lim, "max_tests", json_object_new_int64(c->max_tests));
        json_object_object_add(lim, "max_files_in", json_object_new_int64(c->max_files_in));
        json_object_object_add(lim, "max_files_in_bytes", json_object_new_int64((int64_t) c->max_files_in_bytes));
        json_object_object_add(lim, "max_files_out", json_object_new_int64(c->max_files_out));
        json_object_object_add(lim, "max_files_out_bytes", json_object_new_int64((int64_t) c->max_files_out_bytes));
        json_object_object_add(lim, "tmp_size_mb", json_object_new_int64(c->tmp_size_mb));
        json_object_object_add(lim, "max_processes", json_object_new_int64(c->max_processes));
        json_object_object_add(lim, "max_open_files", json_object_new_int64(c->max_open_files));
        json_object_object_add(lim, "max_file_size_mb", json_object_new_int64(c->max_file_size_mb));
        json_object_object_add(lim, "max_handler_bytes", json_object_new_int64(SB_HANDLER_MAX));
        json_object_object_add(b, "limits", lim);
        /* the defaults the caller's requests get: within its class's limits */
        struct config view;
        dialect_settings(s, caller, &view);
        json_object_object_add(b, "dialects", dialect_defaults(&view));
        struct json_object *words = json_object_new_array();
#define EXEC_STATUS_(id, word) json_object_array_add(words, json_object_new_string(word));
        SB_EXEC_STATUSES(EXEC_STATUS_)
#undef EXEC_STATUS_
        json_object_object_add(b, "statuses", words);

        struct json_object *libs = json_object_new_array();
        for (size_t i = 0; i < s->n_libraries; i++)
                json_object_array_add(libs, json_object_new_string(s->libraries[i]));
        json_object_object_add(b, "libraries", libs);

        struct json_object *sl = json_object_new_object();
        json_object_object_add(sl, "busy", json_object_new_int64(busy));
        json_object_object_add(sl, "total", json_object_new_int64(total));
        json_object_object_add(b, "slots", sl);
        /* jobs confined ahead of their requests: how many the spawner keeps
         * waiting (slots x depth; 0: off), each with a uid of its own */
        struct json_object *pool = json_object_new_object();
        json_object_object_add(pool, "depth", json_object_new_int64(c->pool_depth));
        json_object_object_add(pool, "jobs", json_object_new_int64((int64_t) s->policy.pool));
        json_object_object_add(b, "pool", pool);
        struct json_object *q = json_object_new_object();
        json_object_object_add(q, "waiting", json_object_new_int64(waiting));
        json_object_object_add(q, "max", json_object_new_int64(c->queue_max));
        json_object_object_add(b, "queue", q);
        json_object_object_add(b, "client", caller_class(caller));

        json_object_put(resp->body);
        resp->body = b;
        resp->status = 200;
}
