/* What a slot keeps for all of its jobs, made once by the supervisor at
 * start-up: the job's root, as a mount namespace of its own, and an IPC
 * namespace with its limits written.
 *
 * A job used to build its root at every start: a copy of the service's mount
 * tree with the clone, a tmpfs, a dozen read-only binds, /etc and /dev
 * files, pivot_root, and the detach of the copied host tree, then all of it
 * again at its exit.  That is about 0.6 ms of a job's CPU, and a fresh IPC
 * namespace with its limits written through /proc adds 0.1 ms.  A slot runs
 * one job at a time (waiting or running), so the part of the root that is
 * the same for every job of the slot is built once, here, and each job
 * enters it and takes a private copy of its mount tree (step1_namespaces.c),
 * on which it mounts its own /proc and /tmp (step3_mounts.c).
 *
 * Why a job can carry nothing to the next job of its slot through them:
 * - The root is read-only at the superblock (its tmpfs and /dev's), not only
 *   at the mount, and every bind is read-only at the mount: nobody, root
 *   included, can write through any mount of them.  A job has no capability
 *   and the seccomp filter refuses every mount call, so it cannot change a
 *   mount's flags, and what it mounts (nothing, then) would land in its own
 *   copy: the template's mounts are private, nothing propagates.
 * - The IPC namespace keeps System V objects past their creator, so each
 *   job's first process removes whatever is left before it runs anything
 *   (ipcns_sweep, step1_namespaces.c), and shm_rmid_forced destroys a segment as soon as no
 *   process has it attached.  POSIX message queues cannot be made at all
 *   (queues_max 0 here, and the filter refuses mq_open).  What a job could
 *   still learn from the namespace is the sequence numbers of the object ids,
 *   that is how many objects the slot's earlier jobs made: only what an
 *   earlier job chose to tell, which it could tell as well by the timing of
 *   its work.
 *
 * Binds keep the host's files live (a package upgrade shows), but a file
 * bind (ld.so.cache, the alternatives) keeps the inode it found at start-up:
 * after an upgrade the service is restarted anyway, the zygote's
 * interpreter being the old one too (docs/operations.md). */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileio.h"
#include "enter.h"
#include "runtime.h"

/* The child that builds them, in namespaces of its own, tells how it went
 * on `report` (an sb_error) and waits for the end of `hold`, so the
 * supervisor can open its namespaces before they lose their last process. */
static void __attribute__((noreturn)) builder(const struct sb_plan *p, unsigned slot, int report, int hold)
{
        struct sb_error err = { 0 };
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
                sb_fail(&err, errno, "unshare(CLONE_NEWNS | CLONE_NEWIPC)");
        else
                sb_root_template_build(p, p->uid_base + slot, &err);
        (void) !sb_write_all(report, &err, sizeof(err));
        char c;
        while (read(hold, &c, 1) < 0 && errno == EINTR)
                ;
        _exit(err.code ? 1 : 0);
}

static int open_ns(pid_t pid, const char *name, struct sb_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) pid, name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return sb_fail(err, errno, "open %s", path);
        return fd;
}

int sb_slot_ns_create(const struct sb_plan *p, unsigned slot, struct sb_slot_fds *fds, struct sb_error *err)
{
        int report[2], hold[2];
        if (pipe2(report, O_CLOEXEC) < 0)
                return sb_fail(err, errno, "pipe");
        if (pipe2(hold, O_CLOEXEC) < 0) {
                int e = errno;
                close(report[0]);
                close(report[1]);
                return sb_fail(err, e, "pipe");
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(report[0]);
                close(hold[1]);
                builder(p, slot, report[1], hold[0]);
        }
        int e = errno;
        close(report[1]);
        close(hold[0]);
        _cleanup_close_ int from = report[0];
        _cleanup_close_ int to = hold[1];
        if (pid < 0)
                return sb_fail(err, e, "fork the builder of slot %u's root", slot);

        struct sb_error child = { 0 };
        ssize_t n;
        while ((n = read(from, &child, sizeof(child))) < 0 && errno == EINTR)
                ;
        int r = 0;
        if (n != (ssize_t) sizeof(child))
                r = sb_failx(err, EIO, "the builder of slot %u's root died", slot);
        else if (child.code)
                r = sb_failx(err, -child.code, "slot %u's root: %.200s", slot, child.msg);
        if (r == 0 && (fds->mntns = open_ns(pid, "mnt", err)) < 0)
                r = fds->mntns;
        if (r == 0 && (fds->ipcns = open_ns(pid, "ipc", err)) < 0) {
                r = fds->ipcns;
                close(fds->mntns);
                fds->mntns = -1;
        }
        close(to);
        to = -1;
        if (r < 0)
                kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        return r;
}
