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

struct run_request {
        struct json_object *root;
        const char *code;
        size_t code_len;
        double timeout_s;
        unsigned memory_mb;
};

struct invoke_request {
        struct json_object *root;
        const char *code;
        size_t code_len;
        char handler[130];            /* module.function */
        char module[64];
        struct json_object *event;    /* borrowed from root, may be NULL */
        struct json_object *context;
        double timeout_s;
        unsigned memory_mb;
};

/* Parse a JSON object strictly (UTF-8 validated, one value, nothing after). */
struct json_object *parse_json_body(const char *body, size_t len, struct request_error *e);

int validate_execute(const struct config *c, const char *body, size_t len, struct exec_request *out,
                     struct request_error *e);
void exec_request_free(struct exec_request *r);

/* POST /run: errors are 422 with e->field set (the "loc" of the detail). */
int validate_run(const struct config *c, const char *body, size_t len, struct run_request *out,
                 struct request_error *e);
/* POST /invoke: errors are 400. */
int validate_invoke(const struct config *c, const char *body, size_t len, struct invoke_request *out,
                    struct request_error *e);
/* Is s "module.function", both Python identifiers (ASCII)? */
int handler_is_valid(const char *s);

/* Is the Content-Type application/json (parameters such as charset allowed)? */
int content_type_is_json(const char *ct);
