/* How a job ended, in one vocabulary.  The status words below are the ones
 * the runner writes in its frame, the dialects answer with and the metrics
 * count.  sandbox/python/runner.py is generated from runner.py.in with these
 * very words: Makefile.am reads the X(SB_NAME, "word") lines of this file
 * with sed and fills @STATUS_NAME@ in, so keep one entry a line, in that
 * form.
 *
 * This part of the caller's side of a job is pure (no fd, no process): the
 * result frame's parser and the classification of how a job ended, with
 * table-driven unit tests (tests/unit/test-outcome.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "protocol.h"

/* How a job that ran can end (what the metrics count as executions)... */
#define SB_EXEC_STATUSES(X) \
        X(SB_SUCCESS, "success")                /* the runner reported success and a valid result */ \
        X(SB_ERROR, "error")                    /* the code failed (no main, syntax, exception, bad result...) */ \
        X(SB_TIMEOUT, "timeout")                /* wall or CPU limit */ \
        X(SB_MEMORY, "memory_exceeded")         /* memory limit */ \
        X(SB_OUTPUT_LIMIT, "output_limit")      /* the result was larger than max_result_bytes */ \
        X(SB_KILLED, "killed")                  /* died of a signal */
/* ... and every status, with the job that never ran */
#define SB_STATUSES(X) \
        SB_EXEC_STATUSES(X) \
        X(SB_SETUP_FAILED, "setup_failed")      /* the sandbox could not be set up: a server error */

enum sb_status {
#define SB_STATUS_ENUM_(id, word) id,
        SB_STATUSES(SB_STATUS_ENUM_)
#undef SB_STATUS_ENUM_
        SB_N_STATUSES
};

/* The word of a status ("unknown" for none of them). */
const char *sb_status_name(enum sb_status s);
/* The status a word names, or -1. */
int sb_status_from_word(const char *word);

/* The runner's header (status, error text, traceback) is bounded too. */
#define SB_FRAME_HEADER_MAX (256 * 1024)

struct sb_buf {
        char *data;
        size_t len;
        size_t cap;                   /* bytes kept at most; the rest is read and dropped */
        bool truncated;
        bool eof;
        uint64_t total;               /* bytes read, kept or not */
};

struct sb_outcome {
        enum sb_status status;
        struct sb_buf out, err, result;
        struct sb_buf files;          /* init's file frames of output/ (protocol.h), not yet checked */
        char runner_status[24];       /* the runner's own status word */
        char *header;                 /* runner's JSON header (status, error, traceback...) or NULL */
        const char *result_json;      /* points into result.data: the raw JSON value, or NULL */
        size_t result_json_len;
        int signal;                   /* SB_KILLED: the signal */
        char syscall[48];             /* SB_KILLED by the filter: "i386 execve (11)", or empty */
        int exit_code;                /* exit status when the runner exited without a header */
        double duration_ms, cpu_ms;
        uint64_t max_rss_kb;
        struct sb_error setup;        /* SB_SETUP_FAILED: why (goes to the log, not the client) */
        int pending_fd;               /* the job's reply socket until the spawner reports it reaped */
        /* SB_OUTPUT_LIMIT because the job kept writing: it was ended once it
         * had written more than output_drain_limit bytes to stdout and stderr */
        bool output_stopped;
        uint64_t output_drain_limit;
        bool client_stopped;          /* SB_KILLED because the streamed answer's client went away */
        bool pooled;                  /* the job was confined before its request came (spawner.c) */
};

/* Parse the runner's frame in o->result into o->runner_status, o->header
 * and o->result_json.  True when there is a frame (o->header is set). */
bool sb_frame_parse(struct sb_outcome *o);
/* Set o->status (and signal, syscall, exit_code, usage) from how the job
 * ended (`how`: init's WORKER_EXIT, or the spawner's DONE when only its late
 * deadline could end the job) and the request's memory and time limits.
 * Call after sb_frame_parse. */
void sb_outcome_classify(struct sb_outcome *o, const struct sb_job_reply *how, uint64_t memory_mb, double timeout_s);
/* "i386 execve (11)": the table a foreign call came through, and the call. */
void sb_foreign_call_name(uint32_t arch, int32_t nr, char *buf, size_t size);
