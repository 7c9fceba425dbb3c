/* The events of a streamed answer (docs/api.md, "Streaming output"), made
 * once for both transports: the FastCGI front (fcgi-app/stream.c) and the
 * command line's --ndjson (cli/live.c). */
#pragma once

#include <stddef.h>
#include <sys/uio.h>

#include "jobs/response.h"

/* stdout and stderr as event lines: a character cut by a read waits for the
 * next one, so the events' data joined is exactly what the body holds. */
struct output_events {
        void (*emit)(void *ctx, int fd, const char *line, size_t len);   /* one line, '\n' included */
        void *ctx;
        char carry[3][4];
        size_t carry_len[3];
};

void output_events_feed(struct output_events *e, int fd, const char *data, size_t len);
/* What is still held back (a character the output ended in the middle of). */
void output_events_flush(struct output_events *e);

/* The result event: {"type":"result","http_status":N, ...the body...}\n as
 * pieces (head is the caller's buffer of 64 bytes).  Their count. */
size_t result_event_pieces(struct http_response *resp, char head[64], struct iovec v[5]);
