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
 *   M/sandrun-PID/job-N and P/sandrun-PID/job-N, below our own memory (M)
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
 * may move that process); sb_cgroup_open in the spawner, which keeps each
 * slot's directory and event fds for the jobs; sb_cgroup_remove when the
 * spawner ends. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "policy.h"

/* room the kernel needs beside what the rlimits already bound */
#define KERNEL_SLACK_BYTES (16ull << 20)

static ssize_t read_at(int dir, const char *name, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return n;
}

static int write_at(int dir, const char *name, const char *value)
{
        _cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t n = strlen(value);
        ssize_t w = write(fd, value, n);
        if (w < 0)
                return -errno;
        return (size_t) w == n ? 0 : -EIO;
}

/* Is WORD one of the words of LIST, separated by any of SEPS? */
static bool has_word(const char *list, const char *word, const char *seps)
{
        size_t n = strlen(word);
        for (const char *s = list; (s = strstr(s, word)); s += n)
                if ((s == list || strchr(seps, s[-1])) && (s[n] == 0 || strchr(seps, s[n])))
                        return true;
        return false;
}

/* Our path in the hierarchy that has CONTROLLER ("" for v2's "0::" line). */
static int own_path(const char *controller, char *rel, size_t size)
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
                bool match = controller[0] ? has_word(controllers, controller, ",")
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
                bool match = controller[0] ? strcmp(fstype, "cgroup") == 0 && has_word(super, controller, ",")
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

static int hierarchy_dir(const char *controller, char *dir, size_t size, struct sb_error *err)
{
        char rel[PATH_MAX], point[1024];
        const char *what = controller[0] ? controller : "cgroup2";
        int r;
        if ((r = own_path(controller, rel, sizeof(rel))) < 0)
                return sb_fail(err, -r, "no %s hierarchy in /proc/self/cgroup", what);
        if ((r = mount_point(controller, point, sizeof(point))) < 0)
                return sb_fail(err, -r, "no %s hierarchy mounted", what);
        if (snprintf(dir, size, "%s%s", point, strcmp(rel, "/") == 0 ? "" : rel) >= (int) size)
                return sb_failx(err, ENAMETOOLONG, "cgroup path too long");
        return 0;
}

/* pids.max for every slot, and for v1 the memory side's swap setting. */
static int make_slots(const struct sb_policy *p, int mem_dir, int pids_dir, struct sb_error *err)
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
                                if ((n = read_at(dirs[i], path, buf, sizeof(buf))) < 0)
                                        return sb_fail(err, (int) -n, "read cgroup %s", path);
                                if (n > 0)
                                        return sb_failx(err, EBUSY, "cgroup %s has processes: another sandrun uses it",
                                                        name);
                        }
                }
                snprintf(path, sizeof(path), "%s/pids.max", name);
                if ((r = write_at(pids_dir, path, pids_max)) < 0)
                        return sb_fail(err, -r, "write cgroup %s", path);
                /* a job's memory is memory, never the host's swap */
                snprintf(path, sizeof(path), "%s/%s", name, p->cgroup == 2 ? "memory.swap.max" : "memory.swappiness");
                if ((r = write_at(mem_dir, path, "0")) < 0 && r != -ENOENT)
                        return sb_fail(err, -r, "write cgroup %s", path);
        }
        return 0;
}

