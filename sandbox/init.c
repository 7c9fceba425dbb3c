/* sandrun-init: pid 1 of a job's pid namespace.
 *
 * The job's first process confines itself (sandbox_enter), forks the runner,
 * and then executes this small static program, so the job's init does not
 * keep a copy of the warm interpreter's memory and the runner is an ordinary
 * process: signals it sends itself act as anywhere else, and kill(-1, ...)
 * cannot reach pid 1.  init keeps the wall clock and the job's CPU limit
 * (all its processes together), reaps whatever the script leaves behind and,
 * when the runner ends, kills and reaps every process left, then reports
 * how the runner ended and what the job used on the job's reply socket, and
 * exits.  The answer waits for that report, so nothing of the job outlives
 * it and no figure in it is the script's own word.  A runner alone in its
 * job that ends with exit_group(0) is reported at that call, held by the
 * filter, before the kernel tears it down (runner_exiting).  init itself
 * ends with the thread's exit, never exit_group, which the filter would hand
 * to init.  The spawner keeps a later deadline of its own in case init is
 * stopped.
 *
 * It runs already confined: the job's uid, no capabilities, rlimits and the
 * seccomp filter.  Usage: sandrun-init, with fd 5 the reply socket and its
 * arguments as one struct sb_init_args (protocol.h) in a pipe on
 * SB_INIT_ARGS_FD, read and checked first thing: the runner's pid; the wall
 * limit; base_rss_kb, what the runner had resident when it started (the warm
 * zygote's pages), reported back for the memory classification; start_ns,
 * the CLOCK_MONOTONIC time the job's first process began; ready_fd, a pipe
 * the runner waits on before it reads the user's code; listener_fd, the
 * seccomp filter's notification listener: a call of another architecture's
 * table (i386, x32) waits there until init refuses it and ends the job,
 * reporting which call it was; events_fd, the job cgroup's memory.events, or
 * -1 without cgroups: an OOM kill there during the job is reported as such;
 * max_files_out and max_files_out_bytes, what it may gather from the job's
 * /tmp/output once the runner ended (gather.h) onto SB_FD_FILES_OUT.
 *
 * Built static and without sanitizers: of common/ it uses only the clock
 * (a header). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "gather.h"
#include "init_pool.h"
#include "init_usage.h"
#include "protocol.h"

/* how often init sums the job's CPU time: a job of N busy processes may
 * overrun its CPU limit by at most N x this */
#define CPU_CHECK_NS 100000000ull

/* The job as init keeps it. */
struct job {
        struct sb_init_args a;
        int sfd;                     /* signalfd: SIGCHLD */
        int listener;                /* -1 once no process of the job has the filter */
        bool self_kill;              /* the job sent a SIGKILL or set its CPU limit (the kill watch) */
        uint64_t deadline;
        uint64_t cpu_limit_us;
        uint64_t next_cpu_check;
        uint64_t oom_before;
        bool timed_out;
        bool output_stopped;         /* the caller said: it wrote too much */
        bool client_stopped;         /* the caller said: nobody waits for the answer */
        int caller;                  /* the reply socket while the caller may still speak, else -1 */
        uint32_t forbidden_arch;
        int32_t forbidden_nr;
        struct sb_pool_spent spent_before;   /* a pooled runner's, before its request */
        int last_pid;                /* the namespace's ns_last_pid, or -1 */
};

/* The arguments, whole and sane, or no job at all. */
static void read_args(struct sb_init_args *a)
{
        ssize_t n;
        while ((n = read(SB_INIT_ARGS_FD, a, sizeof(*a))) < 0 && errno == EINTR)
                ;
        close(SB_INIT_ARGS_FD);
        if (n != (ssize_t) sizeof(*a) || a->magic != SB_INIT_ARGS_MAGIC || a->size != sizeof(*a) || a->worker <= 0 ||
            a->ready_fd < 0 || a->listener_fd < 0 || a->events_fd < -1 || a->pool_fd < -1 ||
            (a->pool_fd >= 0) != (a->set_fd >= 0))
                sb_init_leave(2);
}

/* A SIGKILL death nothing inside explains: not the deadline or the job's CPU
 * limit, init's word (a foreign call, runaway output, a client gone), an OOM
 * kill (only a memory cgroup tells: without one the host's OOM killer may
 * have sent it, and the script is judged), any watched call of the job, nor
 * a kill(-1) of another of its processes (one is then still alive). */
