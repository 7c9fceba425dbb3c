/* Start-up work: everything a job needs that does not depend on the request
 * is decided here once, so the request path only applies a ready plan. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "enter.h"

/* The top of a merged-/usr Debian system: /usr itself, and the compatibility
 * links (or, on an unmerged system, directories) next to it. */
static const char *const base_paths[] = {
        "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

static int plan_add(struct sb_plan *p, const char *path, struct sb_error *err)
{
        struct stat st;
        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;       /* optional: absent on this host */
                return sb_fail(err, errno, "stat %s", path);
        }
        if (p->n_mounts >= SB_MAX_PATHS)
                return sb_failx(err, E2BIG, "more than %d read-only paths", SB_MAX_PATHS);
        if (strlen(path) >= sizeof(p->mounts[0].source) || path[0] != '/')
                return sb_failx(err, EINVAL, "bad read-only path '%s'", path);
        if (strstr(path, "/.."))
                return sb_failx(err, EINVAL, "read-only path '%s' must not contain '..'", path);

        struct sb_mount *m = &p->mounts[p->n_mounts];
        memset(m, 0, sizeof(*m));
        snprintf(m->source, sizeof(m->source), "%s", path);
        snprintf(m->target, sizeof(m->target), "%s", path);
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlink(path, m->link, sizeof(m->link) - 1);
                if (n < 0)
                        return sb_fail(err, errno, "readlink %s", path);
                m->link[n] = 0;
                m->kind = SB_MOUNT_SYMLINK;
        } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
                m->kind = SB_MOUNT_BIND_RO;
                m->is_dir = S_ISDIR(st.st_mode);
        } else {
                return sb_failx(err, EINVAL, "read-only path '%s' is neither a file, a directory nor a symlink", path);
        }
        p->n_mounts++;
        return 0;
}

const char *sb_plan_refuses(const char *path)
{
        /* Only what can't leak: nothing under the paths that hold secrets or
         * the service's own state may be shown. */
        static const char *const refused[] = { "/etc/shadow", "/etc/gshadow", "/etc/sandrun",
                                               "/etc/nginx", "/etc/ssl/private", "/root", "/home",
                                               "/run", "/var", "/proc", "/sys", "/dev", "/tmp" };
        /* (/tmp is also where a job's root is built, and private to the
         * warm zygote: nothing under it could be shown anyway) */
        for (size_t j = 0; j < ELEMENTSOF(refused); j++) {
                size_t l = strlen(refused[j]);
                if (strncmp(path, refused[j], l) == 0 && (path[l] == 0 || path[l] == '/'))
                        return "it may hold secrets or host state";
        }
        if (strcmp(path, "/etc") == 0 || strcmp(path, "/") == 0)
                return "too broad";
        return NULL;
}

/* The runner and init, opened once on their fixed numbers (plan.h). */
static int open_programs(const struct sb_plan *p, struct sb_error *err)
{
        char runner[PATH_MAX];
        snprintf(runner, sizeof(runner), "%s/runner.py", p->runner_dir);
        if (access(p->python, X_OK) < 0)
                return sb_fail(err, errno, "python interpreter %s", p->python);
        if (access(runner, R_OK) < 0)
                return sb_fail(err, errno, "runner %s", runner);
        if (access(p->init_path, X_OK) < 0)
                return sb_fail(err, errno, "job init %s", p->init_path);
        /* Executing a file its user cannot read leaves the process
         * non-dumpable: then no job can open /proc/1/mem or /proc/1/exe of its
         * init, nor read or lock the binary. */
        struct stat ist;
        if (stat(p->init_path, &ist) < 0)
                return sb_fail(err, errno, "stat %s", p->init_path);
        if (ist.st_mode & (S_IROTH | S_IWOTH))
                return sb_failx(err, EPERM, "%s must not be readable by others: chmod 0711 it", p->init_path);

        int fd = open(runner, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || dup3(fd, SB_RUNNER_FD, O_CLOEXEC) < 0)
                return sb_fail(err, errno, "open %s", runner);
        close(fd);
        fd = open(p->init_path, O_PATH | O_CLOEXEC);
        if (fd < 0 || dup3(fd, SB_INIT_FD, O_CLOEXEC) < 0)
                return sb_fail(err, errno, "open %s", p->init_path);
        close(fd);
        return 0;
}

int sb_plan_prepare(struct sb_plan *p, const char *const *extra_ro, struct sb_error *err)
{
        int r;

        p->n_mounts = 0;
        for (size_t i = 0; i < ELEMENTSOF(base_paths); i++)
                if ((r = plan_add(p, base_paths[i], err)) < 0)
                        return r;
        for (size_t i = 0; extra_ro && extra_ro[i]; i++) {
                const char *why = sb_plan_refuses(extra_ro[i]);
                if (why)
                        return sb_failx(err, EPERM, "read-only path '%s' is refused: %s", extra_ro[i], why);
                if ((r = plan_add(p, extra_ro[i], err)) < 0)
                        return r;
        }
        if ((r = open_programs(p, err)) < 0)
                return r;
        return sb_seccomp_compile(p, err);
}
