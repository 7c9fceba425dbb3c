/* POST /grade (grade.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "files.h"
#include "grade.h"

struct grade_test {
        char name[128];
        const char *stdin_data, *expected;
        size_t stdin_len, expected_len;
};

struct grade_plan {
        struct grade_test *tests;
        size_t n;
        struct compare_mode mode;
};

/* A refusal about one test (where: "tests[3]"). */
static int bad(struct request_error *e, const char *where, const char *what)
{
        return request_fail(e, 400, "tests", "'tests': %s %s", where, what);
}

static int check_compare(struct json_object *v, struct compare_mode *m, struct request_error *e)
{
        m->kind = COMPARE_TRIM;
        if (!v)
                return 0;
        if (json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);
                if (strcmp(s, "exact") == 0)
                        m->kind = COMPARE_EXACT;
                else if (strcmp(s, "trim") == 0)
                        m->kind = COMPARE_TRIM;
                else if (strcmp(s, "tokens") == 0)
                        m->kind = COMPARE_TOKENS;
                else
                        return request_fail(e, 400, "compare", "'compare' must be \"exact\", \"trim\", \"tokens\" "
                                                               "or {\"float_tolerance\": number}");
                return 0;
        }
        struct json_object *t;
        if (!json_object_is_type(v, json_type_object) || json_object_object_length(v) != 1 ||
            !json_object_object_get_ex(v, "float_tolerance", &t) ||
            !(json_object_is_type(t, json_type_double) || json_object_is_type(t, json_type_int)))
                return request_fail(e, 400, "compare", "'compare' must be \"exact\", \"trim\", \"tokens\" "
                                                       "or {\"float_tolerance\": number}");
        double tol = json_object_get_double(t);
        if (!isfinite(tol) || tol < 0 || tol > 1e6)
                return request_fail(e, 400, "compare", "'float_tolerance' must be a number from 0 to 1e6");
        m->kind = COMPARE_FLOAT;
        m->tolerance = tol;
        return 0;
}

/* One test: {"name", "stdin", "expected_stdout"}. */
static int check_test(const struct config *c, struct json_object *t, size_t i, struct grade_test *g,
                      struct request_error *e)
{
        char where[32];
        snprintf(where, sizeof(where), "tests[%zu]", i);
        if (!json_object_is_type(t, json_type_object))
                return bad(e, where, "must be an object with expected_stdout");
        snprintf(g->name, sizeof(g->name), "test-%zu", i + 1);
        bool have_expected = false;
        json_object_object_foreach(t, key, val) {
                bool str = json_object_is_type(val, json_type_string);
                const char *s = str ? json_object_get_string(val) : NULL;
                size_t n = str ? (size_t) json_object_get_string_len(val) : 0;
                if (str && strcmp(key, "stdin") == 0) {
                        if (n > c->max_stdin_bytes)
                                return bad(e, where, "has a 'stdin' over max_stdin_bytes");
                        g->stdin_data = s, g->stdin_len = n;
                } else if (str && strcmp(key, "expected_stdout") == 0) {
                        if (n > c->max_stdout_bytes)
                                return bad(e, where, "has an 'expected_stdout' over max_stdout_bytes");
                        g->expected = s, g->expected_len = n, have_expected = true;
                } else if (str && strcmp(key, "name") == 0 && n > 0 && n < sizeof(g->name) && !memchr(s, 0, n)) {
                        memcpy(g->name, s, n);
                        g->name[n] = 0;
                } else {
                        return bad(e, where, "may hold name (1 to 127 bytes), stdin and expected_stdout, all strings");
                }
        }
        if (!have_expected)
                return bad(e, where, "has no expected_stdout");
        return 0;
}

static int check_plan(const struct config *c, const struct job_request *r, struct grade_plan *g,
                      struct request_error *e)
{
        if (!r->tests)
                return request_fail(e, 400, "tests", "'tests' is required");
        if (!json_object_is_type(r->tests, json_type_array) || json_object_array_length(r->tests) == 0 ||
            json_object_array_length(r->tests) > c->max_tests)
                return request_fail(e, 400, "tests", "'tests' must be an array of 1 to %u tests", c->max_tests);
        g->n = json_object_array_length(r->tests);
        if ((double) g->n * r->timeout_s > c->max_timeout_s)
                return request_fail(e, 400, "timeout",
                                    "'timeout' x %zu tests is %g s, over max_timeout_s (%g s) for the whole request%s",
                                    g->n, (double) g->n * r->timeout_s, c->max_timeout_s, request_limits_note(c));
        int k = check_compare(r->compare, &g->mode, e);
        if (k < 0)
                return k;
        if (!(g->tests = calloc(g->n, sizeof(*g->tests))))
                return request_fail(e, 500, NULL, "out of memory");
        for (size_t i = 0; i < g->n; i++)
                if ((k = check_test(c, json_object_array_get_idx(r->tests, i), i, &g->tests[i], e)) < 0)
                        return k;
        return 0;
}

