/* sandrun grade CODE.py TESTS.json: the POST /grade request from files. */
#pragma once

#include <stddef.h>
#include <json-c/json.h>

/* TESTS.json as a request: an array of tests, or an object with "tests" and
 * any other field of the request but "code"; --compare over it
 * (exact, trim, tokens or float:TOLERANCE).  NULL after a usage error
 * (printed). */
struct json_object *cli_grade_request(const char *tests_path, const char *compare, size_t max_bytes);
