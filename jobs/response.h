/* What a handler answers: an HTTP status, a JSON body, and what the log line
 * should say about it.  The FastCGI front and the CLI both print these; the
 * CLI's exit status comes from the job's status here, not from the HTTP one.
 * A job's slot is not the response's business: see struct job_lease. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <json-c/json.h>

#include "sandbox/job.h"

struct http_response {
        int status;
        struct json_object *body;
        unsigned retry_after;        /* seconds, 0 = no header */
        const char *allow;           /* Allow header for 405 */
        char *text;                  /* a non-JSON body (owned), e.g. /metrics */
        size_t text_len;
        const char *content_type;    /* default: application/json; charset=utf-8 */
        /* members written after the body's own (",\"files\":[...]"), owned:
         * large text held once, never copied into the body's */
        char *tail;
        size_t tail_len;
        /* for the log line */
        char reason[320];            /* why a 5xx happened: never sent to the client */
        bool ran;                    /* a job ran: its status and usage follow */
        enum sb_status exec_status;  /* as the dialect judged it */
        double duration_ms, cpu_ms;
        uint64_t max_rss_kb;
        bool pooled;                 /* its job came from the pool (/grade: its last test's) */
        double timeout_s;
        unsigned memory_mb;
        /* POST /grade, for the log line */
        unsigned grade_tests;
        char grade_verdict[32];
};

void response_init(struct http_response *r);
void response_free(struct http_response *r);
/* {"error": msg} with the given status */
void response_error(struct http_response *r, int status, const char *msg);
/* The body as JSON text (owned by r->body). */
const char *response_text(struct http_response *r, size_t *len);
/* The whole body as up to three pieces (the body, the tail spliced in
 * before its closing brace): their count.  Valid until r changes. */
size_t response_pieces(struct http_response *r, struct iovec v[3]);
const char *http_reason(int status);

/* How many bytes from the start of data are valid UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF): len when all are.
 * json-c's JSON_TOKENER_VALIDATE_UTF8 checks the shape of the sequences
 * only, and lets all three through. */
size_t utf8_valid_prefix(const char *data, size_t len);
/* The longest n <= max at which valid UTF-8 text of len bytes can be cut
 * without splitting a character. */
size_t utf8_cut(const char *text, size_t len, size_t max);

/* How many bytes at the end of data begin a UTF-8 character the next read
 * completes (0 to 3): held back, so that no event of a stream splits one. */
size_t utf8_incomplete_tail(const char *data, size_t len);

/* A JSON string from bytes that may not be UTF-8: bad sequences become U+FFFD,
 * so the response is always valid JSON. */
struct json_object *json_text(const char *data, size_t len);
/* A JSON value whose text is emitted as it is: used for a result the runner
 * serialized, after it was checked to be one valid JSON value. */
struct json_object *json_raw(const char *text, size_t len);
/* Round a millisecond figure for output. */
struct json_object *json_ms(double ms);
