/* POST /run: plain code, the code-runner contract; see docs/api.md.  Every
 * executed request is 200 with a status of success, error, timeout or
 * memory_exceeded (refusals are 422 with a "detail" list: dialects.c). */
#include <stdio.h>
#include <string.h>

#include "dialects.h"

void respond_run(const struct job_request *req, const struct sb_outcome *o, struct http_response *resp)
{
        struct json_object *header = dialect_header(o);
        struct json_object *msg = dialect_header_string(header, "error");
        /* the code runners' four statuses: every other ending is an error */
        enum sb_status status = o->status;
        char text[256] = "";
        switch (o->status) {
        case SB_SUCCESS:
                break;
        case SB_TIMEOUT:
                snprintf(text, sizeof(text), "Execution timed out after %gs", req->timeout_s);
                break;
        case SB_MEMORY:
                snprintf(text, sizeof(text), "Memory limit of %u MB exceeded", req->memory_mb);
                break;
        default:
                status = SB_ERROR;
                if (msg && !o->output_stopped) {
                        /* short, but the script's words (SystemExit's): cut
                         * on a character, or the answer is not UTF-8 */
                        const char *m = json_object_get_string(msg);
                        size_t n = utf8_cut(m, strlen(m), sizeof(text) - 1);
                        memcpy(text, m, n);
                        text[n] = 0;
                } else
                        outcome_error_text(o, req->timeout_s, req->memory_mb, "the code", text, sizeof(text));
        }

        struct json_object *b = json_object_new_object();
        json_object_object_add(b, "status", json_object_new_string(sb_status_name(status)));
        json_object_object_add(b, "stdout", json_text(o->out.data, o->out.len));
        json_object_object_add(b, "stderr", json_text(o->err.data, o->err.len));
        char num[32];
        snprintf(num, sizeof(num), "%.3f", o->duration_ms / 1000.0);
        json_object_object_add(b, "execution_time", json_object_new_double_s(o->duration_ms / 1000.0, num));
        snprintf(num, sizeof(num), "%.1f", (double) o->max_rss_kb / 1024.0);
        json_object_object_add(b, "memory_used", json_object_new_double_s((double) o->max_rss_kb / 1024.0, num));
        json_object_object_add(b, "error", text[0] ? json_object_new_string(text) : NULL);
        if (o->out.truncated)
                json_object_object_add(b, "stdout_truncated", json_object_new_boolean(1));
        if (o->err.truncated)
                json_object_object_add(b, "stderr_truncated", json_object_new_boolean(1));

        json_object_put(resp->body);
        resp->body = b;
        resp->status = 200;
        resp->exec_status = status;
        json_object_put(header);
}
