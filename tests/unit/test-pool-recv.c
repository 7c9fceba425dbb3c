/* The receiving end of a pool hand-over (sandbox/pool_recv.h): what a
 * waiting job's init and runner accept from their channel, and that a
 * message they refuse leaves them no fd. */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/pool_recv.h"
#include "tap.h"

/* Send len bytes of msg with n fds (each a dup of /dev/null) on fd. */
static void send_n(int fd, const void *msg, size_t len, size_t n)
{
        int fds[16];
        union {
                char buf[CMSG_SPACE(sizeof(int) * 16)];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        for (size_t i = 0; i < n; i++)
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        struct iovec iov = { .iov_base = (void *) msg, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (n) {
                mh.msg_control = u.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
        }
        (void) !sendmsg(fd, &mh, 0);
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
}

/* How many fds this process has open. */
static int open_fds(void)
{
        int n = 0;
        for (int fd = 0; fd < 1024; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        n++;
        return n;
}

int main(void)
{
        int sv[2];
        struct sb_pool_runner rm = { .magic = SB_POOL_MAGIC, .dialect = SB_DIALECT_RUN, .cpu_seconds = 7 };
        struct sb_pool_runner got;
        int fds[SB_POOL_RUNNER_FDS];

        ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "a channel");
        int base = open_fds();

        send_n(sv[0], &rm, sizeof(rm), SB_POOL_RUNNER_FDS);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == 0, "the runner's message is taken");
        ok(got.cpu_seconds == 7 && got.dialect == SB_DIALECT_RUN, "with its limits");
        bool cloexec = true;
        for (int i = 0; i < SB_POOL_RUNNER_FDS; i++)
                cloexec = cloexec && (fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
        ok(cloexec, "and its 7 fds, close-on-exec");
        for (int i = 0; i < SB_POOL_RUNNER_FDS; i++)
                close(fds[i]);
        ok(open_fds() == base, "nothing else is left open");

        send_n(sv[0], &rm, sizeof(rm), SB_POOL_RUNNER_FDS - 1);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == -EBADMSG, "one fd short: refused");
        ok(open_fds() == base, "and the fds that came are closed");

        send_n(sv[0], &rm, sizeof(rm), SB_POOL_INIT_FDS);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == -EBADMSG, "init's count of fds: refused");
        ok(open_fds() == base, "and closed");

        struct sb_pool_runner bad = rm;
        bad.magic = SB_PROTO_MAGIC;
        send_n(sv[0], &bad, sizeof(bad), SB_POOL_RUNNER_FDS);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == -EBADMSG, "another magic: refused");
        ok(open_fds() == base, "and its fds closed");

        send_n(sv[0], &rm, sizeof(rm) - 1, SB_POOL_RUNNER_FDS);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == -EBADMSG, "a byte short: refused");
        ok(open_fds() == base, "and its fds closed");

        char big[sizeof(rm) + 8];
        memcpy(big, &rm, sizeof(rm));
        send_n(sv[0], big, sizeof(big), SB_POOL_RUNNER_FDS);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == -EBADMSG, "longer than the message: refused");
        ok(open_fds() == base, "and its fds closed");

        send_n(sv[0], &rm, sizeof(rm), 12);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == -EBADMSG,
           "more fds than a hand-over has: refused");
        ok(open_fds() == base, "and every fd that came is closed");

        struct sb_pool_init im = { .magic = SB_POOL_MAGIC, .wall_ms = 1500 }, igot;
        int ifds[SB_POOL_INIT_FDS];
        send_n(sv[0], &im, sizeof(im), SB_POOL_INIT_FDS);
        ok(sb_pool_recv(sv[1], &igot, sizeof(igot), ifds, SB_POOL_INIT_FDS) == 0 && igot.wall_ms == 1500,
           "init's message is taken");
        close(ifds[0]);
        close(ifds[1]);

        close(sv[0]);
        ok(sb_pool_recv(sv[1], &got, sizeof(got), fds, SB_POOL_RUNNER_FDS) == -EBADMSG,
           "the spawner closed the channel: no request, refused");
        close(sv[1]);
        return tap_done();
}
