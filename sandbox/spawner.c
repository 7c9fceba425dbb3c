/* The spawner's loop (the zygote, in warm mode): receive a job with its fds,
 * start the job's first process (job_first.c), keep the wall clock, reap
 * with wait4 and report.  It parses nothing of the user's input: the script
 * and stdin travel as fds it never reads. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

#define BACKSTOP_MS 2000
/* a pooled job that died before its request: wait before the next, from
 * this long, doubling up to the most */
#define POOL_RETRY_MS 100
#define POOL_RETRY_MAX_MS 10000

/* The pool.  A pooled job is cloned, confined (every step of enter.c, with
 * open RLIMIT_AS and RLIMIT_CPU), has forked its runner and executed its
 * init before any request exists; init and runner then wait on a channel
 * each.  A request takes the oldest waiting job: the spawner sets its
 * cgroup's memory limit and hands over the request's fds and limits, the
 * runner lowers its rlimits and the script runs.  A job runs one request
 * and is never reused.  Refilling happens when no request is waiting here,
 * and when the pool is empty a request's job is started for it, as without
 * a pool.
 *
 * Every job, waiting or running, holds a sandbox slot of its own (a uid, a
 * net namespace and a cgroup; plan.h) from its clone to its reaping: the
 * plan has the service's execution slots plus the pool's, so a waiting job
 * never shares them with a running one, nor with a job still ending. */
enum job_state {
        JOB_WAITING,          /* pooled, no request yet */
        JOB_RUNNING,          /* a request's */
        JOB_LET_GO,           /* pooled, ended without a request: only its reaping is left */
};

struct running {
        pid_t pid;
        unsigned slot;        /* the sandbox slot it holds */
        enum job_state state;
        bool pooled;          /* RUNNING: the request went to a pooled job */
        bool timed_out;
        int reply_fd;         /* RUNNING */
        int runner_chan;      /* WAITING: our ends of its two channels */
        int init_chan;
        uint64_t start_ns;
        uint64_t deadline_ns;
};

/* What the loop keeps. */
struct spawner {
        const struct sb_plan *p;
        struct sb_runtime *rt;
        struct running *jobs;        /* at most one a sandbox slot */
        size_t n_jobs;
        bool *busy;                  /* per sandbox slot: a job holds it */
        unsigned waiting;            /* JOB_WAITING jobs */
        unsigned running;            /* JOB_RUNNING jobs */
        unsigned refill_below;       /* refill only while fewer jobs than this run */
        unsigned pool_failures;      /* pooled jobs in a row that died before a request */
        uint64_t refill_after_ns;
        int devnull;                 /* a pooled job's placeholders */
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

/* A sandbox slot no job holds, or -1. */
static int free_slot(const struct spawner *s)
{
        for (unsigned i = 0; i < s->p->slots; i++)
                if (!s->busy[i])
                        return (int) i;
        return -1;
}

static struct running *add_job(struct spawner *s, pid_t pid, unsigned slot, enum job_state state)
{
        struct running *j = &s->jobs[s->n_jobs++];
        *j = (struct running) { .pid = pid, .slot = slot, .state = state, .reply_fd = -1, .runner_chan = -1,
                                .init_chan = -1 };
        s->busy[slot] = true;
        return j;
}

/* The job's first process, cloned, on sandbox slot req->slot; its pid, or
 * a negative errno.  fds: SB_N_JOB_FDS, or SB_N_POOL_FDS when pooled. */
static pid_t clone_first(struct spawner *s, const struct sb_job_request *req, const int *fds, bool pooled)
{
        const struct sb_slot_fds *slot = &s->rt->slot[req->slot];
        struct sb_first_args args = { .p = s->p, .slot = slot, .req = req, .as_base = s->as_base,
                                      .base_rss_kb = s->base_rss_kb, .pooled = pooled };
        memcpy(args.fds, fds, sizeof(int) * (pooled ? SB_N_POOL_FDS : SB_N_JOB_FDS));
        if (s->p->warm)
                sb_zygote_before_fork();
        pid_t pid = sb_clone_job(sb_job_first_main, &args, slot->netns < 0, sb_cgroup_birth_fd(s->p, slot),
                                 &args.in_cgroup);
        int e = errno;
        if (s->p->warm)
                sb_zygote_after_fork_parent();
        return pid < 0 ? -e : pid;
}

static int send_fds(int chan, const void *msg, size_t len, const int *fds, size_t n)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * SB_POOL_RUNNER_FDS)];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct iovec iov = { .iov_base = (void *) msg, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
        /* a fresh socket of this job alone: room for one message is there */
        return sendmsg(chan, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t) len ? 0 : -errno;
}

/* A pooled job died before its request: its setup failed (the first one
 * says so in the service's log), or it was killed.  Requests go on without
 * the pool meanwhile.  how: its wait status, or -errno of a hand-over that
 * found it gone. */
