/* POST /invoke: module.function(event, context), the serverless contract;
 * see docs/api.md.  Invalid input is 400; every executed request is 200 with
 * result, logs (stdout, stderr and logging records in write order), error and
 * duration_ms. */
#include <stdio.h>

#include "dialects.h"

void respond_invoke(const struct job_request *req, const struct sb_outcome *o, struct http_response *resp)
{
        struct json_object *header = dialect_header(o);
        struct json_object *msg = dialect_header_string(header, "error");
        struct json_object *client_error;
        if (header && json_object_object_get_ex(header, "client_error", &client_error) &&
            json_object_get_boolean(client_error) && msg) {
                /* the code ran far enough to show the handler can't be called */
                response_error(resp, 400, json_object_get_string(msg));
                resp->exec_status = SB_ERROR;
                json_object_put(header);
                return;
        }

        struct json_object *b = json_object_new_object();
        bool ok = o->status == SB_SUCCESS && dialect_valid_json(o->result_json, o->result_json_len);
        json_object_object_add(b, "result", ok ? json_raw(o->result_json, o->result_json_len) : NULL);
        json_object_object_add(b, "logs", json_text(o->out.data, o->out.len));
        if (ok) {
                json_object_object_add(b, "error", NULL);
        } else {
                char text[256];
                if (msg && o->status != SB_TIMEOUT && o->status != SB_MEMORY && !o->output_stopped) {
                        json_object_object_add(b, "error", json_object_get(msg));
                } else {
                        if (o->status == SB_TIMEOUT)
                                snprintf(text, sizeof(text), "Task timed out after %g seconds", req->timeout_s);
                        else
                                outcome_error_text(o, req->timeout_s, req->memory_mb, "the handler", text, sizeof(text));
                        json_object_object_add(b, "error", json_object_new_string(text));
                }
        }
        json_object_object_add(b, "duration_ms", json_ms(o->duration_ms));
        if (o->out.truncated)
                json_object_object_add(b, "logs_truncated", json_object_new_boolean(1));

        json_object_put(resp->body);
        resp->body = b;
        resp->status = 200;
        resp->exec_status = ok ? SB_SUCCESS : o->status == SB_SUCCESS ? SB_ERROR : o->status;
        json_object_put(header);
}
