/* Step 3: a root made only of what Python needs, and the job's own /proc
 * and /tmp on it.
 *
 * The root is the same for every job of a slot and is built once, at
 * start-up, in the slot's own mount namespace (slot_ns.c): on a tmpfs, then
 * made the root with pivot_root and the host's tree detached, so nothing of
 * /home, /root, /run, /var, the service's sockets or the source tree is
 * there.  Every bind is read-only, nosuid and nodev recursively
 * (mount_setattr with AT_RECURSIVE): a plain MS_REMOUNT|MS_RDONLY only
 * changes the top mount and leaves submounts writable.  The root's tmpfs and
 * /dev's are read-only at the superblock, so no mount of them, in any copy of
 * the namespace, can write.
 *
 * A job enters the slot's namespace and takes a private copy of it (step 1);
 * here it mounts its /proc (its pid namespace's) and its /tmp, the only
 * writable place, private and size-limited; /dev/shm points into it, so
 * shared memory is private and counted in the same limit. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "enter.h"

/* The root is built where the host's /tmp is mounted over in this private
 * namespace: it always exists, and the host never sees the tmpfs. */
#define NEWROOT "/tmp"

static int mkdir_p_in_root(const char *target, mode_t mode, struct sb_error *err)
{
        char path[512];
        if (snprintf(path, sizeof(path), NEWROOT "%s", target) >= (int) sizeof(path))
                return sb_failx(err, ENAMETOOLONG, "path %s", target);
        for (char *s = path + strlen(NEWROOT) + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return sb_fail(err, errno, "mkdir %s", path);
                *s = '/';
        }
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return sb_fail(err, errno, "mkdir %s", path);
        return 0;
}

static int touch_in_root(const char *target, struct sb_error *err)
{
        char path[512];
        int r;
        const char *slash = strrchr(target, '/');
        if (slash && slash != target) {
                char dir[256];
                snprintf(dir, sizeof(dir), "%.*s", (int) (slash - target), target);
                if ((r = mkdir_p_in_root(dir, 0755, err)) < 0)
                        return r;
        }
        snprintf(path, sizeof(path), NEWROOT "%s", target);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return sb_fail(err, errno, "create %s", path);
        return 0;
}

static int write_in_root(const char *target, const char *content, struct sb_error *err)
{
        char path[512];
        snprintf(path, sizeof(path), NEWROOT "%s", target);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return sb_fail(err, errno, "create %s", path);
        size_t len = strlen(content);
        if (write(fd, content, len) != (ssize_t) len)
                return sb_fail(err, errno, "write %s", path);
        return 0;
}

static int make_ro(const char *path, const char *target, struct sb_error *err)
{
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                .propagation = MS_PRIVATE,
        };
        if (mount_setattr(AT_FDCWD, path, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &attr, sizeof(attr)) < 0)
                return sb_fail(err, errno, "make %s read-only", target);
        return 0;
}

/* Copy the file open on fd to `target` in the new root (which becomes
 * read-only with it).  A bind is not possible: the file's mount belongs to
 * the service's mount namespace, not the job's. */
static int copy_fd_to_root(int fd, const char *target, struct sb_error *err)
{
        char path[512], buf[65536];
        int r = touch_in_root(target, err);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), NEWROOT "%s", target);
        _cleanup_close_ int out = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (out < 0)
                return sb_fail(err, errno, "create %s", target);
        for (off_t off = 0;;) {
                ssize_t n = pread(fd, buf, sizeof(buf), off);
                if (n < 0)
                        return sb_fail(err, errno, "read for %s", target);
                if (n == 0)
                        break;
                if (write(out, buf, (size_t) n) != n)
                        return sb_fail(err, errno, "write %s", target);
                off += n;
        }
        return 0;
}

/* Bind `source` at `target` in the new root, read-only, nosuid and nodev all
 * the way down. */
