/* The caller's side of a job: the job's memfds and pipes, the request to
 * the spawner, the read loop over stdout, stderr, the result channel and the
 * job's reply socket, and what the replies say.  How the job ended is
 * outcome.c's to say. */
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/fileio.h"
#include "job.h"

/* How long past the job's own deadline we wait for the spawner's report
 * before calling the spawner broken. */
#define GRACE_MS 10000

static int memfd_with(const char *name, const char *data, size_t len, struct sb_error *err)
{
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return sb_fail(err, errno, "memfd_create");
        int r = sb_write_all(fd, data, len);
        if (r < 0)
                return sb_fail(err, -r, "write memfd");
        /* the job gets exactly these bytes, read from the start */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return sb_fail(err, errno, "seal memfd");
        if (lseek(fd, 0, SEEK_SET) < 0)
                return sb_fail(err, errno, "lseek memfd");
        return sb_take_fd(&fd);
}

/* One read of a job's pipe into chunk: its length, 0 when there was
 * nothing (EINTR, EAGAIN) or at EOF (b->eof set), -errno.  b->total counts
 * every byte read, kept or not. */
static ssize_t read_chunk(int fd, char *chunk, size_t size, struct sb_buf *b)
{
        ssize_t n = read(fd, chunk, size);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        if (n == 0)
                b->eof = true;
        b->total += (uint64_t) n;
        return n;
}

static int buf_read(int fd, struct sb_buf *b, const struct sb_output_sink *sink, int which)
{
        char chunk[65536];
        ssize_t n = read_chunk(fd, chunk, sizeof(chunk), b);
        if (n <= 0)
                return (int) n;
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
                if (sink && sink->write)
                        sink->write(sink->ctx, which, chunk, keep);
        }
        return 0;
}

