/* POST /invoke: module.function(event, context), the serverless contract;
 * see docs/api.md.  Invalid input is 400; every executed request is 200 with
 * result, logs (stdout, stderr and logging records in write order), error and
 * duration_ms. */
#include <stdio.h>
#include <string.h>

#include "dialects.h"
#include "metrics.h"

void dialect_invoke(struct service *s, const char *body, size_t len, struct http_response *resp)
{
        const struct config *c = &s->cfg;
        struct invoke_request req;
        struct request_error rerr = { 0 };

        if (validate_invoke(c, body, len, &req, &rerr) < 0) {
                response_error(resp, rerr.http_status, rerr.msg);
                json_object_put(req.root);
                return;
        }
        /* event and context travel to the runner on its stdin */
        struct json_object *payload = json_object_new_object();
        json_object_object_add(payload, "event", req.event ? json_object_get(req.event) : json_object_new_object());
        json_object_object_add(payload, "context",
                               req.context ? json_object_get(req.context) : json_object_new_object());
        size_t plen;
        const char *ptext = json_object_to_json_string_length(payload, JSON_C_TO_STRING_PLAIN, &plen);

        struct sb_job_spec spec = {
                .dialect = SB_DIALECT_INVOKE,
                .code = req.code,
                .code_len = req.code_len,
                .stdin_data = ptext,
                .stdin_len = plen,
                .timeout_s = req.timeout_s,
                .memory_mb = req.memory_mb,
                .handler = req.handler,
        };
        struct sb_outcome o;
        if (dialect_run_job(s, &spec, &o, resp) < 0) {
                json_object_put(payload);
                json_object_put(req.root);
                return;
        }
        json_object_put(payload);

        struct json_object *header = o.header ? json_tokener_parse(o.header) : NULL;
        struct json_object *msg = dialect_header_string(header, "error");
        struct json_object *client_error;
        if (header && json_object_object_get_ex(header, "client_error", &client_error) &&
            json_object_get_boolean(client_error) && msg) {
                /* the code ran far enough to show the handler can't be called */
                response_error(resp, 400, json_object_get_string(msg));
                resp->exec_status = "error";
                json_object_put(header);
                sb_outcome_free(&o);
                json_object_put(req.root);
                return;
        }

        struct json_object *b = json_object_new_object();
        bool ok = o.status == SB_SUCCESS && dialect_valid_json(o.result_json, o.result_json_len);
        json_object_object_add(b, "result", ok ? json_raw(o.result_json, o.result_json_len) : NULL);
        json_object_object_add(b, "logs", json_text(o.out.data, o.out.len));
        if (ok) {
                json_object_object_add(b, "error", NULL);
        } else {
                char text[256];
                if (msg && o.status != SB_TIMEOUT && o.status != SB_MEMORY) {
                        json_object_object_add(b, "error", json_object_get(msg));
                } else {
                        if (o.status == SB_TIMEOUT)
                                snprintf(text, sizeof(text), "Task timed out after %g seconds", req.timeout_s);
                        else
                                outcome_error_text(&o, req.timeout_s, req.memory_mb, "the handler", text, sizeof(text));
                        json_object_object_add(b, "error", json_object_new_string(text));
                }
        }
        json_object_object_add(b, "duration_ms", json_ms(o.duration_ms));
        if (o.out.truncated)
                json_object_object_add(b, "logs_truncated", json_object_new_boolean(1));

        json_object_put(resp->body);
        resp->body = b;
        resp->status = 200;
        resp->exec_status = ok ? "success" : sb_status_name(o.status == SB_SUCCESS ? SB_ERROR : o.status);
        metrics_execution(resp->exec_status, o.duration_ms / 1000.0);
        json_object_put(header);
        sb_outcome_free(&o);
        json_object_put(req.root);
}
