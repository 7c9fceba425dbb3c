/* The zygote is a fresh program image, executed by the supervisor, never a
 * fork of the service: a fork would hand every job the service's memory (its
 * argv and environment on the stack, its configuration in the heap, the
 * page it shares with the supervisor) and its address-space layout, which
 * is what an attacker of the service's own request parsing would want to
 * know.  What the zygote needs crosses the exec in a memfd: the plan (one
 * block: it holds no pointer), then the slots' fd numbers (net, mount and
 * IPC namespaces, cgroup directories and events), all of which stay open (not
 * close-on-exec). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileio.h"
#include "handover.h"
#include "spawner.h"

#define HANDOVER_MAGIC 0x7a79676fu   /* "zygo" */

struct handover {
        uint32_t magic;
        uint32_t size;               /* of this struct: the same program on both sides */
        pid_t supervisor;
        int ctl;
        struct sb_plan plan;
        /* then: struct sb_slot_fds[plan.slots] */
};

static char *zygote_env[4];

static int keep_open(int fd)
{
        return fd < 0 ? 0 : fcntl(fd, F_SETFD, 0);
}

/* Nothing of our environment goes across, but for a sanitizer build's own
 * options (such a build never serves strangers). */
static void zygote_environ(void)
{
        size_t n = 0;
#if defined(__SANITIZE_ADDRESS__)
        static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
        static char buf[3][512];
        for (size_t i = 0; i < ELEMENTSOF(pass); i++) {
                const char *v = getenv(pass[i]);
                if (v && snprintf(buf[n], sizeof(buf[n]), "%s=%s", pass[i], v) < (int) sizeof(buf[n]))
                        zygote_env[n] = buf[n], n++;
        }
#endif
        zygote_env[n] = NULL;
}

int sb_handover_write(const struct sb_plan *p, const struct sb_runtime *rt, int ctl, pid_t supervisor)
{
        int fd = memfd_create("sandrun-zygote-state", 0);
        if (fd < 0 || dup3(fd, SB_ZYGOTE_STATE_FD, 0) < 0)
                return -1;
        close(fd);
        static struct handover h;
        h = (struct handover) { .magic = HANDOVER_MAGIC, .size = sizeof(h), .supervisor = supervisor, .ctl = ctl,
                                .plan = *p };
        int r = keep_open(ctl) | keep_open(SB_RUNNER_FD) | keep_open(SB_INIT_FD) |
                sb_write_all(SB_ZYGOTE_STATE_FD, &h, sizeof(h)) |
                sb_write_all(SB_ZYGOTE_STATE_FD, rt->slot, rt->slots * sizeof(*rt->slot));
        for (unsigned i = 0; i < rt->slots; i++) {
                const struct sb_slot_fds *s = &rt->slot[i];
                r |= keep_open(s->netns) | keep_open(s->mntns) | keep_open(s->ipcns) | keep_open(s->events);
                for (int k = 0; k < SB_CG_DIRS; k++)
                        r |= keep_open(s->cgroup[k]);
        }
        zygote_environ();
        return r ? -1 : 0;
}

void sb_handover_exec(void)
{
        char *const argv[] = { (char *) SB_ZYGOTE_ARGV0, NULL };
        execveat(SB_ZYGOTE_EXE_FD, "", argv, zygote_env, AT_EMPTY_PATH);
        const char msg[] = "sandrun: cannot execute the zygote\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(3);
}

static int read_exact(int fd, void *buf, size_t len, off_t *off)
{
        ssize_t n = pread(fd, buf, len, *off);
        if (n != (ssize_t) len)
                return -1;
        *off += (off_t) len;
        return 0;
}

void sb_handover_read(struct sb_plan *p, struct sb_runtime *rt, int *ctl, pid_t *supervisor)
{
        static struct handover h;
        struct sb_error ignored = { 0 };
        off_t off = 0;
        if (read_exact(SB_ZYGOTE_STATE_FD, &h, sizeof(h), &off) < 0 || h.magic != HANDOVER_MAGIC ||
            h.size != sizeof(h))
                _exit(3);
        *p = h.plan;
        /* a new zygote knows no limit it wrote */
        if (sb_runtime_init(rt, p->slots, &ignored) < 0 ||
            read_exact(SB_ZYGOTE_STATE_FD, rt->slot, rt->slots * sizeof(*rt->slot), &off) < 0)
                _exit(3);
        close(SB_ZYGOTE_STATE_FD);
        *ctl = h.ctl;
        *supervisor = h.supervisor;
}
