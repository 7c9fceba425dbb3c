/* What init reads of its job from the kernel (sandbox/init_usage.c): the
 * namespace's last pid that tells a runner alone in its job, the runner's
 * own CPU clock and peak size, and memory.events' OOM count. */
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/init_usage.h"
#include "tap.h"

static int file_with(const char *text)
{
        int fd = memfd_create("t", MFD_CLOEXEC);
        if (fd >= 0 && write(fd, text, strlen(text)) != (ssize_t) strlen(text)) {
                close(fd);
                return -1;
        }
        return fd;
}

static void alone(const char *last, pid_t runner, bool want)
{
        int fd = file_with(last);
        /* the text as one line of TAP */
        char shown[64];
        size_t n = strcspn(last, "\n");
        snprintf(shown, sizeof(shown), "%.*s%s", (int) n, last, last[n] ? "\\n" : "");
        ok(sb_init_runner_alone(fd, runner) == want, "ns_last_pid \"%s\", runner %d: %s", shown, (int) runner,
           want ? "alone" : "not alone");
        close(fd);
}

/* A child that uses about 60 ms of CPU and touches 24 MB, then waits. */
static pid_t busy_child(int *done)
{
        int p[2];
        if (pipe(p) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                char *m = mmap(NULL, 24 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m != MAP_FAILED)
                        memset(m, 1, 24 << 20);
                struct timespec t0, t;
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
                do
                        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
                while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 60000000L);
                (void) !write(p[1], "x", 1);
                pause();
                _exit(0);
        }
        close(p[1]);
        *done = p[0];
        return pid;
}

int main(void)
{
        alone("2\n", 2, true);
        alone("2", 2, true);
        alone("3\n", 2, false);   /* a thread or a process came after the runner */
        alone("1\n", 2, false);
        alone("", 2, false);
        alone("2x\n", 2, false);
        alone(" 2\n", 2, true);   /* strtol's leading space, as the kernel never writes */
        alone("99999999999999999999\n", 2, false);
        ok(!sb_init_runner_alone(-1, 2), "no ns_last_pid: never alone");

        int done = -1;
        pid_t child = busy_child(&done);
        char c;
        ok(child > 0 && read(done, &c, 1) == 1, "a busy child");
        uint64_t cpu_us = 0, rss_kb = 0;
        ok(sb_init_runner_usage(child, &cpu_us, &rss_kb), "its usage, while it lives");
        ok(cpu_us >= 55000 && cpu_us < 5000000, "its CPU clock: %llu us", (unsigned long long) cpu_us);
        ok(rss_kb >= 24 * 1024, "its peak size: %llu kB", (unsigned long long) rss_kb);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        ok(!sb_init_runner_usage(child, &cpu_us, &rss_kb), "none once it is gone");

        int ev = file_with("oom 3\noom_kill 2\noom_group_kill 0\n");
        ok(sb_init_oom_kills(ev) == 2, "oom_kill of memory.events");
        close(ev);
        ev = file_with("oom 0\n");
        ok(sb_init_oom_kills(ev) == 0, "no oom_kill line: 0");
        close(ev);
        ok(sb_init_oom_kills(-1) == 0, "no memory.events: 0");
        return tap_done();
}
