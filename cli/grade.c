#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "grade.h"
#include "jobs/config.h"
#include "jobs/validate.h"

static struct json_object *compare_value(const char *s)
{
        if (strcmp(s, "exact") == 0 || strcmp(s, "trim") == 0 || strcmp(s, "tokens") == 0)
                return json_object_new_string(s);
        double tol;
        if (strncmp(s, "float:", 6) == 0 && parse_double(s + 6, &tol) == 0) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "float_tolerance", json_object_new_double(tol));
                return o;
        }
        return NULL;
}

struct json_object *cli_grade_request(const char *tests_path, const char *compare, size_t max_bytes)
{
        _cleanup_fclose_ FILE *f = fopen(tests_path, "re");
        if (!f) {
                fprintf(stderr, "sandrun: %s: %s\n", tests_path, strerror(errno));
                return NULL;
        }
        /* room for the text and the wrapping of a bare array */
        _cleanup_free_ char *buf = malloc(max_bytes + 16);
        if (!buf)
                return NULL;
        static const char pre[] = "{\"tests\": ";
        size_t off = sizeof(pre) - 1;
        memcpy(buf, pre, off);
        size_t n = fread(buf + off, 1, max_bytes + 1, f);
        if (n > max_bytes) {
                fprintf(stderr, "sandrun: %s: larger than %zu bytes\n", tests_path, max_bytes);
                return NULL;
        }
        size_t i = 0;
        while (i < n && isspace((unsigned char) buf[off + i]))
                i++;
        const char *text = buf;
        size_t len = off + n;
        if (i < n && buf[off + i] == '[') {
                buf[len++] = '}';       /* {"tests": [...]} */
        } else {
                text = buf + off;       /* an object of its own */
                len = n;
        }
        struct request_error rerr = { 0 };
        struct json_object *req = parse_json_body(text, len, &rerr);
        if (!req) {
                fprintf(stderr, "sandrun: %s: %s\n", tests_path, rerr.msg);
                return NULL;
        }
        if (compare) {
                struct json_object *v = compare_value(compare);
                if (!v) {
                        fprintf(stderr, "sandrun: --compare takes exact, trim, tokens or float:TOLERANCE, not '%s'\n",
                                compare);
                        json_object_put(req);
                        return NULL;
                }
                json_object_object_add(req, "compare", v);
        }
        return req;
}
