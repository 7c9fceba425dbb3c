#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "peers.h"

static int add(struct peers *p, const char *text, struct sb_error *err)
{
        struct in_addr v4;
        struct in6_addr v6;
        if (p->n >= PEERS_MAX)
                return sb_failx(err, E2BIG, "web_server_addrs: more than %d addresses", PEERS_MAX);
        if (inet_pton(AF_INET, text, &v4) == 1) {
                memset(&v6, 0, sizeof(v6));
                v6.s6_addr[10] = v6.s6_addr[11] = 0xff;
                memcpy(&v6.s6_addr[12], &v4, 4);
        } else if (inet_pton(AF_INET6, text, &v6) != 1) {
                return sb_failx(err, EINVAL, "web_server_addrs: '%s' is not an IPv4 or IPv6 address", text);
        }
        p->addr[p->n++] = v6;
        return 0;
}

int peers_parse(struct peers *p, const char *list, struct sb_error *err)
{
        char buf[512], *save = NULL;
        int r;
        p->n = 0;
        if (!list[0])
                list = "127.0.0.1,::1";
        snprintf(buf, sizeof(buf), "%s", list);
        for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
                if ((r = add(p, t, err)) < 0)
                        return r;
        if (p->n == 0)
                return sb_failx(err, EINVAL, "web_server_addrs: no address");
        return 0;
}

bool peers_allow_fd(const struct peers *p, int fd)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        struct in6_addr a;

        if (getpeername(fd, (struct sockaddr *) &ss, &len) < 0)
                return false;
        if (ss.ss_family == AF_UNIX)
                return true;            /* file permissions guard unix sockets */
        if (ss.ss_family == AF_INET) {
                memset(&a, 0, sizeof(a));
                a.s6_addr[10] = a.s6_addr[11] = 0xff;
                memcpy(&a.s6_addr[12], &((struct sockaddr_in *) &ss)->sin_addr, 4);
        } else if (ss.ss_family == AF_INET6) {
                a = ((struct sockaddr_in6 *) &ss)->sin6_addr;   /* v4-mapped stays mapped */
        } else {
                return false;
        }
        for (unsigned i = 0; i < p->n; i++)
                if (memcmp(&a, &p->addr[i], sizeof(a)) == 0)
                        return true;
        return false;
}
