#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <seccomp.h>

#ifndef X32_SYSCALL_BIT
#define X32_SYSCALL_BIT 0x40000000
#endif

#include "common/cleanup.h"
#include "job.h"

/* How long past the job's own deadline we wait for the spawner's report
 * before calling the spawner broken. */
#define GRACE_MS 10000
/* The runner's header (status, error text, traceback) is bounded too. */
#define HEADER_MAX (256 * 1024)

const char *sb_status_name(enum sb_status s)
{
        static const char *const names[] = {
#define X(id, word) [id] = word,
                SB_STATUSES(X)
#undef X
        };
        return (unsigned) s < ELEMENTSOF(names) ? names[s] : "unknown";
}

static int memfd_with(const char *name, const char *data, size_t len, struct sb_error *err)
{
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return sb_fail(err, errno, "memfd_create");
        size_t off = 0;
        while (off < len) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return sb_fail(err, errno, "write memfd");
                }
                off += (size_t) n;
        }
        /* the job gets exactly these bytes, read from the start */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return sb_fail(err, errno, "seal memfd");
        if (lseek(fd, 0, SEEK_SET) < 0)
                return sb_fail(err, errno, "lseek memfd");
        return sb_take_fd(&fd);
}

static int buf_read(int fd, struct sb_buf *b)
{
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        if (n == 0) {
                b->eof = true;
                return 0;
        }
        size_t keep = (size_t) n;
        if (b->len + keep > b->cap) {
                keep = b->cap - b->len;
                b->truncated = true;
        }
        if (keep > 0) {
                size_t want = b->len + keep + 1;
                char *d = realloc(b->data, want);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                memcpy(b->data + b->len, chunk, keep);
                b->len += keep;
                b->data[b->len] = 0;
        }
        return 0;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int send_job(int ctl, const struct sb_job_request *req, const int fds[SB_N_JOB_FDS], struct sb_error *err)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * SB_N_JOB_FDS)];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct iovec iov = { .iov_base = (void *) req, .iov_len = sizeof(*req) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * SB_N_JOB_FDS);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * SB_N_JOB_FDS);
        for (;;) {
                if (sendmsg(ctl, &mh, MSG_NOSIGNAL) == (ssize_t) sizeof(*req))
                        return 0;
                if (errno != EINTR)
                        return sb_fail(err, errno, "send job to spawner");
        }
}

/* The runner frames its answer as
 *   "<status> <header length>\n" <header JSON> <result JSON>
 * the status word is a single token, the header holds the error text and
 * traceback, the rest is the result value.  See sandbox/python/runner.py.
 * Anything else on this channel (a script may write to it) is no frame at
 * all.  Usage figures never come from here: the runner's process runs the
 * script, which could make them up; init measures them (WORKER_EXIT). */
static bool parse_frame(struct sb_outcome *o)
{
        struct sb_buf *b = &o->result;
        if (!b->data || b->truncated || o->header)
                return o->header != NULL;
        char *nl = memchr(b->data, '\n', b->len < 128 ? b->len : 128);
        char *sp = nl ? memchr(b->data, ' ', (size_t) (nl - b->data)) : NULL;
        if (!sp || sp == b->data || (size_t) (sp - b->data) >= sizeof(o->runner_status))
                return false;
        char *end;
        errno = 0;
        unsigned long long hl = strtoull(sp + 1, &end, 10);
        if (errno || end == sp + 1 || end != nl)
                return false;
        size_t off = (size_t) (nl - b->data) + 1;
        if (hl > HEADER_MAX || hl > b->len - off)
                return false;
        memcpy(o->runner_status, b->data, (size_t) (sp - b->data));
        o->runner_status[sp - b->data] = 0;
        o->header = strndup(b->data + off, (size_t) hl);
        off += (size_t) hl;
        if (off < b->len) {
                o->result_json = b->data + off;
                o->result_json_len = b->len - off;
        }
        return o->header != NULL;
}

/* "i386 execve (11)": the table the call came through, and the call. */
static void name_foreign_call(uint32_t arch, int32_t nr, char *buf, size_t size)
{
        const char *table = "unknown";
        uint32_t token = 0;
        if (arch == AUDIT_ARCH_I386) {
                table = "i386", token = SCMP_ARCH_X86;
        } else if (arch == AUDIT_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)) {
                table = "x32", token = SCMP_ARCH_X32;
        }
        char *name = token ? seccomp_syscall_resolve_num_arch(token, nr) : NULL;
        int shown = token == SCMP_ARCH_X32 ? nr & ~X32_SYSCALL_BIT : nr;
        if (name)
                snprintf(buf, size, "%s %s (%d)", table, name, shown);
        else
                snprintf(buf, size, "%s call %d", table, shown);
        free(name);
}

static bool header_says(const struct sb_outcome *o, const char *status)
{
        return o->header && strcmp(o->runner_status, status) == 0;
}