/* A test's verdict from how its job ended. */
static enum verdict judge(const struct sb_outcome *o, const struct grade_test *t, const struct compare_mode *m)
{
        switch (o->status) {
        case SB_SUCCESS:
                if (o->out.truncated)
                        return V_OUTPUT;
                return output_matches(o->out.data ? o->out.data : "", o->out.len, t->expected, t->expected_len, m)
                               ? V_ACCEPTED
                               : V_WRONG;
        case SB_TIMEOUT: return V_TIME;
        case SB_MEMORY: return V_MEMORY;
        case SB_OUTPUT_LIMIT: return V_OUTPUT;
        case SB_KILLED: return V_KILLED;
        default: return V_RUNTIME;
        }
}

static struct json_object *test_result(const struct grade_test *t, enum verdict v, const struct sb_outcome *o,
                                       const char *error)
{
        struct json_object *r = json_object_new_object();
        json_object_object_add(r, "name", json_object_new_string(t->name));
        json_object_object_add(r, "verdict", json_object_new_string(verdict_name(v)));
        if (v == V_SKIPPED)
                return r;
        json_object_object_add(r, "stdout", json_text(o->out.data, o->out.len));
        json_object_object_add(r, "stderr", json_text(o->err.data, o->err.len));
        json_object_object_add(r, "duration_ms", json_ms(o->duration_ms));
        json_object_object_add(r, "cpu_ms", json_ms(o->cpu_ms));
        json_object_object_add(r, "max_rss_kb", json_object_new_int64((int64_t) o->max_rss_kb));
        if (o->out.truncated)
                json_object_object_add(r, "stdout_truncated", json_object_new_boolean(1));
        if (v != V_ACCEPTED)
                json_object_object_add(r, "expected_stdout", json_text(t->expected, t->expected_len));
        if (error)
                json_object_object_add(r, "error", json_object_new_string(error));
        return r;
}

/* The short error of a failed run: the runner's words (an exception's type
 * and line), or how the job ended. */
static void error_text(const struct sb_outcome *o, enum verdict v, const struct job_request *req, char *buf,
                       size_t size)
{
        buf[0] = 0;
        if (v == V_ACCEPTED || v == V_WRONG)
                return;
        struct json_object *h = dialect_header(o), *msg = dialect_header_string(h, "error");
        if (msg && v == V_RUNTIME)
                snprintf(buf, size, "%s", json_object_get_string(msg));
        else
                outcome_error_text(o, req->timeout_s, req->memory_mb, "the program", buf, size);
        json_object_put(h);
}

struct grade_run {
        struct json_object *results;
        enum verdict overall;
        size_t passed;
        bool failed;
};

