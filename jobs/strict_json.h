/* JSON as RFC 8259 has it.  json-c's strict mode (JSON_TOKENER_STRICT)
 * still takes numbers such as 00.5, -01, 1. and 1.e5, the words NaN and
 * Infinity, and raw control characters inside strings; request bodies and
 * whatever is passed into an answer verbatim must not hold them.  (Its
 * UTF-8 check is loose too: see utf8_valid_prefix in response.h.) */
#pragma once

#include <stddef.h>

/* Where JSON text that json-c accepted breaks RFC 8259 after all, or len
 * when it does not.  Checks the tokens only: call it after json-c. */
size_t json_strict_prefix(const char *text, size_t len);
