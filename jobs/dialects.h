/* The dialects: /execute, /run and /invoke differ only in what their request
 * may hold and how a job's outcome is worded; everything else (validation's
 * loop, the slot, the job, metrics) is one path, driven by this table.  The
 * FastCGI front routes by it and the command line runs through it. */
#pragma once

#include <stdbool.h>

#include "jobs/endpoints.h"
#include "jobs/response.h"
#include "jobs/service.h"
#include "jobs/validate.h"
#include "sandbox/job.h"

struct dialect {
        enum endpoint endpoint;       /* its path, its metrics label */
        enum sb_dialect job;          /* what the runner does with the code */
        struct request_rules rules;   /* fields, defaults, how a refusal reads */
        bool request_id;              /* the body carries the request's id */
        bool streams;                 /* answers as NDJSON events when asked (Accept) */
        bool grade;                   /* many jobs, one a test: grade.c answers */
        /* the response from a job's outcome (also when it failed) */
        void (*respond)(const struct job_request *req, const struct sb_outcome *o, struct http_response *resp);
};

extern const struct dialect dialects[];
extern const size_t n_dialects;

/* The dialect served at path, or NULL. */
const struct dialect *dialect_find(const char *path);
const struct dialect *dialect_of(enum endpoint e);

/* Validate the body, take a slot through the lease (503 when none), run the
 * job and shape the response.  The lease holds the slot until the caller
 * settles it, after the answer is out (service_settle). */
void dialect_handle(const struct dialect *d, struct service *s, const char *body, size_t len,
                    struct http_response *resp, struct job_lease *lease);

/* A streamed answer's hooks: started once the request is valid and has its
 * slot (before, its refusal is an ordinary answer), and the job's output as
 * it is read. */
struct dialect_hooks {
        void (*started)(void *ctx);
        /* /grade: one test event, a JSON object without its newline */
        void (*line)(void *ctx, const char *text, size_t len);
        void *ctx;
        struct sb_output_sink output;
};
/* A slot for the request through the lease, or the 503 with Retry-After;
 * then a streamed answer starts. */
int dialect_acquire(struct service *s, struct job_lease *lease, struct http_response *resp,
                    const struct dialect_hooks *hooks);
void dialect_handle_hooked(const struct dialect *d, struct service *s, const char *body, size_t len,
                           struct http_response *resp, struct job_lease *lease, const struct dialect_hooks *hooks);

/* The settings as the lease's client sees them: its class's limits on
 * timeout and memory in place of the service's (a refusal names the class). */
void dialect_settings(struct service *s, const struct job_lease *l, struct config *view);

/* GET /health; the lease names the caller (its class's limits are shown) */
void dialect_health(struct service *s, const struct job_lease *caller, struct http_response *resp);

/* The error text of a failed outcome as /execute words it. */
void outcome_error_text(const struct sb_outcome *o, double timeout_s, unsigned memory_mb, const char *what,
                        char *buf, size_t size);
/* Is text (NUL-terminated at len) exactly one JSON value? */
bool dialect_valid_json(const char *text, size_t len);
/* The runner's header as JSON, or NULL when there is none or it is not
 * strict JSON in valid UTF-8 (a script can forge the frame: its strings
 * go into the answer).  The caller puts it. */
struct json_object *dialect_header(const struct sb_outcome *o);
/* A string field of the runner's header, or NULL. */
struct json_object *dialect_header_string(struct json_object *header, const char *key);

/* the responses, one file each */
void respond_execute(const struct job_request *req, const struct sb_outcome *o, struct http_response *resp);
void respond_run(const struct job_request *req, const struct sb_outcome *o, struct http_response *resp);
void respond_invoke(const struct job_request *req, const struct sb_outcome *o, struct http_response *resp);
