/* Replies on a job's reply socket, from the spawner and the job's first
 * process alike (protocol.h). */
#pragma once

#include <stdio.h>
#include <sys/socket.h>

#include "common/error.h"
#include "protocol.h"

static inline void sb_reply_send(int fd, const struct sb_job_reply *r)
{
        /* MSG_NOSIGNAL: a caller that went away must not kill the spawner */
        (void) !send(fd, r, sizeof(*r), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static inline void sb_reply_error(int fd, enum sb_reply_kind kind, const struct sb_error *e)
{
        struct sb_job_reply r = { .magic = SB_PROTO_MAGIC, .kind = kind, .error = e->code };
        snprintf(r.msg, sizeof(r.msg), "%s", e->msg);
        sb_reply_send(fd, &r);
}
