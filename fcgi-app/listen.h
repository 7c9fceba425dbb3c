/* Where sandrun-fcgi gets its listening socket. */
#pragma once

#include "common/error.h"
#include "jobs/config.h"

/* Returns the listening fd (CLOEXEC) from, in order: --listen/listen, systemd's
 * LISTEN_FDS, or fd 0 when it is a listening socket (spawn-fcgi,
 * StandardInput=socket).  *is_tcp tells whether peers need an address check. */
int listen_socket(const struct config *c, int *is_tcp, char *desc, size_t desc_size, struct sb_error *err);
