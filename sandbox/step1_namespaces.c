/* Step 1: the job's process starts life in its own namespaces.
 *
 * clone() with the namespace flags rather than unshare() + fork(): the child
 * is at once pid 1 of a new pid namespace, so when it dies the kernel kills
 * every process the script started (double forks, setsid, stopped processes
 * included) and reaps them before our wait4() returns.  The caller is the
 * spawner, a single-threaded process, so the raw syscall (which skips glibc's
 * atfork handlers) leaves no lock held. */
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

pid_t sb_clone_job(void)
{
        const unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC |
                                    CLONE_NEWUTS | CLONE_NEWCGROUP | SIGCHLD;
        /* x86_64 argument order: flags, stack, parent_tid, child_tid, tls */
        return (pid_t) syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
}
