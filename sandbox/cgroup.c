/* Memory and pids cgroups for jobs.
 *
 * rlimits are per process: RLIMIT_AS bounds what one process maps, so a job
 * of max_processes processes could hold max_processes times its memory
 * limit, and nothing of what a job holds in the kernel (socket and pipe
 * buffers, page tables, tmpfs and page-cache pages) is counted at all.  A
 * memory cgroup counts all of it for the whole job, and records an OOM kill
 * ("oom_kill N" in memory.events, or in v1's memory.oom_control) so the
 * answer can say so instead of guessing from a SIGKILL.  A pids cgroup counts
 * every task of the job whatever its uid.  Where the cpu controller is there
 * too, each slot's cgroup has the same weight: the scheduler shares the CPU
 * between jobs, not between processes, so a job of sixty-four busy processes
 * gets no more of it than a job of one.
 *
 * cgroup v2 first, where the service's own cgroup is delegated to it (its
 * "0::" line in /proc/self/cgroup, with memory and pids offered), laid out as
 *   D/service   the service's own processes: once D enables controllers for
 *               its children, v2 allows processes only in leaves
 *   D/job-N     execution slot N
 * Else cgroup v1, on hybrid hosts where the memory and pids controllers are
 * mounted as v1 hierarchies (v1 has no delegation; root may make children of
 * its own cgroups, and there is no rule against processes in inner nodes):
 *   M/sandrun-NS-PID/job-N and P/sandrun-NS-PID/job-N, below our own memory (M)
 *   and pids (P) cgroups, one directory per running instance so several
 *   instances can share a cgroup.
 * Else none: the rlimits and the other bounds of docs/security.md hold alone,
 * and /health and the start-up log say so and why.
 *
 * pids.max is fixed at start-up; the memory limit is written by the spawner
 * before each job (the request's limit varies).  A v2 job's first process is
 * born in its slot's cgroup (clone3 with CLONE_INTO_CGROUP); a v1 job's
 * joins its slot's cgroups first thing.
 * sb_cgroup_prepare runs in the main process before anything else starts (v2
 * may move that process); sb_cgroup_open in the supervisor, which keeps each
 * slot's directory and event fds for the jobs (runtime.h); sb_cgroup_remove
 * when the supervisor ends.
 *
 * This file holds what both versions share (the hierarchy lookup, the
 * slots' pids limit) and the choice of the version; each version is a table
 * of operations in its own file, cgroup_v2.c and cgroup_v1.c, and nothing
 * else asks which version is in use. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileio.h"
#include "cgroup.h"
#include "cgroup_ops.h"

/* room the kernel needs beside the job's own pages (page tables, socket buffers) */
#define KERNEL_SLACK_BYTES (16ull << 20)

/* Is WORD one of the words of LIST, separated by any of SEPS? */
bool sb_cgroup_has_word(const char *list, const char *word, const char *seps)
{
        size_t n = strlen(word);
        for (const char *s = list; (s = strstr(s, word)); s += n)
                if ((s == list || strchr(seps, s[-1])) && (s[n] == 0 || strchr(seps, s[n])))
                        return true;
        return false;
}

/* Our path in the hierarchy that has CONTROLLER ("" for v2's "0::" line). */
int sb_cgroup_own_path(const char *controller, char *rel, size_t size)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;
        char line[PATH_MAX + 64];
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = 0;
                /* ID:CONTROLLERS:PATH */
                char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
                if (!p)
                        continue;
                *c = *p = 0;
                const char *controllers = c + 1;
                bool match = controller[0] ? sb_cgroup_has_word(controllers, controller, ",")
                                           : strcmp(line, "0") == 0 && !controllers[0];
                if (!match)
                        continue;
                if (strlen(p + 1) >= size)
                        return -ENAMETOOLONG;
                memcpy(rel, p + 1, strlen(p + 1) + 1);
                return 0;
        }
        return -ENOENT;
}

