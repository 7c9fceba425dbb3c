/* cgroup v1, on hybrid hosts where the memory and pids controllers are
 * mounted as v1 hierarchies (v1 has no delegation; root may make children
 * of its own cgroups, and there is no rule against processes in inner
 * nodes): M/sandrun-NS-PID/job-N and P/sandrun-NS-PID/job-N below our own memory
 * (M) and pids (P) cgroups, and the same below cpu where it is mounted, one
 * directory per running instance so several instances can share a cgroup.
 * A job's first process joins its slot's cgroups first thing. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileio.h"
#include "cgroup_ops.h"

/* Our instance's name: sandrun-NS-PID, NS our pid namespace's inode.  A pid
 * means something only in its own namespace, and a hierarchy may be shared
 * by services in several (a container's sandrun beside the host's): only
 * the names of our namespace can be checked for a living owner. */
static unsigned long own_pidns(void)
{
        struct stat st;
        return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long) st.st_ino : 0;
}

/* Remove what crashed instances of our pid namespace left (sandrun-NS-PID
 * of a dead PID), then make ours.  Another namespace's are never touched:
 * deleting a living instance's idle job cgroups would fail its every job. */
static int instance_dir(const char *parent, char *dir, size_t size, struct sb_error *err)
{
        _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return sb_fail(err, errno, "open %s", parent);
        unsigned long ns = own_pidns();
        DIR *d = fdopendir(dup(pfd));
        for (struct dirent *e; d && (e = readdir(d));) {
                int pid;
                unsigned long their_ns;
                char tail;
                if (sscanf(e->d_name, "sandrun-%lu-%d%c", &their_ns, &pid, &tail) != 2 || pid <= 0 ||
                    their_ns != ns || ns == 0)
                        continue;
                if (!(kill(pid, 0) < 0 && errno == ESRCH))
                        continue;       /* its owner still runs */
                _cleanup_close_ int old = openat(pfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *jd = old >= 0 ? fdopendir(dup(old)) : NULL;
                for (struct dirent *j; jd && (j = readdir(jd));)
                        if (strncmp(j->d_name, "job-", 4) == 0)
                                unlinkat(old, j->d_name, AT_REMOVEDIR);
                if (jd)
                        closedir(jd);
                unlinkat(pfd, e->d_name, AT_REMOVEDIR);
        }
        if (d)
                closedir(d);
        if (snprintf(dir, size, "%s/sandrun-%lu-%d", parent, ns, (int) getpid()) >= (int) size)
                return sb_failx(err, ENAMETOOLONG, "cgroup path too long");
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return sb_fail(err, errno, "mkdir %s", dir);
        return 0;
}

/* the cpu controller is a bonus: without it, nothing but fairness changes */
static void prepare_cpu(struct sb_plan *p)
{
        char cpu[PATH_MAX];
        struct sb_error ignored = { 0 };
        if (sb_cgroup_hierarchy_dir("cpu", cpu, sizeof(cpu), &ignored) < 0 || access(cpu, W_OK) < 0 ||
            instance_dir(cpu, p->cgroup_cpu_dir, sizeof(p->cgroup_cpu_dir), &ignored) < 0)
                return;
        bool ok = true;
        for (unsigned slot = 0; ok && slot < p->slots; slot++) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/job-%u", p->cgroup_cpu_dir, slot);
                ok = mkdir(path, 0755) == 0 || errno == EEXIST;
        }
        p->cgroup_cpu = ok;
        if (!ok)
                p->cgroup_cpu_dir[0] = 0;
}

