/* The spawner's loop: receive a job with its fds, clone the confined child,
 * keep the wall clock, reap with wait4 and report.  It parses nothing of the
 * user's input: the script and stdin travel as fds it never reads. */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/close_range.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
/* AddressSanitizer keeps one idea of "the current stack" per thread, in
 * memory the job's first process shares with the spawner (CLONE_VM).  Tell it
 * when the job stack is in use and when the spawner's own stack is back, or it
 * warns (into the job's stderr) and may report false positives. */
static const void *main_stack_bottom;
static size_t main_stack_size;
static void asan_to_job_stack(void *stack, size_t size)
{
        __sanitizer_start_switch_fiber(NULL, stack, size);
}
static void asan_on_job_stack(void)
{
        __sanitizer_finish_switch_fiber(NULL, &main_stack_bottom, &main_stack_size);
}
static void asan_back_to_main_stack(void)
{
        __sanitizer_start_switch_fiber(NULL, main_stack_bottom, main_stack_size);
        __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
}
#else
static inline void asan_to_job_stack(void *stack, size_t size) { (void) stack; (void) size; }
static inline void asan_on_job_stack(void) { }
static inline void asan_back_to_main_stack(void) { }
#endif

#include "common/cleanup.h"
#include "spawner.h"
#include "zygote.h"

#define MAX_JOBS 1024

/* warm: the zygote's resident size, reported with every job */
static uint64_t base_rss_kb;
#define SETUP_FAILED_EXIT 125
#define BACKSTOP_MS 2000

