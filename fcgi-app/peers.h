/* Who may speak FastCGI to us over TCP.  A FastCGI port executes code for
 * whoever reaches it, so a TCP listener accepts only the web servers named in
 * `web_server_addrs` (loopback when empty), IPv4 and IPv6 alike; libfcgi's
 * own FCGI_WEB_SERVER_ADDRS check covers IPv4 only. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>

#include "common/error.h"

#define PEERS_MAX 64

struct peers {
        struct in6_addr addr[PEERS_MAX];   /* IPv4 kept as ::ffff:a.b.c.d */
        unsigned n;
};

/* Parse a comma-separated list of addresses; empty means 127.0.0.1 and ::1. */
int peers_parse(struct peers *p, const char *list, struct sb_error *err);
/* Is the peer of this connected socket allowed? */
bool peers_allow_fd(const struct peers *p, int fd);
