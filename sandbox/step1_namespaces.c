/* Step 1: the job's process starts life in its own namespaces.
 *
 * The clone itself (new pid, mount, ipc and uts namespaces, and net where a
 * slot has none of its own) is clone_job.c's.  Here the job's first process
 * joins its slot's net namespace, starts from a clean signal state, joins
 * its slot's cgroups and makes its cgroup namespace. */
#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "cgroup.h"
#include "enter.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* A network namespace per execution slot, made once at start-up and joined
 * by each job of the slot.  Making one costs about 0.4 ms and its teardown
 * more in the background; joining costs microseconds.  The isolation is the
 * same as a fresh one: a slot runs one job at a time, an unprivileged job
 * cannot configure anything in it (no interface but a loopback it cannot
 * bring up, no routes, no sysctls), and its sockets die with its processes.
 * (IPC namespaces are not reused: System V objects outlive processes.) */
int sb_netns_create(struct sb_error *err)
{
        int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return sb_fail(err, errno, "open /proc/self/ns/net");
        int fd = -1;
        if (unshare(CLONE_NEWNET) < 0) {
                sb_fail(err, errno, "unshare(CLONE_NEWNET)");
        } else {
                fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        sb_fail(err, errno, "open new net namespace");
                if (setns(self, CLONE_NEWNET) < 0) {
                        /* the caller must never stay in the empty namespace */
                        sb_fail(err, errno, "return to the host's net namespace");
                        if (fd >= 0)
                                close(fd);
                        fd = -1;
                }
        }
        close(self);
        return fd >= 0 ? fd : err->code;
}

int sb_netns_join(const struct sb_slot_fds *slot, struct sb_error *err)
{
        /* without one, the clone made the job a fresh namespace */
        if (slot->netns >= 0 && setns(slot->netns, CLONE_NEWNET) < 0)
                return sb_fail(err, errno, "join the slot's net namespace");
        return 0;
}

/* The spawner may have blocked or ignored signals; the job starts clean. */
int sb_signals_reset(struct sb_error *err)
{
        (void) err;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        return 0;
}

/* The job's first process moves into its slot's cgroup before it starts
 * anything (its children are born there), hands the cgroup's memory.events to
 * its init, and only then makes its cgroup namespace, so the job sees its own
 * cgroup as "/" and nothing of the host's tree. */
int sb_job_cgroup_join(const struct sb_plan *p, const struct sb_slot_fds *slot, const struct sb_job_limits *lim,
                       struct sb_error *err)
{
        int r;
        if (p->cgroup) {
                if (!lim->in_cgroup && (r = sb_cgroup_enter(p, slot, err)) < 0)
                        return r;
                if (dup3(slot->events, SB_EVENTS_FD, 0) < 0)
                        return sb_fail(err, errno, "keep memory.events");
        }
        if (unshare(CLONE_NEWCGROUP) < 0)
                return sb_fail(err, errno, "unshare(CLONE_NEWCGROUP)");
        return 0;
}
