/* sandrun-init's side of a pool hand-over (init.c waits for it; spawner.c
 * and pool.c send it): a file of its own, as init.c is long enough. */
#include <unistd.h>

#include "common/clock.h"
#include "init_pool.h"
#include "pool_recv.h"

/* A pooled job's init: its part of the request, on its channel
 * (struct sb_pool_init with the reply socket and the files' pipe, put on
 * their numbers over the placeholders).  false: no request came (the
 * spawner let the job go), or it was not one. */
bool sb_init_take_request(struct sb_init_args *a)
{
        struct sb_pool_init m;
        int fds[SB_POOL_INIT_FDS];
        if (sb_pool_recv(a->pool_fd, &m, sizeof(m), fds, SB_POOL_INIT_FDS) < 0)
                return false;
        /* dup2 clears close-on-exec, as the numbers' old holders had it */
        if (dup2(fds[0], SB_FD_REPLY) < 0 || dup2(fds[1], SB_FD_FILES_OUT) < 0)
                return false;
        close(fds[0]);
        close(fds[1]);
        close(a->pool_fd);
        a->wall_ms = m.wall_ms;
        a->max_files_out = m.max_files_out;
        a->max_files_out_bytes = m.max_files_out_bytes;
        /* the job's clock starts with its request: its confinement was
         * done before anyone waited for it */
        a->start_ns = sb_now_ns();
        return true;
}

