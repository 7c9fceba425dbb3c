/* sandbox_enter: confine the calling process, step by step, in the order the
 * files are numbered, one line a step (as nsjail's contain.cc).  It confines
 * the caller (rather than wrapping execve) so that the cold path (exec a
 * fresh interpreter) and a warm one (continue in an interpreter that is
 * already loaded) share every step. */
#include "enter.h"

#define SB_STR_(x) #x
#define SB_STR(x) SB_STR_(x)

char *const sb_job_environ[] = {
        "PATH=/usr/bin:/bin",
        "HOME=/tmp",
        "TMPDIR=/tmp",
        "LANG=C.UTF-8",
        "LC_ALL=C.UTF-8",
        "USER=sandbox",
        "LOGNAME=sandbox",
        /* one math thread per job: a job's CPU use then matches its CPU limit */
        "OMP_NUM_THREADS=1",
        "OPENBLAS_NUM_THREADS=1",
        "MKL_NUM_THREADS=1",
        "NUMEXPR_NUM_THREADS=1",
        /* One malloc arena: glibc gives each new thread up to 8 x CPUs
         * arenas of 64 MB of address space each, which RLIMIT_AS counts as
         * memory; with one, a thread costs its stack alone (docs/security.md). */
        "GLIBC_TUNABLES=glibc.malloc.arena_max=" SB_STR(SB_JOB_MALLOC_ARENAS),
        "MPLBACKEND=Agg",
        "MPLCONFIGDIR=/tmp/.matplotlib",
        NULL,
};

int sandbox_enter(const struct sb_plan *p, const struct sb_slot_fds *slot, const struct sb_job_limits *lim,
                  const int job_fds[], size_t n_job_fds, struct sb_error *err)
{
        int r;

        if (lim->slot >= p->slots)
                return sb_failx(err, EINVAL, "slot %u out of range", lim->slot);
        uid_t uid = p->uid_base + lim->slot;

        if ((r = sb_netns_join(slot, err)) < 0 ||                       /* 1: the slot's net namespace */
            (r = sb_slot_ns_join(slot, err)) < 0 ||                     /* 1: its IPC namespace and root */
            (r = sb_signals_reset(err)) < 0 ||                          /* 1: no signal blocked or ignored */
            (r = sb_job_cgroup_join(p, slot, lim, err)) < 0 ||          /* 1: cgroup, cgroup namespace */
            (r = sb_fds_install(job_fds, n_job_fds, err)) < 0 ||        /* 2: the job's fds alone */
            (r = sb_mounts_enter(p, err)) < 0 ||                        /* 3: the job's /proc and /tmp */
            (r = sb_identity_drop(uid, p->gid, err)) < 0 ||             /* 4: uid, gid, no capabilities */
            (r = sb_die_with_spawner(err)) < 0 ||                       /* 4: never an orphan */
            (r = sb_limits_apply(p, lim, err)) < 0)                     /* 5: rlimits */
                return r;
        /* last: returns the filter's listener, which only the job's init
         * may hold */
        return sb_seccomp_load(p, err);                                 /* 6: the filter */
}
