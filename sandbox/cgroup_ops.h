/* What differs between cgroup v1 and v2: one table of operations each
 * (cgroup_v1.c, cgroup_v2.c), chosen once by the plan's version
 * (cgroup.c), and the parts of the hierarchy lookup both share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "plan.h"
#include "runtime.h"

struct sb_cgroup_ops {
        /* Set up the slots and fill the plan's cgroup fields.  Sets
         * p->cgroup to its version once the version is committed to (after
         * that, a failure leaves no fallback). */
        int (*prepare)(struct sb_plan *p, struct sb_error *err);
        /* Open one slot's directories and its events file. */
        int (*open)(const struct sb_plan *p, unsigned slot, struct sb_slot_fds *fds, struct sb_error *err);
        /* Write the slot's memory limit (a decimal number of bytes). */
        int (*limit)(const struct sb_slot_fds *fds, const char *bytes);
        /* Move the calling process into the slot's cgroups. */
        int (*enter)(const struct sb_plan *p, const struct sb_slot_fds *fds, struct sb_error *err);
        void (*remove)(const struct sb_plan *p);
        /* a job's first process can be born in its slot's cgroup */
        bool clone_into;
};

extern const struct sb_cgroup_ops sb_cgroup_v1_ops, sb_cgroup_v2_ops;

/* shared by both versions (cgroup.c) */
bool sb_cgroup_has_word(const char *list, const char *word, const char *seps);
int sb_cgroup_own_path(const char *controller, char *rel, size_t size);
int sb_cgroup_hierarchy_dir(const char *controller, char *dir, size_t size, struct sb_error *err);
int sb_cgroup_make_slots(const struct sb_plan *p, int mem_dir, int pids_dir, const char *no_swap_file,
                         struct sb_error *err);
int sb_cgroup_open_slot_dir(const char *parent, unsigned slot, struct sb_error *err);
