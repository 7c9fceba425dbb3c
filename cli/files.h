/* The command line's files: --file inputs into the request, and the
 * response's files written under --output-dir. */
#pragma once

#include <stddef.h>
#include <json-c/json.h>

#include "jobs/response.h"

/* Add each local file as an entry of the request's "files" (base64): a
 * relative path the contract allows keeps its form, any other goes by its
 * base name.  0, or 2 (a usage error, printed). */
int cli_add_files(struct json_object *req, char *const *paths, size_t n, size_t max_bytes);
/* Write the response's files under dir (created if missing), each at its
 * path below output/.  0, or 1 when one could not be written (printed). */
int cli_write_outputs(const struct http_response *resp, const char *dir);
