/* A pooled job's init: its part of the request (init_pool.c). */
#pragma once

#include <stdbool.h>

#include "protocol.h"

/* Take struct sb_pool_init from a->pool_fd with the reply socket and the
 * files' pipe, put them on SB_FD_REPLY and SB_FD_FILES_OUT over the
 * placeholders, and fill a's wall clock, files' limits and start time.
 * false: no request came (the spawner let the job go), or it was not one. */
bool sb_init_take_request(struct sb_init_args *a);
