#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "live.h"

static void print_line(void *ctx, int fd, const char *line, size_t len)
{
        fwrite(line, 1, len, stdout);
        fflush(stdout);
}

void cli_live_init(struct cli_live *l, bool ndjson, bool echo)
{
        memset(l, 0, sizeof(*l));
        l->ndjson = ndjson;
        l->echo = echo;
        l->events.emit = print_line;
}

void cli_live_output(void *ctx, int fd, const char *data, size_t len)
{
        struct cli_live *l = ctx;
        if (l->ndjson)
                output_events_feed(&l->events, fd, data, len);
        else if (l->echo)
                /* as the script wrote it; a failed write to a terminal is not the job's business */
                (void) !write(STDERR_FILENO, data, len);
}

void cli_live_result(struct cli_live *l, struct http_response *resp)
{
        output_events_flush(&l->events);
        char head[64];
        struct iovec v[5];
        size_t n = result_event_pieces(resp, head, v);
        for (size_t i = 0; i < n; i++)
                fwrite(v[i].iov_base, 1, v[i].iov_len, stdout);
        fflush(stdout);
}