/* Test i on the held slot: 0, or a negative errno when the job was lost. */
static int run_test(const struct dialect *d, struct service *s, const struct job_request *req,
                    const struct grade_plan *g, size_t i, struct job_lease *lease, const struct dialect_hooks *hooks,
                    struct grade_run *run, struct http_response *resp)
{
        const struct grade_test *t = &g->tests[i];
        struct sb_outcome o = { .pending_fd = -1 };
        struct files_out fo;
        files_out_init(&fo);
        struct sb_job_spec spec = {
                .dialect = d->job, .code = req->code, .code_len = req->code_len,
                .stdin_data = t->stdin_data, .stdin_len = t->stdin_len,
                .timeout_s = req->timeout_s, .memory_mb = req->memory_mb,
                .max_stdout_bytes = s->cfg.max_stdout_bytes, .max_stderr_bytes = s->cfg.max_stderr_bytes,
                .max_result_bytes = s->cfg.max_result_bytes, .max_output_drain_bytes = s->cfg.max_output_drain_bytes,
                .files_in = req->files_in, .files_in_len = req->files_in_len,
                /* a grade's answer is its verdicts: files made by a test are not gathered */
                .max_files_out = 0, .max_files_out_bytes = 0,
                .files_sink = { .write = files_out_write, .ctx = &fo },
                .output_sink = { .cancel_fd = hooks ? hooks->output.cancel_fd : -1 },
        };
        struct sb_error err = { 0 };
        int r = service_run_held(lease, &spec, &o, &err);
        free(fo.text);
        if (r < 0 || o.status == SB_SETUP_FAILED) {
                snprintf(resp->reason, sizeof(resp->reason), "test %zu: %s", i + 1,
                         r < 0 ? err.msg : o.setup.msg);
                sb_outcome_free(&o);
                return r < 0 ? r : -EIO;
        }
        enum verdict v = judge(&o, t, &g->mode);
        char error[512];
        error_text(&o, v, req, error, sizeof(error));
        struct json_object *tr = test_result(t, v, &o, error[0] ? error : NULL);
        metrics_execution(&s->metrics, o.status, o.duration_ms / 1000.0);
        metrics_verdict(&s->metrics, v);
        if (hooks && hooks->line) {
                struct json_object *ev = json_object_new_object();
                json_object_object_add(ev, "type", json_object_new_string("test"));
                json_object_object_foreach(tr, k, val) json_object_object_add(ev, k, json_object_get(val));
                size_t n;
                const char *text = json_object_to_json_string_length(ev, JSON_C_TO_STRING_PLAIN, &n);
                hooks->line(hooks->ctx, text, n);
                json_object_put(ev);
        }
        json_object_array_add(run->results, tr);
        if (v == V_ACCEPTED)
                run->passed++;
        else if (!run->failed)
                run->failed = true, run->overall = v;
        resp->duration_ms += o.duration_ms;
        resp->cpu_ms += o.cpu_ms;
        if (o.max_rss_kb > resp->max_rss_kb)
                resp->max_rss_kb = o.max_rss_kb;
        resp->pooled = o.pooled;
        sb_outcome_free(&o);
        return 0;
}

static void answer(struct http_response *resp, struct grade_run *run, size_t total)
{
        struct json_object *b = json_object_new_object();
        json_object_object_add(b, "verdict", json_object_new_string(verdict_name(run->overall)));
        json_object_object_add(b, "passed", json_object_new_int64((int64_t) run->passed));
        json_object_object_add(b, "total", json_object_new_int64((int64_t) total));
        json_object_object_add(b, "tests", run->results);
        run->results = NULL;
        json_object_put(resp->body);
        resp->body = b;
        resp->status = 200;
        resp->ran = true;
        resp->exec_status = run->overall == V_ACCEPTED ? SB_SUCCESS : SB_ERROR;
        snprintf(resp->grade_verdict, sizeof(resp->grade_verdict), "%s", verdict_name(run->overall));
        resp->grade_tests = (unsigned) total;
}

void grade_handle(const struct dialect *d, struct service *s, const char *body, size_t len,
                  struct http_response *resp, struct job_lease *lease, const struct dialect_hooks *hooks)
{
        struct job_request req;
        struct request_error rerr = { 0 };
        struct grade_plan g = { 0 };
        struct grade_run run = { .results = json_object_new_array(), .overall = V_ACCEPTED };
        struct config view;
        dialect_settings(s, lease, &view);
        if (validate_request(&d->rules, &view, body, len, &req, &rerr) < 0 ||
            check_plan(&view, &req, &g, &rerr) < 0) {
                response_error(resp, rerr.http_status, rerr.msg);
                goto out;
        }
        resp->timeout_s = req.timeout_s;
        resp->memory_mb = req.memory_mb;
        int r = dialect_acquire(s, lease, resp, hooks);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < g.n; i++) {
                if (run.failed && req.stop_on_failure) {
                        json_object_array_add(run.results, test_result(&g.tests[i], V_SKIPPED, NULL, NULL));
                        metrics_verdict(&s->metrics, V_SKIPPED);
                        continue;
                }
                if ((r = run_test(d, s, &req, &g, i, lease, hooks, &run, resp)) < 0) {
                        bool lost = r == -ECONNABORTED || r == -EPIPE;
                        response_error(resp, lost ? 503 : 500,
                                       lost ? "the service is restarting, retry later"
                                            : "internal error: the sandbox could not be set up");
                        resp->retry_after = lost ? 1 : 0;
                        goto out;
                }
        }
        answer(resp, &run, g.n);
out:
        json_object_put(run.results);
        free(g.tests);
        job_request_free(&req);
}
