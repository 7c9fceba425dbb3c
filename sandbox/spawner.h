/* The spawner: a single-threaded process, started before the caller creates
 * any thread, that forks (clones) one confined child per job.  fork() in a
 * multithreaded program may leave the child with a lock held by a thread that
 * does not exist there; keeping every fork in this process removes that class
 * of bug. */
#pragma once

#include <sys/types.h>

#include "plan.h"
#include "protocol.h"

/* A page shared with the supervisor, for what it alone knows. */
struct sb_spawner_stats {
        volatile unsigned zygote_starts;    /* 1 after start-up; more after restarts */
        volatile int zygote_pid;
};

struct sb_spawner {
        pid_t pid;            /* the supervisor */
        int fd;               /* SOCK_SEQPACKET to the spawner */
        struct sb_spawner_stats *stats;
};

/* The zygote is this same program, executed again with this argv[0]: the
 * program's main() must hand over to sb_spawner_zygote_main() first thing
 * when it sees it. */
#define SB_ZYGOTE_ARGV0 "sandrun-zygote"
void sb_spawner_zygote_main(void) __attribute__((noreturn));

/* Fork the spawner.  Call while the caller is single-threaded. */
int sb_spawner_start(const struct sb_plan *p, struct sb_spawner *s, struct sb_error *err);
/* Close the channel (the spawner then kills what still runs and exits) and reap it. */
void sb_spawner_stop(struct sb_spawner *s);
