/* The FastCGI parameters the front reads and judges itself, as pure
 * functions (no libfcgi): tests/fuzz/ links them without the transport.
 * CONTENT_LENGTH goes through parse_u64 and CONTENT_TYPE through
 * content_type_is_json (jobs/); the request id is cleaned here. */
#pragma once

#include <stddef.h>

/* The request id is nginx's $request_id: 32 hex digits.  Anything else
 * (more than 64 characters, or a character outside [A-Za-z0-9_-]) becomes
 * "", so a header or a log line can never be injected through it.  size
 * must be at least 1; at most size - 1 characters are kept, and an id that
 * does not fit is dropped whole rather than cut. */
void clean_request_id(const char *in, char *out, size_t size);
