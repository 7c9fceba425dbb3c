/* Streamed answers: see stream.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "stream.h"

static void pend(void *ctx, int fd, const char *line, size_t len);

bool stream_wanted(FCGX_Request *rq)
{
        const char *accept = FCGX_GetParam("HTTP_ACCEPT", rq->envp);
        if (!accept)
                return false;
        /* one of the listed types, parameters and case aside */
        for (const char *p = accept; (p = strcasestr(p, "application/x-ndjson")); p++) {
                char after = p[sizeof("application/x-ndjson") - 1];
                bool starts = p == accept || p[-1] == ',' || p[-1] == ' ';
                if (starts && (after == 0 || after == ',' || after == ';' || after == ' '))
                        return true;
        }
        return false;
}

int stream_init(struct stream *st, FCGX_Request *rq)
{
        memset(st, 0, sizeof(*st));
        st->rq = rq;
        st->events.emit = pend;
        st->events.ctx = st;
        st->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (st->cancel_fd < 0)
                return -errno;
        pthread_mutex_init(&st->lock, NULL);
        pthread_cond_init(&st->cond, NULL);
        return 0;
}

/* Add a line (the lock held).  Output events may be dropped, the result not. */
static bool append(struct stream *st, const char *line, size_t n, bool droppable)
{
        if (st->gone)
                return true;
        if (droppable && st->len + n > STREAM_PENDING_MAX)
                return false;
        if (st->len + n > st->cap) {
                size_t cap = st->cap ? st->cap : 65536;
                while (cap < st->len + n)
                        cap *= 2;
                char *p = realloc(st->pending, cap);
                if (!p)
                        return false;
                st->pending = p, st->cap = cap;
        }
        memcpy(st->pending + st->len, line, n);
        st->len += n;
        pthread_cond_signal(&st->cond);
        return true;
}

/* output_events' emit: one line into the pending buffer, or dropped. */
static void pend(void *ctx, int fd, const char *line, size_t len)
{
        struct stream *st = ctx;
        pthread_mutex_lock(&st->lock);
        if (!append(st, line, len, true))
                st->dropped[fd] = true;
        pthread_mutex_unlock(&st->lock);
}

void stream_line(void *ctx, const char *text, size_t len)
{
        struct stream *st = ctx;
        pthread_mutex_lock(&st->lock);
        append(st, text, len, false);
        append(st, "\n", 1, false);
        pthread_mutex_unlock(&st->lock);
}

void stream_output(void *ctx, int fd, const char *data, size_t len)
{
        struct stream *st = ctx;
        output_events_feed(&st->events, fd, data, len);
}

/* The connection to nginx: closed (the client went away) or failing. */
static bool connection_lost(struct stream *st)
{
        struct pollfd p = { .fd = st->rq->ipcFd, .events = POLLRDHUP };
        return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static void lost(struct stream *st)
{
        uint64_t one = 1;
        pthread_mutex_lock(&st->lock);
        st->gone = true;
        st->len = 0;
        pthread_mutex_unlock(&st->lock);
        (void) !write(st->cancel_fd, &one, sizeof(one));
}

static bool put(struct stream *st, const char *data, size_t len)
{
        return FCGX_PutStr(data, (int) len, st->rq->out) == (int) len && FCGX_FFlush(st->rq->out) == 0;
}

static void *writer(void *arg)
{
        struct stream *st = arg;
        static const char head[] = "Status: 200 OK\r\n"
                                   "Content-Type: application/x-ndjson\r\n"
                                   "Cache-Control: no-store\r\n"
                                   "X-Accel-Buffering: no\r\n\r\n";
        uint64_t last = sb_now_ns();
        if (!put(st, head, sizeof(head) - 1)) {
                lost(st);
                return NULL;
        }
        for (;;) {
                pthread_mutex_lock(&st->lock);
                if (!st->len && !st->done) {
                        /* a look at the connection five times a second */
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += 200000000;
                        if (ts.tv_nsec >= 1000000000)
                                ts.tv_sec++, ts.tv_nsec -= 1000000000;
                        pthread_cond_timedwait(&st->cond, &st->lock, &ts);
                }
                char *chunk = st->pending;
                size_t n = st->len;
                bool done = st->done;
                st->pending = NULL, st->len = st->cap = 0;
                pthread_mutex_unlock(&st->lock);
                bool ok = true;
                if (n)
                        ok = put(st, chunk, n), last = sb_now_ns();
                else if (!done && sb_now_ns() - last >= STREAM_PING_NS)
                        ok = put(st, "{\"type\":\"ping\"}\n", 16), last = sb_now_ns();
                free(chunk);
                if (!ok || (!done && connection_lost(st))) {
                        lost(st);
                        return NULL;
                }
                if (done && !n)
                        return NULL;
        }
}

void stream_start(void *ctx)
{
        struct stream *st = ctx;
        if (pthread_create(&st->writer, NULL, writer, st) == 0)
                st->started = true;
        else
                lost(st);
}

/* Flags of what the stream dropped, set in the body the result event holds. */
static void mark_dropped(struct stream *st, struct http_response *resp)
{
        static const char *const names[3] = { NULL, "stdout_truncated", "stderr_truncated" };
        for (int fd = 1; fd <= 2; fd++)
                if (st->dropped[fd] && resp->body && json_object_is_type(resp->body, json_type_object) &&
                    json_object_object_get_ex(resp->body, names[fd], NULL))
                        json_object_object_add(resp->body, names[fd], json_object_new_boolean(1));
}

void stream_finish(struct stream *st, struct http_response *resp)
{
        output_events_flush(&st->events);
        pthread_mutex_lock(&st->lock);
        mark_dropped(st, resp);
        pthread_mutex_unlock(&st->lock);
        char head[64];
        struct iovec v[5];
        size_t n = result_event_pieces(resp, head, v);
        pthread_mutex_lock(&st->lock);
        for (size_t i = 0; i < n; i++)
                append(st, v[i].iov_base, v[i].iov_len, false);
        st->done = true;
        pthread_cond_signal(&st->cond);
        pthread_mutex_unlock(&st->lock);
        if (st->started)
                pthread_join(st->writer, NULL);
        st->started = false;
}

void stream_free(struct stream *st)
{
        if (st->started)
                pthread_join(st->writer, NULL);
        free(st->pending);
        if (st->cancel_fd >= 0)
                close(st->cancel_fd);
        pthread_mutex_destroy(&st->lock);
        pthread_cond_destroy(&st->cond);
}