/* Where the hierarchy is mounted: cgroup2, or a v1 one with CONTROLLER. */
static int mount_point(const char *controller, char *point, size_t size)
{
        _cleanup_fclose_ FILE *m = fopen("/proc/self/mountinfo", "re");
        if (!m)
                return -errno;
        char line[4096];
        while (fgets(line, sizeof(line), m)) {
                /* id parent dev root mountpoint options... - fstype source superoptions */
                char root[1024], mnt[1024], fstype[64], source[256], super[512];
                const char *sep = strstr(line, " - ");
                if (!sep || sscanf(sep + 3, "%63s %255s %511s", fstype, source, super) != 3)
                        continue;
                bool match = controller[0] ? strcmp(fstype, "cgroup") == 0 && sb_cgroup_has_word(super, controller, ",")
                                           : strcmp(fstype, "cgroup2") == 0;
                if (!match || sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2 || strcmp(root, "/") != 0)
                        continue;
                if (strlen(mnt) >= size)
                        return -ENAMETOOLONG;
                memcpy(point, mnt, strlen(mnt) + 1);
                return 0;
        }
        return -ENOENT;
}

int sb_cgroup_hierarchy_dir(const char *controller, char *dir, size_t size, struct sb_error *err)
{
        char rel[PATH_MAX], point[1024];
        const char *what = controller[0] ? controller : "cgroup2";
        int r;
        if ((r = sb_cgroup_own_path(controller, rel, sizeof(rel))) < 0)
                return sb_fail(err, -r, "no %s hierarchy in /proc/self/cgroup", what);
        if ((r = mount_point(controller, point, sizeof(point))) < 0)
                return sb_fail(err, -r, "no %s hierarchy mounted", what);
        if (snprintf(dir, size, "%s%s", point, strcmp(rel, "/") == 0 ? "" : rel) >= (int) size)
                return sb_failx(err, ENAMETOOLONG, "cgroup path too long");
        return 0;
}

/* pids.max for every slot, and the memory side's swap setting
 * (no_swap_file: v2's memory.swap.max, v1's memory.swappiness). */
int sb_cgroup_make_slots(const struct sb_plan *p, int mem_dir, int pids_dir, const char *no_swap_file,
                         struct sb_error *err)
{
        char pids_max[24], name[32], path[64], buf[256];
        ssize_t n;
        int r;
        /* every task of the job: its processes and threads, and its init */
        snprintf(pids_max, sizeof(pids_max), "%u", p->max_processes + 1);
        for (unsigned slot = 0; slot < p->slots; slot++) {
                snprintf(name, sizeof(name), "job-%u", slot);
                int dirs[2] = { mem_dir, pids_dir };
                for (int i = 0; i < 2; i++) {
                        if (dirs[i] < 0 || (i == 1 && pids_dir == mem_dir))
                                continue;
                        if (mkdirat(dirs[i], name, 0755) < 0) {
                                if (errno != EEXIST)
                                        return sb_fail(err, errno, "mkdir cgroup %s", name);
                                /* left by an earlier run of ours; in use? */
                                snprintf(path, sizeof(path), "%s/cgroup.procs", name);
                                if ((n = sb_read_at(dirs[i], path, buf, sizeof(buf))) < 0)
                                        return sb_fail(err, (int) -n, "read cgroup %s", path);
                                if (n > 0)
                                        return sb_failx(err, EBUSY, "cgroup %s has processes: another sandrun uses it",
                                                        name);
                        }
                }
                snprintf(path, sizeof(path), "%s/pids.max", name);
                if ((r = sb_write_at(pids_dir, path, pids_max)) < 0)
                        return sb_fail(err, -r, "write cgroup %s", path);
                /* a job's memory is memory, never the host's swap */
                snprintf(path, sizeof(path), "%s/%s", name, no_swap_file);
                if ((r = sb_write_at(mem_dir, path, "0")) < 0 && r != -ENOENT)
                        return sb_fail(err, -r, "write cgroup %s", path);
        }
        return 0;
}

int sb_cgroup_open_slot_dir(const char *parent, unsigned slot, struct sb_error *err)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/job-%u", parent, slot);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 ? fd : sb_fail(err, errno, "open %s", path);
}

