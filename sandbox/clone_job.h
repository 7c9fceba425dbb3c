/* The clone of a job's first process and the way back to the spawner's
 * stack for its runner (clone_job.c says why). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Run first(arg) as the first process of fresh pid, mount, ipc and uts
 * namespaces (and net, with new_net), on the small job stack, in the
 * spawner's memory, while the spawner waits.  cgroup_fd: the slot's v2
 * cgroup to start it in, or -1; *in_cgroup says whether it did (first may
 * read it: it runs before this returns).  The job's pid, or -1 (errno). */
pid_t sb_clone_job(int (*first)(void *), void *arg, bool new_net, int cgroup_fd, bool *in_cgroup);
/* In a child the first process forked: go on with runner(arg) on the
 * spawner's own stack, never to return. */
void sb_clone_runner_start(void (*runner)(void *), void *arg) __attribute__((noreturn));

struct clone_args;
/* clone3.S: clone3() running fn(arg) in the child, on the stack args gives
 * it.  The child's pid, or -errno. */
pid_t sb_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
