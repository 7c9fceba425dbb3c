/* The pool of jobs confined before their request (see spawner_jobs.h for
 * what it is made of, docs/performance.md for why): refilled by the
 * spawner's loop when it has nothing else to do and a CPU to spare, taken
 * from by a request, one job a request, never reused. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "cgroup.h"
#include "enter.h"
#include "spawner_jobs.h"

/* a pooled job that died before its request: wait before the next, from
 * this long, doubling up to the most */
#define POOL_RETRY_MS 100
#define POOL_RETRY_MAX_MS 10000
/* how long a refill waits at most for the request it would compete with */
#define POOL_HOLD_MS 20
/* how often a refill waiting for a CPU looks again */
#define POOL_RECHECK_MS 10

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
void sb_pool_lost(struct spawner *s, int how)
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
                sb_spawner_kill_job(s, j);
                j->state = JOB_LET_GO;
                sb_pool_lost(s, r);
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

/* Tasks runnable on the machine right now, the caller included
 * (/proc/loadavg's fourth field, "runnable/all"), or -1. */
static int runnable_now(int loadavg)
{
        char buf[128];
        ssize_t n = loadavg < 0 ? -1 : pread(loadavg, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return -1;
        buf[n] = 0;
        const char *p = buf;
        for (int field = 0; field < 3; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -1;
                p++;
        }
        char *end;
        long v = strtol(p, &end, 10);
        return end == p || *end != '/' || v < 0 || v > 1000000 ? -1 : (int) v;
}

/* A CPU to spare: fewer jobs run than there are CPUs, or, with more, fewer
 * tasks are runnable than there are CPUs besides us (jobs that sleep, wait
 * for their stdin or for a lock take no CPU, and would otherwise starve
 * the pool of every other client: a client's two-second sleepers left
 * another's hellos without a waiting job). */
static bool cpu_to_spare(const struct spawner *s)
{
        if (s->running < s->refill_below)
                return true;
        if (s->running >= s->p->slots - s->p->pool)
                return false;
        int r = runnable_now(s->loadavg);
        return r >= 0 && (unsigned) r <= s->cpus;
}

/* Is a pooled job to be started now?  Only with a slot free for it, no
 * failure to wait out, and a CPU to spare: a pooled job costs what a job
 * started for its request costs, and more (its rehearsal), which only pays
 * when it is done on a CPU that would idle otherwise.  With every CPU busy
 * (or every execution slot) requests are served without the pool, as fast
 * as the machine starts jobs, rather than wait behind refills (wrk, hello
 * at concurrency 16 on 2 CPUs: 135 requests/s before this rule, 149 to 163
 * with it, 158 with pool_depth 0).
 *
 * And not while the job just taken from the pool runs, as long as another
 * job still waits (for at most POOL_HOLD_MS): a refill is a few ms of CPU
 * (the clone, the confinement, the runner's rehearsal), and on a small
 * machine it would take them from the very request whose hand-over started
 * it.  Paced hello on 2 CPUs: p50 4.2-4.6 ms with the refill at once,
 * 3.0-3.2 ms with it after the answer (docs/performance.md).  The next
 * request meanwhile takes one of the jobs still waiting. */
bool sb_pool_refill_due(const struct spawner *s, uint64_t now)
{
        return s->waiting < s->p->pool && now >= s->refill_after_ns &&
               !(s->refill_for > 0 && now < s->refill_hold_ns) && sb_spawner_free_slot(s) >= 0 &&
               cpu_to_spare(s);
}

uint64_t sb_pool_refill_next_ns(const struct spawner *s, uint64_t now)
{
        if (s->waiting >= s->p->pool)
                return 0;
        uint64_t t = s->refill_after_ns;
        if (s->refill_for > 0 && s->refill_hold_ns > t)
                t = s->refill_hold_ns;
        /* waiting only for a CPU, which /proc/loadavg tells: look again
         * soon, no event may come (without it, a job's end is the event) */
        if (t <= now && s->loadavg >= 0 && sb_spawner_free_slot(s) >= 0 && s->running < s->p->slots - s->p->pool)
                t = now + POOL_RECHECK_MS * SB_NSEC_PER_MSEC;
        return t;
}

/* One more job for the pool: confined (the clone returns once its init
 * runs, or its first process failed) and waiting. */
void sb_pool_refill(struct spawner *s)
{
        int slot = sb_spawner_free_slot(s);
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
        pid_t pid = sb_spawner_clone_first(s, &req, fds, true);
        close(rc[1]);
        close(ic[1]);
        if (pid < 0) {
                close(rc[0]);
                close(ic[0]);
                goto failed;
        }
        struct running *j = sb_spawner_add_job(s, pid, (unsigned) slot, JOB_WAITING);
        j->runner_chan = rc[0];
        j->init_chan = ic[0];
        j->start_ns = sb_now_ns();
        s->waiting++;
        return;
failed:
        s->pool_failures++;
        s->refill_after_ns = sb_now_ns() + POOL_RETRY_MS * SB_NSEC_PER_MSEC;
}

struct running *sb_pool_take(struct spawner *s, const struct sb_job_request *req, const int fds[SB_N_JOB_FDS],
                             struct sb_error *err)
{
        for (struct running *w; (w = pooled_job(s));) {
                /* before the job may use any memory of the request's */
                if (sb_cgroup_limit(s->p, s->rt, w->slot, req->memory_bytes, err) < 0)
                        return NULL;
                if (hand_over(s, w, req, fds) == 0) {
                        s->refill_for = s->waiting > 0 ? w->pid : 0;
                        s->refill_hold_ns = sb_now_ns() + POOL_HOLD_MS * SB_NSEC_PER_MSEC;
                        return w;
                }
        }
        return NULL;
}
