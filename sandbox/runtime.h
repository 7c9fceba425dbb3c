/* The runtime: what is opened for the plan, and what changes while the
 * spawner runs.  The plan (plan.h) is immutable and free of pointers; the
 * slots' fds and the cache of what their cgroups hold live here, opened by
 * the supervisor (sb_runtime_open) and handed to every zygote across its
 * exec as fd numbers (handover.c). */
#pragma once

#include <stdint.h>

#include "common/error.h"
#include "plan.h"

/* A slot's cgroup directories: v2 has one (SB_CG_MEMORY holds every
 * controller); v1 one per hierarchy, cpu only where it is used. */
enum { SB_CG_MEMORY, SB_CG_PIDS, SB_CG_CPU, SB_CG_DIRS };

/* What one execution slot has open, -1 where it has nothing. */
struct sb_slot_fds {
        int netns;                   /* the slot's net namespace, else a fresh one per job */
        int mntns;                   /* the slot's root, in a mount namespace each job copies (slot_ns.c) */
        int ipcns;                   /* the slot's IPC namespace */
        int cgroup[SB_CG_DIRS];      /* the slot's cgroup directories */
        int events;                  /* memory.events (v1: memory.oom_control), for the job's init */
};

struct sb_runtime {
        unsigned slots;
        struct sb_slot_fds *slot;    /* per slot */
        uint64_t *memory_limit;      /* per slot: the cgroup memory limit this process last wrote */
};

/* Room for the plan's slots, every fd -1, no limit known. */
int sb_runtime_init(struct sb_runtime *rt, unsigned slots, struct sb_error *err);
/* The supervisor: open the slots' cgroups and make their net namespaces
 * (without them, each job makes a fresh one), roots and IPC namespaces. */
int sb_runtime_open(const struct sb_plan *p, struct sb_runtime *rt, struct sb_error *err);
/* slot_ns.c: a slot's root and IPC namespace, into fds->mntns and ipcns */
int sb_slot_ns_create(const struct sb_plan *p, unsigned slot, struct sb_slot_fds *fds, struct sb_error *err);
