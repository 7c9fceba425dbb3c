#include <ctype.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "service.h"

/* The libraries are the operator's words, but they still end up in Python
 * source: only dotted identifiers. */
static bool library_name_ok(const char *name)
{
        if (!*name || *name == '.')
                return false;
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '.')
                        return false;
        return true;
}

static int probe_libraries(struct service *s, struct sb_error *err)
{
        char script[4096] = "import importlib\ndef main():\n    ok = []\n";
        size_t off = strlen(script);
        for (size_t i = 0; i < s->cfg.n_libraries; i++) {
                if (!library_name_ok(s->cfg.libraries[i]))
                        return sb_failx(err, EINVAL, "library name '%s' is not a dotted identifier",
                                        s->cfg.libraries[i]);
                int n = snprintf(script + off, sizeof(script) - off,
                                 "    try:\n        importlib.import_module('%s')\n        ok.append('%s')\n"
                                 "    except Exception:\n        pass\n",
                                 s->cfg.libraries[i], s->cfg.libraries[i]);
                if (n < 0 || (size_t) n >= sizeof(script) - off)
                        return sb_failx(err, E2BIG, "too many libraries");
                off += (size_t) n;
        }
        snprintf(script + off, sizeof(script) - off, "    return ok\n");

        struct sb_job_spec spec = {
                .dialect = SB_DIALECT_EXECUTE,
                .slot = 0,
                .code = script,
                .code_len = strlen(script),
                .timeout_s = 120,
                .memory_mb = s->cfg.max_memory_mb,
                .max_stdout_bytes = 65536,
                .max_stderr_bytes = 65536,
                .max_result_bytes = 65536,
        };
        struct sb_outcome o;
        int r = sb_job_run(&s->spawner, &spec, &o, err);
        sb_job_settle(&o.pending_fd);
        if (r < 0)
                return r;
        if (o.status == SB_SETUP_FAILED) {
                r = sb_failx(err, -o.setup.code, "the sandbox could not be set up: %s", o.setup.msg);
                goto out;
        }
        if (o.status != SB_SUCCESS) {
                r = sb_failx(err, EIO, "the start-up check job ended with status %s: %.150s%.60s",
                             sb_status_name(o.status), o.header ? o.header : "",
                             o.err.data ? o.err.data : "");
                goto out;
        }
        struct json_object *list = json_tokener_parse(o.result_json);
        s->n_libraries = 0;
        for (size_t i = 0; list && i < json_object_array_length(list) && i < CONFIG_MAX_LIST; i++)
                snprintf(s->libraries[s->n_libraries++], sizeof(s->libraries[0]), "%s",
                         json_object_get_string(json_object_array_get_idx(list, i)));
        json_object_put(list);
        r = 0;
out:
        sb_outcome_free(&o);
        return r;
}

int service_plan(const struct config *c, struct sb_plan *p, struct sb_error *err)
{
        memset(p, 0, sizeof(*p));
        p->uid_base = c->job_uid_base;
        p->gid = c->job_gid;
        /* the sandbox's slots: the running jobs' and the pool's (plan.h) */
        p->slots = config_job_uids(c);
        p->pool = c->slots * c->pool_depth;
        p->tmp_bytes = (uint64_t) c->tmp_size_mb << 20;
        p->file_size_bytes = (uint64_t) c->max_file_size_mb << 20;
        p->max_open_files = c->max_open_files;
        p->max_processes = c->max_processes;
        snprintf(p->python, sizeof(p->python), "%s", c->python);
        p->warm = strcmp(c->mode, "warm") == 0;
        p->n_preload = 0;
        for (size_t i = 0; i < c->n_libraries && i < ELEMENTSOF(p->preload); i++) {
                if (!library_name_ok(c->libraries[i]))
                        return sb_failx(err, EINVAL, "library name '%s' is not a dotted identifier", c->libraries[i]);
                snprintf(p->preload[p->n_preload++], sizeof(p->preload[0]), "%s", c->libraries[i]);
        }
        char runner[sizeof(c->runner)];
        snprintf(runner, sizeof(runner), "%s", c->runner);
        snprintf(p->runner_dir, sizeof(p->runner_dir), "%s", dirname(runner));
        snprintf(p->init_path, sizeof(p->init_path), "%s", c->init);
        return 0;
}

