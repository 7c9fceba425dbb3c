/* The endpoints.  Every dialect parses its own request and shapes its own
 * answer, and all of them run code through dialect_run_job, the one job path. */
#pragma once

#include "sandbox/job.h"
#include "response.h"
#include "service.h"
#include "validate.h"

/* Take a slot (or answer 503) and run the job: the caller fills the
 * request's part of spec (dialect, code, stdin, limits), the output caps
 * come from the config.  On a server-side failure fills resp (500/503) and
 * returns < 0.  The slot is given back now or, when the answer came before
 * the job's teardown, by dialect_settle. */
int dialect_run_job(struct service *s, struct sb_job_spec *spec, struct sb_outcome *o, struct http_response *resp);

/* The error text of a failed outcome as /execute words it. */
void outcome_error_text(const struct sb_outcome *o, double timeout_s, unsigned memory_mb, const char *what,
                        char *buf, size_t size);

/* Is text (NUL-terminated at len) exactly one JSON value? */
bool dialect_valid_json(const char *text, size_t len);
/* A string field of the runner's header, or NULL. */
struct json_object *dialect_header_string(struct json_object *header, const char *key);

void dialect_run(struct service *s, const char *body, size_t len, struct http_response *resp);
void dialect_invoke(struct service *s, const char *body, size_t len, struct http_response *resp);
void dialect_execute(struct service *s, const char *body, size_t len, struct http_response *resp);
void dialect_health(struct service *s, struct http_response *resp);
/* After the response is sent: wait for the job's teardown, give the slot back. */
void dialect_settle(struct http_response *resp);
