/* The spawner's loop (the zygote, in warm mode): receive a job with its fds,
 * start the job's first process (job_first.c), keep the wall clock, reap
 * with wait4 and report.  It parses nothing of the user's input: the script
 * and stdin travel as fds it never reads. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "cgroup.h"
#include "clone_job.h"
#include "handover.h"
#include "job_first.h"
#include "reply.h"
#include "spawner.h"
#include "zygote.h"

#define MAX_JOBS 1024
#define BACKSTOP_MS 2000

struct running {
        pid_t pid;
        int reply_fd;
        uint64_t start_ns;
        uint64_t deadline_ns;
        bool timed_out;
};

/* What the loop keeps. */
struct spawner {
        const struct sb_plan *p;
        struct sb_runtime *rt;
        struct running jobs[MAX_JOBS];
        size_t n_jobs;
        uint64_t as_base;            /* warm: the zygote's address space */
        uint64_t base_rss_kb;        /* warm: the zygote's resident size, reported with every job */
};

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

/* The job's first process, cloned; its pid, or a negative errno. */
static pid_t clone_first(struct spawner *s, const struct sb_job_request *req, const int fds[SB_N_JOB_FDS])
{
        const struct sb_slot_fds *slot = &s->rt->slot[req->slot];
        struct sb_first_args args = { .p = s->p, .slot = slot, .req = req, .as_base = s->as_base,
                                      .base_rss_kb = s->base_rss_kb };
        memcpy(args.fds, fds, sizeof(args.fds));
        if (s->p->warm)
                sb_zygote_before_fork();
        pid_t pid = sb_clone_job(sb_job_first_main, &args, slot->netns < 0, sb_cgroup_birth_fd(s->p, slot),
                                 &args.in_cgroup);
        int e = errno;
        if (s->p->warm)
                sb_zygote_after_fork_parent();
        return pid < 0 ? -e : pid;
}

static void start_job(struct spawner *s, const struct sb_job_request *req, int fds[SB_N_JOB_FDS])
{
        struct sb_error err = { 0 };

        if (s->n_jobs >= MAX_JOBS || req->slot >= s->p->slots) {
                sb_failx(&err, EAGAIN, "spawner cannot take job (slot %u, %zu running)", req->slot, s->n_jobs);
                sb_reply_error(fds[SB_FD_REPLY], SB_REPLY_REFUSED, &err);
                goto close_all;
        }
        uint64_t start = sb_now_ns();
        /* before the job's first process exists: it may be born in the cgroup */
        if (sb_cgroup_limit(s->p, s->rt, req->slot, req->memory_bytes, &err) < 0) {
                sb_reply_error(fds[SB_FD_REPLY], SB_REPLY_REFUSED, &err);
                goto close_all;
        }
        pid_t pid = clone_first(s, req, fds);
        if (pid < 0) {
                sb_fail(&err, -pid, "clone job");
                sb_reply_error(fds[SB_FD_REPLY], SB_REPLY_REFUSED, &err);
                goto close_all;
        }

        s->jobs[s->n_jobs++] = (struct running) {
                .pid = pid,
                .reply_fd = fds[SB_FD_REPLY],
                .start_ns = start,
                /* init keeps the job's deadline; this one only catches an init
                 * that could not (stopped, or starved) */
                .deadline_ns = start + ((uint64_t) req->wall_ms + BACKSTOP_MS) * SB_NSEC_PER_MSEC,
        };
        for (int i = 0; i < SB_N_JOB_FDS; i++)
                if (i != SB_FD_REPLY)
                        close(fds[i]);
        return;
close_all:
        for (int i = 0; i < SB_N_JOB_FDS; i++)
                close(fds[i]);
}

static void reap(struct spawner *s)
{
        for (;;) {
                int st;
                struct rusage ru;
                pid_t pid = wait4(-1, &st, WNOHANG, &ru);
                if (pid <= 0)
                        return;
                for (size_t i = 0; i < s->n_jobs; i++) {
                        struct running *j = &s->jobs[i];
                        if (j->pid != pid)
                                continue;
                        struct sb_job_reply r = {
                                .magic = SB_PROTO_MAGIC,
                                .kind = SB_REPLY_DONE,
                                .wstatus = st,
                                .timed_out = j->timed_out,
                                .wall_us = (sb_now_ns() - j->start_ns) / 1000,
                                .utime_us = (uint64_t) ru.ru_utime.tv_sec * 1000000 + (uint64_t) ru.ru_utime.tv_usec,
                                .stime_us = (uint64_t) ru.ru_stime.tv_sec * 1000000 + (uint64_t) ru.ru_stime.tv_usec,
                                .maxrss_kb = (uint64_t) ru.ru_maxrss,
                                .base_rss_kb = s->base_rss_kb,
                        };
                        sb_reply_send(j->reply_fd, &r);
                        close(j->reply_fd);
                        *j = s->jobs[--s->n_jobs];
                        break;
                }
        }
}

