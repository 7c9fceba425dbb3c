/* The spawner's loop (the zygote, in warm mode): receive a job with its fds,
 * start the job's first process (job_first.c), keep the wall clock, reap
 * with wait4 and report.  It parses nothing of the user's input: the script
 * and stdin travel as fds it never reads. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "cgroup.h"
#include "clone_job.h"
#include "handover.h"
#include "job_first.h"
#include "reply.h"
#include "spawner.h"
#include "spawner_jobs.h"
#include "zygote.h"

#define BACKSTOP_MS 2000
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

int sb_spawner_free_slot(const struct spawner *s)
{
        for (unsigned i = 0; i < s->p->slots; i++)
                if (!s->busy[i])
                        return (int) i;
        return -1;
}

struct running *sb_spawner_add_job(struct spawner *s, pid_t pid, unsigned slot, enum job_state state)
{
        struct running *j = &s->jobs[s->n_jobs++];
        *j = (struct running) { .pid = pid, .slot = slot, .state = state, .reply_fd = -1, .runner_chan = -1,
                                .init_chan = -1 };
        s->busy[slot] = true;
        return j;
}

pid_t sb_spawner_clone_first(struct spawner *s, const struct sb_job_request *req, const int *fds, bool pooled)
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

static void start_job(struct spawner *s, const struct sb_job_request *req, int fds[SB_N_JOB_FDS])
{
        struct sb_error err = { 0 };
        struct running *j = NULL;

        if (req->slot >= s->p->slots) {
                sb_failx(&err, EINVAL, "spawner cannot take job (slot %u of %u)", req->slot, s->p->slots);
                goto refused;
        }
        uint64_t start = sb_now_ns();
        j = sb_pool_take(s, req, fds, &err);
        if (err.code)
                goto refused;
        if (!j) {
                /* no job waits: one started for this request, as without a pool */
                struct sb_job_request own = *req;
                int slot = sb_spawner_free_slot(s);
                if (slot < 0) {
                        sb_failx(&err, EAGAIN, "spawner cannot take job (%zu running)", s->n_jobs);
                        goto refused;
                }
                own.slot = (unsigned) slot;
                /* before the job's first process exists: it may be born in the cgroup */
                if (sb_cgroup_limit(s->p, s->rt, own.slot, req->memory_bytes, &err) < 0)
                        goto refused;
                pid_t pid = sb_spawner_clone_first(s, &own, fds, false);
                if (pid < 0) {
                        sb_fail(&err, -pid, "clone job");
                        goto refused;
                }
                j = sb_spawner_add_job(s, pid, own.slot, JOB_RUNNING);
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
                        if (pid == s->refill_for)
                                s->refill_for = 0;
                        if (j->state != JOB_RUNNING) {
                                if (j->state == JOB_WAITING) {
                                        close(j->runner_chan);
                                        close(j->init_chan);
                                        s->waiting--;
                                        sb_pool_lost(s, st);
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

struct kill_as {
        pid_t pid;
        uid_t uid;
};

static int kill_as_main(void *arg)
{
        const struct kill_as *k = arg;
        /* raw calls: glibc's setresuid would change the credentials of every
         * thread of the process it believes it runs in, which is ours */
        if (syscall(SYS_setresuid, k->uid, k->uid, k->uid) == 0)
                (void) syscall(SYS_kill, k->pid, SIGKILL);
        syscall(SYS_exit, 0);
        return 0;
}

void sb_spawner_kill_job(const struct spawner *s, const struct running *j)
{
        /* A job's init runs as the job's uid, and sandrun.service's bounding
         * set gives us no CAP_KILL (docs/operations.md): where the plain kill
         * is refused, a child that takes the job's uid for this one call sends
         * it (CAP_SETUID we have).  The child shares our memory and we wait
         * for it (CLONE_VM | CLONE_VFORK: no copy of the zygote's pages); the
         * stack is ours, one call at a time. */
        if (kill(j->pid, SIGKILL) == 0 || errno != EPERM)
                return;
        static char stack[16384] __attribute__((aligned(16)));
        struct kill_as k = { .pid = j->pid, .uid = s->p->uid_base + j->slot };
        pid_t child = clone(kill_as_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK, &k);
        if (child > 0)
                (void) waitpid(child, NULL, __WALL);
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
                        sb_spawner_kill_job(s, j);
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
        for (size_t i = 0; i < s->n_jobs; i++) {
                /* a waiting job also leaves by itself when its channels close */
                if (s->jobs[i].state == JOB_WAITING) {
                        close(s->jobs[i].runner_chan);
                        close(s->jobs[i].init_chan);
                }
                sb_spawner_kill_job(s, &s->jobs[i]);
        }
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

/* Zeroed memory of the loop's own, or NULL.  The tables are written at
 * every job: in the heap they would share a 2 MB huge page with the
 * interpreter's data, and the zygote's first write after a fork would split
 * it into 512 entries that every later fork copies (zygote_memory.c). */
static void *own_pages(size_t bytes)
{
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

static void __attribute__((noreturn)) zygote_main(struct spawner *s, int ctl, pid_t parent)
{
        zygote_setup(s, parent);
        int sfd = signals_setup();
        s->jobs = own_pages(s->p->slots * sizeof(*s->jobs));
        s->busy = own_pages(s->p->slots * sizeof(*s->busy));
        s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        s->cpus = cpus > 0 ? (unsigned) cpus : 1;
        s->refill_below = s->p->slots - s->p->pool;
        if (s->cpus < s->refill_below)
                s->refill_below = s->cpus;
        /* without it, the pool refills only while fewer jobs run than CPUs */
        s->loadavg = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
        if (sfd < 0 || !s->jobs || !s->busy || s->devnull < 0)
                _exit(1);
        for (;;) {
                struct pollfd pfd[2] = { { .fd = ctl, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                uint64_t now = sb_now_ns();
                int timeout = deadlines(s);
                bool refill_now = sb_pool_refill_due(s, now);
                if (refill_now) {
                        /* a request that is already here goes first */
                        timeout = 0;
                } else if (sb_pool_refill_next_ns(s, now) > now) {
                        int ms = (int) ((sb_pool_refill_next_ns(s, now) - now) / SB_NSEC_PER_MSEC) + 1;
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
                        sb_pool_refill(s);
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
