/* Files in and out (docs/api.md, "Files in and out").
 *
 * In: the request's "files" are checked (paths, count, sizes, encodings)
 * and packed as file frames (sandbox/protocol.h) that the runner writes
 * into the job's working directory before the script starts.
 *
 * Out: init's frames of output/ (sandbox/gather.h) are checked again here
 * (they come from inside the job) and become the response's "files" with
 * each file's MIME type and base64 content. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "jobs/config.h"
#include "jobs/response.h"
#include "jobs/validate.h"
#include "sandbox/outcome.h"

/* The "files" field: r->files_in and r->n_files_in, or a refusal naming
 * "files" and the offending path. */
int files_in_validate(const struct request_rules *d, const struct config *c, struct json_object *val,
                      struct job_request *r, struct request_error *e);
/* Once the code's file name is known: no input file may take it. */
int files_in_check_name(const struct request_rules *d, const struct job_request *r, struct request_error *e);

/* Is path one the contract allows (relative, no empty, "." or ".."
 * component, no NUL, backslash or control character, <= 255 bytes a
 * component and 1024 in all)?  NULL, or why not. */
const char *files_path_problem(const char *path, size_t len);

/* The MIME type of a file from its name and, for pictures, its first bytes:
 * a picture is called one only when its bytes are one. */
const char *files_mime(const char *path, size_t path_len, const unsigned char *data, size_t len);

/* "files" and "files_truncated" of the response, from init's frames, as
 * JSON members in resp->tail (written after the body's own, so the
 * base64 text is held once).  A stream that breaks the frame rules ends
 * there, flagged as truncated. */
void files_out_respond(const struct sb_buf *frames, struct http_response *resp);
