/* POST /execute: a script with a top-level main(); see docs/api.md. */
#include <stdio.h>

#include "dialects.h"

void respond_execute(const struct job_request *req, const struct sb_outcome *o, struct http_response *resp)
{
        struct json_object *header = dialect_header(o);
        struct json_object *b = json_object_new_object();
        enum sb_status status = o->status;
        if (status == SB_SUCCESS && !dialect_valid_json(o->result_json, o->result_json_len))
                status = SB_ERROR;

        if (status == SB_SUCCESS) {
                json_object_object_add(b, "result", json_raw(o->result_json, o->result_json_len));
        } else {
                struct json_object *msg = dialect_header_string(header, "error");
                if (msg && status != SB_TIMEOUT && status != SB_MEMORY && !o->output_stopped) {
                        json_object_object_add(b, "error", json_object_get(msg));
                } else {
                        char text[256];
                        struct sb_outcome shown = *o;
                        shown.status = status;
                        outcome_error_text(&shown, req->timeout_s, req->memory_mb, "main()", text, sizeof(text));
                        json_object_object_add(b, "error", json_object_new_string(text));
                }
                struct json_object *tb = dialect_header_string(header, "traceback");
                if (tb)
                        json_object_object_add(b, "traceback", json_object_get(tb));
        }
        json_object_object_add(b, "stdout", json_text(o->out.data, o->out.len));
        json_object_object_add(b, "stderr", json_text(o->err.data, o->err.len));
        json_object_object_add(b, "status", json_object_new_string(sb_status_name(status)));
        json_object_object_add(b, "duration_ms", json_ms(o->duration_ms));
        json_object_object_add(b, "cpu_ms", json_ms(o->cpu_ms));
        json_object_object_add(b, "max_rss_kb", json_object_new_int64((int64_t) o->max_rss_kb));
        json_object_object_add(b, "stdout_truncated", json_object_new_boolean(o->out.truncated));
        json_object_object_add(b, "stderr_truncated", json_object_new_boolean(o->err.truncated));
        if (o->status == SB_KILLED)
                json_object_object_add(b, "signal", json_object_new_int(o->signal));

        json_object_put(resp->body);
        resp->body = b;
        resp->status = status == SB_SUCCESS ? 200 : 400;
        resp->exec_status = status;
        json_object_put(header);
}
