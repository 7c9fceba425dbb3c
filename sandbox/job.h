/* The caller's side of a job: hand the script and stdin to the spawner,
 * read stdout, stderr and the result channel concurrently with caps, and
 * classify how the job ended.  Dialects only turn a `struct sb_outcome` into
 * their own response. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "outcome.h"
#include "protocol.h"
#include "spawner.h"

/* Where init's file frames go as they are read (within the same cap as
 * o->files), so the caller holds no copy of them: write gets each chunk in
 * order.  Without one they are kept in o->files. */
struct sb_frames_sink {
        void (*write)(void *ctx, const char *data, size_t len);
        void *ctx;
};

/* Where stdout and stderr go as they are read, for a streamed answer: write
 * gets each chunk kept within the caps (fd 1 or 2), at once and in order; it
 * must not block (the job's pipes are drained at full speed whatever the
 * reader does).  cancel_fd, when readable, means nobody waits for the answer
 * any more: the job is ended at once (status killed). */
struct sb_output_sink {
        void (*write)(void *ctx, int fd, const char *data, size_t len);
        void *ctx;
        int cancel_fd;                /* -1: none */
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
        uint64_t max_output_drain_bytes;  /* stdout and stderr together, read and dropped past their caps:
                                           * past this the job is ended (0: no such limit) */
        const char *handler;          /* /invoke */
        const char *files_in;         /* the input files as file frames (protocol.h), or NULL */
        size_t files_in_len;
        uint32_t max_files_out;       /* what init may gather from output/ */
        uint64_t max_files_out_bytes;
        struct sb_frames_sink files_sink;
        struct sb_output_sink output_sink;   /* write NULL: none */
};

int sb_job_run(const struct sb_spawner *s, const struct sb_job_spec *spec, struct sb_outcome *o,
               struct sb_error *err);
/* Wait (bounded) until the spawner has reaped the job whose answer was
 * complete before its processes were gone, then close the channel.  Call
 * before the job's slot is reused; a no-op when nothing is pending. */
void sb_job_settle(int *pending_fd);
void sb_outcome_free(struct sb_outcome *o);
