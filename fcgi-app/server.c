/* One FastCGI request: read it (bounded), route it, answer it, log it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcgiapp.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "jobs/dialects.h"
#include "jobs/log.h"
#include "jobs/metrics.h"
#include "params.h"
#include "server.h"
#include "stream.h"

static const char *param(FCGX_Request *rq, const char *name)
{
        const char *v = FCGX_GetParam(name, rq->envp);
        return v ? v : "";
}

/* X-Request-Id is added by nginx to every response, its own errors included,
 * so the application does not repeat it. */
static void send_response(FCGX_Request *rq, struct http_response *resp)
{
        struct iovec v[3];
        size_t n_pieces = 1, len = 0;
        if (resp->text)
                /* the trailing newline is added below */
                v[0] = (struct iovec) { .iov_base = resp->text, .iov_len = resp->text_len > 0 ? resp->text_len - 1 : 0 };
        else
                n_pieces = response_pieces(resp, v);
        for (size_t i = 0; i < n_pieces; i++)
                len += v[i].iov_len;
        char head[512];
        /* formatted here: libfcgi's own printf knows no %zu */
        int n = snprintf(head, sizeof(head),
                         "Status: %d %s\r\n"
                         "Content-Type: %s\r\n"
                         "Cache-Control: no-store\r\n"
                         "Content-Length: %zu\r\n",
                         resp->status, http_reason(resp->status),
                         resp->content_type ? resp->content_type : "application/json; charset=utf-8", len + 1);
        if (resp->retry_after)
                n += snprintf(head + n, sizeof(head) - (size_t) n, "Retry-After: %u\r\n", resp->retry_after);
        if (resp->allow)
                n += snprintf(head + n, sizeof(head) - (size_t) n, "Allow: %s\r\n", resp->allow);
        n += snprintf(head + n, sizeof(head) - (size_t) n, "\r\n");
        FCGX_PutStr(head, n, rq->out);
        for (size_t i = 0; i < n_pieces; i++)
                FCGX_PutStr(v[i].iov_base, (int) v[i].iov_len, rq->out);
        FCGX_PutS("\n", rq->out);
}

