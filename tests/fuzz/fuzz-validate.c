/* validate_request() of one dialect (FUZZ_ENDPOINT: EP_EXECUTE, EP_RUN,
 * EP_INVOKE or EP_GRADE, one binary each; /grade's own checks included) on any request body, twice: with the default
 * settings and with tight ones, so that the size and range limits are
 * reached by small inputs too.
 *
 * A body is either accepted, and then every field of the job lies within
 * the settings and every string is valid UTF-8 (the job's stdin for /invoke
 * is one JSON object), or refused with 400, 413 or 422 (/run: 422 or 413).
 * Then the same body goes through the front's real path, dialect_handle(),
 * against a service that has no free slot (the stubs below): a refusal or
 * the 503 with Retry-After, either way strict JSON in valid UTF-8, the
 * refusal's "error" being validate_request's message.  Nothing leaks. */
#include <math.h>

#include "fuzz.h"
#include "jobs/dialects.h"

/* ---- the service, always busy: what dialect_handle needs of it ----
 * (the real one starts a spawner; no job ever runs here) */
int service_acquire(struct service *s, struct job_lease *l)
{
        return -EBUSY;
}

/* every request in the class "default": the settings' own limits */
const struct client_class *service_class(struct service *s, const struct job_lease *l)
{
        static struct client_class cls = { .name = CLASS_DEFAULT };
        cls.max_timeout_s = s->cfg.max_timeout_s;
        cls.max_memory_mb = s->cfg.max_memory_mb;
        return &cls;
}

int service_run(struct job_lease *l, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err)
{
        abort();                                /* never reached: no slot was given */
}

int service_run_held(struct job_lease *l, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err)
{
        abort();                                /* /grade's tests: never reached either */
}

void metrics_execution(struct metrics *m, enum sb_status status, double seconds)
{
        abort();
}

void metrics_verdict(struct metrics *m, enum verdict v)
{
        abort();
}

const char *verdict_name(enum verdict v)
{
        abort();
}

void sb_outcome_free(struct sb_outcome *o)
{
        /* nothing ran, so nothing was allocated in o */
        FUZZ_ASSERT(!o->out.data && !o->err.data && !o->result.data && !o->header, "an outcome with data");
}

const char *sb_status_name(enum sb_status st)
{
        abort();                                /* only the responses of a job that ran use it */
}

#ifndef FUZZ_ENDPOINT
#error "build with -DFUZZ_ENDPOINT=EP_EXECUTE, EP_RUN, EP_INVOKE or EP_GRADE"
#endif

static struct service svc_default, svc_tight;

static void setup(void)
{
        struct sb_error err;
        struct config *c = &svc_default.cfg;
        config_defaults(c);
        c->slots = 4;                           /* not the host's CPU count: the run is deterministic */
        if (config_finish(c, &err) < 0)
                abort();
        c = &svc_tight.cfg;
        config_defaults(c);
        c->slots = 4;
        c->max_script_bytes = 16;
        c->max_stdin_bytes = 8;
        c->default_timeout_s = 1;
        c->max_timeout_s = 2.5;
        c->min_memory_mb = 64;
        c->default_memory_mb = 64;
        c->max_memory_mb = 128;
        c->queue_wait_s = 3;
        if (config_finish(c, &err) < 0)
                abort();
}

static void check_accepted(const struct request_rules *rules, const struct config *c, const struct job_request *r)
{
        FUZZ_ASSERT(r->root && json_object_is_type(r->root, json_type_object), "accepted without an object");
        FUZZ_ASSERT(r->code && r->code_len >= 1 && r->code_len <= c->max_script_bytes, "code of %zu bytes accepted",
                    r->code_len);
        FUZZ_ASSERT(fuzz_utf8_valid(r->code, r->code_len), "code that is not UTF-8 accepted");
        FUZZ_ASSERT(isfinite(r->timeout_s) && r->timeout_s > 0 && r->timeout_s <= c->max_timeout_s,
                    "timeout %g accepted", r->timeout_s);
        FUZZ_ASSERT(!rules->pydantic || r->timeout_s == floor(r->timeout_s), "/run: timeout %g not whole",
                    r->timeout_s);
        FUZZ_ASSERT(r->memory_mb >= c->min_memory_mb && r->memory_mb <= c->max_memory_mb, "memory %u MB accepted",
                    r->memory_mb);
        if (rules->has_stdin && r->stdin_data) {
                FUZZ_ASSERT(r->stdin_len <= c->max_stdin_bytes, "stdin of %zu bytes accepted", r->stdin_len);
                FUZZ_ASSERT(fuzz_utf8_valid(r->stdin_data, r->stdin_len), "stdin that is not UTF-8 accepted");
        }
        if (!rules->is_invoke) {
                FUZZ_ASSERT(!r->payload, "a payload outside /invoke");
                return;
        }
        FUZZ_ASSERT(handler_is_valid(r->handler), "handler '%s' accepted", r->handler);
        size_t ml = strlen(r->module);
        FUZZ_ASSERT(ml > 0 && strncmp(r->handler, r->module, ml) == 0 && r->handler[ml] == '.',
                    "module '%s' of handler '%s'", r->module, r->handler);
        /* the runner reads the payload as JSON on its stdin */
        FUZZ_ASSERT(r->stdin_data && strlen(r->stdin_data) == r->stdin_len, "payload text");
        struct json_object *p = fuzz_check_body(r->stdin_data, r->stdin_len);
        struct json_object *ev, *ctx;
        FUZZ_ASSERT(json_object_is_type(p, json_type_object) && json_object_object_get_ex(p, "event", &ev) &&
                            json_object_object_get_ex(p, "context", &ctx) && json_object_object_length(p) == 2,
                    "payload %s", r->stdin_data);
        FUZZ_ASSERT(json_object_is_type(ctx, json_type_object) || json_object_is_type(ctx, json_type_null),
                    "context %s", r->stdin_data);
        json_object_put(p);
}

