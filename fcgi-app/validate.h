/* Request validation: a body either becomes a job's parameters or an error
 * naming the field, never anything in between. */
#pragma once

#include <stddef.h>
#include <json-c/json.h>

#include "config.h"

struct request_error {
        int http_status;
        char msg[512];
        char field[64];               /* the offending field, when there is one */
};

struct exec_request {
        struct json_object *root;     /* owns the strings below */
        const char *script;
        size_t script_len;
        const char *stdin_data;
        size_t stdin_len;
        double timeout_s;
        unsigned memory_mb;
};

/* Parse a JSON object strictly (UTF-8 validated, one value, nothing after). */
struct json_object *parse_json_body(const char *body, size_t len, struct request_error *e);

int validate_execute(const struct config *c, const char *body, size_t len, struct exec_request *out,
                     struct request_error *e);
void exec_request_free(struct exec_request *r);

/* Is the Content-Type application/json (parameters such as charset allowed)? */
int content_type_is_json(const char *ct);