static void classify(struct sb_outcome *o, const struct sb_job_spec *spec, const struct sb_job_reply *done)
{
        int st = done->wstatus;
        uint64_t mem_kb = spec->memory_mb * 1024;
        /* how much the job grew beyond what it started with (warm mode starts
         * with the zygote's pages) */
        uint64_t grown_kb = done->maxrss_kb > done->base_rss_kb ? done->maxrss_kb - done->base_rss_kb : 0;
        double cpu_limit_ms = ceil(spec->timeout_s) * 1000.0;

        o->duration_ms = (double) done->wall_us / 1000.0;
        o->cpu_ms = (double) (done->utime_us + done->stime_us) / 1000.0;
        o->max_rss_kb = done->maxrss_kb;

        if (done->timed_out) {
                o->status = SB_TIMEOUT;
                return;
        }
        if (done->oom_killed && (WIFSIGNALED(st) || !o->header)) {
                /* the job's memory cgroup killed the runner (or its end) */
                o->status = SB_MEMORY;
                return;
        }
        if (done->forbidden_arch) {
                /* init ended the job for a call of another architecture */
                o->status = SB_KILLED;
                o->signal = SIGSYS;
                name_foreign_call(done->forbidden_arch, done->forbidden_nr, o->syscall, sizeof(o->syscall));
                return;
        }
        if (WIFSIGNALED(st)) {
                int sig = WTERMSIG(st);
                if (sig == SIGXCPU || (sig == SIGKILL && o->cpu_ms >= cpu_limit_ms)) {
                        o->status = SB_TIMEOUT;
                } else if ((sig == SIGKILL || sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS) &&
                           grown_kb * 10 >= mem_kb * 9) {
                        /* a C allocation failing at the limit often ends this way */
                        o->status = SB_MEMORY;
                } else {
                        o->status = SB_KILLED;
                        o->signal = sig;
                }
                return;
        }
        o->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (o->result.truncated) {
                o->status = SB_OUTPUT_LIMIT;
                return;
        }
        if (!o->header) {
                o->status = grown_kb * 10 >= mem_kb * 9 ? SB_MEMORY : SB_ERROR;
                return;
        }
        if (header_says(o, "success"))
                o->status = o->result_json ? SB_SUCCESS : SB_ERROR;
        else if (header_says(o, "memory_exceeded"))
                o->status = SB_MEMORY;
        else if (header_says(o, "output_limit"))
                o->status = SB_OUTPUT_LIMIT;
        else if (header_says(o, "timeout"))
                o->status = SB_TIMEOUT;
        else
                o->status = SB_ERROR;
}

int sb_job_run(const struct sb_spawner *s, const struct sb_job_spec *spec, struct sb_outcome *o,
               struct sb_error *err)
{
        _cleanup_close_ int script = -1, in = -1;
        int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, res[2] = { -1, -1 }, rep[2] = { -1, -1 };
        int r;

        memset(o, 0, sizeof(*o));
        o->pending_fd = -1;
        o->out.cap = spec->max_stdout_bytes;
        o->err.cap = spec->max_stderr_bytes;
        /* header and framing ride on the same channel as the result */
        o->result.cap = spec->max_result_bytes + HEADER_MAX + 32;

