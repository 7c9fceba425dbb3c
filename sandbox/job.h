/* The caller's side of a job: hand the script and stdin to the spawner,
 * read stdout, stderr and the result channel concurrently with caps, and
 * classify how the job ended.  Dialects only turn a `struct sb_outcome` into
 * their own response. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "protocol.h"
#include "spawner.h"

/* The job statuses, named once: the enum, the words the answers, the log
 * and the metrics use, and the words the runner writes in its frame. */
#define SB_STATUSES(X)                                                                              \
        X(SB_SUCCESS, "success")             /* the runner reported success and a valid result */  \
        X(SB_ERROR, "error")                 /* the code failed (no main, syntax, exception...) */ \
        X(SB_TIMEOUT, "timeout")             /* wall or CPU limit */                               \
        X(SB_MEMORY, "memory_exceeded")      /* memory limit */                                    \
        X(SB_OUTPUT_LIMIT, "output_limit")   /* the result was larger than max_result_bytes */     \
        X(SB_KILLED, "killed")               /* died of a signal */                                \
        X(SB_SETUP_FAILED, "setup_failed")   /* the sandbox could not be set up: a server error */

enum sb_status {
#define X(id, word) id,
        SB_STATUSES(X)
#undef X
        SB_N_STATUSES
};

struct sb_job_spec {
        enum sb_dialect dialect;
        unsigned slot;
        const char *code;
        size_t code_len;
        const char *stdin_data;
        size_t stdin_len;
        double timeout_s;             /* wall limit; CPU limit is the same, rounded up */
        uint64_t memory_mb;
        uint64_t max_stdout_bytes;
        uint64_t max_stderr_bytes;
        uint64_t max_result_bytes;
        const char *handler;          /* /invoke */
};

struct sb_buf {
        char *data;
        size_t len;
        size_t cap;                   /* bytes kept at most; the rest is read and dropped */
        bool truncated;
        bool eof;
};

struct sb_outcome {
        enum sb_status status;
        struct sb_buf out, err, result;
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
};

int sb_job_run(const struct sb_spawner *s, const struct sb_job_spec *spec, struct sb_outcome *o,
               struct sb_error *err);
/* Wait (bounded) until the spawner has reaped the job whose answer was
 * complete before its processes were gone, then close the channel.  Call
 * before the job's slot is reused; a no-op when nothing is pending. */
void sb_job_settle(int *pending_fd);
void sb_outcome_free(struct sb_outcome *o);
const char *sb_status_name(enum sb_status s);
