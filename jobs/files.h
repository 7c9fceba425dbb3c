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
#include "sandbox/protocol.h"

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

/* "files" and "files_truncated" of the response, made from init's frames
 * as they are read (the job's sink, sandbox/job.h): each file's base64 text
 * is written as its bytes arrive, so a request holds its answer's text and
 * never a copy of the files as well.  The members land in resp->tail
 * (written after the body's own, never copied into it).  A stream that
 * breaks the frame rules ends there, what was whole kept and flagged. */
enum files_out_state { FO_HEAD, FO_PATH, FO_CONTENT, FO_END, FO_BROKEN };

struct files_out {
        enum files_out_state state;
        struct sb_file_frame head;
        char path[SB_FILE_PATH_MAX];
        uint64_t have;                /* bytes of the current part */
        unsigned char sniff[16];      /* a file's first bytes, for its MIME type */
        size_t sniff_len;
        bool content_open;
        unsigned char carry[3];       /* content bytes short of a base64 group */
        size_t carry_len;
        char *text;                   /* the members' JSON text */
        size_t len, cap, object_start;
        size_t count;
        uint32_t flags;               /* the end frame's */
        bool truncated, failed;
};

void files_out_init(struct files_out *fo);
/* The sink's write: struct sb_frames_sink { files_out_write, &fo }. */
void files_out_write(void *ctx, const char *data, size_t len);
/* cut: the stream went past its cap.  Hands the text to resp->tail. */
void files_out_finish(struct files_out *fo, bool cut, struct http_response *resp);
/* All of it at once, from frames held in memory. */
void files_out_respond(const struct sb_buf *frames, struct http_response *resp);
