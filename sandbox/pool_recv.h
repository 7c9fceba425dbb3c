/* The receiving end of a pool hand-over (spawner.c, hand_over): one message
 * on a job's channel, for its init (init.c, a static program of its own) and
 * its runner (job_first.c) alike, hence a header. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol.h"

/* Exactly len bytes starting with SB_POOL_MAGIC and exactly n fds (received
 * close-on-exec) into fds: 0.  Anything else, EOF included (the spawner let
 * the job go without a request): -EBADMSG, and no fd received is kept. */
static inline int sb_pool_recv(int chan, void *msg, size_t len, int *fds, size_t n)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * SB_POOL_RUNNER_FDS)];
                struct cmsghdr align;
        } u;
        if (n > SB_POOL_RUNNER_FDS || len < sizeof(uint32_t))
                return -EINVAL;
        struct iovec iov = { .iov_base = msg, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        ssize_t got;
        while ((got = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        /* every fd the kernel put in the buffer, which may hold one more
         * than asked (its alignment), so that a refused message leaves none */
        size_t nfds = 0;
        int all[sizeof(u.buf) / sizeof(int)];
        for (struct cmsghdr *c = got > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                size_t room = (size_t) (u.buf + sizeof(u.buf) - (char *) CMSG_DATA(c)) / sizeof(int);
                if (k > room)
                        k = room;
                for (size_t i = 0; i < k && nfds < sizeof(all) / sizeof(all[0]); i++)
                        memcpy(&all[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
        uint32_t magic = 0;
        memcpy(&magic, msg, sizeof(magic));
        if (got != (ssize_t) len || magic != SB_POOL_MAGIC || nfds != n || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
                for (size_t i = 0; i < nfds; i++)
                        close(all[i]);
                return -EBADMSG;
        }
        memcpy(fds, all, sizeof(int) * n);
        return 0;
}