struct running {
        pid_t pid;
        int reply_fd;
        uint64_t start_ns;
        uint64_t deadline_ns;
        bool timed_out;
};

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void send_reply(int fd, const struct sb_job_reply *r)
{
        /* MSG_NOSIGNAL: a caller that went away must not kill the spawner */
        (void) !send(fd, r, sizeof(*r), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void report(int fd, enum sb_reply_kind kind, const struct sb_error *e)
{
        struct sb_job_reply r = { .magic = SB_PROTO_MAGIC, .kind = kind, .error = e->code };
        snprintf(r.msg, sizeof(r.msg), "%s", e->msg);
        send_reply(fd, &r);
}

static const char *dialect_name(uint32_t d)
{
        switch (d) {
        case SB_DIALECT_RUN: return "run";
        case SB_DIALECT_INVOKE: return "invoke";
        default: return "execute";
        }
}

/* What the runner needs once it is back on the spawner's stack. */
static struct runner_args {
        const struct sb_policy *p;
        uint32_t dialect;
        uint64_t max_result_bytes;
        int exec_done;
        int listener;          /* the seccomp listener: init's alone */
        char handler[sizeof(((struct sb_job_request *) 0)->handler)];
        char max_result[32];
} runner_args;
static jmp_buf runner_jmp;

/* The runner: a fork of the job's first process, already confined, now on
 * the spawner's own stack (see start_job).  Never returns. */
static void __attribute__((noreturn)) runner_main(void)
{
        const struct runner_args *a = &runner_args;
        struct sb_error err = { 0 };
        char c;

        asan_back_to_main_stack();
        /* whoever holds the listener could allow a refused call; the
         * cgroup's events are init's business */
        close(a->listener);
        close(SB_EVENTS_FD);
        /* user code starts only once pid 1 is sandrun-init */
        while (read(a->exec_done, &c, 1) < 0 && errno == EINTR)
                ;
        close(a->exec_done);
        close(SB_INIT_FD);
        if (a->p->warm) {
                /* user code never holds the reply socket */
                close(SB_FD_REPLY);
                sb_zygote_run(dialect_name(a->dialect), a->max_result_bytes, a->handler);
        }
        /* the reply socket stays open only until exec succeeds */
        fcntl(SB_FD_REPLY, F_SETFD, FD_CLOEXEC);
        char *const argv[] = { "python3", "-I", "-B", SB_ROOT_RUNNER, (char *) dialect_name(a->dialect),
                               (char *) a->max_result, (char *) a->handler, NULL };
        execve(a->p->python, argv, sb_job_environ);
        sb_fail(&err, errno, "execve %s", a->p->python);
        report(SB_FD_REPLY, SB_REPLY_SETUP_FAILED, &err);
        _exit(SETUP_FAILED_EXIT);
}

/* The job's first process.  It is cloned with CLONE_VM | CLONE_VFORK: it
 * shares the spawner's memory (so no page table is copied for it) while the
 * spawner waits, confines itself, forks the runner (the one copy of the warm
 * interpreter a job costs) and then executes sandrun-init, which gives the
 * memory back and lets the spawner go on.  Until that exec it must only touch
 * its own stack and what the spawner would not mind it changing, and it ends
 * with _exit, never exit. */
struct child_args {
        const struct sb_policy *p;
        const struct sb_job_request *req;
        int fds[SB_N_JOB_FDS];
        uint64_t as_base;
        int netns;
        bool in_cgroup;              /* set by sb_clone_job before the child runs */
};

static int child_main(void *arg)
{
        asan_on_job_stack();
        const struct child_args *a = arg;
        const struct sb_policy *p = a->p;
        const struct sb_job_request *req = a->req;
        struct sb_error err = { 0 };
        struct sb_job_limits lim = {
                .slot = req->slot,
                /* warm: the interpreter and its libraries are already mapped;
                 * the job's limit is on top of them */
                .memory_bytes = req->memory_bytes + a->as_base,
                .cpu_seconds = req->cpu_seconds,
                /* warm: pages shared with the zygote count only once the job
                 * writes them (a few MB: 2.5 for hello, 11 for a pandas
                 * group-by), which is its memory indeed */
                .cgroup_memory_bytes = req->memory_bytes,
                .in_cgroup = a->in_cgroup,
        };
        char max_result[32], handler[sizeof(req->handler)], worker_arg[16], wall_arg[16], base_arg[24], start_arg[24],
                ready_arg[16], listener_arg[16], events_arg[16];
        struct timespec started;
        clock_gettime(CLOCK_MONOTONIC, &started);
        /* the job's clock starts here, its confinement included */
        const unsigned long long started_ns =
                (unsigned long long) started.tv_sec * 1000000000ull + (unsigned long long) started.tv_nsec;
        snprintf(start_arg, sizeof(start_arg), "%llu", started_ns);

        snprintf(max_result, sizeof(max_result), "%llu", (unsigned long long) req->max_result_bytes);
        memcpy(handler, req->handler, sizeof(handler));
        handler[sizeof(handler) - 1] = 0;

        int reply = a->fds[SB_FD_REPLY];
        int listener = -1;
        if ((a->netns >= 0 && sb_netns_join(a->netns, &err) < 0) ||
            (listener = sandbox_enter(p, &lim, a->fds, SB_N_JOB_FDS, &err)) < 0) {
                /* fds may have moved: after step 2 the reply socket is fd 5 */
                report(fcntl(SB_FD_REPLY, F_GETFD) >= 0 ? SB_FD_REPLY : reply, SB_REPLY_SETUP_FAILED, &err);
                _exit(SETUP_FAILED_EXIT);
        }

        /* The runner waits until sandrun-init runs (it closes the pipe's
         * write end first thing), so user code never meets pid 1 while it is
         * still this copy of the spawner or half-way through its exec. */
        int exec_done[2];
        if (pipe2(exec_done, O_CLOEXEC) < 0 || fcntl(exec_done[1], F_SETFD, 0) < 0) {
                sb_fail(&err, errno, "pipe");
                report(SB_FD_REPLY, SB_REPLY_SETUP_FAILED, &err);
                _exit(SETUP_FAILED_EXIT);
        }
        pid_t worker = fork();
        if (worker < 0) {
                sb_fail(&err, errno, "fork the runner");
                report(SB_FD_REPLY, SB_REPLY_SETUP_FAILED, &err);
                _exit(SETUP_FAILED_EXIT);
        }
        if (worker == 0) {
                /* The runner must not live on the small job stack: Python's
                 * C code recurses.  Back to the spawner's own stack, which
                 * this process has as the spawner left it when it cloned. */
                runner_args = (struct runner_args) {
                        .p = p, .dialect = req->dialect, .max_result_bytes = req->max_result_bytes,
                        .exec_done = exec_done[0], .listener = listener,
                };
                memcpy(runner_args.handler, handler, sizeof(handler));
                memcpy(runner_args.max_result, max_result, sizeof(max_result));
                close(exec_done[1]);
                longjmp(runner_jmp, 1);
        }

        close(exec_done[0]);
        /* init keeps the listener across its exec */
        if (fcntl(listener, F_SETFD, 0) < 0) {
                sb_fail(&err, errno, "keep the seccomp listener");
                kill(worker, SIGKILL);
                report(SB_FD_REPLY, SB_REPLY_SETUP_FAILED, &err);
                _exit(SETUP_FAILED_EXIT);
        }
        snprintf(listener_arg, sizeof(listener_arg), "%d", listener);
        snprintf(events_arg, sizeof(events_arg), "%d", SB_EVENTS_FD);
        snprintf(worker_arg, sizeof(worker_arg), "%d", (int) worker);
        snprintf(wall_arg, sizeof(wall_arg), "%u", req->wall_ms);
        snprintf(base_arg, sizeof(base_arg), "%llu", (unsigned long long) base_rss_kb);
        snprintf(ready_arg, sizeof(ready_arg), "%d", exec_done[1]);
        char *const argv[] = { "sandrun-init", worker_arg, wall_arg, base_arg, start_arg, ready_arg, listener_arg,
                               p->cgroup ? events_arg : "-", NULL };
        char *const envp[] = { NULL };
        execveat(SB_INIT_FD, "", argv, envp, AT_EMPTY_PATH);
        sb_fail(&err, errno, "execute %s", p->init_path);
        kill(worker, SIGKILL);
        report(SB_FD_REPLY, SB_REPLY_SETUP_FAILED, &err);
        _exit(SETUP_FAILED_EXIT);
}

static int recv_job(int ctl, struct sb_job_request *req, int fds[SB_N_JOB_FDS])
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * SB_N_JOB_FDS)];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = req, .iov_len = sizeof(*req) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };

        for (int i = 0; i < SB_N_JOB_FDS; i++)
                fds[i] = -1;
        ssize_t n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
        if (n <= 0)
                return n == 0 ? 0 : -errno;
        int nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (nfds < SB_N_JOB_FDS)
                                fds[nfds++] = fd;
                        else
                                close(fd);
                }
        }
        if ((size_t) n != sizeof(*req) || req->magic != SB_PROTO_MAGIC || nfds != SB_N_JOB_FDS ||
            (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
                for (int i = 0; i < SB_N_JOB_FDS; i++)
                        if (fds[i] >= 0)
                                close(fds[i]);
                return -EBADMSG;
        }
        return 1;
}

