/* What init reads of its job from the kernel (init_usage.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "init_usage.h"

uint64_t sb_init_oom_kills(int fd)
{
        char buf[512];
        if (fd < 0)
                return 0;
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        const char *s = strstr(buf, "oom_kill ");
        return s ? strtoull(s + 9, NULL, 10) : 0;
}

/* RLIMIT_CPU bounds each process; this bounds their sum, which is what the
 * request's CPU limit means.  /proc is the job's own: it shows the job's
 * processes and nothing else. */
void sb_init_job_cpu(bool live_too, const struct sb_pool_spent *before, uint64_t *user_us, uint64_t *sys_us)
{
        static long tick_us;
        if (!tick_us) {
                long hz = sysconf(_SC_CLK_TCK);
                tick_us = hz > 0 ? 1000000 / hz : 10000;
        }
        struct rusage ru;
        getrusage(RUSAGE_CHILDREN, &ru);
        uint64_t u = (uint64_t) ru.ru_utime.tv_sec * 1000000 + (uint64_t) ru.ru_utime.tv_usec;
        uint64_t k = (uint64_t) ru.ru_stime.tv_sec * 1000000 + (uint64_t) ru.ru_stime.tv_usec;
        DIR *d = live_too ? opendir("/proc") : NULL;
        for (struct dirent *e; d && (e = readdir(d));) {
                if (e->d_name[0] < '1' || e->d_name[0] > '9' || strcmp(e->d_name, "1") == 0)
                        continue;
                char path[64], buf[1024];
                snprintf(path, sizeof(path), "/proc/%.20s/stat", e->d_name);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                /* after the command's closing parenthesis: state, then fields
                 * 4..; utime, stime, cutime, cstime are fields 14..17 */
                char *p = strrchr(buf, ')');
                unsigned long long f[15] = { 0 };
                if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                                 &f[11], &f[12], &f[13], &f[14]) != 4)
                        continue;
                u += (f[11] + f[13]) * (uint64_t) tick_us;
                k += (f[12] + f[14]) * (uint64_t) tick_us;
        }
        if (d)
                closedir(d);
        /* a pooled runner's wait and rehearsal are not the job's */
        *user_us = u > before->user_us ? u - before->user_us : 0;
        *sys_us = k > before->sys_us ? k - before->sys_us : 0;
}

/* They are all ours: pid 1 gets every orphan.  At most a second: a process
 * stuck in the kernel must not hold the answer. */
void sb_init_reap_all(int sfd)
{
        uint64_t until = sb_now_ns() + 1000000000ull;
        for (;;) {
                pid_t pid = waitpid(-1, NULL, __WALL | WNOHANG);
                if (pid < 0 && errno == ECHILD)
                        return;
                if (pid > 0)
                        continue;
                uint64_t now = sb_now_ns();
                if (now >= until)
                        return;
                /* until the next SIGCHLD */
                struct pollfd pfd = { .fd = sfd, .events = POLLIN };
                if (poll(&pfd, 1, (int) ((until - now) / 1000000) + 1) > 0) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                                ;
                }
        }
}

/* The job's /proc shows its own processes only. */
bool sb_init_others_alive(void)
{
        DIR *d = opendir("/proc");
        bool found = false;
        for (struct dirent *e; d && !found && (e = readdir(d));)
                found = e->d_name[0] >= '1' && e->d_name[0] <= '9' && strcmp(e->d_name, "1") != 0;
        if (d)
                closedir(d);
        return found;
}


bool sb_init_runner_alone(int last_pid_fd, pid_t runner)
{
        /* Pids of a namespace are handed out in order (a thread takes one
         * too) and the runner's came right after init's: if it is still the
         * last one, nothing else ever ran in the job, not even for a moment. */
        char buf[32];
        ssize_t n = last_pid_fd >= 0 ? pread(last_pid_fd, buf, sizeof(buf) - 1, 0) : -1;
        if (n <= 0)
                return false;
        buf[n] = 0;
        char *end;
        errno = 0;
        long last = strtol(buf, &end, 10);
        return errno == 0 && end != buf && (*end == '\n' || *end == 0) && last == (long) runner;
}

bool sb_init_runner_usage(pid_t runner, uint64_t *cpu_us, uint64_t *maxrss_kb)
{
        clockid_t clock;
        struct timespec ts;
        if (clock_getcpuclockid(runner, &clock) != 0 || clock_gettime(clock, &ts) < 0)
                return false;
        *cpu_us = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
        char path[64], buf[4096];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) runner);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = 0;
        /* the peak of its resident set, as wait4's ru_maxrss would say */
        const char *hwm = strstr(buf, "\nVmHWM:");
        if (!hwm)
                return false;
        *maxrss_kb = strtoull(hwm + 7, NULL, 10);
        return true;
}

void sb_init_leave(int code)
{
        for (;;)
                syscall(SYS_exit, code);
}
