/* The running service, shared by sandrun-fcgi and the sandrun CLI: the
 * config, the sandbox policy, the spawner, the slots and the metrics.
 * Started once, while the process is still single-threaded.
 *
 * A job's lifetime belongs to the service, never to an HTTP response: the
 * caller acquires a lease (a slot), runs one job on it, answers, and settles
 * the lease, which waits for the job's teardown and gives the slot back. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "jobs/config.h"
#include "jobs/metrics.h"
#include "jobs/slots.h"
#include "sandbox/cgroup.h"
#include "sandbox/job.h"
#include "sandbox/plan.h"
#include "sandbox/spawner.h"

struct service {
        struct config cfg;
        struct sb_plan policy;
        struct sb_spawner spawner;
        struct slots slots;
        struct metrics metrics;
        /* libraries that imported inside the sandbox at start-up */
        char libraries[CONFIG_MAX_LIST][64];
        size_t n_libraries;
        /* set when the spawner went away: /health says so */
        bool broken;
        char broken_reason[256];
        pthread_mutex_t lock;
};

struct job_lease {
        struct service *service;
        int slot;                     /* -1: none held */
        int pending_fd;               /* the job's reply channel until its teardown is reported */
        /* who asks (set before the request is handled): the client's name
         * as nginx passes it ("" for none) and its class (NULL: default) */
        const char *client;
        const struct client_class *cls;
};
#define JOB_LEASE_INIT { .service = NULL, .slot = -1, .pending_fd = -1, .client = "", .cls = NULL }

/* The sandbox's plan from the settings: what does not depend on a request. */
int service_plan(const struct config *c, struct sb_plan *p, struct sb_error *err);
/* Prepare the policy, start the spawner, and check that a job runs by
 * importing the configured libraries in the sandbox. */
int service_start(struct service *s, bool probe, struct sb_error *err);
void service_stop(struct service *s);

/* The class of the lease's client (the default class when none is set). */
const struct client_class *service_class(struct service *s, const struct job_lease *l);
/* Take a slot for the lease's client, waiting in the fair queue: 0,
 * -EUSERS (the client is at its class's cap), -EBUSY (queue full) or
 * -ETIMEDOUT (the wait ran out). */
int service_acquire(struct service *s, struct job_lease *l);
/* Run one job on the lease's slot; errors are server-side failures. */
int service_run(struct job_lease *l, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err);
/* One of several jobs on the lease's slot (/grade's tests): returns once
 * every process of the job is gone; the slot stays held. */
int service_run_held(struct job_lease *l, struct sb_job_spec *spec, struct sb_outcome *o, struct sb_error *err);
/* After the answer is out: wait (bounded) for the job's teardown, give the
 * slot back.  Safe to call on a lease that holds nothing. */
void service_settle(struct job_lease *l);

/* No job can run any more (the spawner is gone): /health says why. */
void service_mark_broken(struct service *s, const char *reason);

/* GET /metrics of this service; caller frees. */
char *service_metrics(struct service *s, size_t *len);
