/* sandbox_enter: confine the calling process, step by step, in the order the
 * files are numbered.  It confines the caller (rather than wrapping execve)
 * so that the cold path (exec a fresh interpreter) and a warm one (continue
 * in an interpreter that is already loaded) share every step. */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "policy.h"

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
        "MPLBACKEND=Agg",
        "MPLCONFIGDIR=/tmp/.matplotlib",
        NULL,
};

int sandbox_enter(const struct sb_policy *p, const struct sb_job_limits *lim,
                  const int job_fds[], size_t n_job_fds, struct sb_error *err)
{
        int r;

        if (lim->slot >= p->slots)
                return sb_failx(err, EINVAL, "slot %u out of range", lim->slot);
        uid_t uid = p->uid_base + lim->slot;

        /* The spawner may have blocked or ignored signals; the job starts clean. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);

        if ((r = sb_job_cgroup_join(p, lim, err)) < 0)
                return r;
        if ((r = sb_fds_install(job_fds, n_job_fds, err)) < 0)
                return r;
        if ((r = sb_mounts_enter(p, uid, err)) < 0)
                return r;
        if ((r = sb_identity_drop(uid, p->gid, err)) < 0)
                return r;
        /* If the spawner dies, the job dies with it: never an orphan.  Set
         * after the identity change, which clears it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return sb_fail(err, errno, "PR_SET_PDEATHSIG");
        if ((r = sb_limits_apply(p, lim, err)) < 0)
                return r;
        /* last: returns the filter's listener, which only the job's init
         * may hold */
        return sb_seccomp_load(p, err);
}
