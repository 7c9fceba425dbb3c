/* The job's first process (job_first.c): what the spawner gives it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"
#include "protocol.h"
#include "runtime.h"

/* the exit status of a job whose sandbox could not be set up */
#define SB_SETUP_FAILED_EXIT 125

struct sb_first_args {
        const struct sb_plan *p;
        const struct sb_slot_fds *slot;
        const struct sb_job_request *req;   /* slot: the identity the spawner chose */
        /* the request's fds; a pooled job's are placeholders, then its
         * channels (SB_N_POOL_FDS, protocol.h) */
        int fds[SB_N_POOL_FDS];
        bool pooled;                 /* no request yet: req holds the slot alone */
        uint64_t as_base;            /* warm: the zygote's address space, under the job's limit */
        uint64_t base_rss_kb;        /* warm: the zygote's resident size, reported with every job */
        bool in_cgroup;              /* set by sb_clone_job before the child runs */
};

/* Run by sb_clone_job on the job stack: confine, fork the runner, execute
 * sandrun-init.  Never returns but by _exit. */
int sb_job_first_main(void *arg);
