/* The table of dialects and the one path every request to run code takes:
 * validate, take a slot, run the job, shape the answer, count it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "dialects.h"
#include "files.h"
#include "grade.h"

const struct dialect dialects[] = {
        {
                .endpoint = EP_EXECUTE,
                .job = SB_DIALECT_EXECUTE,
                .rules = { .code_field = "script", .has_stdin = true },
                .request_id = true,
                .streams = true,
                .respond = respond_execute,
        },
        {
                .endpoint = EP_RUN,
                .job = SB_DIALECT_RUN,
                .rules = { .code_field = "code", .pydantic = true },
                .streams = true,
                .respond = respond_run,
        },
        {
                .endpoint = EP_INVOKE,
                .job = SB_DIALECT_INVOKE,
                .rules = { .code_field = "code", .is_invoke = true, .default_timeout_s = 10, .default_memory_mb = 256,
                           .default_handler = "main.handler" },
                .respond = respond_invoke,
        },
        {
                .endpoint = EP_GRADE,
                .job = SB_DIALECT_RUN,
                .rules = { .code_field = "code", .is_grade = true, .default_timeout_s = 5, .default_memory_mb = 256 },
                .request_id = true,
                .streams = true,
                .grade = true,
        },
};
const size_t n_dialects = ELEMENTSOF(dialects);

const struct dialect *dialect_find(const char *path)
{
        for (size_t i = 0; i < n_dialects; i++)
                if (strcmp(endpoint_path(dialects[i].endpoint), path) == 0)
                        return &dialects[i];
        return NULL;
}

const struct dialect *dialect_of(enum endpoint e)
{
        for (size_t i = 0; i < n_dialects; i++)
                if (dialects[i].endpoint == e)
                        return &dialects[i];
        return NULL;
}

/* A refused request: {"error"}, and for /run the code runners' 422 shape
 * with a "detail" list naming the field. */
static void refuse(const struct dialect *d, const struct request_error *e, struct http_response *resp)
{
        response_error(resp, e->http_status, e->msg);
        if (!d->rules.pydantic || e->http_status != 422)
                return;
        struct json_object *detail = json_object_new_array();
        struct json_object *item = json_object_new_object();
        struct json_object *loc = json_object_new_array();
        json_object_array_add(loc, json_object_new_string("body"));
        if (e->field[0])
                json_object_array_add(loc, json_object_new_string(e->field));
        json_object_object_add(item, "loc", loc);
        json_object_object_add(item, "msg", json_object_new_string(e->msg));
        json_object_object_add(item, "type", json_object_new_string(e->field[0] ? "value_error" : "json_invalid"));
        json_object_array_add(detail, item);
        json_object_object_add(resp->body, "detail", detail);
}

/* Server-side failures: the client is told little, the log all. */
static void server_error(struct http_response *resp, const char *msg, const char *why, const char *detail)
{
        response_error(resp, 500, msg);
        snprintf(resp->reason, sizeof(resp->reason), "%s: %s", why, detail);
}

void dialect_settings(struct service *s, const struct job_lease *l, struct config *view)
{
        const struct client_class *cls = service_class(s, l);
        memcpy(view, &s->cfg, sizeof(*view));
        view->max_timeout_s = cls->max_timeout_s;
        view->max_memory_mb = cls->max_memory_mb;
        /* the default class's limits are the service's: no class to name */
        snprintf(view->limits_of, sizeof(view->limits_of), "%s",
                 strcmp(cls->name, CLASS_DEFAULT) == 0 ? "" : cls->name);
}

int dialect_acquire(struct service *s, struct job_lease *lease, struct http_response *resp,
                    const struct dialect_hooks *hooks)
{
        int r = service_acquire(s, lease);
        if (r == -EUSERS) {
                /* the client's own requests hold its share: one of them ends soon */
                response_error(resp, 429, "too many concurrent requests for this client");
                resp->retry_after = 1;
                snprintf(resp->reason, sizeof(resp->reason), "client at its class's max_concurrent (%u)",
                         service_class(s, lease)->max_concurrent);
                return r;
        }
        if (r < 0) {
                response_error(resp, 503, "server busy, retry later");
                resp->retry_after = (unsigned) ceil(s->cfg.queue_wait_s > 1 ? s->cfg.queue_wait_s / 2 : 1);
                snprintf(resp->reason, sizeof(resp->reason), "%s", r == -EBUSY ? "queue full" : "queue wait ran out");
                return r;
        }
        if (hooks && hooks->started)
                hooks->started(hooks->ctx);
        return 0;
}