static bool killed_from_outside(const struct job *j, int st, const struct rusage *ru, bool oom)
{
        uint64_t cpu_us = (uint64_t) ru->ru_utime.tv_sec * 1000000 + (uint64_t) ru->ru_utime.tv_usec +
                          (uint64_t) ru->ru_stime.tv_sec * 1000000 + (uint64_t) ru->ru_stime.tv_usec;
        return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && j->a.events_fd >= 0 && !j->self_kill &&
               !j->timed_out && !j->output_stopped && !j->client_stopped && !j->forbidden_arch && !oom &&
               cpu_us + 200000 < j->cpu_limit_us && !sb_init_others_alive();
}

/* The report, with the files of output/ (gather.h) now that nothing of the
 * job is left to change them, and init's end.  The report's wall time is
 * the script's; the caller waits for both. */
static void __attribute__((noreturn)) report(const struct job *j, struct sb_job_reply *r)
{
        r->magic = SB_PROTO_MAGIC;
        r->kind = SB_REPLY_WORKER_EXIT;
        r->timed_out = j->timed_out;
        r->base_rss_kb = j->a.base_rss_kb;
        /* from the job's start: its first instruction (confinement
         * included), or its hand-over from the pool */
        r->wall_us = (sb_now_ns() - j->a.start_ns) / 1000;
        r->forbidden_arch = j->forbidden_arch;
        r->forbidden_nr = j->forbidden_nr;
        r->output_stopped = j->output_stopped;
        r->client_stopped = j->client_stopped;
        r->pooled = j->a.pool_fd >= 0;
        struct sb_gather_limits lim = { .max_files = j->a.max_files_out, .max_bytes = j->a.max_files_out_bytes };
        struct sb_gather_stats gs;
        /* /tmp is the job's own tmpfs, mounted on a read-only root: no
         * script can put anything else there */
        int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        (void) sb_gather_output(tmp, "output", SB_FD_FILES_OUT, &lim, &gs);
        close(SB_FD_FILES_OUT);
        (void) !send(SB_FD_REPLY, r, sizeof(*r), MSG_NOSIGNAL | MSG_DONTWAIT);
        sb_init_leave(0);
}

/* The runner ended.  Nothing of the job outlives its answer: what the
 * runner left is killed and reaped before the report (usually nothing, so
 * no wait); then the whole job's CPU time is all in our children's usage. */
static void __attribute__((noreturn)) worker_ended(const struct job *j, int st, const struct rusage *ru)
{
        /* judged before anything else dies */
        bool oom = sb_init_oom_kills(j->a.events_fd) > j->oom_before;
        bool outside = killed_from_outside(j, st, ru, oom);
        kill(-1, SIGKILL);
        sb_init_reap_all(j->sfd);
        struct sb_job_reply r = { .wstatus = st, .maxrss_kb = (uint64_t) ru->ru_maxrss, .oom_killed = oom,
                                  .killed_outside = outside };
        sb_init_job_cpu(false, &j->spent_before, &r.utime_us, &r.stime_us);
        report(j, &r);
}

static void let_go_on(int listener, uint64_t id)
{
        struct seccomp_notif_resp go = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
        (void) ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &go);
}

/* The runner's exit_group(0) (the end watch, step6_seccomp.c): how every
 * job that ends well ends, once the runner has written its output and
 * closed its pipes.  When nothing but init and the runner ever ran in the
 * job, the runner, held in that call, is the one process that could still
 * do anything, and it is ending: the report goes now, with the kernel's
 * figures as they stand, and the runner's teardown (its copy of the
 * interpreter's page tables: milliseconds of the kernel's time) follows
 * the answer instead of preceding it.  Once let go on, the call cannot
 * return: no code of the job runs after the report.  Otherwise this
 * returns and the end is judged as any other, when init reaps the runner. */
