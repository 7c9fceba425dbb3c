/* A streamed answer (docs/api.md, "Streaming output"): NDJSON events of the
 * job's stdout and stderr as they are read, then one result event with the
 * whole body.
 *
 * Two threads.  The request's worker runs the job and hands each chunk of
 * output to stream_output, which never blocks: it formats the event and adds
 * it to a bounded pending buffer, or drops it (and the result says
 * stdout_truncated / stderr_truncated) when the client is too slow to take
 * it.  A writer thread of the stream's own writes what is pending to
 * FastCGI and flushes it (nginx passes it on unbuffered: X-Accel-Buffering),
 * sends a ping after 15 s of silence, and watches the connection: when nginx
 * closes it (the client went away) it says so on cancel_fd, which ends the
 * job at once.  So a slow or absent reader changes nothing of the job: its
 * wall clock, memory and slot are what they would be without streaming. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcgiapp.h>

#include "jobs/events.h"

/* Event text waiting for the client, at most (the result event is never
 * dropped: it is bounded by the answer's own caps). */
#define STREAM_PENDING_MAX (1u << 20)
/* A ping after this long without another line. */
#define STREAM_PING_NS (15ull * 1000000000ull)

struct stream {
        FCGX_Request *rq;
        pthread_t writer;
        bool started;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        char *pending;                /* event lines not yet written */
        size_t len, cap;
        bool done;                    /* the result event is in */
        bool gone;                    /* the client went away (or writing failed) */
        bool dropped[3];              /* [1] stdout, [2] stderr: events left out */
        int cancel_fd;                /* eventfd: readable once gone (sb_output_sink.cancel_fd) */
        struct output_events events;  /* stdout and stderr as lines */
};

/* Whether the request asks for a stream (Accept: application/x-ndjson). */
bool stream_wanted(FCGX_Request *rq);
int stream_init(struct stream *st, FCGX_Request *rq);
/* dialect_hooks.started: the headers go out, the writer starts. */
void stream_start(void *ctx);
/* dialect_hooks.line: an event that is never dropped (/grade's tests) */
void stream_line(void *ctx, const char *text, size_t len);
/* sb_output_sink.write */
void stream_output(void *ctx, int fd, const char *data, size_t len);
/* The result event from the answer, then wait for the writer to end. */
void stream_finish(struct stream *st, struct http_response *resp);
void stream_free(struct stream *st);