static void pooled_job_lost(struct spawner *s, int how)
{
        uint64_t ms = POOL_RETRY_MS;
        for (unsigned i = 0; i < s->pool_failures && ms < POOL_RETRY_MAX_MS; i++)
                ms *= 2;
        if (ms > POOL_RETRY_MAX_MS)
                ms = POOL_RETRY_MAX_MS;
        if (s->pool_failures == 0) {
                char line[200];
                int n = how < 0 ? snprintf(line, sizeof(line),
                                           "sandrun: a pooled job ended before its request (hand-over: %s); "
                                           "retrying in %llu ms\n", strerror(-how), (unsigned long long) ms)
                                : snprintf(line, sizeof(line),
                                           "sandrun: a pooled job ended before its request (%s %d); "
                                           "retrying in %llu ms\n", WIFSIGNALED(how) ? "signal" : "exit status",
                                           WIFSIGNALED(how) ? WTERMSIG(how) : WEXITSTATUS(how),
                                           (unsigned long long) ms);
                (void) !write(STDERR_FILENO, line, (size_t) n);
        }
        s->pool_failures++;
        s->refill_after_ns = sb_now_ns() + ms * SB_NSEC_PER_MSEC;
}

/* The request to a waiting job: what the runner needs on its channel, what
 * init needs on its.  Our copies of the fds stay ours.  0, or a negative
 * errno: the job is gone or going (it died meanwhile), and is let go. */
static int hand_over(struct spawner *s, struct running *j, const struct sb_job_request *req,
                     const int fds[SB_N_JOB_FDS])
{
        struct sb_pool_runner rm = {
                .magic = SB_POOL_MAGIC, .dialect = req->dialect, .cpu_seconds = req->cpu_seconds,
                /* as job_first.c computes it for a job started for its request */
                .address_space = sb_limits_address_space(s->p, req->memory_bytes, s->as_base),
                .max_result_bytes = req->max_result_bytes,
        };
        memcpy(rm.handler, req->handler, sizeof(rm.handler));
        rm.handler[sizeof(rm.handler) - 1] = 0;
        const int rfds[SB_POOL_RUNNER_FDS] = { fds[SB_FD_STDIN], fds[SB_FD_STDOUT], fds[SB_FD_STDERR],
                                               fds[SB_FD_SCRIPT], fds[SB_FD_RESULT], fds[SB_FD_REPLY],
                                               fds[SB_FD_FILES_IN] };
        struct sb_pool_init im = { .magic = SB_POOL_MAGIC, .wall_ms = req->wall_ms,
                                   .max_files_out = req->max_files_out,
                                   .max_files_out_bytes = req->max_files_out_bytes };
        const int ifds[SB_POOL_INIT_FDS] = { fds[SB_FD_REPLY], fds[SB_FD_FILES_OUT] };
        int r = send_fds(j->runner_chan, &rm, sizeof(rm), rfds, SB_POOL_RUNNER_FDS);
        if (r == 0)
                r = send_fds(j->init_chan, &im, sizeof(im), ifds, SB_POOL_INIT_FDS);
        close(j->runner_chan);
        close(j->init_chan);
        j->runner_chan = j->init_chan = -1;
        s->waiting--;
        if (r < 0) {
                /* whatever it got dies with its init */
                kill(j->pid, SIGKILL);
                j->state = JOB_LET_GO;
                pooled_job_lost(s, r);
                return r;
        }
        j->state = JOB_RUNNING;
        s->running++;
        j->pooled = true;
        s->pool_failures = 0;
        return 0;
}

/* The oldest waiting job, or NULL. */
static struct running *pooled_job(struct spawner *s)
{
        struct running *best = NULL;
        for (size_t i = 0; i < s->n_jobs; i++)
                if (s->jobs[i].state == JOB_WAITING && (!best || s->jobs[i].start_ns < best->start_ns))
                        best = &s->jobs[i];
        return best;
}

static void start_job(struct spawner *s, const struct sb_job_request *req, int fds[SB_N_JOB_FDS])
{
        struct sb_error err = { 0 };
        struct running *j = NULL;

        if (req->slot >= s->p->slots) {
                sb_failx(&err, EINVAL, "spawner cannot take job (slot %u of %u)", req->slot, s->p->slots);
                goto refused;
        }
        uint64_t start = sb_now_ns();
        for (struct running *w; !j && (w = pooled_job(s));) {
                /* before the job may use any memory of the request's */
                if (sb_cgroup_limit(s->p, s->rt, w->slot, req->memory_bytes, &err) < 0)
                        goto refused;
                if (hand_over(s, w, req, fds) == 0)
                        j = w;
        }
        if (!j) {
                /* no job waits: one started for this request, as without a pool */
                struct sb_job_request own = *req;
                int slot = free_slot(s);
                if (slot < 0) {
                        sb_failx(&err, EAGAIN, "spawner cannot take job (%zu running)", s->n_jobs);
                        goto refused;
                }
                own.slot = (unsigned) slot;
                /* before the job's first process exists: it may be born in the cgroup */
                if (sb_cgroup_limit(s->p, s->rt, own.slot, req->memory_bytes, &err) < 0)
                        goto refused;
                pid_t pid = clone_first(s, &own, fds, false);
                if (pid < 0) {
                        sb_fail(&err, -pid, "clone job");
                        goto refused;
                }
                j = add_job(s, pid, own.slot, JOB_RUNNING);
                s->running++;
        }
        j->reply_fd = fds[SB_FD_REPLY];
        j->start_ns = start;
        /* init keeps the job's deadline; this one only catches an init
         * that could not (stopped, or starved) */
        j->deadline_ns = start + ((uint64_t) req->wall_ms + BACKSTOP_MS) * SB_NSEC_PER_MSEC;
        for (int i = 0; i < SB_N_JOB_FDS; i++)
                if (i != SB_FD_REPLY)
                        close(fds[i]);
        return;
refused:
        sb_reply_error(fds[SB_FD_REPLY], SB_REPLY_REFUSED, &err);
        for (int i = 0; i < SB_N_JOB_FDS; i++)
                close(fds[i]);
}

