/* Step 5: rlimits.  Where the job has a memory cgroup, that is its memory
 * limit, for all its processes together, and RLIMIT_AS only a backstop: it
 * counts address space, which threads and imports reserve without using.
 * Without one, RLIMIT_AS is the limit (one malloc arena and 4 MB thread
 * stacks keep reservations small; see docs/security.md, Memory);
 * RLIMIT_CPU is CPU time, the wall clock is kept by the spawner;
 * RLIMIT_NPROC counts per uid on the whole host, which is why every slot has
 * its own uid. */
#include <sys/resource.h>

#include "enter.h"

static int set1(int resource, const char *name, rlim_t soft, rlim_t hard, struct sb_error *err)
{
        struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
        if (setrlimit(resource, &rl) < 0)
                return sb_fail(err, errno, "setrlimit %s", name);
        return 0;
}

int sb_limits_apply(const struct sb_plan *p, const struct sb_job_limits *lim, struct sb_error *err)
{
        int r;
        rlim_t cpu = lim->cpu_seconds ? lim->cpu_seconds : 1;
        rlim_t as = lim->memory_bytes;
        rlim_t cpu_hard = cpu + 1;
        if (lim->pooled)
                /* no request yet: its runner lowers both when one comes */
                as = cpu = cpu_hard = RLIM_INFINITY;

        if ((r = set1(RLIMIT_AS, "AS", as, as, err)) < 0 ||
            (r = set1(RLIMIT_CPU, "CPU", cpu, cpu_hard, err)) < 0 ||
            (r = set1(RLIMIT_FSIZE, "FSIZE", p->file_size_bytes, p->file_size_bytes, err)) < 0 ||
            (r = set1(RLIMIT_NOFILE, "NOFILE", p->max_open_files, p->max_open_files, err)) < 0 ||
            (r = set1(RLIMIT_NPROC, "NPROC", p->max_processes, p->max_processes, err)) < 0 ||
            (r = set1(RLIMIT_CORE, "CORE", 0, 0, err)) < 0 ||
            (r = set1(RLIMIT_MEMLOCK, "MEMLOCK", 0, 0, err)) < 0 ||
            (r = set1(RLIMIT_MSGQUEUE, "MSGQUEUE", 0, 0, err)) < 0 ||
            (r = set1(RLIMIT_LOCKS, "LOCKS", 64, 64, err)) < 0 ||
            (r = set1(RLIMIT_SIGPENDING, "SIGPENDING", 64, 64, err)) < 0 ||
            (r = set1(RLIMIT_NICE, "NICE", 0, 0, err)) < 0 ||
            (r = set1(RLIMIT_RTPRIO, "RTPRIO", 0, 0, err)) < 0)
                return r;
        return 0;
}

uint64_t sb_limits_address_space(const struct sb_plan *p, uint64_t memory_bytes, uint64_t as_base)
{
        /* the cgroup does the limiting: a single absurd allocation still
         * fails at once, as MemoryError, rather than at the OOM killer */
        if (p->cgroup != SB_CGROUP_NONE)
                return as_base + memory_bytes + SB_AS_BACKSTOP_BYTES;
        return as_base + memory_bytes;
}
