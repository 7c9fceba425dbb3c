/* The job's first process, and the start of its runner.
 *
 * Cloned by the spawner (clone_job.c: CLONE_VM | CLONE_VFORK, on the small
 * job stack, in the spawner's memory), it confines itself, forks the runner
 * and executes sandrun-init, which becomes pid 1 of the job; the runner runs
 * the user's code once init runs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "clone_job.h"
#include "enter.h"
#include "job_first.h"
#include "pool_recv.h"
#include "reply.h"
#include "zygote.h"

/* What the runner needs once it is back on the spawner's stack: its own
 * copy, made after the fork, outside the job stack. */
static struct runner_args {
        const struct sb_plan *p;
        uint32_t dialect;
        uint64_t max_result_bytes;
        int exec_done;
        int listener;          /* the seccomp listener: init's alone */
        int set;               /* pooled: tell init the request is taken, or -1 */
        char handler[sizeof(((struct sb_job_request *) 0)->handler)];
} runner_args;

static const char *dialect_name(uint32_t d)
{
        switch (d) {
        case SB_DIALECT_RUN: return "run";
        case SB_DIALECT_INVOKE: return "invoke";
        default: return "execute";
        }
}

/* A pooled runner's request (spawner.c, hand_over): its fds onto the
 * numbers a job's runner has them on, and its limits, lowered from the open
 * ones the pool confined it with.  Setting RLIMIT_CPU goes by init (the
 * kill watch, step6_seccomp.c), which lets it pass as ours: no user code has
 * run yet, and init only lets it run once the byte on a->set says this is
 * done.  0, or the runner must _exit. */
static int take_request(struct runner_args *a)
{
        struct sb_pool_runner m;
        int fds[SB_POOL_RUNNER_FDS];
        int r = sb_pool_recv(SB_FD_POOL_RUNNER, &m, sizeof(m), fds, SB_POOL_RUNNER_FDS);
        close(SB_FD_POOL_RUNNER);
        if (r < 0)
                return r;
        /* they arrive above the placeholders on 0..6 (all open), so none
         * lands on a number another still needs */
        for (int i = 0; i < SB_POOL_RUNNER_FDS; i++) {
                if (dup2(fds[i], i) < 0)
                        return -errno;
                close(fds[i]);
        }
        /* as step5_limits.c sets them for a job started for its request */
        rlim_t cpu = m.cpu_seconds ? m.cpu_seconds : 1;
        struct rlimit as = { m.address_space, m.address_space }, cpul = { cpu, cpu + 1 };
        if (setrlimit(RLIMIT_AS, &as) < 0 || setrlimit(RLIMIT_CPU, &cpul) < 0)
                return -errno;
        a->dialect = m.dialect;
        a->max_result_bytes = m.max_result_bytes;
        memcpy(a->handler, m.handler, sizeof(a->handler));
        a->handler[sizeof(a->handler) - 1] = 0;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        struct sb_pool_spent spent = {
                .user_us = (uint64_t) ru.ru_utime.tv_sec * 1000000 + (uint64_t) ru.ru_utime.tv_usec,
                .sys_us = (uint64_t) ru.ru_stime.tv_sec * 1000000 + (uint64_t) ru.ru_stime.tv_usec,
        };
        if (write(a->set, &spent, sizeof(spent)) != (ssize_t) sizeof(spent))
                return -EPIPE;
        close(a->set);
        return 0;
}

/* The runner: a fork of the job's first process, already confined, now on
 * the spawner's own stack (see clone_job.c).  Never returns. */
static void runner_main(void *arg)
{
        struct runner_args *a = arg;
        struct sb_error err = { 0 };
        char c, max_result[32];

        /* whoever holds the listener could allow a refused call; the
         * cgroup's events are init's business */
        close(a->listener);
        close(SB_EVENTS_FD);
        /* the files of output/ are init's word, gathered after us: the
         * script must not be able to write that stream itself */
        close(SB_FD_FILES_OUT);
        if (a->set >= 0) {
                /* as init: what the host's process table shows of the pool */
                char name[16] = "";
                prctl(PR_GET_NAME, name, 0, 0, 0);
                prctl(PR_SET_NAME, "sandrun-pool", 0, 0, 0);
                /* the interpreter's after-fork work and a rehearsal of a
                 * job's steps, off the request's path (zygote.c) */
                if (a->p->warm)
                        sb_zygote_prepare(true);
                if (take_request(a) < 0)
                        /* init reports nothing: it never had its request, or
                         * hears of our end and says how we ended */
                        _exit(SB_SETUP_FAILED_EXIT);
                prctl(PR_SET_NAME, name, 0, 0, 0);
        }
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
        snprintf(max_result, sizeof(max_result), "%llu", (unsigned long long) a->max_result_bytes);
        /* -X utf8: as the warm zygote's interpreter (zygote.c) */
        char *const argv[] = { "python3", "-I", "-B", "-X", "utf8", SB_ROOT_RUNNER, (char *) dialect_name(a->dialect),
                               max_result, (char *) a->handler, NULL };
        execve(a->p->python, argv, sb_job_environ);
        sb_fail(&err, errno, "execve %s", a->p->python);
        sb_reply_error(SB_FD_REPLY, SB_REPLY_SETUP_FAILED, &err);
        _exit(SB_SETUP_FAILED_EXIT);
}

static void __attribute__((noreturn)) setup_failed(int reply, pid_t worker, const struct sb_error *err)
{
        if (worker > 0)
                kill(worker, SIGKILL);
        sb_reply_error(reply, SB_REPLY_SETUP_FAILED, err);
        _exit(SB_SETUP_FAILED_EXIT);
}

