/* The running service, shared by sandrun-fcgi and the sandrun CLI: the
 * config, the sandbox policy, the spawner and the slots.  Started once,
 * while the process is still single-threaded. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "sandbox/cgroup.h"
#include "sandbox/job.h"
#include "sandbox/plan.h"
#include "sandbox/spawner.h"
#include "config.h"
#include "slots.h"

struct service {
        struct config cfg;
        struct sb_plan policy;
        struct sb_spawner spawner;
        struct slots slots;
        /* libraries that imported inside the sandbox at start-up */
        char libraries[CONFIG_MAX_LIST][64];
        size_t n_libraries;
        /* set when the spawner went away: /health says so */
        bool broken;
        char broken_reason[256];
        pthread_mutex_t lock;
};

/* Prepare the policy, start the spawner, and check that a job runs by
 * importing the configured libraries in the sandbox. */
int service_start(struct service *s, bool probe, struct sb_error *err);
void service_stop(struct service *s);
/* Run one job in the given slot; errors are server-side failures. */
int service_run(struct service *s, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err);