static void start_job(const struct sb_policy *p, struct running *jobs, size_t *n_jobs,
                      const struct sb_job_request *req, int fds[SB_N_JOB_FDS], uint64_t as_base,
                      const int *netns)
{
        struct sb_error err = { 0 };

        if (*n_jobs >= MAX_JOBS || req->slot >= p->slots) {
                sb_failx(&err, EAGAIN, "spawner cannot take job (slot %u, %zu running)", req->slot, *n_jobs);
                report(fds[SB_FD_REPLY], SB_REPLY_REFUSED, &err);
                goto close_all;
        }
        uint64_t start = now_ns();
        /* before the job's first process exists: it may be born in the cgroup */
        if (sb_cgroup_limit(p, req->slot, req->memory_bytes, &err) < 0) {
                report(fds[SB_FD_REPLY], SB_REPLY_REFUSED, &err);
                goto close_all;
        }
        if (p->warm)
                sb_zygote_before_fork();
        /* The runner of this job comes back here, on this stack, in its own
         * copy of our memory (child_main's fork jumps back). */
        if (setjmp(runner_jmp))
                runner_main();
        struct child_args args = { .p = p, .req = req, .as_base = as_base, .netns = netns ? netns[req->slot] : -1 };
        memcpy(args.fds, fds, sizeof(args.fds));
        void *job_stack;
        size_t job_stack_size;
        sb_job_stack(&job_stack, &job_stack_size);
        asan_to_job_stack(job_stack, job_stack_size);
        pid_t pid = sb_clone_job(child_main, &args, args.netns < 0, p->cgroup == 2 ? p->cgroup_mem_fd[req->slot] : -1,
                                 &args.in_cgroup);
        /* the child changed the shared sanitizer state to its stack */
        if (pid > 0)
                asan_back_to_main_stack();
        if (p->warm)
                sb_zygote_after_fork_parent();
        if (pid < 0) {
                sb_fail(&err, errno, "clone job");
                report(fds[SB_FD_REPLY], SB_REPLY_REFUSED, &err);
                goto close_all;
        }

        jobs[*n_jobs] = (struct running) {
                .pid = pid,
                .reply_fd = fds[SB_FD_REPLY],
                .start_ns = start,
                /* init keeps the job's deadline; this one only catches an init
                 * that could not (stopped, or starved) */
                .deadline_ns = start + ((uint64_t) req->wall_ms + BACKSTOP_MS) * 1000000ull,
        };
        (*n_jobs)++;
        for (int i = 0; i < SB_N_JOB_FDS; i++)
                if (i != SB_FD_REPLY)
                        close(fds[i]);
        return;
close_all:
        for (int i = 0; i < SB_N_JOB_FDS; i++)
                close(fds[i]);
}