/* The runner waits until sandrun-init runs (it closes the pipe's write end
 * first thing), so user code never meets pid 1 while it is still this copy
 * of the spawner or half-way through its exec.  The runner's pid, in the
 * first process; the runner itself goes on in runner_main. */
static pid_t fork_runner(const struct sb_first_args *a, int listener, int *ready, int *set, struct sb_error *err)
{
        int exec_done[2], set_pipe[2] = { -1, -1 };
        if (pipe2(exec_done, O_CLOEXEC) < 0 || fcntl(exec_done[1], F_SETFD, 0) < 0)
                return sb_fail(err, errno, "pipe");
        /* pooled: the runner says when it holds its request (see take_request) */
        if (a->pooled && (pipe2(set_pipe, O_CLOEXEC) < 0 || fcntl(set_pipe[0], F_SETFD, 0) < 0))
                return sb_fail(err, errno, "pipe");
        pid_t worker = fork();
        if (worker < 0)
                return sb_fail(err, errno, "fork the runner");
        if (worker == 0) {
                runner_args = (struct runner_args) {
                        .p = a->p, .dialect = a->req->dialect, .max_result_bytes = a->req->max_result_bytes,
                        .exec_done = exec_done[0], .listener = listener, .set = set_pipe[1],
                };
                memcpy(runner_args.handler, a->req->handler, sizeof(runner_args.handler));
                runner_args.handler[sizeof(runner_args.handler) - 1] = 0;
                close(exec_done[1]);
                if (a->pooled) {
                        close(set_pipe[0]);
                        close(SB_FD_POOL_INIT);
                }
                sb_clone_runner_start(runner_main, &runner_args);
        }
        close(exec_done[0]);
        *ready = exec_done[1];
        *set = set_pipe[0];
        if (a->pooled) {
                close(set_pipe[1]);
                close(SB_FD_POOL_RUNNER);
        }
        return worker;
}

/* init's arguments, on SB_INIT_ARGS_FD (protocol.h): a pipe holds them
 * whole (far less than PIPE_BUF), so the write neither blocks nor splits. */
static int init_args(const struct sb_init_args *ia, struct sb_error *err)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return sb_fail(err, errno, "pipe for init's arguments");
        ssize_t n = write(pfd[1], ia, sizeof(*ia));
        int e = errno;
        close(pfd[1]);
        if (n != (ssize_t) sizeof(*ia)) {
                close(pfd[0]);
                return sb_fail(err, n < 0 ? e : EIO, "write init's arguments");
        }
        /* dup3 without O_CLOEXEC: it survives the exec, its original does not */
        if (dup3(pfd[0], SB_INIT_ARGS_FD, 0) < 0)
                return sb_fail(err, errno, "place init's arguments");
        close(pfd[0]);
        return 0;
}

int sb_job_first_main(void *arg)
{
        const struct sb_first_args *a = arg;
        const struct sb_job_request *req = a->req;
        struct sb_error err = { 0 };
        /* the job's clock starts here, its confinement included */
        struct sb_init_args ia = { .magic = SB_INIT_ARGS_MAGIC, .size = sizeof(ia), .start_ns = sb_now_ns(),
                                   .wall_ms = req->wall_ms, .base_rss_kb = a->base_rss_kb,
                                   .max_files_out = req->max_files_out,
                                   .max_files_out_bytes = req->max_files_out_bytes,
                                   .events_fd = a->p->cgroup ? SB_EVENTS_FD : -1,
                                   .pool_fd = a->pooled ? SB_FD_POOL_INIT : -1, .set_fd = -1 };
        struct sb_job_limits lim = {
                .slot = req->slot,
                /* warm: the interpreter and its libraries are already mapped;
                 * the job's limit is on top of them */
                .memory_bytes = sb_limits_address_space(a->p, req->memory_bytes, a->as_base),
                .cpu_seconds = req->cpu_seconds,
                /* warm: pages shared with the zygote count only once the job
                 * writes them (a few MB: 2.5 for hello, 11 for a pandas
                 * group-by), which is its memory indeed */
                .cgroup_memory_bytes = req->memory_bytes,
                .in_cgroup = a->in_cgroup,
                .pooled = a->pooled,
        };

        /* a pooled job has no one to tell of a failure but the spawner,
         * which sees it die before any request (the placeholder on 5 is
         * /dev/null) */
        int reply = a->fds[SB_FD_REPLY];
        int listener = sandbox_enter(a->p, a->slot, &lim, a->fds, a->pooled ? SB_N_POOL_FDS : SB_N_JOB_FDS, &err);
        if (listener < 0)
                /* fds may have moved: after step 2 the reply socket is fd 5 */
                setup_failed(fcntl(SB_FD_REPLY, F_GETFD) >= 0 ? SB_FD_REPLY : reply, 0, &err);
        ia.listener_fd = listener;
        ia.worker = fork_runner(a, listener, &ia.ready_fd, &ia.set_fd, &err);
        if (ia.worker < 0)
                setup_failed(SB_FD_REPLY, 0, &err);
        /* init keeps the listener across its exec */
        if (fcntl(listener, F_SETFD, 0) < 0) {
                sb_fail(&err, errno, "keep the seccomp listener");
                setup_failed(SB_FD_REPLY, ia.worker, &err);
        }
        if (init_args(&ia, &err) < 0)
                setup_failed(SB_FD_REPLY, ia.worker, &err);
        char *const argv[] = { "sandrun-init", NULL };
        char *const envp[] = { NULL };
        execveat(SB_INIT_FD, "", argv, envp, AT_EMPTY_PATH);
        sb_fail(&err, errno, "execute %s", a->p->init_path);
        setup_failed(SB_FD_REPLY, ia.worker, &err);
}
