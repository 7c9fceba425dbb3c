/* What crosses the zygote's exec (handover.c): the plan as one block, and
 * the numbers of the fds the supervisor keeps open for every zygote. */
#pragma once

#include <sys/types.h>

#include "plan.h"
#include "runtime.h"

/* The supervisor: write the state into a memfd on SB_ZYGOTE_STATE_FD and
 * keep the fds it names open across exec.  0 or -1. */
int sb_handover_write(const struct sb_plan *p, const struct sb_runtime *rt, int ctl, pid_t supervisor);
/* A child of the supervisor: execute the zygote (our own program, from
 * SB_ZYGOTE_EXE_FD) with what sb_handover_write prepared. */
void sb_handover_exec(void) __attribute__((noreturn));
/* The zygote: read the state back (a new runtime, with no limit known),
 * or exit. */
void sb_handover_read(struct sb_plan *p, struct sb_runtime *rt, int *ctl, pid_t *supervisor);
