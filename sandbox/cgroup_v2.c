/* cgroup v2, where the service's own cgroup is delegated to it: D/service
 * holds the service's processes, D/job-N is slot N, each with memory and
 * pids (and cpu where offered) for the whole job.  A job's first process is
 * born in its slot's cgroup (clone3 with CLONE_INTO_CGROUP). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileio.h"
#include "cgroup_ops.h"

/* Enable memory and pids for D's children.  That needs D empty of
 * processes: move ourselves into a leaf, but only when we are all there is:
 * anyone else's processes are not ours to move. */
static int enable_controllers(int dir, const char *path, struct sb_error *err)
{
        char buf[4096];
        ssize_t n;
        int r;
        if ((n = sb_read_at(dir, "cgroup.subtree_control", buf, sizeof(buf))) < 0)
                return sb_fail(err, (int) -n, "read %s/cgroup.subtree_control", path);
        if (sb_cgroup_has_word(buf, "memory", " \n") && sb_cgroup_has_word(buf, "pids", " \n"))
                return 0;
        if ((n = sb_read_at(dir, "cgroup.procs", buf, sizeof(buf))) < 0)
                return sb_fail(err, (int) -n, "read %s/cgroup.procs", path);
        char self[24];
        snprintf(self, sizeof(self), "%d\n", (int) getpid());
        if (strcmp(buf, self) != 0)
                return sb_failx(err, EBUSY, "cgroup v2: %s holds other processes than this one; give the "
                                            "service a cgroup of its own (systemd: Delegate=yes)",
                                path);
        if (mkdirat(dir, "service", 0755) < 0 && errno != EEXIST)
                return sb_fail(err, errno, "mkdir %s/service", path);
        if ((r = sb_write_at(dir, "service/cgroup.procs", "0")) < 0)
                return sb_fail(err, -r, "move into %s/service", path);
        if ((r = sb_write_at(dir, "cgroup.subtree_control", "+memory +pids")) < 0)
                return sb_fail(err, -r, "enable memory and pids in %s", path);
        return 0;
}

static int prepare(struct sb_plan *p, struct sb_error *err)
{
        char buf[4096];
        ssize_t n;
        int r;

        if ((r = sb_cgroup_hierarchy_dir("", p->cgroup_dir, sizeof(p->cgroup_dir), err)) < 0)
                return r;
        if ((r = sb_cgroup_own_path("", buf, sizeof(buf))) == 0 && strcmp(buf, "/") == 0)
                return sb_failx(err, EPERM, "cgroup v2: the service runs in the root cgroup; give it one of its own "
                                            "(systemd: Delegate=yes)");
        _cleanup_close_ int dir = open(p->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return sb_fail(err, errno, "open %s", p->cgroup_dir);
        if ((n = sb_read_at(dir, "cgroup.controllers", buf, sizeof(buf))) < 0)
                return sb_fail(err, (int) -n, "read %s/cgroup.controllers", p->cgroup_dir);
        if (!sb_cgroup_has_word(buf, "memory", " \n") || !sb_cgroup_has_word(buf, "pids", " \n")) {
                buf[strcspn(buf, "\n")] = 0;
                return sb_failx(err, ENOTSUP, "cgroup v2: %s offers no memory and pids controllers (only: %.60s)",
                                p->cgroup_dir, buf[0] ? buf : "none");
        }
        if ((r = enable_controllers(dir, p->cgroup_dir, err)) < 0)
                return r;
        /* the cpu controller is a bonus: its absence changes no limit */
        if ((n = sb_read_at(dir, "cgroup.controllers", buf, sizeof(buf))) > 0 && sb_cgroup_has_word(buf, "cpu", " \n")) {
                if ((n = sb_read_at(dir, "cgroup.subtree_control", buf, sizeof(buf))) > 0 &&
                    (sb_cgroup_has_word(buf, "cpu", " \n") || sb_write_at(dir, "cgroup.subtree_control", "+cpu") == 0))
                        p->cgroup_cpu = true;
        }
        snprintf(p->cgroup_pids_dir, sizeof(p->cgroup_pids_dir), "%s", p->cgroup_dir);
        p->cgroup = SB_CGROUP_V2;
        return sb_cgroup_make_slots(p, dir, dir, "memory.swap.max", err);
}

static int open_slot(const struct sb_plan *p, unsigned slot, struct sb_slot_fds *fds, struct sb_error *err)
{
        int dir = fds->cgroup[SB_CG_MEMORY] = sb_cgroup_open_slot_dir(p->cgroup_dir, slot, err);
        if (dir < 0)
                return dir;
        if ((fds->events = openat(dir, "memory.events", O_RDONLY | O_CLOEXEC)) < 0)
                return sb_fail(err, errno, "open %s/job-%u/memory.events", p->cgroup_dir, slot);
        return 0;
}

static int limit(const struct sb_slot_fds *fds, const char *bytes)
{
        return sb_write_at(fds->cgroup[SB_CG_MEMORY], "memory.max", bytes);
}

/* Only where clone3 could not start the job in its cgroup. */
static int enter(const struct sb_plan *p, const struct sb_slot_fds *fds, struct sb_error *err)
{
        (void) p;
        int r = sb_write_at(fds->cgroup[SB_CG_MEMORY], "cgroup.procs", "0");
        return r < 0 ? sb_fail(err, -r, "join the job's memory cgroup") : 0;
}

static void remove_slots(const struct sb_plan *p)
{
        for (unsigned slot = 0; slot < p->slots; slot++) {
                char path[sizeof(p->cgroup_dir) + 32];
                snprintf(path, sizeof(path), "%s/job-%u", p->cgroup_dir, slot);
                rmdir(path);
        }
}

const struct sb_cgroup_ops sb_cgroup_v2_ops = {
        .prepare = prepare,
        .open = open_slot,
        .limit = limit,
        .enter = enter,
        .remove = remove_slots,
        .clone_into = true,
};
