/* What init reads of its job from the kernel (init_usage.c): the job's CPU
 * time, its cgroup's OOM kills, its processes.  All of it is the kernel's
 * word, never a process of the job's. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

/* The oom_kill count of memory.events ("oom_kill N" among other lines), or
 * 0 without the file (fd -1). */
uint64_t sb_init_oom_kills(int fd);
/* CPU time of the whole job, user and system, in microseconds: what init
 * reaped (the runner, with what it reaped, and orphans) and, with live_too,
 * what every process still here has used and reaped; less `before`, a
 * pooled runner's time before its request. */
void sb_init_job_cpu(bool live_too, const struct sb_pool_spent *before, uint64_t *user_us, uint64_t *sys_us);
/* Reap until no process of the job is left, at most a second. */
void sb_init_reap_all(int sfd);
/* Is any process of the job left besides init? */
bool sb_init_others_alive(void);
/* Has the job never had a process or thread but init and the runner?  The
 * pid namespace's last pid tells (last_pid_fd: its ns_last_pid, open). */
bool sb_init_runner_alone(int last_pid_fd, pid_t runner);
/* The runner's CPU time in microseconds (user and system together, to the
 * nanosecond: its CPU clock) and its peak resident size in kB, read while
 * it lives; false if it could not be read. */
bool sb_init_runner_usage(pid_t runner, uint64_t *cpu_us, uint64_t *maxrss_kb);
/* End init: the thread's own exit, never exit_group (see init.c). */
void sb_init_leave(int code) __attribute__((noreturn));