static void runner_exiting(const struct job *j, const struct seccomp_notif *n)
{
        uint64_t cpu_us, maxrss_kb;
        if ((pid_t) n->pid != (pid_t) j->a.worker || j->timed_out || j->output_stopped || j->client_stopped ||
            !sb_init_runner_alone(j->last_pid, (pid_t) n->pid) ||
            !sb_init_runner_usage((pid_t) n->pid, &cpu_us, &maxrss_kb) ||
            /* still held in the call: the figures were the runner's */
            ioctl(j->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->id) < 0)
                return;
        let_go_on(j->listener, n->id);
        uint64_t before = j->spent_before.user_us + j->spent_before.sys_us;
        struct sb_job_reply r = {
                .wstatus = W_EXITCODE((int) (n->data.args[0] & 0xff), 0),
                /* the CPU clock has no user/system split: only the sum is
                 * reported */
                .utime_us = cpu_us > before ? cpu_us - before : 0,
                .maxrss_kb = maxrss_kb,
                .oom_killed = sb_init_oom_kills(j->a.events_fd) > j->oom_before,
        };
        report(j, &r);
}

/* One call the filter hands us.  Of our own table, it is the kill watch's
 * or the end watch's (step6_seccomp.c): noted, and let go on as it is.  Of
 * another table, it is refused: remember the first and kill everything of
 * the job but init.  The kill comes before the answer: a caller that got
 * its answer first could go on and finish the script as if nothing
 * happened.  Before the request nothing of the script has run: the
 * runner's own calls are not the script's. */