/* The one place that asks which version is in use. */
static const struct sb_cgroup_ops *ops(const struct sb_plan *p)
{
        static const struct sb_cgroup_ops *const versions[] = {
                [SB_CGROUP_V1] = &sb_cgroup_v1_ops,
                [SB_CGROUP_V2] = &sb_cgroup_v2_ops,
        };
        return (unsigned) p->cgroup < ELEMENTSOF(versions) ? versions[p->cgroup] : NULL;
}

static void forget(struct sb_plan *p)
{
        p->cgroup = SB_CGROUP_NONE;
        p->cgroup_dir[0] = p->cgroup_pids_dir[0] = p->cgroup_cpu_dir[0] = 0;
        p->cgroup_cpu = false;
}

int sb_cgroup_prepare(struct sb_plan *p, enum sb_cgroup_mode mode, struct sb_error *err)
{
        forget(p);
        p->cgroup_why[0] = 0;
        if (mode == SB_CGROUP_OFF) {
                snprintf(p->cgroup_why, sizeof(p->cgroup_why), "off by the cgroup setting");
                return 0;
        }
        struct sb_error why2 = { 0 }, why1 = { 0 };
        if (sb_cgroup_v2_ops.prepare(p, &why2) == 0)
                return 0;
        /* v2 was ours but its slots failed: no fallback into a mixed state */
        if (p->cgroup == SB_CGROUP_NONE && sb_cgroup_v1_ops.prepare(p, &why1) == 0)
                return 0;
        forget(p);
        snprintf(p->cgroup_why, sizeof(p->cgroup_why), "%.140s; %.140s", why2.msg,
                 why1.msg[0] ? why1.msg : "no v1 fallback");
        if (mode == SB_CGROUP_ON)
                return sb_failx(err, ENOTSUP, "cgroup is on but cannot be used: %s", p->cgroup_why);
        return 0;
}

const char *sb_cgroup_name(const struct sb_plan *p)
{
        static const char *const names[] = { [SB_CGROUP_NONE] = "none", [SB_CGROUP_V1] = "v1", [SB_CGROUP_V2] = "v2" };
        return (unsigned) p->cgroup < ELEMENTSOF(names) ? names[p->cgroup] : "none";
}

int sb_cgroup_open(const struct sb_plan *p, struct sb_runtime *rt, struct sb_error *err)
{
        int r;
        for (unsigned slot = 0; ops(p) && slot < rt->slots; slot++)
                if ((r = ops(p)->open(p, slot, &rt->slot[slot], err)) < 0)
                        return r;
        return 0;
}

/* The slot's memory limit for the next job, written by the spawner before
 * the job's first process exists (it may be born in the cgroup). */
int sb_cgroup_limit(const struct sb_plan *p, struct sb_runtime *rt, unsigned slot, uint64_t memory_bytes,
                    struct sb_error *err)
{
        char max[24];
        if (!ops(p))
                return 0;
        /* the request's limit for the whole job, however many processes
         * it makes, its files in /tmp (memory too) included, and the
         * kernel's share */
        uint64_t bytes = memory_bytes + KERNEL_SLACK_BYTES;
        /* most requests ask the same limit as the slot's last one */
        if (rt->memory_limit[slot] == bytes)
                return 0;
        snprintf(max, sizeof(max), "%llu", (unsigned long long) bytes);
        int r = ops(p)->limit(&rt->slot[slot], max);
        if (r < 0) {
                rt->memory_limit[slot] = 0;
                return sb_fail(err, -r, "set the job's memory limit");
        }
        rt->memory_limit[slot] = bytes;
        return 0;
}

int sb_cgroup_birth_fd(const struct sb_plan *p, const struct sb_slot_fds *slot)
{
        return ops(p) && ops(p)->clone_into ? slot->cgroup[SB_CG_MEMORY] : -1;
}

/* The job's first process joins its slot's cgroups (when it was not born
 * there). */
int sb_cgroup_enter(const struct sb_plan *p, const struct sb_slot_fds *slot, struct sb_error *err)
{
        return ops(p) ? ops(p)->enter(p, slot, err) : 0;
}

void sb_cgroup_remove(const struct sb_plan *p)
{
        /* every job is gone by now; a cgroup still busy simply stays */
        if (ops(p))
                ops(p)->remove(p);
}