int service_start(struct service *s, bool probe, struct sb_error *err)
{
        struct config *c = &s->cfg;
        int r;

        pthread_mutex_init(&s->lock, NULL);
        metrics_init(&s->metrics);
        if ((r = service_plan(c, &s->policy, err)) < 0)
                return r;
        const char *extra[CONFIG_MAX_LIST + 1];
        for (size_t i = 0; i < c->n_ro_paths; i++)
                extra[i] = c->ro_paths[i];
        extra[c->n_ro_paths] = NULL;
        if ((r = sb_plan_prepare(&s->policy, extra, err)) < 0)
                return r;
        /* before the spawner (and any thread) exists: it may move this process */
        enum sb_cgroup_mode cg = strcmp(c->cgroup, "on") == 0    ? SB_CGROUP_ON
                                 : strcmp(c->cgroup, "off") == 0 ? SB_CGROUP_OFF
                                                                  : SB_CGROUP_AUTO;
        if ((r = sb_cgroup_prepare(&s->policy, cg, err)) < 0)
                return r;
        if ((r = slots_init(&s->slots, c->slots, c->queue_max, c->queue_wait_s)) < 0)
                return sb_fail(err, -r, "slots");
        if ((r = sb_spawner_start(&s->policy, &s->spawner, err)) < 0)
                return r;
        return probe ? probe_libraries(s, err) : 0;
}

void service_stop(struct service *s)
{
        sb_spawner_stop(&s->spawner);
        slots_destroy(&s->slots);
}

const struct client_class *service_class(struct service *s, const struct job_lease *l)
{
        /* "default" always exists (config_finish) */
        return l->cls ? l->cls : classes_find(&s->cfg.classes, CLASS_DEFAULT);
}

int service_acquire(struct service *s, struct job_lease *l)
{
        const struct client_class *cls = service_class(s, l);
        size_t ci = classes_index(&s->cfg.classes, cls);
        struct slot_who who = {
                .client = l->client ? l->client : "",
                .class_index = (unsigned) ci,
                .max_concurrent = cls->max_concurrent,
                .weight = cls->weight,
        };
        uint64_t t0 = sb_now_ns();
        int slot = slots_acquire(&s->slots, &who);
        if (slot == -EUSERS) {
                /* refused before it could wait: not a wait for a slot */
                metrics_class_capped(&s->metrics, ci);
                return slot;
        }
        double waited = (double) (sb_now_ns() - t0) / 1e9;
        metrics_queue_wait(&s->metrics, waited);
        metrics_class_wait(&s->metrics, ci, waited);
        if (slot < 0) {
                metrics_rejected(&s->metrics);
                return slot;
        }
        l->service = s;
        l->slot = slot;
        l->pending_fd = -1;
        return 0;
}

/* One job on the lease's slot, counted. */
static int run_on_slot(struct job_lease *l, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err)
{
        struct service *s = l->service;
        spec->slot = (unsigned) l->slot;
        int r = sb_job_run(&s->spawner, spec, o, err);
        /* EPIPE: the control channel is gone, so is every later job */
        if (r == -EPIPE)
                service_mark_broken(s, err->msg);
        if (r == 0 && o->status == SB_SETUP_FAILED)
                metrics_setup_failure(&s->metrics);
        if (r == 0 && o->status != SB_SETUP_FAILED)
                metrics_job_started(&s->metrics, o->pooled);
        return r;
}

int service_run_held(struct job_lease *l, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err)
{
        int r = run_on_slot(l, spec, o, err);
        /* every process of this job gone before the slot takes the next */
        sb_job_settle(&o->pending_fd);
        return r;
}

int service_run(struct job_lease *l, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err)
{
        int r = run_on_slot(l, spec, o, err);
        /* the answer may be ready before the job's teardown is: the lease
         * keeps the slot until it is done */
        l->pending_fd = r == 0 ? o->pending_fd : -1;
        if (r == 0)
                o->pending_fd = -1;
        if (l->pending_fd < 0)
                service_settle(l);      /* nothing left of the job: the slot is free now */
        return r;
}

void service_settle(struct job_lease *l)
{
        if (l->slot < 0)
                return;
        sb_job_settle(&l->pending_fd);
        slots_release(&l->service->slots, l->slot);
        l->slot = -1;
}

void service_mark_broken(struct service *s, const char *reason)
{
        pthread_mutex_lock(&s->lock);
        s->broken = true;
        snprintf(s->broken_reason, sizeof(s->broken_reason), "%s", reason);
        pthread_mutex_unlock(&s->lock);
}

char *service_metrics(struct service *s, size_t *len)
{
        struct metrics_gauges g = { .mode = s->cfg.mode, .classes = &s->cfg.classes };
        slots_snapshot(&s->slots, &g.slots_busy, &g.slots_total, &g.queue_length);
        slots_by_class(&s->slots, g.class_running, g.class_waiting);
        unsigned starts = s->spawner.stats ? s->spawner.stats->zygote_starts : 0;
        g.spawner_restarts = starts > 0 ? starts - 1 : 0;
        return metrics_render(&s->metrics, &g, len);
}