static void reap(struct running *jobs, size_t *n_jobs)
{
        for (;;) {
                int st;
                struct rusage ru;
                pid_t pid = wait4(-1, &st, WNOHANG, &ru);
                if (pid <= 0)
                        return;
                for (size_t i = 0; i < *n_jobs; i++) {
                        if (jobs[i].pid != pid)
                                continue;
                        struct sb_job_reply r = {
                                .magic = SB_PROTO_MAGIC,
                                .kind = SB_REPLY_DONE,
                                .wstatus = st,
                                .timed_out = jobs[i].timed_out,
                                .wall_us = (now_ns() - jobs[i].start_ns) / 1000,
                                .utime_us = (uint64_t) ru.ru_utime.tv_sec * 1000000 + (uint64_t) ru.ru_utime.tv_usec,
                                .stime_us = (uint64_t) ru.ru_stime.tv_sec * 1000000 + (uint64_t) ru.ru_stime.tv_usec,
                                .maxrss_kb = (uint64_t) ru.ru_maxrss,
                                .base_rss_kb = base_rss_kb,
                        };
                        send_reply(jobs[i].reply_fd, &r);
                        close(jobs[i].reply_fd);
                        jobs[i] = jobs[--(*n_jobs)];
                        break;
                }
        }
}

static void __attribute__((noreturn)) zygote_main(const struct sb_policy *p, int ctl, pid_t parent, const int *netns)
{
        static struct running jobs[MAX_JOBS];
        size_t n_jobs = 0;
        uint64_t as_base = 0;
        base_rss_kb = 0;

        /* The zygote lives exactly as long as its supervisor. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
                _exit(0);
        prctl(PR_SET_NAME, p->warm ? "sandrun-zygote" : "sandrun-spawn", 0, 0, 0);
        if (p->warm) {
                struct sb_error err = { 0 };
                if (sb_zygote_init(p, &err) < 0) {
                        /* the supervisor gives up after repeated quick deaths */
                        (void) !write(STDERR_FILENO, err.msg, strnlen(err.msg, sizeof(err.msg)));
                        (void) !write(STDERR_FILENO, "\n", 1);
                        _exit(3);
                }
                uint64_t rss;
                sb_zygote_size(&as_base, &rss);
                base_rss_kb = rss / 1024;
        }

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* SIGTERM and SIGINT go to the service's process group; the service
         * decides when jobs end, by closing our channel. */
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                _exit(1);

        for (;;) {
                uint64_t now = now_ns();
                int timeout = -1;
                for (size_t i = 0; i < n_jobs; i++) {
                        if (jobs[i].timed_out)
                                continue;
                        if (jobs[i].deadline_ns <= now) {
                                /* pid 1 of the job's namespace: its death takes every
                                 * process of the job with it */
                                kill(jobs[i].pid, SIGKILL);
                                jobs[i].timed_out = true;
                                continue;
                        }
                        uint64_t ms = (jobs[i].deadline_ns - now + 999999) / 1000000;
                        if (timeout < 0 || ms < (uint64_t) timeout)
                                timeout = ms > 60000 ? 60000 : (int) ms;
                }

                struct pollfd pfd[2] = { { .fd = ctl, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                if (poll(pfd, 2, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pfd[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si))
                                ;
                        reap(jobs, &n_jobs);
                }
                if (pfd[0].revents & POLLIN) {
                        struct sb_job_request req;
                        int fds[SB_N_JOB_FDS];
                        int r = recv_job(ctl, &req, fds);
                        if (r == 0)
                                break;          /* the caller closed the channel */
                        if (r > 0)
                                start_job(p, jobs, &n_jobs, &req, fds, as_base, netns);
                } else if (pfd[0].revents & (POLLHUP | POLLERR)) {
                        break;
                }
        }

        /* The caller is gone or stopping: nothing of ours may outlive it. */
        for (size_t i = 0; i < n_jobs; i++)
                kill(jobs[i].pid, SIGKILL);
        while (n_jobs > 0) {
                int st;
                struct rusage ru;
                pid_t pid = wait4(-1, &st, 0, &ru);
                if (pid < 0)
                        break;
                for (size_t i = 0; i < n_jobs; i++)
                        if (jobs[i].pid == pid) {
                                close(jobs[i].reply_fd);
                                jobs[i] = jobs[--n_jobs];
                                break;
                        }
        }
        _exit(0);
}

/* The zygote is a fresh program image, executed by the supervisor, never a
 * fork of the service: a fork would hand every job the service's memory (its
 * argv and environment on the stack, its configuration in the heap, the
 * page it shares with the supervisor) and its address-space layout, which
 * is what an attacker of the service's own request parsing would want to
 * know.  What the zygote needs crosses the exec in a memfd: the policy (its
 * pointers refilled on the other side), the seccomp program, the slots' net
 * namespaces and cgroup fds, all of which stay open (not close-on-exec). */
#define ZYGOTE_STATE_MAGIC 0x7a79676fu   /* "zygo" */
struct zygote_state {
        uint32_t magic;
        uint32_t size;               /* of this struct: the same program on both sides */
        pid_t supervisor;
        int ctl;
        int has_netns;
        struct sb_policy policy;
        /* then: the filter, netns[slots] if has_netns, and for cgroups
         * mem[slots], pids[slots], cpu[slots], events[slots] */
};

static char *zygote_env[4];

static int keep_open(int fd)
{
        return fd < 0 ? 0 : fcntl(fd, F_SETFD, 0);
}

static int write_all_fd(int fd, const void *buf, size_t len)
{
        for (const char *b = buf; len > 0;) {
                ssize_t n = write(fd, b, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                b += n, len -= (size_t) n;
        }
        return 0;
}

static int zygote_state_write(const struct sb_policy *p, int ctl, pid_t self, const int *netns)
{
        int fd = memfd_create("sandrun-zygote-state", 0);
        if (fd < 0 || dup3(fd, SB_ZYGOTE_STATE_FD, 0) < 0)
                return -1;
        close(fd);
        struct zygote_state st = { .magic = ZYGOTE_STATE_MAGIC, .size = sizeof(st), .supervisor = self,
                                   .ctl = ctl, .has_netns = netns != NULL, .policy = *p };
        int r = keep_open(ctl) | keep_open(SB_RUNNER_FD) | keep_open(SB_INIT_FD) |
                write_all_fd(SB_ZYGOTE_STATE_FD, &st, sizeof(st)) |
                write_all_fd(SB_ZYGOTE_STATE_FD, p->filter, p->filter_len * sizeof(struct sock_filter));
        for (unsigned i = 0; netns && i < p->slots; i++)
                r |= keep_open(netns[i]);
        if (netns)
                r |= write_all_fd(SB_ZYGOTE_STATE_FD, netns, p->slots * sizeof(int));
        if (p->cgroup) {
                const int *arrays[4] = { p->cgroup_mem_fd, p->cgroup_pids_fd, p->cgroup_cpu_fd, p->cgroup_events_fd };
                for (int k = 0; k < 4; k++) {
                        for (unsigned i = 0; i < p->slots; i++)
                                r |= keep_open(arrays[k][i]);
                        r |= write_all_fd(SB_ZYGOTE_STATE_FD, arrays[k], p->slots * sizeof(int));
                }
        }
        /* Nothing of our environment goes across, but for a sanitizer
         * build's own options (such a build never serves strangers). */
        size_t n = 0;
#if defined(__SANITIZE_ADDRESS__)
        static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
        static char buf[3][512];
        for (size_t i = 0; i < ELEMENTSOF(pass); i++) {
                const char *v = getenv(pass[i]);
                if (v && snprintf(buf[n], sizeof(buf[n]), "%s=%s", pass[i], v) < (int) sizeof(buf[n]))
                        zygote_env[n] = buf[n], n++;
        }
#endif
        zygote_env[n] = NULL;
        return r ? -1 : 0;
}

static void __attribute__((noreturn)) zygote_exec(void)
{
        char *const argv[] = { (char *) SB_ZYGOTE_ARGV0, NULL };
        execveat(SB_ZYGOTE_EXE_FD, "", argv, zygote_env, AT_EMPTY_PATH);
        const char msg[] = "sandrun: cannot execute the zygote\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(3);
}

static int read_exact(int fd, void *buf, size_t len, off_t *off)
{
        ssize_t n = pread(fd, buf, len, *off);
        if (n != (ssize_t) len)
                return -1;
        *off += (off_t) len;
        return 0;
}

void sb_spawner_zygote_main(void)
{
        static struct zygote_state st;
        static struct sb_policy p;
        off_t off = 0;
        int *netns = NULL;
        if (read_exact(SB_ZYGOTE_STATE_FD, &st, sizeof(st), &off) < 0 || st.magic != ZYGOTE_STATE_MAGIC ||
            st.size != sizeof(st))
                _exit(3);
        p = st.policy;
        p.filter = malloc(p.filter_len * sizeof(struct sock_filter));
        if (!p.filter || read_exact(SB_ZYGOTE_STATE_FD, p.filter, p.filter_len * sizeof(struct sock_filter), &off) < 0)
                _exit(3);
        if (st.has_netns) {
                netns = malloc(p.slots * sizeof(int));
                if (!netns || read_exact(SB_ZYGOTE_STATE_FD, netns, p.slots * sizeof(int), &off) < 0)
                        _exit(3);
        }
        p.cgroup_mem_fd = p.cgroup_pids_fd = p.cgroup_cpu_fd = p.cgroup_events_fd = NULL;
        /* a new zygote knows no limit it wrote */
        p.cgroup_limit = p.cgroup ? calloc(p.slots, sizeof(uint64_t)) : NULL;
        if (p.cgroup && !p.cgroup_limit)
                _exit(3);
        if (p.cgroup) {
                int **arrays[4] = { &p.cgroup_mem_fd, &p.cgroup_pids_fd, &p.cgroup_cpu_fd, &p.cgroup_events_fd };
                for (int k = 0; k < 4; k++) {
                        *arrays[k] = malloc(p.slots * sizeof(int));
                        if (!*arrays[k] || read_exact(SB_ZYGOTE_STATE_FD, *arrays[k], p.slots * sizeof(int), &off) < 0)
                                _exit(3);
                }
        }
        close(SB_ZYGOTE_STATE_FD);
        zygote_main(&p, st.ctl, st.supervisor, netns);
}

/* The supervisor: a small single-threaded process without Python that keeps
 * the control socket and restarts the zygote when it dies.  Jobs in flight
 * on a dead zygote lose their reply socket (their callers answer 500); jobs
 * not yet read stay queued in the socket for the next zygote. */
static void __attribute__((noreturn)) supervisor_main(const struct sb_policy *policy, int ctl, pid_t parent,
                                                      struct sb_spawner_stats *stats)
{
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
                _exit(0);
        /* our own copy, to add what only the spawner holds */
        static struct sb_policy own;
        own = *policy;
        const struct sb_policy *p = &own;
        struct sb_error cg_err = { 0 };
        if (sb_cgroup_open(&own, &cg_err) < 0) {
                /* the service's start-up job then fails and says so */
                (void) !write(STDERR_FILENO, cg_err.msg, strnlen(cg_err.msg, sizeof(cg_err.msg)));
                (void) !write(STDERR_FILENO, "\n", 1);
                _exit(1);
        }
        prctl(PR_SET_NAME, "sandrun-superv", 0, 0, 0);
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);

        /* one net namespace per slot, made before any zygote so every
         * incarnation shares them (see step1_namespaces.c) */
        int *netns = calloc(p->slots, sizeof(int));
        if (!netns)
                _exit(1);
        for (unsigned i = 0; i < p->slots; i++) {
                struct sb_error err = { 0 };
                netns[i] = sb_netns_create(&err);
                if (netns[i] < 0) {
                        /* fall back to a fresh namespace per job */
                        for (unsigned j = 0; j < i; j++)
                                close(netns[j]);
                        free(netns);
                        netns = NULL;
                        break;
                }
        }

        if (zygote_state_write(p, ctl, getpid(), netns) < 0)
                _exit(1);
        unsigned quick_deaths = 0;
        for (;;) {
                uint64_t start = now_ns();
                pid_t pid = fork();
                if (pid < 0)
                        _exit(1);
                if (pid == 0)
                        zygote_exec();
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
                if (now_ns() - start < 2000000000ull)
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

int sb_spawner_start(const struct sb_policy *p, struct sb_spawner *s, struct sb_error *err)
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
                /* ... the runner and init files the jobs bind (policy.h) and
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