static void hear_filter(struct job *j, bool before_request)
{
        struct seccomp_notif n;
        memset(&n, 0, sizeof(n));     /* the kernel insists */
        if (ioctl(j->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
                return;                /* the caller died meanwhile */
#if defined(__x86_64__)
        /* x32 calls come with x86_64's arch and the x32 bit in their number */
        if (n.data.arch == AUDIT_ARCH_X86_64 && !(n.data.nr & 0x40000000)) {
                if (n.data.nr == __NR_exit_group && !before_request)
                        runner_exiting(j, &n);
                else if (n.data.nr != __NR_exit_group && !before_request)
                        j->self_kill = true;
                let_go_on(j->listener, n.id);
                return;
        }
#endif
        if (j->forbidden_arch == 0) {
                j->forbidden_arch = n.data.arch;
                j->forbidden_nr = n.data.nr;
        }
        kill(-1, SIGKILL);
        struct seccomp_notif_resp resp = { .id = n.id, .error = -ENOSYS };
        (void) ioctl(j->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* The job's wall clock and its CPU limit; how long poll may wait, in ms. */
static int limits(struct job *j)
{
        uint64_t now = sb_now_ns();
        if (!j->timed_out && now >= j->deadline) {
                /* everything of the job but init itself */
                kill(-1, SIGKILL);
                j->timed_out = true;
        }
        if (!j->timed_out && now >= j->next_cpu_check) {
                uint64_t user_us, sys_us;
                sb_init_job_cpu(true, &j->spent_before, &user_us, &sys_us);
                if (user_us + sys_us > j->cpu_limit_us) {
                        /* the CPU limit is the job's, not each process's */
                        kill(-1, SIGKILL);
                        j->timed_out = true;
                }
                j->next_cpu_check = now + CPU_CHECK_NS;
        }
        uint64_t left = j->timed_out ? 1000000000ull : j->deadline - now;
        if (!j->timed_out && j->next_cpu_check - now < left)
                left = j->next_cpu_check - now;
        return left >= 1000000000ull ? 1000 : (int) ((left + 999999) / 1000000);
}

/* The caller's word: end the job now (it wrote more than it may). */
static void hear_caller(struct job *j, short revents)
{
        struct sb_job_stop stop;
        ssize_t n = (revents & POLLIN) ? recv(j->caller, &stop, sizeof(stop), MSG_DONTWAIT) : 0;
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n == (ssize_t) sizeof(stop) && stop.magic == SB_PROTO_MAGIC &&
            (stop.kind == SB_STOP_OUTPUT || stop.kind == SB_STOP_CLIENT)) {
                if (!j->timed_out && !j->output_stopped && !j->client_stopped) {
                        kill(-1, SIGKILL);
                        if (stop.kind == SB_STOP_OUTPUT)
                                j->output_stopped = true;
                        else
                                j->client_stopped = true;
                }
                return;
        }
        /* the caller is gone, or said something else: nothing more to hear
         * (the deadline still holds) */
        j->caller = -1;
}

/* Wait for a child's end, a foreign call, the caller's word or the next check. */
static void wait_events(struct job *j, int ms)
{
        struct pollfd pfd[3] = { { .fd = j->sfd, .events = POLLIN }, { .fd = j->listener, .events = POLLIN },
                                 { .fd = j->caller, .events = POLLIN } };
        if (poll(pfd, 3, ms) <= 0)
                return;
        if (pfd[2].revents)
                hear_caller(j, pfd[2].revents);
        if (pfd[0].revents) {
                struct signalfd_siginfo si;
                while (read(j->sfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                        ;
        }
        if (pfd[1].revents & POLLIN)
                hear_filter(j, false);
        else if (pfd[1].revents)
                /* no process of the job left with the filter: nothing more to hear */
                j->listener = -1;
}

/* A pooled job waits here, confined, until a request comes for it: both
 * halves, init's on its channel and the runner's word that it holds its
 * own and has lowered its limits (the one call of the kill watch it makes
 * on the way comes here meanwhile).  Without a request, or with a runner
 * dead before it, there is no job: init leaves, and the spawner sees it
 * go. */
static void wait_for_request(struct job *j)
{
        bool have_request = false, runner_set = false;
        /* what the host's process table shows of a job still in the pool
         * (the runner says the same) */
        prctl(PR_SET_NAME, "sandrun-pool", 0, 0, 0);
        while (!have_request || !runner_set) {
                struct pollfd pfd[3] = { { .fd = have_request ? -1 : j->a.pool_fd, .events = POLLIN },
                                         { .fd = runner_set ? -1 : j->a.set_fd, .events = POLLIN },
                                         { .fd = j->listener, .events = POLLIN } };
                if (poll(pfd, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        sb_init_leave(1);
                }
                if (pfd[2].revents & POLLIN) {
                        hear_filter(j, true);
                        if (j->forbidden_arch)
                                sb_init_leave(1);      /* not ours: nothing else runs yet */
                }
                if (pfd[0].revents) {
                        if (!sb_init_take_request(&j->a))
                                sb_init_leave(0);
                        have_request = true;
                }
                if (pfd[1].revents) {
                        struct sb_pool_spent spent = { 0 };
                        ssize_t n = read(j->a.set_fd, &spent, sizeof(spent));
                        if (n < 0 && errno == EINTR)
                                continue;
                        /* the runner died: with its request, its end is the job's
                         * report (the main loop's); without, there is no job */
                        if (n != (ssize_t) sizeof(spent) && !have_request)
                                sb_init_leave(1);
                        if (n == (ssize_t) sizeof(spent))
                                j->spent_before = spent;
                        runner_set = true;
                        close(j->a.set_fd);
                }
        }
        prctl(PR_SET_NAME, "sandrun-init", 0, 0, 0);
}

int main(void)
{
        static struct job j;
        read_args(&j.a);
        j.listener = j.a.listener_fd;
        if (j.a.pool_fd >= 0)
                wait_for_request(&j);
        j.caller = SB_FD_REPLY;
        /* the slot's cgroup counts from earlier jobs too */
        j.oom_before = sb_init_oom_kills(j.a.events_fd);
        /* the runner starts the user's code once this closes */
        close(j.a.ready_fd);

        /* init must not hold the job's pipes, or EOF would wait for it */
        for (int fd = 0; fd < SB_N_JOB_FDS; fd++)
                if (fd != SB_FD_REPLY && fd != SB_FD_FILES_OUT)
                        close(fd);
        /* the job's pid namespace's last pid (sb_init_runner_alone) */
        j.last_pid = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
        j.sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
        if (j.sfd < 0)
                sb_init_leave(1);

        j.deadline = sb_now_ns() + (uint64_t) j.a.wall_ms * 1000000ull;
        /* the CPU limit is the timeout rounded up to seconds, as RLIMIT_CPU's */
        j.cpu_limit_us = (((uint64_t) j.a.wall_ms + 999) / 1000) * 1000000ull;
        j.next_cpu_check = sb_now_ns() + CPU_CHECK_NS;
        for (;;) {
                int st;
                pid_t pid;
                struct rusage ru;
                while ((pid = wait4(-1, &st, __WALL | WNOHANG, &ru)) > 0)
                        if (pid == (pid_t) j.a.worker)
                                worker_ended(&j, st, &ru);
                if (pid < 0 && errno == ECHILD)
                        sb_init_leave(1);
                wait_events(&j, limits(&j));
        }
}