static int prepare(struct sb_plan *p, struct sb_error *err)
{
        char mem[PATH_MAX], pids[PATH_MAX];
        int r;
        if ((r = sb_cgroup_hierarchy_dir("memory", mem, sizeof(mem), err)) < 0 ||
            (r = sb_cgroup_hierarchy_dir("pids", pids, sizeof(pids), err)) < 0)
                return r;
        if (access(mem, W_OK) < 0 || access(pids, W_OK) < 0)
                return sb_fail(err, errno, "cgroup v1: %s or %s is not writable", mem, pids);
        if ((r = instance_dir(mem, p->cgroup_dir, sizeof(p->cgroup_dir), err)) < 0 ||
            (r = instance_dir(pids, p->cgroup_pids_dir, sizeof(p->cgroup_pids_dir), err)) < 0)
                return r;
        _cleanup_close_ int mdir = open(p->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int pdir = open(p->cgroup_pids_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mdir < 0 || pdir < 0)
                return sb_fail(err, errno, "open the v1 cgroups");
        p->cgroup = SB_CGROUP_V1;
        if ((r = sb_cgroup_make_slots(p, mdir, pdir, "memory.swappiness", err)) < 0)
                return r;
        prepare_cpu(p);
        return 0;
}

static int open_slot(const struct sb_plan *p, unsigned slot, struct sb_slot_fds *fds, struct sb_error *err)
{
        int dir = fds->cgroup[SB_CG_MEMORY] = sb_cgroup_open_slot_dir(p->cgroup_dir, slot, err);
        if (dir < 0)
                return dir;
        if ((fds->events = openat(dir, "memory.oom_control", O_RDONLY | O_CLOEXEC)) < 0)
                return sb_fail(err, errno, "open %s/job-%u/memory.oom_control", p->cgroup_dir, slot);
        if ((fds->cgroup[SB_CG_PIDS] = sb_cgroup_open_slot_dir(p->cgroup_pids_dir, slot, err)) < 0)
                return fds->cgroup[SB_CG_PIDS];
        if (p->cgroup_cpu && (fds->cgroup[SB_CG_CPU] = sb_cgroup_open_slot_dir(p->cgroup_cpu_dir, slot, err)) < 0)
                return fds->cgroup[SB_CG_CPU];
        return 0;
}

static int limit(const struct sb_slot_fds *fds, const char *bytes)
{
        int mem = fds->cgroup[SB_CG_MEMORY];
        int r = sb_write_at(mem, "memory.limit_in_bytes", bytes);
        if (r == -EBUSY) {
                /* v1 refuses a limit below what earlier jobs of the slot left
                 * charged (page cache it could not reclaim at once); nobody is
                 * in the cgroup yet, so drop those charges and try again */
                (void) sb_write_at(mem, "memory.force_empty", "0");
                r = sb_write_at(mem, "memory.limit_in_bytes", bytes);
        }
        return r;
}

static int enter(const struct sb_plan *p, const struct sb_slot_fds *fds, struct sb_error *err)
{
        int r;
        /* "tasks", not "cgroup.procs".  Moving a whole thread group takes
         * the kernel's global threadgroup lock for writing, which waits for an
         * RCU grace period whenever the lock was idle: about 12 ms for every
         * job that comes after a quiet moment (measured: a 34 ms CPU-bound job
         * answered in 46).  This process is single-threaded, so moving the
         * calling thread moves all of it, and for itself the kernel takes no
         * such lock. */
        if ((r = sb_write_at(fds->cgroup[SB_CG_MEMORY], "tasks", "0")) < 0)
                return sb_fail(err, -r, "join the job's memory cgroup");
        if ((r = sb_write_at(fds->cgroup[SB_CG_PIDS], "tasks", "0")) < 0)
                return sb_fail(err, -r, "join the job's pids cgroup");
        if (p->cgroup_cpu && (r = sb_write_at(fds->cgroup[SB_CG_CPU], "tasks", "0")) < 0)
                return sb_fail(err, -r, "join the job's cpu cgroup");
        return 0;
}

static void remove_slots(const struct sb_plan *p)
{
        const char *dirs[3] = { p->cgroup_dir, p->cgroup_pids_dir, p->cgroup_cpu ? p->cgroup_cpu_dir : NULL };
        for (int i = 0; i < 3; i++) {
                if (!dirs[i])
                        continue;
                for (unsigned slot = 0; slot < p->slots; slot++) {
                        char path[PATH_MAX];
                        snprintf(path, sizeof(path), "%s/job-%u", dirs[i], slot);
                        rmdir(path);
                }
                rmdir(dirs[i]);
        }
}

const struct sb_cgroup_ops sb_cgroup_v1_ops = {
        .prepare = prepare,
        .open = open_slot,
        .limit = limit,
        .enter = enter,
        .remove = remove_slots,
        .clone_into = false,
};