static int run(const struct dialect *d, struct service *s, const struct job_request *req, struct sb_outcome *o,
               struct files_out *fo, struct http_response *resp, struct job_lease *lease,
               const struct dialect_hooks *hooks)
{
        struct sb_error err = { 0 };
        struct sb_job_spec spec = {
                .dialect = d->job,
                .code = req->code,
                .code_len = req->code_len,
                .stdin_data = req->stdin_data,
                .stdin_len = req->stdin_len,
                .timeout_s = req->timeout_s,
                .memory_mb = req->memory_mb,
                .handler = d->rules.is_invoke ? req->handler : NULL,
                /* the caps are the service's; the limits the request's */
                .max_stdout_bytes = s->cfg.max_stdout_bytes,
                .max_stderr_bytes = s->cfg.max_stderr_bytes,
                .max_result_bytes = s->cfg.max_result_bytes,
                .max_output_drain_bytes = s->cfg.max_output_drain_bytes,
                .files_in = req->files_in,
                .files_in_len = req->files_in_len,
                .max_files_out = s->cfg.max_files_out,
                .max_files_out_bytes = s->cfg.max_files_out_bytes,
                .files_sink = { .write = files_out_write, .ctx = fo },
                .output_sink = hooks ? hooks->output : (struct sb_output_sink) { .cancel_fd = -1 },
        };
        resp->timeout_s = req->timeout_s;
        resp->memory_mb = req->memory_mb;
        int r = dialect_acquire(s, lease, resp, hooks);
        if (r < 0)
                return r;
        if ((r = service_run(lease, &spec, o, &err)) == -ECONNABORTED || r == -EPIPE) {
                /* the spawner died under the job (a new one is on its way) or
                 * is gone (the service restarts): the request itself was
                 * fine, so the client is told to come back, not that it failed */
                response_error(resp, 503, "the service is restarting, retry later");
                resp->retry_after = 1;
                snprintf(resp->reason, sizeof(resp->reason), "job lost: %s", err.msg);
                return r;
        }
        if (r < 0) {
                server_error(resp, "internal error: the job could not be run", "job failed", err.msg);
                return r;
        }
        if (o->status == SB_SETUP_FAILED) {
                server_error(resp, "internal error: the sandbox could not be set up", "sandbox set-up failed",
                             o->setup.msg);
                return -EIO;
        }
        return 0;
}

void dialect_handle(const struct dialect *d, struct service *s, const char *body, size_t len,
                    struct http_response *resp, struct job_lease *lease)
{
        dialect_handle_hooked(d, s, body, len, resp, lease, NULL);
}

void dialect_handle_hooked(const struct dialect *d, struct service *s, const char *body, size_t len,
                           struct http_response *resp, struct job_lease *lease, const struct dialect_hooks *hooks)
{
        if (d->grade)
                return grade_handle(d, s, body, len, resp, lease, hooks);
        struct job_request req;
        struct request_error rerr = { 0 };
        struct sb_outcome o = { .pending_fd = -1 };
        struct files_out fo;

        struct config view;
        dialect_settings(s, lease, &view);
        if (validate_request(&d->rules, &view, body, len, &req, &rerr) < 0) {
                refuse(d, &rerr, resp);
                goto out;
        }
        files_out_init(&fo);
        if (run(d, s, &req, &o, &fo, resp, lease, hooks) < 0) {
                free(fo.text);
                goto out;
        }
        resp->ran = true;
        resp->duration_ms = o.duration_ms;
        resp->cpu_ms = o.cpu_ms;
        resp->max_rss_kb = o.max_rss_kb;
        resp->pooled = o.pooled;
        d->respond(&req, &o, resp);
        if (o.client_stopped)
                snprintf(resp->reason, sizeof(resp->reason), "the client went away: the job was ended");
        /* every dialect's answer carries the files of output/ */
        files_out_finish(&fo, o.files.truncated, resp);
        metrics_execution(&s->metrics, resp->exec_status, o.duration_ms / 1000.0);
out:
        sb_outcome_free(&o);
        job_request_free(&req);
}
