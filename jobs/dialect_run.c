/* POST /run: plain code, the code-runner contract; see docs/api.md.
 * Schema errors are 422 with a "detail" list; every executed request is 200
 * with a status of success, error, timeout or memory_exceeded. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "dialects.h"
#include "metrics.h"

static void unprocessable(struct http_response *resp, const struct request_error *e)
{
        struct json_object *b = json_object_new_object();
        json_object_object_add(b, "error", json_object_new_string(e->msg));
        struct json_object *detail = json_object_new_array();
        struct json_object *d = json_object_new_object();
        struct json_object *loc = json_object_new_array();
        json_object_array_add(loc, json_object_new_string("body"));
        if (e->field[0])
                json_object_array_add(loc, json_object_new_string(e->field));
        json_object_object_add(d, "loc", loc);
        json_object_object_add(d, "msg", json_object_new_string(e->msg));
        json_object_object_add(d, "type", json_object_new_string(e->field[0] ? "value_error" : "json_invalid"));
        json_object_array_add(detail, d);
        json_object_object_add(b, "detail", detail);
        json_object_put(resp->body);
        resp->body = b;
        resp->status = e->http_status;
}

void dialect_run(struct service *s, const char *body, size_t len, struct http_response *resp)
{
        const struct config *c = &s->cfg;
        struct run_request req;
        struct request_error rerr = { 0 };

        if (validate_run(c, body, len, &req, &rerr) < 0) {
                if (rerr.http_status == 422)
                        unprocessable(resp, &rerr);
                else
                        response_error(resp, rerr.http_status, rerr.msg);
                json_object_put(req.root);
                return;
        }
        struct sb_job_spec spec = {
                .dialect = SB_DIALECT_RUN,
                .code = req.code,
                .code_len = req.code_len,
                .timeout_s = req.timeout_s,
                .memory_mb = req.memory_mb,
        };
        struct sb_outcome o;
        if (dialect_run_job(s, &spec, &o, resp) < 0) {
                json_object_put(req.root);
                return;
        }

        struct json_object *header = o.header ? json_tokener_parse(o.header) : NULL;
        struct json_object *msg = dialect_header_string(header, "error");
        const char *status;
        char text[256] = "";
        switch (o.status) {
        case SB_SUCCESS:
                status = "success";
                break;
        case SB_TIMEOUT:
                status = "timeout";
                snprintf(text, sizeof(text), "Execution timed out after %gs", req.timeout_s);
                break;
        case SB_MEMORY:
                status = "memory_exceeded";
                snprintf(text, sizeof(text), "Memory limit of %u MB exceeded", req.memory_mb);
                break;
        default:
                status = "error";
                if (msg)
                        snprintf(text, sizeof(text), "%s", json_object_get_string(msg));
                else
                        outcome_error_text(&o, req.timeout_s, req.memory_mb, "the code", text, sizeof(text));
        }

        struct json_object *b = json_object_new_object();
        json_object_object_add(b, "status", json_object_new_string(status));
        json_object_object_add(b, "stdout", json_text(o.out.data, o.out.len));
        json_object_object_add(b, "stderr", json_text(o.err.data, o.err.len));
        char num[32];
        snprintf(num, sizeof(num), "%.3f", o.duration_ms / 1000.0);
        json_object_object_add(b, "execution_time", json_object_new_double_s(o.duration_ms / 1000.0, num));
        snprintf(num, sizeof(num), "%.1f", (double) o.max_rss_kb / 1024.0);
        json_object_object_add(b, "memory_used", json_object_new_double_s((double) o.max_rss_kb / 1024.0, num));
        json_object_object_add(b, "error", text[0] ? json_object_new_string(text) : NULL);
        if (o.out.truncated)
                json_object_object_add(b, "stdout_truncated", json_object_new_boolean(1));
        if (o.err.truncated)
                json_object_object_add(b, "stderr_truncated", json_object_new_boolean(1));

        json_object_put(resp->body);
        resp->body = b;
        resp->status = 200;
        resp->exec_status = status;
        metrics_execution(status, o.duration_ms / 1000.0);
        json_object_put(header);
        sb_outcome_free(&o);
        json_object_put(req.root);
}