/* Kill the jobs past their deadline; how long poll may wait for the next
 * one, in ms (-1: none). */
static int deadlines(struct spawner *s)
{
        uint64_t now = sb_now_ns();
        int timeout = -1;
        for (size_t i = 0; i < s->n_jobs; i++) {
                struct running *j = &s->jobs[i];
                if (j->timed_out)
                        continue;
                if (j->deadline_ns <= now) {
                        /* pid 1 of the job's namespace: its death takes every
                         * process of the job with it */
                        kill(j->pid, SIGKILL);
                        j->timed_out = true;
                        continue;
                }
                uint64_t ms = (j->deadline_ns - now + 999999) / 1000000;
                if (timeout < 0 || ms < (uint64_t) timeout)
                        timeout = ms > 60000 ? 60000 : (int) ms;
        }
        return timeout;
}

/* The caller is gone or stopping: nothing of ours may outlive it. */
static void __attribute__((noreturn)) end_all(struct spawner *s)
{
        for (size_t i = 0; i < s->n_jobs; i++)
                kill(s->jobs[i].pid, SIGKILL);
        while (s->n_jobs > 0) {
                int st;
                struct rusage ru;
                pid_t pid = wait4(-1, &st, 0, &ru);
                if (pid < 0)
                        break;
                for (size_t i = 0; i < s->n_jobs; i++)
                        if (s->jobs[i].pid == pid) {
                                close(s->jobs[i].reply_fd);
                                s->jobs[i] = s->jobs[--s->n_jobs];
                                break;
                        }
        }
        _exit(0);
}

/* Who we are, and the interpreter in warm mode. */
static void zygote_setup(struct spawner *s, pid_t parent)
{
        /* The zygote lives exactly as long as its supervisor. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
                _exit(0);
        prctl(PR_SET_NAME, s->p->warm ? "sandrun-zygote" : "sandrun-spawn", 0, 0, 0);
        if (s->p->warm) {
                struct sb_error err = { 0 };
                if (sb_zygote_init(s->p, &err) < 0) {
                        /* the supervisor gives up after repeated quick deaths */
                        (void) !write(STDERR_FILENO, err.msg, strnlen(err.msg, sizeof(err.msg)));
                        (void) !write(STDERR_FILENO, "\n", 1);
                        _exit(3);
                }
                uint64_t rss;
                sb_zygote_size(&s->as_base, &rss);
                s->base_rss_kb = rss / 1024;
        }
}

static int signals_setup(void)
{
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
        return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void __attribute__((noreturn)) zygote_main(struct spawner *s, int ctl, pid_t parent)
{
        zygote_setup(s, parent);
        int sfd = signals_setup();
        if (sfd < 0)
                _exit(1);
        for (;;) {
                struct pollfd pfd[2] = { { .fd = ctl, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                if (poll(pfd, 2, deadlines(s)) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pfd[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si))
                                ;
                        reap(s);
                }
                if (pfd[0].revents & POLLIN) {
                        struct sb_job_request req;
                        int fds[SB_N_JOB_FDS];
                        int r = recv_job(ctl, &req, fds);
                        if (r == 0)
                                break;          /* the caller closed the channel */
                        if (r > 0)
                                start_job(s, &req, fds);
                } else if (pfd[0].revents & (POLLHUP | POLLERR)) {
                        break;
                }
        }
        end_all(s);
}

void sb_spawner_zygote_main(void)
{
        static struct sb_plan p;
        static struct sb_runtime rt;
        static struct spawner s;
        int ctl;
        pid_t supervisor;
        sb_handover_read(&p, &rt, &ctl, &supervisor);
        s.p = &p;
        s.rt = &rt;
        zygote_main(&s, ctl, supervisor);
}
