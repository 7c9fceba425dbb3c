#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "listen.h"

static int is_listening_socket(int fd, int *family)
{
        int v = 0;
        socklen_t l = sizeof(v);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) < 0 || !v)
                return 0;
        if (getsockname(fd, (struct sockaddr *) &ss, &sl) < 0)
                return 0;
        *family = ss.ss_family;
        return 1;
}

static int listen_unix(const struct config *c, struct sb_error *err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len = strlen(c->listen);
        if (len >= sizeof(sa.sun_path))
                return sb_failx(err, ENAMETOOLONG, "socket path %s is too long", c->listen);
        memcpy(sa.sun_path, c->listen, len + 1);

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return sb_fail(err, errno, "socket");
        /* Replace a stale socket left by a previous run, but never a file
         * that is something else. */
        struct stat st;
        if (lstat(c->listen, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return sb_failx(err, EEXIST, "%s exists and is not a socket", c->listen);
                if (unlink(c->listen) < 0)
                        return sb_fail(err, errno, "remove stale socket %s", c->listen);
        }
        mode_t old = umask(0777 & ~c->socket_mode);
        int r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return sb_fail(err, errno, "bind %s", c->listen);
        if (c->socket_group[0]) {
                struct group *g = getgrnam(c->socket_group);
                if (!g)
                        return sb_failx(err, ENOENT, "socket_group '%s' does not exist", c->socket_group);
                if (chown(c->listen, (uid_t) -1, g->gr_gid) < 0)
                        return sb_fail(err, errno, "chown %s", c->listen);
        }
        if (chmod(c->listen, c->socket_mode) < 0)
                return sb_fail(err, errno, "chmod %s", c->listen);
        if (listen(fd, 128) < 0)
                return sb_fail(err, errno, "listen %s", c->listen);
        return sb_take_fd(&fd);
}

static int listen_tcp(const struct config *c, struct sb_error *err)
{
        char host[256];
        const char *colon = strrchr(c->listen, ':');
        size_t hl = (size_t) (colon - c->listen);
        if (hl >= sizeof(host))
                return sb_failx(err, EINVAL, "bad listen address %s", c->listen);
        memcpy(host, c->listen, hl);
        host[hl] = 0;
        /* [::1]:9000 */
        char *h = host;
        if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
                h[hl - 1] = 0;
                h++;
        }
        uint64_t port;
        if (parse_u64(colon + 1, 65535, &port) < 0 || port == 0)
                return sb_failx(err, EINVAL, "bad port in listen address %s", c->listen);

        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res = NULL;
        int g = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &res);
        if (g != 0)
                return sb_failx(err, EINVAL, "listen address %s: %s", c->listen, gai_strerror(g));
        _cleanup_close_ int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                freeaddrinfo(res);
                return sb_fail(err, errno, "socket");
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        int r = bind(fd, res->ai_addr, res->ai_addrlen);
        freeaddrinfo(res);
        if (r < 0)
                return sb_fail(err, errno, "bind %s", c->listen);
        if (listen(fd, 128) < 0)
                return sb_fail(err, errno, "listen %s", c->listen);
        return sb_take_fd(&fd);
}

int listen_socket(const struct config *c, int *is_tcp, char *desc, size_t desc_size, struct sb_error *err)
{
        int family = 0;
        *is_tcp = 0;

        if (c->listen[0]) {
                int fd;
                if (c->listen[0] == '/') {
                        fd = listen_unix(c, err);
                } else if (strchr(c->listen, ':')) {
                        fd = listen_tcp(c, err);
                        *is_tcp = 1;
                } else {
                        return sb_failx(err, EINVAL, "listen must be an absolute socket path or HOST:PORT, not '%s'",
                                        c->listen);
                }
                if (fd >= 0)
                        snprintf(desc, desc_size, "%s", c->listen);
                return fd;
        }

        /* systemd socket activation: the first passed fd is 3 */
        const char *lp = getenv("LISTEN_PID"), *lf = getenv("LISTEN_FDS");
        uint64_t pid, nfds;
        if (lp && lf && parse_u64(lp, INT32_MAX, &pid) == 0 && (pid_t) pid == getpid() &&
            parse_u64(lf, 64, &nfds) == 0 && nfds >= 1) {
                unsetenv("LISTEN_PID");
                unsetenv("LISTEN_FDS");
                unsetenv("LISTEN_FDNAMES");
                if (!is_listening_socket(3, &family))
                        return sb_failx(err, ENOTSOCK, "LISTEN_FDS is set but fd 3 is not a listening socket");
                fcntl(3, F_SETFD, FD_CLOEXEC);
                *is_tcp = family == AF_INET || family == AF_INET6;
                snprintf(desc, desc_size, "systemd socket (fd 3)");
                return 3;
        }

        /* spawn-fcgi and StandardInput=socket hand the socket over on fd 0 */
        if (is_listening_socket(0, &family)) {
                int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return sb_fail(err, errno, "dup fd 0");
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull >= 0) {
                        dup2(devnull, 0);
                        close(devnull);
                }
                *is_tcp = family == AF_INET || family == AF_INET6;
                snprintf(desc, desc_size, "inherited socket (fd 0)");
                return fd;
        }
        return sb_failx(err, ENOTSOCK,
                        "no socket to serve on: pass --listen PATH or --listen HOST:PORT, start under systemd "
                        "socket activation, or under spawn-fcgi");
}
