/* The plan: what a child is allowed.  Everything here is decided once at
 * start-up (sb_plan_prepare, sb_cgroup_prepare) so that a job only applies a
 * ready plan.  It holds no pointer and no fd of its own, and never changes
 * once the spawner starts: it crosses the zygote's exec as one block
 * (handover.c).  What is opened for it (the slots' cgroups and net
 * namespaces) and what changes (the memory limit a slot's cgroup holds)
 * lives in the runtime (runtime.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

#include "common/error.h"

#define SB_MAX_PATHS 64
#define SB_HOSTNAME "sandrun"
/* where a cold job's python3 finds the runner inside the job's root */
#define SB_ROOT_RUNNER "/sandrun/runner.py"
/* Both opened once at start-up by sb_plan_prepare, on these fixed numbers,
 * which step 2 keeps: the runner is copied into a cold slot's root
 * (slot_ns.c), the job's first process executes init from its fd.  Their paths may lie under
 * /tmp, which the job's root (and the warm zygote's private /tmp) hides by
 * the time they are needed. */
#define SB_RUNNER_FD 900       /* readable */
#define SB_INIT_FD 901         /* O_PATH */
/* the job's memory.events, for its init alone (step1_namespaces.c) */
#define SB_EVENTS_FD 902
/* the supervisor's: the zygote's program, and what crosses its exec (handover.c) */
#define SB_ZYGOTE_EXE_FD 903
#define SB_ZYGOTE_STATE_FD 904

enum sb_cgroup_mode {
        SB_CGROUP_AUTO,        /* v2 where it is delegated, else v1 where it is mounted, else say why */
        SB_CGROUP_ON,          /* refuse to start without it */
        SB_CGROUP_OFF,
};

/* The cgroup version in use, chosen once by sb_cgroup_prepare. */
enum sb_cgroup_version {
        SB_CGROUP_NONE = 0,
        SB_CGROUP_V1 = 1,
        SB_CGROUP_V2 = 2,
};

/* One entry of the mount plan for the new root. */
enum sb_mount_kind {
        SB_MOUNT_BIND_RO,      /* read-only, nosuid, nodev bind of a host path (recursive) */
        SB_MOUNT_SYMLINK,      /* a symlink copied from the host (merged /usr) */
};

struct sb_mount {
        enum sb_mount_kind kind;
        char source[256];      /* host path */
        char target[256];      /* path inside the new root */
        char link[256];        /* SB_MOUNT_SYMLINK: the link's target */
        bool is_dir;
};

struct sb_plan {
        /* identity: job uid = uid_base + slot, so concurrent jobs never share
         * what one uid shares (RLIMIT_NPROC, keyrings, signals).  The
         * sandbox's slots are identities (a uid, a net namespace, a cgroup),
         * each held by one job at a time, from its clone to its reaping:
         * the service's execution slots plus its pool, so that a job waiting
         * in the pool shares none of them with a running one (spawner.c). */
        uid_t uid_base;
        gid_t gid;
        unsigned slots;
        /* jobs the spawner keeps confined and waiting for a request (0: none,
         * each request's job is started for it); at most slots - 1 */
        unsigned pool;

        /* limits that do not change per request */
        uint64_t tmp_bytes;          /* size of the private /tmp */
        uint64_t file_size_bytes;    /* RLIMIT_FSIZE */
        unsigned max_open_files;     /* RLIMIT_NOFILE */
        unsigned max_processes;      /* RLIMIT_NPROC (per slot uid) */

        /* what runs (runner and init are open on SB_RUNNER_FD, SB_INIT_FD) */
        char python[256];            /* interpreter path, same inside and outside */
        char runner_dir[256];        /* host dir holding runner.py */
        char init_path[256];         /* host path of sandrun-init */

        /* warm: the spawner is a zygote with Python and these libraries loaded */
        bool warm;
        char preload[32][64];
        size_t n_preload;

        /* the mount plan, computed once */
        struct sb_mount mounts[SB_MAX_PATHS];
        size_t n_mounts;

        /* memory and pids cgroups (cgroup.c): per-slot job cgroups below
         * the service's own */
        enum sb_cgroup_version cgroup;   /* the version in use, or none */
        char cgroup_dir[512];        /* where the slots' (memory) cgroups are, a host path */
        char cgroup_pids_dir[512];   /* v1: where the slots' pids cgroups are */
        char cgroup_cpu_dir[512];    /* v1: where the slots' cpu cgroups are, or empty */
        bool cgroup_cpu;             /* jobs also share the CPU as equals (cpu controller) */
        char cgroup_why[300];        /* when not in use: why, for the log */

        /* the seccomp program, compiled once (step6_seccomp.c) */
        struct sock_filter filter[BPF_MAXINSNS];
        unsigned short filter_len;
};

/* Per-job parameters, given by the caller. */
struct sb_job_limits {
        unsigned slot;
        uint64_t memory_bytes;       /* RLIMIT_AS */
        unsigned cpu_seconds;        /* RLIMIT_CPU soft; hard is one more */
        uint64_t cgroup_memory_bytes;  /* the request's limit, for the whole job's cgroup */
        bool in_cgroup;              /* born in its slot's cgroup (v2, clone3): nothing to join */
        /* confined for the pool, before any request: RLIMIT_AS and RLIMIT_CPU
         * open, which the runner lowers to its request's at the hand-over
         * (lowering needs no privilege) */
        bool pooled;
};

/* Compute the mount plan from the host, open the runner and init on their
 * fixed fds and compile the seccomp filter.  extra_ro: NULL-terminated list
 * of additional host paths (files or dirs) to show read-only at the same
 * path, e.g. /etc/alternatives. */
int sb_plan_prepare(struct sb_plan *p, const char *const *extra_ro, struct sb_error *err);
/* Why an extra read-only path is refused ("it may hold secrets or host
 * state", "too broad"), or NULL when it may be shown. */
const char *sb_plan_refuses(const char *path);