static char *read_body(FCGX_Request *rq, size_t len)
{
        char *buf = malloc(len + 1);
        if (!buf)
                return NULL;
        size_t got = 0;
        while (got < len) {
                int n = FCGX_GetStr(buf + got, (int) (len - got > 65536 ? 65536 : len - got), rq->in);
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        if (got != len) {
                free(buf);
                return NULL;
        }
        buf[len] = 0;
        return buf;
}

/* GET and HEAD only, or a 405 that says so. */
static bool method_is_get(const char *method, struct http_response *resp)
{
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
                return true;
        response_error(resp, 405, "method not allowed: use GET");
        resp->allow = "GET, HEAD";
        return false;
}

/* A dialect's POST: the transport's checks, then the job layer. */
static void route_post(struct service *s, FCGX_Request *rq, const struct dialect *d, const char *method,
                       struct http_response *resp, struct job_lease *lease, struct stream *st)
{
        if (strcmp(method, "POST")) {
                response_error(resp, 405, "method not allowed: use POST");
                resp->allow = "POST";
                return;
        }
        if (!content_type_is_json(FCGX_GetParam("CONTENT_TYPE", rq->envp))) {
                response_error(resp, 415, "unsupported media type: send Content-Type: application/json");
                return;
        }
        const char *cl = param(rq, "CONTENT_LENGTH");
        uint64_t len = 0;
        if (cl[0] && parse_u64(cl, UINT64_MAX, &len) < 0) {
                response_error(resp, 400, "invalid Content-Length");
                return;
        }
        if (len > s->cfg.max_body_bytes) {
                response_error(resp, 413, "request body too large");
                return;
        }
        _cleanup_free_ char *body = read_body(rq, (size_t) len);
        if (!body) {
                response_error(resp, 400, "the request body ended early");
                return;
        }
        /* /execute and /run stream when asked (docs/api.md); a refusal
         * before the job has its slot is an ordinary answer */
        if (d->streams && stream_wanted(rq) && stream_init(st, rq) == 0) {
                struct dialect_hooks hooks = {
                        .started = stream_start, .line = stream_line, .ctx = st,
                        .output = { .write = stream_output, .ctx = st, .cancel_fd = st->cancel_fd },
                };
                dialect_handle_hooked(d, s, body, (size_t) len, resp, lease, &hooks);
                return;
        }
        dialect_handle(d, s, body, (size_t) len, resp, lease);
}

static enum endpoint route(struct service *s, FCGX_Request *rq, const char *path, const char *method,
                           struct http_response *resp, struct job_lease *lease, struct stream *st)
{
        const struct dialect *d = dialect_find(path);
        if (d) {
                if (!lease->cls) {
                        /* nginx named a class this service does not define:
                         * the operator's key file and sandrun.conf disagree */
                        response_error(resp, 500, "internal error: the client's class is not configured");
                        snprintf(resp->reason, sizeof(resp->reason),
                                 "class '%.40s' of client '%.64s' is not in sandrun.conf's classes",
                                 param(rq, "API_CLASS"), lease->client);
                        return d->endpoint;
                }
                route_post(s, rq, d, method, resp, lease, st);
                return d->endpoint;
        }
        if (strcmp(path, "/health") == 0 || strcmp(path, "/") == 0) {
                if (method_is_get(method, resp))
                        dialect_health(s, lease, resp);
                return path[1] ? EP_HEALTH : EP_ROOT;
        }
        if (strcmp(path, "/metrics") == 0) {
                if (method_is_get(method, resp)) {
                        resp->status = 200;
                        resp->text = service_metrics(s, &resp->text_len);
                        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
                }
                return EP_METRICS;
        }
        response_error(resp, 404, "not found");
        return EP_OTHER;
}

/* One JSON line for the request, written after the client has its answer. */
static void log_request(const char *request_id, const char *client, const char *cls, enum endpoint ep,
                        const char *method, const struct http_response *resp, uint64_t t0)
{
        struct json_object *f = json_object_new_object();
        json_object_object_add(f, "request_id", json_object_new_string(request_id));
        json_object_object_add(f, "client", json_object_new_string(client));
        json_object_object_add(f, "class", json_object_new_string(cls));
        json_object_object_add(f, "endpoint", json_object_new_string(endpoint_path(ep)));
        json_object_object_add(f, "method", json_object_new_string(method));
        json_object_object_add(f, "http_status", json_object_new_int(resp->status));
        json_object_object_add(f, "total_ms", json_ms(sb_ns_to_ms(sb_now_ns() - t0)));
        if (resp->ran) {
                json_object_object_add(f, "status", json_object_new_string(sb_status_name(resp->exec_status)));
                json_object_object_add(f, "duration_ms", json_ms(resp->duration_ms));
                json_object_object_add(f, "cpu_ms", json_ms(resp->cpu_ms));
                json_object_object_add(f, "max_rss_kb", json_object_new_int64((int64_t) resp->max_rss_kb));
                json_object_object_add(f, "pooled", json_object_new_boolean(resp->pooled));
        }
        if (resp->timeout_s > 0) {
                json_object_object_add(f, "timeout_s", json_object_new_double(resp->timeout_s));
                json_object_object_add(f, "memory_mb", json_object_new_int64(resp->memory_mb));
        }
        if (resp->grade_tests) {
                json_object_object_add(f, "tests", json_object_new_int64(resp->grade_tests));
                json_object_object_add(f, "verdict", json_object_new_string(resp->grade_verdict));
        }
        if (resp->reason[0])
                json_object_object_add(f, "reason", json_object_new_string(resp->reason));
        log_json(resp->status >= 500 ? LOG_ERROR_ : LOG_INFO_, "request", f);
}

void server_handle(struct service *s, FCGX_Request *rq)
{
        uint64_t t0 = sb_now_ns();
        char request_id[65], client[65], cls[CLASS_NAME_MAX + 8];
        clean_request_id(param(rq, "REQUEST_ID"), request_id, sizeof(request_id));
        snprintf(client, sizeof(client), "%s", param(rq, "API_CLIENT"));
        /* nginx's class for the key ("" for none: the default class) */
        const struct client_class *client_class = classes_find(&s->cfg.classes, param(rq, "API_CLASS"));
        snprintf(cls, sizeof(cls), "%s", client_class ? client_class->name : "unknown");

        /* DOCUMENT_URI is nginx's normalized path without the query */
        /* copies: the request's parameters are freed by FCGX_Finish_r, and the
         * log line is written after it */
        char path[256], method[16];
        const char *p = param(rq, "DOCUMENT_URI");
        snprintf(path, sizeof(path), "%s", p[0] ? p : param(rq, "SCRIPT_NAME"));
        snprintf(method, sizeof(method), "%s", param(rq, "REQUEST_METHOD"));

        struct http_response resp;
        struct job_lease lease = JOB_LEASE_INIT;
        lease.client = client;
        lease.cls = client_class;
        struct stream st = { .cancel_fd = -1 };
        response_init(&resp);
        enum endpoint ep = route(s, rq, path, method, &resp, &lease, &st);
        const struct dialect *d = dialect_of(ep);
        if (d && d->request_id && resp.body && json_object_is_type(resp.body, json_type_object))
                json_object_object_add(resp.body, "request_id", json_object_new_string(request_id));
        if (st.started) {
                /* the job has ended: its slot goes back now, whatever the
                 * client's pace; then the result event, when it can take it */
                service_settle(&lease);
                stream_finish(&st, &resp);
        } else {
                send_response(rq, &resp);
        }
        if (st.cancel_fd >= 0)
                stream_free(&st);
        /* counted before the client can see the answer, so a scrape that
         * follows it always includes it */
        metrics_request(&s->metrics, ep, resp.status);
        if (d && client_class)
                metrics_class_request(&s->metrics, classes_index(&s->cfg.classes, client_class), resp.status);
        FCGX_Finish_r(rq);
        log_request(request_id, client, cls, ep, method, &resp, t0);
        /* the client has its answer; the job's teardown finishes meanwhile,
         * and its slot is given back after it */
        service_settle(&lease);
        response_free(&resp);
}
