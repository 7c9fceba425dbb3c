/* The supervisor, and starting it: the process sb_spawner_start forks from
 * the service, which starts the zygote (the spawner) from a sealed copy of
 * our own program and starts it again when it dies. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "cgroup.h"
#include "handover.h"
#include "runtime.h"
#include "spawner.h"

/* The supervisor: a small single-threaded process without Python that keeps
 * the control socket and restarts the zygote when it dies.  Jobs in flight
 * on a dead zygote lose their reply socket (their callers answer 500); jobs
 * not yet read stay queued in the socket for the next zygote. */
static void __attribute__((noreturn)) supervisor_main(const struct sb_plan *p, int ctl, pid_t parent,
                                                      struct sb_spawner_stats *stats)
{
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
                _exit(0);
        /* what only the spawner holds: the slots' cgroups and net namespaces */
        static struct sb_runtime rt;
        struct sb_error rt_err = { 0 };
        if (sb_runtime_open(p, &rt, &rt_err) < 0) {
                /* the service's start-up job then fails and says so */
                (void) !write(STDERR_FILENO, rt_err.msg, strnlen(rt_err.msg, sizeof(rt_err.msg)));
                (void) !write(STDERR_FILENO, "\n", 1);
                _exit(1);
        }
        prctl(PR_SET_NAME, "sandrun-superv", 0, 0, 0);
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);

        if (sb_handover_write(p, &rt, ctl, getpid()) < 0)
                _exit(1);
        unsigned quick_deaths = 0;
        for (;;) {
                uint64_t start = sb_now_ns();
                pid_t pid = fork();
                if (pid < 0)
                        _exit(1);
                if (pid == 0)
                        sb_handover_exec();
                __atomic_add_fetch(&stats->zygote_starts, 1, __ATOMIC_RELAXED);
                stats->zygote_pid = pid;
                int st;
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
                /* a clean exit means the caller closed the channel */
                if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
                        sb_cgroup_remove(p);
                        _exit(0);
                }
                if (sb_now_ns() - start < 2 * SB_NSEC_PER_SEC)
                        quick_deaths++;
                else
                        quick_deaths = 0;
                if (quick_deaths >= 3) {
                        sb_cgroup_remove(p);
                        _exit(1);       /* callers see the channel close */
                }
                struct timespec pause = { .tv_sec = 0, .tv_nsec = 200000000L * quick_deaths };
                nanosleep(&pause, NULL);
        }
}

/* A copy of our own program in a sealed memfd, opened read-only (exec
 * refuses a file open for writing).  Executed from there, the zygote's
 * /proc/self/exe names no host path. */
static int zygote_image(struct sb_error *err)
{
        _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (src < 0)
                return sb_fail(err, errno, "open /proc/self/exe");
        _cleanup_close_ int mfd = memfd_create("sandrun-zygote", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return sb_fail(err, errno, "memfd_create");
        struct stat st;
        if (fstat(src, &st) < 0)
                return sb_fail(err, errno, "stat /proc/self/exe");
        for (off_t off = 0; off < st.st_size;) {
                ssize_t n = sendfile(mfd, src, &off, (size_t) (st.st_size - off));
                if (n <= 0)
                        return sb_fail(err, n < 0 ? errno : EIO, "copy the program for the zygote");
        }
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return sb_fail(err, errno, "seal the zygote's program");
        char path[40];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
        int ro = open(path, O_RDONLY | O_CLOEXEC);
        if (ro < 0)
                return sb_fail(err, errno, "reopen the zygote's program");
        return ro;
}

int sb_spawner_start(const struct sb_plan *p, struct sb_spawner *s, struct sb_error *err)
{
        int sv[2];
        _cleanup_close_ int image = zygote_image(err);
        if (image < 0)
                return image;
        struct sb_spawner_stats *stats = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE,
                                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (stats == MAP_FAILED)
                return sb_fail(err, errno, "mmap");
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return sb_fail(err, errno, "socketpair");
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(sv[0]);
                close(sv[1]);
                return sb_fail(err, e, "fork spawner");
        }
        if (pid == 0) {
                close(sv[0]);
                /* keep stderr (sanitizer reports), the channel and nothing else */
                if (sv[1] != 3) {
                        if (dup3(sv[1], 3, O_CLOEXEC) < 0)
                                _exit(1);
                }
                /* ... the runner and init files the jobs bind (plan.h) and
                 * the zygote's program */
                if (dup3(image, SB_ZYGOTE_EXE_FD, O_CLOEXEC) < 0)
                        _exit(1);
                close_range(4, SB_RUNNER_FD - 1, 0);
                close_range(SB_INIT_FD + 1, SB_ZYGOTE_EXE_FD - 1, 0);
                close_range(SB_ZYGOTE_EXE_FD + 1, ~0U, 0);
                int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (devnull >= 0) {
                        dup2(devnull, 0);
                        dup2(devnull, 1);
                        if (devnull > 2)
                                close(devnull);
                }
                supervisor_main(p, 3, parent, stats);
        }
        close(sv[1]);
        s->pid = pid;
        s->fd = sv[0];
        s->stats = stats;
        return 0;
}

void sb_spawner_stop(struct sb_spawner *s)
{
        if (s->fd >= 0) {
                close(s->fd);
                s->fd = -1;
        }
        if (s->pid > 0) {
                int st;
                while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
                        ;
                s->pid = 0;
        }
}