/* As buf_read, but what is kept goes to the sink, not to memory. */
static int sink_read(int fd, struct sb_buf *b, const struct sb_frames_sink *sink)
{
        if (!sink->write)
                return buf_read(fd, b, NULL, 0);
        char chunk[65536];
        ssize_t n = read_chunk(fd, chunk, sizeof(chunk), b);
        if (n <= 0)
                return (int) n;
        if (b->truncated || b->total > b->cap) {
                b->truncated = true;   /* past the cap: read and dropped */
                return 0;
        }
        sink->write(sink->ctx, chunk, (size_t) n);
        return 0;
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

/* The job's ends and ours: [0] is read here, [1] goes to the job. */
struct job_io {
        int out[2], errp[2], res[2], rep[2], files[2];
};

static void close_pair(int fds[2])
{
        for (int i = 0; i < 2; i++)
                if (fds[i] >= 0)
                        close(fds[i]), fds[i] = -1;
}

static void job_io_close(struct job_io *io)
{
        close_pair(io->out);
        close_pair(io->errp);
        close_pair(io->res);
        close_pair(io->rep);
        close_pair(io->files);
}

static struct sb_job_request job_request(const struct sb_job_spec *spec)
{
        struct sb_job_request req = {
                .magic = SB_PROTO_MAGIC,
                .dialect = spec->dialect,
                .slot = spec->slot,
                .wall_ms = (uint32_t) ceil(spec->timeout_s * 1000.0),
                .cpu_seconds = (uint32_t) ceil(spec->timeout_s),
                .memory_bytes = spec->memory_mb * 1024 * 1024,
                .max_result_bytes = spec->max_result_bytes,
                .max_files_out = spec->max_files_out,
                .max_files_out_bytes = spec->max_files_out_bytes,
        };
        if (spec->handler)
                snprintf(req.handler, sizeof(req.handler), "%s", spec->handler);
        return req;
}

/* Make the job's fds and hand them with the request to the spawner. */
static int job_send(int ctl, const struct sb_job_spec *spec, const struct sb_job_request *req, struct job_io *io,
                    struct sb_error *err)
{
        _cleanup_close_ int script = -1, in = -1, files_in = -1;
        int r;
        if ((script = memfd_with("script", spec->code, spec->code_len, err)) < 0)
                return script;
        if ((in = memfd_with("stdin", spec->stdin_data ? spec->stdin_data : "", spec->stdin_len, err)) < 0)
                return in;
        if (pipe2(io->out, O_CLOEXEC) < 0 || pipe2(io->errp, O_CLOEXEC) < 0 || pipe2(io->res, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, io->rep) < 0 || pipe2(io->files, O_CLOEXEC) < 0)
                return sb_fail(err, errno, "job pipes");
        if ((files_in = memfd_with("files", spec->files_in ? spec->files_in : "", spec->files_in_len, err)) < 0)
                return files_in;
        int fds[SB_N_JOB_FDS] = {
                [SB_FD_STDIN] = in, [SB_FD_STDOUT] = io->out[1], [SB_FD_STDERR] = io->errp[1],
                [SB_FD_SCRIPT] = script, [SB_FD_RESULT] = io->res[1], [SB_FD_REPLY] = io->rep[1],
                [SB_FD_FILES_IN] = files_in, [SB_FD_FILES_OUT] = io->files[1],
        };
        if ((r = send_job(ctl, req, fds, err)) < 0)
                return r;
        /* our copies of the child's ends must go, or EOF never comes */
        close(io->out[1]), io->out[1] = -1;
        close(io->errp[1]), io->errp[1] = -1;
        close(io->res[1]), io->res[1] = -1;
        close(io->rep[1]), io->rep[1] = -1;
        close(io->files[1]), io->files[1] = -1;
        return 0;
}

struct job_replies {
        struct sb_job_reply done, worker;
        bool have_done, have_worker;
};

/* One message on the job's reply socket.  0, or a negative errno when the
 * job is lost. */
static int take_reply(int fd, struct sb_outcome *o, struct job_replies *rs, struct sb_error *err)
{
        struct sb_job_reply rp;
        ssize_t k = recv(fd, &rp, sizeof(rp), 0);
        if (k < 0 && errno == EINTR)
                return 0;
        if (k != (ssize_t) sizeof(rp) || rp.magic != SB_PROTO_MAGIC)
                /* the zygote died (its supervisor starts another): this
                 * job is lost, the service is not */
                return sb_failx(err, ECONNABORTED, "the spawner went away during the job");
        if (rp.kind == SB_REPLY_SETUP_FAILED) {
                o->setup.code = rp.error ? rp.error : -EIO;
                snprintf(o->setup.msg, sizeof(o->setup.msg), "%.*s", (int) sizeof(rp.msg), rp.msg);
        } else if (rp.kind == SB_REPLY_WORKER_EXIT) {
                rs->worker = rp;
                rs->have_worker = true;
        } else if (rp.kind == SB_REPLY_REFUSED) {
                return sb_failx(err, rp.error ? -rp.error : EAGAIN, "%.*s", (int) sizeof(rp.msg), rp.msg);
        } else {
                rs->done = rp;
                rs->have_done = true;
        }
        return 0;
}

/* A job that keeps writing past its caps would hold its slot until its
 * timeout while we read and drop what it writes: past the drain limit its
 * init is told to end it (and says so in its report, see outcome.c). */
static void send_stop(const struct job_io *io, uint32_t kind)
{
        struct sb_job_stop stop = { .magic = SB_PROTO_MAGIC, .kind = kind };
        /* init may have ended already: then its report says how, and this is moot */
        (void) !send(io->rep[0], &stop, sizeof(stop), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void stop_runaway_output(const struct job_io *io, struct sb_outcome *o)
{
        if (o->output_stopped || !o->output_drain_limit || o->out.total + o->err.total <= o->output_drain_limit)
                return;
        send_stop(io, SB_STOP_OUTPUT);
        o->output_stopped = true;
}

/* Read stdout, stderr and the result channel, and hear the replies, until
 * the answer is complete or limit_ns. */
static int job_read(const struct job_io *io, struct sb_outcome *o, struct job_replies *rs, uint64_t limit_ns,
                    const struct sb_job_spec *spec, struct sb_error *err)
{
        const struct sb_frames_sink *sink = &spec->files_sink;
        const struct sb_output_sink *out = spec->output_sink.write ? &spec->output_sink : NULL;
        bool cancelled = false;
        int r;
        for (;;) {
                struct pollfd pfd[6] = {
                        { .fd = o->out.eof ? -1 : io->out[0], .events = POLLIN },
                        { .fd = o->err.eof ? -1 : io->errp[0], .events = POLLIN },
                        { .fd = o->result.eof ? -1 : io->res[0], .events = POLLIN },
                        { .fd = o->files.eof ? -1 : io->files[0], .events = POLLIN },
                        { .fd = rs->have_done ? -1 : io->rep[0], .events = POLLIN },
                        { .fd = out && !cancelled ? out->cancel_fd : -1, .events = POLLIN },
                };
                /* The answer is complete once its pipes are closed and init
                 * has said how the runner ended, with the runner's usage as
                 * the kernel counted it (the runner's own figures would be
                 * the script's to forge).  Whatever is left (init's exit, the
                 * namespaces' teardown, the spawner's reaping) comes after,
                 * off the response's path (sb_job_settle). */
                if (o->out.eof && o->err.eof && o->result.eof && o->files.eof && (rs->have_done || rs->have_worker))
                        return 0;
                if (sb_now_ns() >= limit_ns)
                        return sb_failx(err, ETIMEDOUT, "no report from the spawner %u ms after the job's deadline",
                                        GRACE_MS);
                if (poll(pfd, 6, sb_ms_until(limit_ns, INT32_MAX)) < 0) {
                        if (errno == EINTR)
                                continue;
                        return sb_fail(err, errno, "poll job");
                }
                struct sb_buf *bufs[3] = { &o->out, &o->err, &o->result };
                int rfds[3] = { io->out[0], io->errp[0], io->res[0] };
                for (int i = 0; i < 3; i++)
                        if (pfd[i].revents && (r = buf_read(rfds[i], bufs[i], i < 2 ? out : NULL, i + 1)) < 0)
                                return sb_fail(err, -r, "read job output");
                if (pfd[5].revents) {
                        /* the streamed answer's client went away: nobody waits */
                        send_stop(io, SB_STOP_CLIENT);
                        cancelled = true;
                }
                if (pfd[3].revents && (r = sink_read(io->files[0], &o->files, sink)) < 0)
                        return sb_fail(err, -r, "read job files");
                stop_runaway_output(io, o);
                if (pfd[4].revents && (r = take_reply(io->rep[0], o, rs, err)) < 0)
                        return r;
        }
}

int sb_job_run(const struct sb_spawner *s, const struct sb_job_spec *spec, struct sb_outcome *o,
               struct sb_error *err)
{
        struct job_io io = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
        struct job_replies rs = { 0 };
        int r;

        memset(o, 0, sizeof(*o));
        o->pending_fd = -1;
        o->out.cap = spec->max_stdout_bytes;
        o->err.cap = spec->max_stderr_bytes;
        /* header and framing ride on the same channel as the result */
        o->result.cap = spec->max_result_bytes + SB_FRAME_HEADER_MAX + 32;
        o->output_drain_limit = spec->max_output_drain_bytes;
        /* the frames' headers and paths ride with the contents */
        o->files.cap = spec->max_files_out_bytes +
                       (uint64_t) (spec->max_files_out + 1) * (sizeof(struct sb_file_frame) + SB_FILE_PATH_MAX);

        if (!s || s->fd < 0)
                return sb_failx(err, EPIPE, "spawner is not running");
        struct sb_job_request req = job_request(spec);
        /* the spawner answers at the latest 2 s after the deadline */
        if ((r = job_send(s->fd, spec, &req, &io, err)) < 0 ||
            (r = job_read(&io, o, &rs, sb_now_ns() + ((uint64_t) req.wall_ms + GRACE_MS) * SB_NSEC_PER_MSEC,
                          spec, err)) < 0)
                goto out;

        if (!o->setup.code && !rs.have_worker && !rs.done.timed_out) {
                /* init ended without its report: nothing inside the job can
                 * kill pid 1 of its namespace, so something outside did (an
                 * operator, the OOM killer): the job is lost, not judged */
                r = sb_failx(err, ECONNABORTED, "the job's init ended without its report (wait status %d)",
                             rs.done.wstatus);
                goto out;
        }
        if (rs.have_worker && rs.worker.killed_outside) {
                /* an operator's kill -9, or a process of the service gone
                 * wrong: the script is not to blame, and may run again */
                r = sb_failx(err, ECONNABORTED, "the job's runner was killed from outside the sandbox (SIGKILL)");
                goto out;
        }
        if (o->setup.code) {
                o->status = SB_SETUP_FAILED;
                o->duration_ms = (double) rs.done.wall_us / 1000.0;
        } else {
                /* init's own end says nothing of the script: how the runner
                 * ended does, with the runner's own usage, unless only the
                 * spawner's late deadline could end the job */
                sb_frame_parse(o);
                /* asked or not, only init's word says the job was ended for it */
                o->output_stopped = false;
                sb_outcome_classify(o, rs.have_worker ? &rs.worker : &rs.done, spec->memory_mb, spec->timeout_s);
                o->pooled = rs.have_worker ? rs.worker.pooled : rs.done.pooled;
                if (!rs.have_done) {
                        o->pending_fd = io.rep[0];
                        io.rep[0] = -1;
                }
        }
        r = 0;
out:
        job_io_close(&io);
        return r;
}

void sb_job_settle(int *pending_fd)
{
        if (*pending_fd < 0)
                return;
        /* init exits right after its report; the spawner reports once it has
         * reaped it, which means every process of the job is gone */
        struct pollfd pfd = { .fd = *pending_fd, .events = POLLIN };
        uint64_t limit = sb_now_ns() + GRACE_MS * SB_NSEC_PER_MSEC;
        for (;;) {
                if (sb_now_ns() >= limit || poll(&pfd, 1, sb_ms_until(limit, INT32_MAX)) == 0)
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
        free(o->files.data);
        free(o->header);
        memset(o, 0, sizeof(*o));
}