/* Is a pooled job to be started now?  Only with a slot free for it, no
 * failure to wait out, and a CPU to spare: a pooled job costs what a job
 * started for its request costs, and more (its rehearsal), which only pays
 * when it is done on a CPU that would idle otherwise.  With as many jobs
 * running as CPUs (or every execution slot busy) requests are served
 * without the pool, as fast as the machine starts jobs, rather than wait
 * behind refills (bench/run: hello at concurrency 16 went from 135 to about
 * the 165 requests/s of pool_depth 0). */
static bool refill_due(const struct spawner *s, uint64_t now)
{
        return s->waiting < s->p->pool && now >= s->refill_after_ns && s->running < s->refill_below &&
               free_slot(s) >= 0;
}

/* One more job for the pool: confined (the clone returns once its init
 * runs, or its first process failed) and waiting. */
static void refill(struct spawner *s)
{
        int slot = free_slot(s);
        int rc[2], ic[2];
        if (slot < 0)
                return;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rc) < 0)
                goto failed;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ic) < 0) {
                close(rc[0]);
                close(rc[1]);
                goto failed;
        }
        struct sb_job_request req = { .magic = SB_PROTO_MAGIC, .slot = (unsigned) slot };
        int fds[SB_N_POOL_FDS];
        for (int i = 0; i < SB_N_JOB_FDS; i++)
                fds[i] = s->devnull;
        fds[SB_FD_POOL_RUNNER] = rc[1];
        fds[SB_FD_POOL_INIT] = ic[1];
        pid_t pid = clone_first(s, &req, fds, true);
        close(rc[1]);
        close(ic[1]);
        if (pid < 0) {
                close(rc[0]);
                close(ic[0]);
                goto failed;
        }
        struct running *j = add_job(s, pid, (unsigned) slot, JOB_WAITING);
        j->runner_chan = rc[0];
        j->init_chan = ic[0];
        j->start_ns = sb_now_ns();
        s->waiting++;
        return;
failed:
        s->pool_failures++;
        s->refill_after_ns = sb_now_ns() + POOL_RETRY_MS * SB_NSEC_PER_MSEC;
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
                        s->busy[j->slot] = false;
                        if (j->state != JOB_RUNNING) {
                                if (j->state == JOB_WAITING) {
                                        close(j->runner_chan);
                                        close(j->init_chan);
                                        s->waiting--;
                                        pooled_job_lost(s, st);
                                }
                                *j = s->jobs[--s->n_jobs];
                                break;
                        }
                        s->running--;
                        struct sb_job_reply r = {
                                .magic = SB_PROTO_MAGIC,
                                .kind = SB_REPLY_DONE,
                                .wstatus = st,
                                .timed_out = j->timed_out,
                                .pooled = j->pooled,
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
                if (j->timed_out || j->state != JOB_RUNNING)
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
                                if (s->jobs[i].reply_fd >= 0)
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
        s->jobs = calloc(s->p->slots, sizeof(*s->jobs));
        s->busy = calloc(s->p->slots, sizeof(*s->busy));
        s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        s->refill_below = s->p->slots - s->p->pool;
        if (cpus > 0 && (unsigned long) cpus < s->refill_below)
                s->refill_below = (unsigned) cpus;
        if (sfd < 0 || !s->jobs || !s->busy || s->devnull < 0)
                _exit(1);
        for (;;) {
                struct pollfd pfd[2] = { { .fd = ctl, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                uint64_t now = sb_now_ns();
                int timeout = deadlines(s);
                bool refill_now = refill_due(s, now);
                if (refill_now) {
                        /* a request that is already here goes first */
                        timeout = 0;
                } else if (s->waiting < s->p->pool && s->refill_after_ns > now) {
                        int ms = (int) ((s->refill_after_ns - now) / SB_NSEC_PER_MSEC) + 1;
                        if (timeout < 0 || ms < timeout)
                                timeout = ms;
                }
                int n = poll(pfd, 2, timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (n == 0 && refill_now) {
                        refill(s);
                        continue;
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