static int bind_ro(const char *source, const char *target, bool is_dir, struct sb_error *err)
{
        char path[512];
        int r = is_dir ? mkdir_p_in_root(target, 0755, err) : touch_in_root(target, err);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), NEWROOT "%s", target);
        if (mount(source, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return sb_fail(err, errno, "bind %s", source);
        return make_ro(path, target, err);
}

static int symlink_in_root(const char *link, const char *target, struct sb_error *err)
{
        char path[512];
        snprintf(path, sizeof(path), NEWROOT "%s", target);
        if (symlink(link, path) < 0)
                return sb_fail(err, errno, "symlink %s", path);
        return 0;
}

static int make_etc(uid_t uid, gid_t gid, struct sb_error *err)
{
        char passwd[256], group[128];
        int r;

        /* Just enough for getpwuid() and getpass.getuser() to answer; no
         * host account, hash or service name is visible. */
        snprintf(passwd, sizeof(passwd),
                 "root:x:0:0:root:/:/usr/sbin/nologin\n"
                 "sandbox:x:%u:%u:sandbox:/tmp:/usr/sbin/nologin\n"
                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                 (unsigned) uid, (unsigned) gid);
        snprintf(group, sizeof(group), "root:x:0:\nsandbox:x:%u:\nnogroup:x:65534:\n", (unsigned) gid);

        if ((r = mkdir_p_in_root("/etc", 0755, err)) < 0 ||
            (r = write_in_root("/etc/passwd", passwd, err)) < 0 ||
            (r = write_in_root("/etc/group", group, err)) < 0 ||
            (r = write_in_root("/etc/hostname", SB_HOSTNAME "\n", err)) < 0 ||
            (r = write_in_root("/etc/hosts", "127.0.0.1 localhost " SB_HOSTNAME "\n::1 localhost\n", err)) < 0 ||
            (r = write_in_root("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n", err)) < 0 ||
            (r = symlink_in_root("/usr/share/zoneinfo/Etc/UTC", "/etc/localtime", err)) < 0)
                return r;
        return 0;
}

static int make_dev(struct sb_error *err)
{
        /* Device nodes made here rather than bound from the host's /dev: each
         * job's /dev/null is an inode of its own, so no lock or other state on
         * a writable node is shared with the host or another job. */
        static const struct { const char *name; unsigned major, minor; } nodes[] = {
                { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 },
        };
        char path[128];
        int r;

        if ((r = mkdir_p_in_root("/dev", 0755, err)) < 0)
                return r;
        if (mount("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755") < 0)
                return sb_fail(err, errno, "mount /dev");
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                snprintf(path, sizeof(path), NEWROOT "/dev/%s", nodes[i].name);
                if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
                        return sb_fail(err, errno, "mknod %s", path);
                if (chmod(path, 0666) < 0)
                        return sb_fail(err, errno, "chmod %s", path);
        }
        if ((r = symlink_in_root("/proc/self/fd", "/dev/fd", err)) < 0 ||
            (r = symlink_in_root("/proc/self/fd/0", "/dev/stdin", err)) < 0 ||
            (r = symlink_in_root("/proc/self/fd/1", "/dev/stdout", err)) < 0 ||
            (r = symlink_in_root("/proc/self/fd/2", "/dev/stderr", err)) < 0 ||
            (r = symlink_in_root("/tmp/.shm", "/dev/shm", err)) < 0)
                return r;
        /* read-only: the nodes stay usable (writing to a device is not a
         * write to the file system), nothing can be added */
        if (mount(NULL, NEWROOT "/dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0)
                return sb_fail(err, errno, "remount /dev read-only");
        return 0;
}

/* System V IPC lives in the slot's own IPC namespace, whose limits start at
 * the kernel's defaults: unbounded shared memory and tens of thousands of
 * queues and semaphore arrays.  A segment keeps its pages after shmdt(), so
 * RLIMIT_AS never sees them: attach, touch, detach and repeat would take the
 * host's memory.  So cap it: shared memory at the size of a job's /tmp
 * (which also holds /dev/shm), a few queues, few semaphores; segments die
 * with their last user (shm_rmid_forced); no POSIX message queue at all
 * (slot_ns.c says why).  These sysctls are per IPC namespace (/proc/sys
 * shows the caller's); they are written through a /proc mounted for the
 * purpose: the service's /proc/sys may be read-only (ProtectKernelTunables=). */
static int write_sysctl(const char *name, const char *value, struct sb_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), NEWROOT "/proc/sys/%s", name);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return sb_fail(err, errno, "open %s", path);
        size_t n = strlen(value);
        ssize_t w = write(fd, value, n);
        int e = errno;
        close(fd);
        if (w != (ssize_t) n)
                return sb_fail(err, w < 0 ? e : EIO, "write %s", path);
        return 0;
}

