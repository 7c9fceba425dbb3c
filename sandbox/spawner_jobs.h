/* What the spawner keeps of its jobs, running and pooled: shared by its
 * loop (spawner.c) and its pool (pool.c), nobody else. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"
#include "protocol.h"
#include "runtime.h"

/* The pool.  A pooled job is cloned, confined (every step of enter.c, with
 * open RLIMIT_AS and RLIMIT_CPU), has forked its runner and executed its
 * init before any request exists; init and runner then wait on a channel
 * each.  A request takes the oldest waiting job: the spawner sets its
 * cgroup's memory limit and hands over the request's fds and limits, the
 * runner lowers its rlimits and the script runs.  A job runs one request
 * and is never reused.  Refilling happens when no request is waiting here,
 * and when the pool is empty a request's job is started for it, as without
 * a pool.
 *
 * Every job, waiting or running, holds a sandbox slot of its own (a uid, a
 * net namespace and a cgroup; plan.h) from its clone to its reaping: the
 * plan has the service's execution slots plus the pool's, so a waiting job
 * never shares them with a running one, nor with a job still ending. */
enum job_state {
        JOB_WAITING,          /* pooled, no request yet */
        JOB_RUNNING,          /* a request's */
        JOB_LET_GO,           /* pooled, ended without a request: only its reaping is left */
};

struct running {
        pid_t pid;
        unsigned slot;        /* the sandbox slot it holds */
        enum job_state state;
        bool pooled;          /* RUNNING: the request went to a pooled job */
        bool timed_out;
        int reply_fd;         /* RUNNING */
        int runner_chan;      /* WAITING: our ends of its two channels */
        int init_chan;
        uint64_t start_ns;
        uint64_t deadline_ns;
};

/* What the loop keeps. */
struct spawner {
        const struct sb_plan *p;
        struct sb_runtime *rt;
        struct running *jobs;        /* at most one a sandbox slot */
        size_t n_jobs;
        bool *busy;                  /* per sandbox slot: a job holds it */
        unsigned waiting;            /* JOB_WAITING jobs */
        unsigned running;            /* JOB_RUNNING jobs */
        unsigned refill_below;       /* refill at once while fewer jobs than this run */
        unsigned cpus;
        int loadavg;                 /* /proc/loadavg: how many tasks are runnable */
        unsigned pool_failures;      /* pooled jobs in a row that died before a request */
        uint64_t refill_after_ns;
        /* the job last taken from the pool while others still waited: no
         * refill until it ends, or until refill_hold_ns (pool.c) */
        pid_t refill_for;
        uint64_t refill_hold_ns;
        int devnull;                 /* a pooled job's placeholders */
        uint64_t as_base;            /* warm: the zygote's address space */
        uint64_t base_rss_kb;        /* warm: the zygote's resident size, reported with every job */
};


/* spawner.c */
/* A sandbox slot no job holds, or -1. */
int sb_spawner_free_slot(const struct spawner *s);
/* Note a new job on a sandbox slot it now holds. */
struct running *sb_spawner_add_job(struct spawner *s, pid_t pid, unsigned slot, enum job_state state);
/* SIGKILL to a job's init (its death takes the job with it), as the job's
 * uid where our own kill is refused. */
void sb_spawner_kill_job(const struct spawner *s, const struct running *j);
/* The job's first process, cloned, on sandbox slot req->slot; its pid, or
 * a negative errno.  fds: SB_N_JOB_FDS, or SB_N_POOL_FDS when pooled. */
pid_t sb_spawner_clone_first(struct spawner *s, const struct sb_job_request *req, const int *fds, bool pooled);

/* pool.c */
/* Hand the request to the oldest waiting job, its sandbox slot's memory
 * limit written first: that job, now running, or NULL (none waits, or each
 * one tried was gone; err says why when the limit could not be written, and
 * then the request is refused). */
struct running *sb_pool_take(struct spawner *s, const struct sb_job_request *req, const int fds[SB_N_JOB_FDS],
                             struct sb_error *err);
/* Is a pooled job to be started now?  If not, when might one be (0: not
 * before something else happens)? */
bool sb_pool_refill_due(const struct spawner *s, uint64_t now);
uint64_t sb_pool_refill_next_ns(const struct spawner *s, uint64_t now);
/* Start one (the zygote's thread waits meanwhile). */
void sb_pool_refill(struct spawner *s);
/* A waiting job died before its request: how is its wait status, or the
 * -errno of a hand-over that found it gone.  Logged once, refill paused. */
void sb_pool_lost(struct spawner *s, int how);
