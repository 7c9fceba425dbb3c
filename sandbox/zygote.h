/* The warm spawner's interpreter.  The zygote embeds CPython, imports the
 * configured libraries once, and every job's runner is a fork of it that
 * confines itself first (same steps as the cold path) and only then reads
 * the user's code.  The zygote itself never sees a byte of user input. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "enter.h"

/* Start Python with the job environment, import `libraries` (failures are
 * left for the start-up probe to report) and the runner module, then freeze
 * the heap so children share it untouched.  Single-threaded caller. */
int sb_zygote_init(const struct sb_plan *p, struct sb_error *err);
/* Address space and resident size of the zygote in bytes: a job's memory
 * limit is added to the first; the second is where a job's growth starts. */
void sb_zygote_size(uint64_t *vsize, uint64_t *rss);
/* The zygote's memory laid out in huge pages (zygote_memory.c): start
 * before Python does, settle once the imports are done; a job takes the
 * defaults back in sb_zygote_prepare. */
void sb_zygote_memory_start(void);
void sb_zygote_memory_settle(void);
void sb_zygote_memory_job(void);
/* Around the clone of a job: keep the interpreter's locks consistent. */
void sb_zygote_before_fork(void);
void sb_zygote_after_fork_parent(void);
/* In the confined runner process: what a job's interpreter needs after the
 * fork and before any request (Python's own after-fork work, the job's
 * streams and signals): a pooled runner does it while it waits
 * (job_first.c); sb_zygote_run does it when it was not done. */
void sb_zygote_prepare(bool pooled);
/* In the confined runner process: run the job in the warm interpreter.
 * Never returns. */
void sb_zygote_run(const char *dialect, uint64_t max_result, const char *handler) __attribute__((noreturn));