static int ipcns_limit(uint64_t shm_bytes, struct sb_error *err)
{
        char shmmax[24], shmall[24];
        long page = sysconf(_SC_PAGESIZE);
        snprintf(shmmax, sizeof(shmmax), "%llu", (unsigned long long) shm_bytes);
        snprintf(shmall, sizeof(shmall), "%llu", (unsigned long long) (shm_bytes / (uint64_t) (page > 0 ? page : 4096)));
        int r;
        if ((r = mkdir_p_in_root("/proc", 0555, err)) < 0)
                return r;
        if (mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return sb_fail(err, errno, "mount a /proc for the IPC limits");
        if ((r = write_sysctl("kernel/shmmax", shmmax, err)) < 0 ||
            (r = write_sysctl("kernel/shmall", shmall, err)) < 0 ||
            (r = write_sysctl("kernel/shmmni", "64", err)) < 0 ||
            (r = write_sysctl("kernel/shm_rmid_forced", "1", err)) < 0 ||
            /* 16 queues of at most 16 KiB each */
            (r = write_sysctl("kernel/msgmni", "16", err)) < 0 ||
            (r = write_sysctl("kernel/msgmnb", "16384", err)) < 0 ||
            /* SEMMSL SEMMNS SEMOPM SEMMNI: 64 arrays, 4096 semaphores in all */
            (r = write_sysctl("kernel/sem", "250 4096 32 64", err)) < 0 ||
            (r = write_sysctl("fs/mqueue/queues_max", "0", err)) < 0)
                return r;
        if (umount2(NEWROOT "/proc", MNT_DETACH) < 0)
                return sb_fail(err, errno, "unmount the /proc of the IPC limits");
        return 0;
}

/* What the job's /proc shows of the host's kernel beyond its own processes,
 * masked as container runtimes mask it: the kernel's configuration and
 * symbols, physical memory and I/O layout, keys, timers, allocator and page
 * statistics, modules (what an exploit would look up first), and the
 * hardware directories.  A file is covered by a bind of /dev/null on a nodev
 * mount (opening it fails), a directory by an empty read-only tmpfs.  What
 * this kernel lacks is skipped. */
static int mask_proc(struct sb_error *err)
{
        static const char *const files[] = {
                "config.gz", "kallsyms", "kcore", "iomem", "ioports", "keys", "key-users", "timer_list",
                "sched_debug", "sysrq-trigger", "kpagecount", "kpageflags", "kpagecgroup", "vmallocinfo",
                "slabinfo", "modules", "latency_stats", "timer_stats",
        };
        static const char *const dirs[] = { "acpi", "scsi", "asound" };
        const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        char path[64];
        /* ENOENT below must mean a missing target, never the source */
        if (access("/dev/null", F_OK) < 0)
                return sb_fail(err, errno, "the root's /dev/null");
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof(path), "/proc/%s", files[i]);
                /* what this kernel lacks fails ENOENT: one lookup, not two */
                if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return sb_fail(err, errno, "mask /proc/%s", files[i]);
                }
                if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | ro, NULL) < 0)
                        return sb_fail(err, errno, "mask /proc/%s", files[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(path, sizeof(path), "/proc/%s", dirs[i]);
                if (mount("tmpfs", path, "tmpfs", ro, "size=0,nr_inodes=1,mode=0555") < 0 && errno != ENOENT)
                        return sb_fail(err, errno, "mask /proc/%s", dirs[i]);
        }
        return 0;
}

int sb_root_template_build(const struct sb_plan *p, uid_t uid, struct sb_error *err)
{
        int r;

        /* Nothing we mount may propagate back to the host, nor, later,
         * from a job's copy of this namespace back into it. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return sb_fail(err, errno, "make / private");
        if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=256,mode=0755") < 0)
                return sb_fail(err, errno, "mount root tmpfs");

        for (size_t i = 0; i < p->n_mounts; i++) {
                const struct sb_mount *m = &p->mounts[i];
                r = m->kind == SB_MOUNT_SYMLINK ? symlink_in_root(m->link, m->target, err)
                                                : bind_ro(m->source, m->target, m->is_dir, err);
                if (r < 0)
                        return r;
        }
        if ((r = make_etc(uid, p->gid, err)) < 0)
                return r;
        /* The cold runner is a file python3 reads; the warm one is already
         * loaded in the zygote.  sandrun-init is executed from its fd
         * (job_first.c), so it needs no path in here at all. */
        if (!p->warm && (r = copy_fd_to_root(SB_RUNNER_FD, SB_ROOT_RUNNER, err)) < 0)
                return r;
        if ((r = make_dev(err)) < 0 || (r = ipcns_limit(p->tmp_bytes, err)) < 0 ||
            (r = mkdir_p_in_root("/tmp", 01777, err)) < 0)
                return r;

        /* pivot_root(".", ".") stacks the old root under the new one; the
         * detach then drops the whole host tree from this namespace. */
        if (chdir(NEWROOT) < 0)
                return sb_fail(err, errno, "chdir new root");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return sb_fail(err, errno, "pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                return sb_fail(err, errno, "detach old root");
        if (chdir("/") < 0)
                return sb_fail(err, errno, "chdir /");
        /* read-only at the superblock, then at the mount */
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0 ||
            mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return sb_fail(err, errno, "remount / read-only");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return sb_fail(err, errno, "make the root private");
        return 0;
}

int sb_mounts_enter(const struct sb_plan *p, struct sb_error *err)
{
        char opts[128];
        int r;

        /* the runner's fd was only for the slot's root */
        close(SB_RUNNER_FD);
        /* We are pid 1 of the job's pid namespace: this /proc shows only the
         * job's processes, and is read-only once masked. */
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return sb_fail(err, errno, "mount /proc");
        if ((r = mask_proc(err)) < 0)
                return r;
        if (mount(NULL, "/proc", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return sb_fail(err, errno, "remount /proc read-only");

        snprintf(opts, sizeof(opts), "size=%llu,nr_inodes=4096,mode=1777", (unsigned long long) p->tmp_bytes);
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return sb_fail(err, errno, "mount /tmp");
        if (mkdir("/tmp/.shm", 01777) < 0 || chmod("/tmp/.shm", 01777) < 0)
                return sb_fail(err, errno, "mkdir /tmp/.shm");
        /* a script's relative paths land in the only writable place */
        if (chdir("/tmp") < 0)
                return sb_fail(err, errno, "chdir /tmp");
        return 0;
}
