/* Memory and pids cgroups for jobs (cgroup.c says why and how).  The
 * version is chosen once, by sb_cgroup_prepare, and kept in the plan; every
 * function here goes through that version's table of operations
 * (cgroup_v1.c, cgroup_v2.c). */
#pragma once

#include <stdint.h>

#include "common/error.h"
#include "plan.h"
#include "runtime.h"

/* Set up the tree and choose the version (the main process, before the
 * spawner starts; v2 may move the calling process). */
int sb_cgroup_prepare(struct sb_plan *p, enum sb_cgroup_mode mode, struct sb_error *err);
/* "v2", "v1" or "none". */
const char *sb_cgroup_name(const struct sb_plan *p);
/* Open the slots' directories and event files (the supervisor). */
int sb_cgroup_open(const struct sb_plan *p, struct sb_runtime *rt, struct sb_error *err);
/* The slot's memory limit for the next job (the spawner, before the job's
 * first process exists). */
int sb_cgroup_limit(const struct sb_plan *p, struct sb_runtime *rt, unsigned slot, uint64_t memory_bytes,
                    struct sb_error *err);
/* The slot's cgroup a job's first process is born in (clone3 with
 * CLONE_INTO_CGROUP), or -1 where it joins it itself. */
int sb_cgroup_birth_fd(const struct sb_plan *p, const struct sb_slot_fds *slot);
/* Put the calling job process in its slot's cgroups (step 1). */
int sb_cgroup_enter(const struct sb_plan *p, const struct sb_slot_fds *slot, struct sb_error *err);
/* Remove the slots (the supervisor, at its end). */
void sb_cgroup_remove(const struct sb_plan *p);
