/* Confine the calling process, which must be the first process of fresh
 * pid and uts namespaces (see clone_job.c).  The steps run in
 * this order, one file each, and enter.c lists them one a line:
 *   step1_namespaces.c  the slot's net namespace (or the fresh one of the
 *                       clone), its IPC namespace (emptied), a private copy
 *                       of its root's mount namespace, a clean signal state,
 *                       the slot's cgroup where there is one, and the cgroup
 *                       namespace
 *   step2_fds.c         only the job's fds survive, on fixed numbers
 *   step3_mounts.c      the job's /proc, masked and read-only, and its private
 *                       /tmp, on the slot's read-only root
 *   step4_identity.c    hostname, unprivileged uid/gid, no groups, no capabilities,
 *                       no_new_privs; then death with the spawner
 *   step5_limits.c      rlimits
 *   step6_seccomp.c     the filter, last
 * On success the process is confined and the result is the seccomp filter's
 * notification listener (close-on-exec; see step6_seccomp.c): only the job's
 * init may keep it, never a process that runs user code.  On failure
 * (negative errno) the process must _exit. */
#pragma once

#include <stddef.h>

#include "common/error.h"
#include "plan.h"
#include "runtime.h"

int sandbox_enter(const struct sb_plan *p, const struct sb_slot_fds *slot, const struct sb_job_limits *lim,
                  const int job_fds[], size_t n_job_fds, struct sb_error *err);

/* The steps, for sandbox_enter (and the start-up work some of them need). */
/* step1_namespaces.c */
int sb_netns_create(struct sb_error *err);
int sb_netns_join(const struct sb_slot_fds *slot, struct sb_error *err);
int sb_slot_ns_join(const struct sb_slot_fds *slot, struct sb_error *err);
int sb_signals_reset(struct sb_error *err);
int sb_job_cgroup_join(const struct sb_plan *p, const struct sb_slot_fds *slot, const struct sb_job_limits *lim,
                       struct sb_error *err);
/* step2_fds.c */
int sb_fds_install(const int job_fds[], size_t n, struct sb_error *err);
/* step3_mounts.c */
int sb_mounts_enter(const struct sb_plan *p, struct sb_error *err);
/* the slot's root, built once in the slot's mount namespace (slot_ns.c) */
int sb_root_template_build(const struct sb_plan *p, uid_t uid, struct sb_error *err);
/* step4_identity.c */
int sb_identity_drop(uid_t uid, gid_t gid, struct sb_error *err);
int sb_die_with_spawner(struct sb_error *err);
/* step5_limits.c */
int sb_limits_apply(const struct sb_plan *p, const struct sb_job_limits *lim, struct sb_error *err);
/* A job's RLIMIT_AS: its memory limit on top of what it starts with mapped
 * (as_base), where that is the bound; a backstop where a memory cgroup is. */
uint64_t sb_limits_address_space(const struct sb_plan *p, uint64_t memory_bytes, uint64_t as_base);
/* Room the backstop leaves beyond the memory limit: reservations that are
 * not memory (thread stacks, libraries mapped by imports, and OpenBLAS's
 * buffers: about 70 MB of address space for every thread inside it at once,
 * retried forever when refused, so sixteen BLAS threads need over 1 GiB). */
#define SB_AS_BACKSTOP_BYTES (4ull << 30)
/* step6_seccomp.c: compiled at start-up, loaded last; returns the
 * notification listener fd */
int sb_seccomp_compile(struct sb_plan *p, struct sb_error *err);
int sb_seccomp_load(const struct sb_plan *p, struct sb_error *err);

/* The environment a job gets: an explicit allow-list, nothing inherited. */
extern char *const sb_job_environ[];
/* malloc arenas of a job's process (its GLIBC_TUNABLES, and mallopt in a
 * warm job): each arena past the first reserves 64 MB of address space. */
#define SB_JOB_MALLOC_ARENAS 1
