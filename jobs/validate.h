/* Request validation: a body either becomes a job's parameters or an error
 * naming the field, never anything in between.  Every dialect fills the same
 * struct job_request; what differs (which fields, their defaults, the status
 * and wording of a refusal) is the dialect's, from the table in dialects.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "jobs/config.h"
#include "sandbox/protocol.h"

struct request_error {
        int http_status;
        char msg[512];
        char field[64];               /* the offending field, when there is one */
};

struct job_request {
        struct json_object *root;     /* owns the strings below */
        const char *code;             /* "script" (/execute) or "code" */
        size_t code_len;
        const char *stdin_data;       /* /execute's stdin; /invoke's event and context */
        size_t stdin_len;
        double timeout_s;
        unsigned memory_mb;
        /* /invoke */
        char handler[SB_HANDLER_MAX + 1];   /* module.function */
        char module[SB_HANDLER_MAX + 1];
        struct json_object *payload;  /* {"event": ..., "context": ...}, owned: stdin_data is its text */
        /* "files": the input files as file frames (sandbox/protocol.h), owned */
        char *files_in;
        size_t files_in_len;
        unsigned n_files_in;
        /* /grade, checked by grade.c */
        struct json_object *tests, *compare;
        bool stop_on_failure;
};

/* What a dialect's request may hold, and how it is refused. */
struct request_rules {
        const char *code_field;       /* "script" or "code" */
        bool has_stdin;               /* /execute */
        bool is_invoke;               /* version, handler, event, context */
        bool pydantic;                /* /run: 422 with the code runners' wording, whole numbers */
        bool is_grade;                /* tests, compare, stop_on_failure */
        double default_timeout_s;     /* 0: the config's */
        unsigned default_memory_mb;   /* 0: the config's */
        const char *default_handler;  /* /invoke */
};

/* A refusal: e filled (the field, the status, the words), -EINVAL. */
int request_fail(struct request_error *e, int status, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* The timeout and memory limit a request of this dialect gets when it
 * names none: the dialect's own default (/invoke: 10 s, 256 MB) or the
 * config's, always within the config's limits. */
double request_default_timeout(const struct request_rules *rules, const struct config *c);
unsigned request_default_memory(const struct request_rules *rules, const struct config *c);

/* " (the limit of class 'NAME')" when the settings are a class's view
 * (config's limits_of), else "": said after a refused limit. */
const char *request_limits_note(const struct config *c);

/* Parse a JSON object strictly (RFC 8259 and RFC 3629 UTF-8, one value,
 * nothing after). */
struct json_object *parse_json_body(const char *body, size_t len, struct request_error *e);
/* 0, or -EINVAL with e filled.  Free r with job_request_free either way. */
int validate_request(const struct request_rules *rules, const struct config *c, const char *body, size_t len,
                     struct job_request *r, struct request_error *e);
void job_request_free(struct job_request *r);

/* Is s "module.function", both Python identifiers (ASCII), at most SB_HANDLER_MAX bytes? */
bool handler_is_valid(const char *s);
/* Is the Content-Type application/json (parameters such as charset allowed)? */
bool content_type_is_json(const char *ct);
