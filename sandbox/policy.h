/* What a child is allowed: everything here is decided once at start-up
 * (sb_policy_prepare) so that a job only applies a ready plan. */
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
#define SB_RUNNER_FD 900
#define SB_INIT_FD 901
/* the job's memory.events, for its init alone (cgroup.c) */
#define SB_EVENTS_FD 902
/* the supervisor's: the zygote's program, and what crosses its exec (spawner.c) */
#define SB_ZYGOTE_EXE_FD 903
#define SB_ZYGOTE_STATE_FD 904

enum sb_cgroup_mode {
        SB_CGROUP_AUTO,        /* v2 where it is delegated, else v1 where it is mounted, else say why */
        SB_CGROUP_ON,          /* refuse to start without it */
        SB_CGROUP_OFF,
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

struct sb_policy {
        /* identity: job uid = uid_base + slot, so concurrent jobs never share
         * what one uid shares (RLIMIT_NPROC, keyrings, signals) */
        uid_t uid_base;
        gid_t gid;
        unsigned slots;

        /* limits that do not change per request */
        uint64_t tmp_bytes;          /* size of the private /tmp */
        uint64_t file_size_bytes;    /* RLIMIT_FSIZE */
        unsigned max_open_files;     /* RLIMIT_NOFILE */
        unsigned max_processes;      /* RLIMIT_NPROC (per slot uid) */

        /* what runs */
        char python[256];            /* interpreter path, same inside and outside */
        char runner_dir[256];        /* host dir holding runner.py */
        char init_path[256];         /* host path of sandrun-init */
        /* Both opened once at start-up, on fixed numbers that step 2 keeps:
         * step 3 copies the runner into a cold job's root, the job's first
         * process executes init from its fd.  Their paths may lie under /tmp,
         * which the job's root (and the warm zygote's private /tmp) hides by
         * the time they are needed. */
        int runner_fd;               /* SB_RUNNER_FD, readable */
        int init_fd;                 /* SB_INIT_FD, O_PATH */

        /* warm: the spawner is a zygote with Python and these libraries loaded */
        bool warm;
        char preload[32][64];
        size_t n_preload;

        /* the mount plan, computed once */
        struct sb_mount mounts[SB_MAX_PATHS];
        size_t n_mounts;

        /* memory and pids cgroups (cgroup.c): per-slot job cgroups below
         * the service's own */
        int cgroup;                  /* 2 or 1: the cgroup version in use; 0: none */
        char cgroup_dir[512];        /* where the slots' (memory) cgroups are, a host path */
        char cgroup_pids_dir[512];   /* v1: where the slots' pids cgroups are */
        char cgroup_cpu_dir[512];    /* v1: where the slots' cpu cgroups are, or empty */
        bool cgroup_cpu;             /* jobs also share the CPU as equals (cpu controller) */
        char cgroup_why[300];        /* when not in use: why, for the log */
        int *cgroup_mem_fd;          /* per slot, opened by the spawner */
        int *cgroup_pids_fd;         /* v1: per slot */
        int *cgroup_cpu_fd;          /* v1 with cpu: per slot, else -1 */
        int *cgroup_events_fd;       /* per slot: memory.events (v1: memory.oom_control) */
        uint64_t *cgroup_limit;      /* per slot: the memory limit last written (the zygote's own) */

        /* the seccomp program, compiled once */
        struct sock_filter *filter;
        unsigned short filter_len;
};

/* Per-job parameters, given by the caller. */
struct sb_job_limits {
        unsigned slot;
        uint64_t memory_bytes;       /* RLIMIT_AS */
        unsigned cpu_seconds;        /* RLIMIT_CPU soft; hard is one more */
        uint64_t cgroup_memory_bytes;  /* the request's limit, for the whole job's cgroup */
        bool in_cgroup;              /* born in its slot's cgroup (v2, clone3): nothing to join */
};

/* Compute the mount plan from the host and compile the seccomp filter.
 * extra_ro: NULL-terminated list of additional host paths (files or dirs)
 * to show read-only at the same path, e.g. /etc/alternatives. */
int sb_policy_prepare(struct sb_policy *p, const char *const *extra_ro, struct sb_error *err);
void sb_policy_release(struct sb_policy *p);

/* Confine the calling process, which must be the first process of fresh
 * pid, mount, net, ipc, uts and cgroup namespaces (see sb_clone_job).
 * The steps run in this order, one file each:
 *   step1_namespaces.c  (the clone itself, done by the spawner), the slot's
 *                       cgroup where there is one, and the cgroup namespace
 *   step2_fds.c         only the job's fds survive, on fixed numbers
 *   step3_mounts.c      fresh read-only root, /dev, /proc (and through it the IPC
 *                       namespace's limits), private /tmp, pivot_root
 *   step4_identity.c    hostname, unprivileged uid/gid, no groups, no capabilities, no_new_privs
 *   step5_limits.c      rlimits
 *   step6_seccomp.c     the filter, last
 * On success the process is confined and the result is the seccomp filter's
 * notification listener (close-on-exec; see step6_seccomp.c): only the job's
 * init may keep it, never a process that runs user code.  On failure
 * (negative errno) the process must _exit. */
int sandbox_enter(const struct sb_policy *p, const struct sb_job_limits *lim,
                  const int job_fds[], size_t n_job_fds, struct sb_error *err);

/* cgroups: set up the tree (main process, before the spawner starts; may
 * move the calling process), open the slots' fds (the spawner), put the
 * calling job process in its slot's cgroups (step 1), remove the slots (the
 * spawner, at its end). */
int sb_cgroup_prepare(struct sb_policy *p, enum sb_cgroup_mode mode, struct sb_error *err);
int sb_cgroup_open(struct sb_policy *p, struct sb_error *err);
int sb_cgroup_enter(const struct sb_policy *p, const struct sb_job_limits *lim, struct sb_error *err);
void sb_cgroup_remove(const struct sb_policy *p);

/* steps, exposed for the unit tests and for sandbox_enter */
/* cgroup_fd: the slot's v2 cgroup to start the child in, or -1; *in_cgroup
 * says whether it did (the child may read it: it runs before this returns) */
pid_t sb_clone_job(int (*fn)(void *), void *arg, bool new_net, int cgroup_fd, bool *in_cgroup);
struct clone_args;
pid_t sb_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
int sb_cgroup_limit(const struct sb_policy *p, unsigned slot, uint64_t memory_bytes, struct sb_error *err);
void sb_job_stack(void **stack, size_t *size);
int sb_netns_create(struct sb_error *err);
int sb_netns_join(int fd, struct sb_error *err);
int sb_job_cgroup_join(const struct sb_policy *p, const struct sb_job_limits *lim, struct sb_error *err);
int sb_fds_install(const int job_fds[], size_t n, struct sb_error *err);
int sb_mounts_enter(const struct sb_policy *p, uid_t uid, struct sb_error *err);
int sb_identity_drop(uid_t uid, gid_t gid, struct sb_error *err);
int sb_limits_apply(const struct sb_policy *p, const struct sb_job_limits *lim, struct sb_error *err);
int sb_seccomp_compile(struct sb_policy *p, struct sb_error *err);
/* returns the notification listener fd */
int sb_seccomp_load(const struct sb_policy *p, struct sb_error *err);

/* The environment a job gets: an explicit allow-list, nothing inherited. */
extern char *const sb_job_environ[];
