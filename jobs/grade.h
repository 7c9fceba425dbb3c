/* POST /grade: a stdin/stdout program against test cases, each in a fresh
 * sandbox, in order, on the request's one slot (docs/api.md). */
#pragma once

#include "jobs/dialects.h"
#include "jobs/verdicts.h"


/* The whole request: validation (400 naming the field), the slot (503),
 * every test, the answer; with hooks, one test event per finished test. */
void grade_handle(const struct dialect *d, struct service *s, const char *body, size_t len,
                  struct http_response *resp, struct job_lease *lease, const struct dialect_hooks *hooks);
