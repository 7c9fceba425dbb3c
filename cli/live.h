/* The command line's live output: the script's stdout and stderr as they
 * come, echoed to our stderr when it is a terminal (stdout stays the JSON
 * body alone, for whoever parses it), or, with --ndjson, the events of a
 * streamed HTTP answer on stdout (docs/api.md, "Streaming output"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "jobs/events.h"

struct cli_live {
        bool ndjson;
        bool echo;                    /* to the terminal */
        struct output_events events;  /* --ndjson */
};

void cli_live_init(struct cli_live *l, bool ndjson, bool echo);
/* sb_output_sink.write */
void cli_live_output(void *ctx, int fd, const char *data, size_t len);
/* --ndjson: the result event, the body inside it. */
void cli_live_result(struct cli_live *l, struct http_response *resp);