        if (!s || s->fd < 0)
                return sb_failx(err, EPIPE, "spawner is not running");
        if ((script = memfd_with("script", spec->code, spec->code_len, err)) < 0)
                return script;
        if ((in = memfd_with("stdin", spec->stdin_data ? spec->stdin_data : "", spec->stdin_len, err)) < 0)
                return in;
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rep) < 0) {
                r = sb_fail(err, errno, "job pipes");
                goto out;
        }

        struct sb_job_request req = {
                .magic = SB_PROTO_MAGIC,
                .dialect = spec->dialect,
                .slot = spec->slot,
                .wall_ms = (uint32_t) ceil(spec->timeout_s * 1000.0),
                .cpu_seconds = (uint32_t) ceil(spec->timeout_s),
                .memory_bytes = spec->memory_mb * 1024 * 1024,
                .max_result_bytes = spec->max_result_bytes,
        };
        if (spec->handler)
                snprintf(req.handler, sizeof(req.handler), "%s", spec->handler);
        int fds[SB_N_JOB_FDS] = {
                [SB_FD_STDIN] = in, [SB_FD_STDOUT] = out[1], [SB_FD_STDERR] = errp[1],
                [SB_FD_SCRIPT] = script, [SB_FD_RESULT] = res[1], [SB_FD_REPLY] = rep[1],
        };
        if ((r = send_job(s->fd, &req, fds, err)) < 0)
                goto out;
        /* our copies of the child's ends must go, or EOF never comes */
        close(out[1]), out[1] = -1;
        close(errp[1]), errp[1] = -1;
        close(res[1]), res[1] = -1;
        close(rep[1]), rep[1] = -1;

        struct sb_job_reply done = { 0 }, worker = { 0 };
        bool have_done = false, have_worker = false;
        /* the spawner answers at the latest 2 s after the deadline */
        uint64_t limit = now_ms() + req.wall_ms + GRACE_MS;
        for (;;) {
                struct pollfd pfd[4] = {
                        { .fd = o->out.eof ? -1 : out[0], .events = POLLIN },
                        { .fd = o->err.eof ? -1 : errp[0], .events = POLLIN },
                        { .fd = o->result.eof ? -1 : res[0], .events = POLLIN },
                        { .fd = have_done ? -1 : rep[0], .events = POLLIN },
                };
                /* The answer is complete once its pipes are closed and init
                 * has said how the runner ended, with the runner's usage as
                 * the kernel counted it (the runner's own figures would be
                 * the script's to forge).  Whatever is left (init's exit, the
                 * namespaces' teardown, the spawner's reaping) comes after,
                 * off the response's path (sb_job_settle). */
                if (o->out.eof && o->err.eof && o->result.eof && (have_done || have_worker))
                        break;
                uint64_t now = now_ms();
                if (now >= limit) {
                        r = sb_failx(err, ETIMEDOUT, "no report from the spawner %u ms after the job's deadline",
                                     GRACE_MS);
                        goto out;
                }
                int n = poll(pfd, 4, (int) (limit - now));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = sb_fail(err, errno, "poll job");
                        goto out;
                }
                struct sb_buf *bufs[3] = { &o->out, &o->err, &o->result };
                int rfds[3] = { out[0], errp[0], res[0] };
                for (int i = 0; i < 3; i++)
                        if (pfd[i].revents && (r = buf_read(rfds[i], bufs[i])) < 0) {
                                sb_fail(err, -r, "read job output");
                                goto out;
                        }
                if (pfd[3].revents) {
                        struct sb_job_reply rp;
                        ssize_t k = recv(rep[0], &rp, sizeof(rp), 0);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k != (ssize_t) sizeof(rp) || rp.magic != SB_PROTO_MAGIC) {
                                /* the zygote died (its supervisor starts another): this
                                 * job is lost, the service is not */
                                r = sb_failx(err, ECONNABORTED, "the spawner went away during the job");
                                goto out;
                        }
                        if (rp.kind == SB_REPLY_SETUP_FAILED) {
                                o->setup.code = rp.error ? rp.error : -EIO;
                                snprintf(o->setup.msg, sizeof(o->setup.msg), "%.*s", (int) sizeof(rp.msg), rp.msg);
                        } else if (rp.kind == SB_REPLY_WORKER_EXIT) {
                                worker = rp;
                                have_worker = true;
                        } else if (rp.kind == SB_REPLY_REFUSED) {
                                r = sb_failx(err, rp.error ? -rp.error : EAGAIN, "%.*s", (int) sizeof(rp.msg), rp.msg);
                                goto out;
                        } else {
                                done = rp;
                                have_done = true;
                        }
                }
        }

        if (o->setup.code) {
                o->status = SB_SETUP_FAILED;
                o->duration_ms = (double) done.wall_us / 1000.0;
        } else {
                /* init's own end says nothing of the script: how the runner
                 * ended does, with the runner's own usage, unless only the
                 * spawner's late deadline could end the job */
                const struct sb_job_reply *how = have_worker ? &worker : &done;
                parse_frame(o);
                classify(o, spec, how);
                if (!have_done) {
                        o->pending_fd = rep[0];
                        rep[0] = -1;
                }
        }
        r = 0;
out:
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0) close(out[i]);
                if (errp[i] >= 0) close(errp[i]);
                if (res[i] >= 0) close(res[i]);
                if (rep[i] >= 0) close(rep[i]);
        }
        return r;
}

void sb_job_settle(int *pending_fd)
{
        if (*pending_fd < 0)
                return;
        /* init exits right after its report; the spawner reports once it has
         * reaped it, which means every process of the job is gone */
        struct pollfd pfd = { .fd = *pending_fd, .events = POLLIN };
        uint64_t limit = now_ms() + GRACE_MS;
        for (;;) {
                uint64_t now = now_ms();
                if (now >= limit || poll(&pfd, 1, (int) (limit - now)) == 0)
                        break;
                struct sb_job_reply rp;
                ssize_t k = recv(*pending_fd, &rp, sizeof(rp), 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0 || rp.kind == SB_REPLY_DONE)
                        break;
        }
        close(*pending_fd);
        *pending_fd = -1;
}

void sb_outcome_free(struct sb_outcome *o)
{
        sb_job_settle(&o->pending_fd);
        free(o->out.data);
        free(o->err.data);
        free(o->result.data);
        free(o->header);
        memset(o, 0, sizeof(*o));
}
