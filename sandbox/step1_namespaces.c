/* Step 1: the job's process starts life in its own namespaces.
 *
 * clone() with the namespace flags rather than unshare() + fork(): the child
 * is at once pid 1 of a new pid namespace, so when it dies the kernel kills
 * every process the script started (double forks, setsid, stopped processes
 * included) and reaps them before our wait4() returns.  It shares the
 * spawner's memory until it executes sandrun-init (see spawner.c), so
 * starting it copies no page table; the spawner is single-threaded and
 * waits meanwhile, so no lock is held by anyone else. */
#include <fcntl.h>
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* The first process of a job runs on this stack, in the spawner's memory,
 * while the spawner waits (CLONE_VFORK): one job at a time uses it. */
static char job_stack[256 * 1024] __attribute__((aligned(64)));

pid_t sb_clone_job(int (*fn)(void *), void *arg, bool new_net, int cgroup_fd, bool *in_cgroup)
{
        /* the cgroup namespace comes later: its root is the cgroup the job
         * is in when it is made (sb_job_cgroup_join) */
        const int flags = CLONE_VM | CLONE_VFORK | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                          (new_net ? CLONE_NEWNET : 0);
#if defined(__x86_64__)
        /* cgroup v2: born in the slot's cgroup (Linux 5.7), where moving it
         * there would take the kernel's global threadgroup lock for writing,
         * and wait for an RCU grace period whenever it was idle */
        if (cgroup_fd >= 0) {
                /* static, not on our stack: the runner comes back to the
                 * spawner's stack by longjmp over this frame (spawner.c), and
                 * a sanitizer build would find the frame's poisoned edges there */
                static struct clone_args ca;
                ca = (struct clone_args) {
                        .flags = (uint64_t) flags | CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .stack = (uint64_t) (uintptr_t) job_stack,
                        .stack_size = sizeof(job_stack),
                        .cgroup = (uint64_t) cgroup_fd,
                };
                *in_cgroup = true;     /* the child reads it: it runs before we return */
                pid_t pid = sb_clone3(&ca, sizeof(ca), fn, arg);
                if (pid >= 0)
                        return pid;
                *in_cgroup = false;
                if (pid != -ENOSYS && pid != -E2BIG && pid != -EINVAL) {
                        errno = -pid;
                        return -1;
                }
        }
#else
        (void) cgroup_fd;
#endif
        *in_cgroup = false;
        return clone(fn, job_stack + sizeof(job_stack), flags | SIGCHLD, arg);
}

void sb_job_stack(void **stack, size_t *size)
{
        *stack = job_stack;
        *size = sizeof(job_stack);
}

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

int sb_netns_join(int fd, struct sb_error *err)
{
        if (setns(fd, CLONE_NEWNET) < 0)
                return sb_fail(err, errno, "join the slot's net namespace");
        return 0;
}

/* The job's first process moves into its slot's cgroup before it starts
 * anything (its children are born there), hands the cgroup's memory.events to
 * its init, and only then makes its cgroup namespace, so the job sees its own
 * cgroup as "/" and nothing of the host's tree. */
int sb_job_cgroup_join(const struct sb_policy *p, const struct sb_job_limits *lim, struct sb_error *err)
{
        int r;
        if (p->cgroup) {
                if (!lim->in_cgroup && (r = sb_cgroup_enter(p, lim, err)) < 0)
                        return r;
                if (dup3(p->cgroup_events_fd[lim->slot], SB_EVENTS_FD, 0) < 0)
                        return sb_fail(err, errno, "keep memory.events");
        }
        if (unshare(CLONE_NEWCGROUP) < 0)
                return sb_fail(err, errno, "unshare(CLONE_NEWCGROUP)");
        return 0;
}
