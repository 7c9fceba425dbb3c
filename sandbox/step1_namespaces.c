/* Step 1: the job's process starts life in its own namespaces.
 *
 * The clone itself (new pid and uts namespaces, and net where a slot has
 * none of its own) is clone_job.c's.  Here the job's first process joins its
 * slot's net and IPC namespaces (emptying the latter), takes a private copy
 * of its slot's root (slot_ns.c), starts from a clean signal state, joins
 * its slot's cgroups and makes its cgroup namespace. */
#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
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
 * (The slot's IPC namespace is reused too, emptied first: see below.) */
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

/* System V objects outlive their processes: whatever the slot's last job
 * left (it is gone whole: its init, the last of it, has been reaped) is
 * removed before this job runs anything.  The *_STAT calls walk the
 * namespace's entries by index; the *_INFO counts must then say none is
 * left, or the job does not start.  (Segments are gone already where no
 * process has them attached: shm_rmid_forced, slot_ns.c.) */
enum { IPC_SHM, IPC_SEM, IPC_MSG, IPC_KINDS };

static int ipc_ctl(int kind, int id, int cmd, void *buf)
{
        union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; } arg;
        switch (kind) {
        case IPC_SHM:
                return shmctl(id, cmd, buf);
        case IPC_SEM:
                arg.buf = buf;
                return semctl(id, 0, cmd, arg);
        default:
                return msgctl(id, cmd, buf);
        }
}

static int ipcns_sweep(struct sb_error *err)
{
        static const struct { int info, stat; const char *what; } kinds[IPC_KINDS] = {
                [IPC_SHM] = { SHM_INFO, SHM_STAT, "shared memory segments" },
                [IPC_SEM] = { SEM_INFO, SEM_STAT, "semaphore sets" },
                [IPC_MSG] = { MSG_INFO, MSG_STAT, "message queues" },
        };
        for (int k = 0; k < IPC_KINDS; k++) {
                union { struct shm_info shm; struct seminfo sem; struct msginfo msg; } info;
                union { struct shmid_ds shm; struct semid_ds sem; struct msqid_ds msg; } ds;
                /* *_INFO returns the highest index in use (0 when none) */
                int top = ipc_ctl(k, 0, kinds[k].info, &info);
                for (int i = 0; i <= top; i++) {
                        int id = ipc_ctl(k, i, kinds[k].stat, &ds);
                        if (id >= 0)
                                ipc_ctl(k, id, IPC_RMID, NULL);
                }
                if (ipc_ctl(k, 0, kinds[k].info, &info) < 0)
                        return sb_fail(err, errno, "count the slot's %s", kinds[k].what);
                int left = k == IPC_SHM ? info.shm.used_ids : k == IPC_SEM ? info.sem.semusz : info.msg.msgpool;
                if (left)
                        return sb_failx(err, EBUSY, "the slot's IPC namespace still holds %d %s", left,
                                        kinds[k].what);
        }
        return 0;
}

/* The slot's IPC namespace, emptied; then its root, in a mount namespace of
 * the job's own: setns makes the slot's root ours (and our cwd its "/"), the
 * unshare copies its mount tree, so what the job mounts (its /proc and
 * /tmp, step 3) is its own and the slot's stays as it was built.  Nothing is
 * mounted between the two. */
int sb_slot_ns_join(const struct sb_slot_fds *slot, struct sb_error *err)
{
        int r;
        if (setns(slot->ipcns, CLONE_NEWIPC) < 0)
                return sb_fail(err, errno, "join the slot's IPC namespace");
        if ((r = ipcns_sweep(err)) < 0)
                return r;
        if (setns(slot->mntns, CLONE_NEWNS) < 0)
                return sb_fail(err, errno, "enter the slot's root");
        if (unshare(CLONE_NEWNS) < 0)
                return sb_fail(err, errno, "unshare(CLONE_NEWNS)");
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