static void check_refused(const struct request_rules *rules, const struct request_error *e)
{
        FUZZ_ASSERT(memchr(e->msg, 0, sizeof(e->msg)) && e->msg[0], "empty or unterminated message");
        FUZZ_ASSERT(memchr(e->field, 0, sizeof(e->field)), "unterminated field");
        if (rules->pydantic)
                FUZZ_ASSERT(e->http_status == 422 || e->http_status == 413, "/run refused with %d", e->http_status);
        else
                FUZZ_ASSERT(e->http_status == 400 || e->http_status == 413, "refused with %d", e->http_status);
}

/* The answer the front would send for this body. */
static void check_handled(const struct dialect *d, struct service *s, const char *body, size_t size, int rc,
                          const struct request_error *e)
{
        struct http_response resp;
        struct job_lease lease = JOB_LEASE_INIT;
        response_init(&resp);
        dialect_handle(d, s, body, size, &resp, &lease);
        FUZZ_ASSERT(lease.slot < 0, "a slot was leased");
        size_t len;
        const char *text = response_text(&resp, &len);
        struct json_object *v = fuzz_check_body(text, len);
        const char *msg = fuzz_member_string(v, "error");
        if (rc == 0 && d->grade && resp.status == 400) {
                /* /grade checks its tests and compare mode after the common
                 * validation: a refusal naming one of them */
                FUZZ_ASSERT(msg && (strstr(msg, "'tests'") || strstr(msg, "'compare'") ||
                                    strstr(msg, "float_tolerance") || strstr(msg, "'timeout'")),
                            "/grade's own refusal: %s", text);
        } else if (rc == 0) {
                FUZZ_ASSERT(resp.status == 503 && resp.retry_after > 0 && msg, "accepted, then %d: %s", resp.status,
                            text);
        } else {
                FUZZ_ASSERT(resp.status == e->http_status, "status %d for %d", resp.status, e->http_status);
                FUZZ_ASSERT(msg && strcmp(msg, e->msg) == 0, "the refusal's error is not its message: %s", text);
                struct json_object *detail;
                bool has_detail = json_object_object_get_ex(v, "detail", &detail);
                if (d->rules.pydantic && e->http_status == 422)
                        FUZZ_ASSERT(has_detail && json_object_is_type(detail, json_type_array) &&
                                            json_object_array_length(detail) == 1,
                                    "/run's 422 without its detail: %s", text);
                else
                        FUZZ_ASSERT(!has_detail, "a detail list outside /run's 422: %s", text);
        }
        json_object_put(v);
        response_free(&resp);
}

static void one(struct service *s, const uint8_t *data, size_t size)
{
        const struct dialect *d = dialect_of(FUZZ_ENDPOINT);
        struct job_request r;
        struct request_error e = { 0 };
        int rc = validate_request(&d->rules, &s->cfg, (const char *) data, size, &r, &e);
        FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "validate_request returned %d", rc);
        if (rc == 0)
                check_accepted(&d->rules, &s->cfg, &r);
        else
                check_refused(&d->rules, &e);
        job_request_free(&r);
        check_handled(d, s, (const char *) data, size, rc, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool ready;
        if (!ready) {
                setup();
                ready = true;
        }
        /* exactly the body's bytes, no terminator: a read past the length
         * the front passes is a bug too */
        uint8_t *body = malloc(size ? size : 1);
        if (!body)
                return 0;
        if (size)
                memcpy(body, data, size);
        one(&svc_default, body, size);
        one(&svc_tight, body, size);
        free(body);
        return 0;
}