static int setup_v2(struct sb_policy *p, struct sb_error *err)
{
        char buf[4096];
        ssize_t n;
        int r;

        if ((r = hierarchy_dir("", p->cgroup_dir, sizeof(p->cgroup_dir), err)) < 0)
                return r;
        if ((r = own_path("", buf, sizeof(buf))) == 0 && strcmp(buf, "/") == 0)
                return sb_failx(err, EPERM, "cgroup v2: the service runs in the root cgroup; give it one of its own "
                                            "(systemd: Delegate=yes)");
        _cleanup_close_ int dir = open(p->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return sb_fail(err, errno, "open %s", p->cgroup_dir);
        if ((n = read_at(dir, "cgroup.controllers", buf, sizeof(buf))) < 0)
                return sb_fail(err, (int) -n, "read %s/cgroup.controllers", p->cgroup_dir);
        if (!has_word(buf, "memory", " \n") || !has_word(buf, "pids", " \n")) {
                buf[strcspn(buf, "\n")] = 0;
                return sb_failx(err, ENOTSUP, "cgroup v2: %s offers no memory and pids controllers (only: %.60s)",
                                p->cgroup_dir, buf[0] ? buf : "none");
        }
        if ((n = read_at(dir, "cgroup.subtree_control", buf, sizeof(buf))) < 0)
                return sb_fail(err, (int) -n, "read %s/cgroup.subtree_control", p->cgroup_dir);
        if (!has_word(buf, "memory", " \n") || !has_word(buf, "pids", " \n")) {
                /* Enabling controllers for children needs D empty of
                 * processes.  Move ourselves into a leaf, but only when we are
                 * all there is: anyone else's processes are not ours to move. */
                if ((n = read_at(dir, "cgroup.procs", buf, sizeof(buf))) < 0)
                        return sb_fail(err, (int) -n, "read %s/cgroup.procs", p->cgroup_dir);
                char self[24];
                snprintf(self, sizeof(self), "%d\n", (int) getpid());
                if (strcmp(buf, self) != 0)
                        return sb_failx(err, EBUSY, "cgroup v2: %s holds other processes than this one; give the "
                                                    "service a cgroup of its own (systemd: Delegate=yes)",
                                        p->cgroup_dir);
                if (mkdirat(dir, "service", 0755) < 0 && errno != EEXIST)
                        return sb_fail(err, errno, "mkdir %s/service", p->cgroup_dir);
                if ((r = write_at(dir, "service/cgroup.procs", "0")) < 0)
                        return sb_fail(err, -r, "move into %s/service", p->cgroup_dir);
                if ((r = write_at(dir, "cgroup.subtree_control", "+memory +pids")) < 0)
                        return sb_fail(err, -r, "enable memory and pids in %s", p->cgroup_dir);
        }
        /* the cpu controller is a bonus: its absence changes no limit */
        if ((n = read_at(dir, "cgroup.controllers", buf, sizeof(buf))) > 0 && has_word(buf, "cpu", " \n")) {
                if ((n = read_at(dir, "cgroup.subtree_control", buf, sizeof(buf))) > 0 &&
                    (has_word(buf, "cpu", " \n") || write_at(dir, "cgroup.subtree_control", "+cpu") == 0))
                        p->cgroup_cpu = true;
        }
        snprintf(p->cgroup_pids_dir, sizeof(p->cgroup_pids_dir), "%s", p->cgroup_dir);
        p->cgroup = 2;
        return make_slots(p, dir, dir, err);
}

/* v1: remove what crashed instances left (sandrun-PID of a dead PID, with
 * no process left in it), then make ours. */
static int instance_dir_v1(const char *parent, char *dir, size_t size, struct sb_error *err)
{
        _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return sb_fail(err, errno, "open %s", parent);
        DIR *d = fdopendir(dup(pfd));
        for (struct dirent *e; d && (e = readdir(d));) {
                int pid;
                char tail;
                if (sscanf(e->d_name, "sandrun-%d%c", &pid, &tail) != 1 || pid <= 0)
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
        if (snprintf(dir, size, "%s/sandrun-%d", parent, (int) getpid()) >= (int) size)
                return sb_failx(err, ENAMETOOLONG, "cgroup path too long");
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return sb_fail(err, errno, "mkdir %s", dir);
        return 0;
}

static int setup_v1(struct sb_policy *p, struct sb_error *err)
{
        char mem[PATH_MAX], pids[PATH_MAX];
        int r;
        if ((r = hierarchy_dir("memory", mem, sizeof(mem), err)) < 0 ||
            (r = hierarchy_dir("pids", pids, sizeof(pids), err)) < 0)
                return r;
        if (access(mem, W_OK) < 0 || access(pids, W_OK) < 0)
                return sb_fail(err, errno, "cgroup v1: %s or %s is not writable", mem, pids);
        if ((r = instance_dir_v1(mem, p->cgroup_dir, sizeof(p->cgroup_dir), err)) < 0 ||
            (r = instance_dir_v1(pids, p->cgroup_pids_dir, sizeof(p->cgroup_pids_dir), err)) < 0)
                return r;
        _cleanup_close_ int mdir = open(p->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int pdir = open(p->cgroup_pids_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mdir < 0 || pdir < 0)
                return sb_fail(err, errno, "open the v1 cgroups");
        p->cgroup = 1;
        if ((r = make_slots(p, mdir, pdir, err)) < 0)
                return r;
        /* the cpu controller is a bonus: without it, nothing but fairness changes */
        char cpu[PATH_MAX];
        struct sb_error ignored = { 0 };
        if (hierarchy_dir("cpu", cpu, sizeof(cpu), &ignored) == 0 && access(cpu, W_OK) == 0 &&
            instance_dir_v1(cpu, p->cgroup_cpu_dir, sizeof(p->cgroup_cpu_dir), &ignored) == 0) {
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
        return 0;
}

int sb_cgroup_prepare(struct sb_policy *p, enum sb_cgroup_mode mode, struct sb_error *err)
{
        p->cgroup = 0;
        p->cgroup_why[0] = 0;
        p->cgroup_dir[0] = p->cgroup_pids_dir[0] = p->cgroup_cpu_dir[0] = 0;
        p->cgroup_cpu = false;
        if (mode == SB_CGROUP_OFF) {
                snprintf(p->cgroup_why, sizeof(p->cgroup_why), "off by the cgroup setting");
                return 0;
        }
        struct sb_error why2 = { 0 }, why1 = { 0 };
        if (setup_v2(p, &why2) == 0)
                return 0;
        if (p->cgroup == 2) {
                /* v2 was ours but its slots failed: no fallback into a mixed state */
                p->cgroup = 0;
                goto fail;
        }
        if (setup_v1(p, &why1) == 0)
                return 0;
        p->cgroup = 0;
fail:
        p->cgroup_dir[0] = p->cgroup_pids_dir[0] = p->cgroup_cpu_dir[0] = 0;
        p->cgroup_cpu = false;
        snprintf(p->cgroup_why, sizeof(p->cgroup_why), "%.140s; %.140s", why2.msg,
                 why1.msg[0] ? why1.msg : "no v1 fallback");
        if (mode == SB_CGROUP_ON)
                return sb_failx(err, ENOTSUP, "cgroup is on but cannot be used: %s", p->cgroup_why);
        return 0;
}

int sb_cgroup_open(struct sb_policy *p, struct sb_error *err)
{
        if (!p->cgroup)
                return 0;
        p->cgroup_mem_fd = calloc(p->slots, sizeof(int));
        p->cgroup_pids_fd = calloc(p->slots, sizeof(int));
        p->cgroup_cpu_fd = calloc(p->slots, sizeof(int));
        p->cgroup_events_fd = calloc(p->slots, sizeof(int));
        p->cgroup_limit = calloc(p->slots, sizeof(uint64_t));
        if (!p->cgroup_mem_fd || !p->cgroup_pids_fd || !p->cgroup_cpu_fd || !p->cgroup_events_fd || !p->cgroup_limit)
                return sb_failx(err, ENOMEM, "out of memory");
        for (unsigned slot = 0; slot < p->slots; slot++)
                p->cgroup_mem_fd[slot] = p->cgroup_pids_fd[slot] = p->cgroup_cpu_fd[slot] =
                        p->cgroup_events_fd[slot] = -1;
        for (unsigned slot = 0; slot < p->slots; slot++) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/job-%u", p->cgroup_dir, slot);
                if ((p->cgroup_mem_fd[slot] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return sb_fail(err, errno, "open %s", path);
                const char *events = p->cgroup == 2 ? "memory.events" : "memory.oom_control";
                if ((p->cgroup_events_fd[slot] = openat(p->cgroup_mem_fd[slot], events, O_RDONLY | O_CLOEXEC)) < 0)
                        return sb_fail(err, errno, "open %s/%s", path, events);
                if (p->cgroup == 1) {
                        snprintf(path, sizeof(path), "%s/job-%u", p->cgroup_pids_dir, slot);
                        if ((p->cgroup_pids_fd[slot] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                                return sb_fail(err, errno, "open %s", path);
                }
                if (p->cgroup == 1 && p->cgroup_cpu) {
                        snprintf(path, sizeof(path), "%s/job-%u", p->cgroup_cpu_dir, slot);
                        if ((p->cgroup_cpu_fd[slot] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                                return sb_fail(err, errno, "open %s", path);
                }
        }
        return 0;
}

void sb_cgroup_remove(const struct sb_policy *p)
{
        /* every job is gone by now; a cgroup still busy simply stays */
        const char *dirs[3] = { p->cgroup_dir, p->cgroup == 1 ? p->cgroup_pids_dir : NULL,
                                p->cgroup == 1 && p->cgroup_cpu ? p->cgroup_cpu_dir : NULL };
        for (int i = 0; p->cgroup && i < 3; i++) {
                if (!dirs[i])
                        continue;
                for (unsigned slot = 0; slot < p->slots; slot++) {
                        char path[PATH_MAX];
                        snprintf(path, sizeof(path), "%s/job-%u", dirs[i], slot);
                        rmdir(path);
                }
                if (p->cgroup == 1)
                        rmdir(dirs[i]);
        }
}

/* The slot's memory limit for the next job, written by the spawner before
 * the job's first process exists (it may be born in the cgroup). */
int sb_cgroup_limit(const struct sb_policy *p, unsigned slot, uint64_t memory_bytes, struct sb_error *err)
{
        char max[24];
        int r;
        if (!p->cgroup)
                return 0;
        /* what the rlimits allow one process, /tmp's pages, and the kernel's
         * share: for the whole job, however many processes it makes */
        uint64_t bytes = memory_bytes + p->tmp_bytes + KERNEL_SLACK_BYTES;
        /* most requests ask the same limit as the slot's last one */
        if (p->cgroup_limit[slot] == bytes)
                return 0;
        snprintf(max, sizeof(max), "%llu", (unsigned long long) bytes);
        int mem = p->cgroup_mem_fd[slot];
        const char *limit = p->cgroup == 2 ? "memory.max" : "memory.limit_in_bytes";
        r = write_at(mem, limit, max);
        if (r == -EBUSY && p->cgroup == 1) {
                /* v1 refuses a limit below what earlier jobs of the slot left
                 * charged (page cache it could not reclaim at once); nobody is
                 * in the cgroup yet, so drop those charges and try again */
                (void) write_at(mem, "memory.force_empty", "0");
                r = write_at(mem, limit, max);
        }
        if (r < 0) {
                p->cgroup_limit[slot] = 0;
                return sb_fail(err, -r, "set the job's memory limit");
        }
        p->cgroup_limit[slot] = bytes;
        return 0;
}

/* The job's first process joins its slot's cgroups (when it was not born
 * there). */
int sb_cgroup_enter(const struct sb_policy *p, const struct sb_job_limits *lim, struct sb_error *err)
{
        int r, mem = p->cgroup_mem_fd[lim->slot];
        /* v1: "tasks", not "cgroup.procs".  Moving a whole thread group takes
         * the kernel's global threadgroup lock for writing, which waits for an
         * RCU grace period whenever the lock was idle: about 12 ms for every
         * job that comes after a quiet moment (measured: a 34 ms CPU-bound job
         * answered in 46).  This process is single-threaded, so moving the
         * calling thread moves all of it, and for itself the kernel takes no
         * such lock. */
        if ((r = write_at(mem, p->cgroup == 1 ? "tasks" : "cgroup.procs", "0")) < 0)
                return sb_fail(err, -r, "join the job's memory cgroup");
        if (p->cgroup == 1 && (r = write_at(p->cgroup_pids_fd[lim->slot], "tasks", "0")) < 0)
                return sb_fail(err, -r, "join the job's pids cgroup");
        if (p->cgroup == 1 && p->cgroup_cpu && (r = write_at(p->cgroup_cpu_fd[lim->slot], "tasks", "0")) < 0)
                return sb_fail(err, -r, "join the job's cpu cgroup");
        return 0;
}
