/* The job's first process, and how its runner gets back to a real stack.
 *
 * clone() with the namespace flags rather than unshare() + fork(): the child
 * is at once pid 1 of a new pid namespace, so when it dies the kernel kills
 * every process the script started (double forks, setsid, stopped processes
 * included) and reaps them before our wait4() returns.
 *
 * It is cloned with CLONE_VM | CLONE_VFORK: it shares the spawner's memory
 * (so no page table is copied for it) while the spawner waits, confines
 * itself, forks the runner (the one copy of the warm interpreter a job
 * costs) and then executes sandrun-init, which gives the memory back and
 * lets the spawner go on (job_first.c).  Until that exec it must only touch
 * its own stack and what the spawner would not mind it changing, and it ends
 * with _exit, never exit.  The spawner is single-threaded and waits
 * meanwhile, so no lock is held by anyone else.
 *
 * The runner must not live on the small job stack: Python's C code recurses.
 * It goes back to the spawner's own stack, which its copy of the memory
 * holds as the spawner left it when it cloned: to the frame of
 * clone_from_here() below, still live in the spawner (blocked in the clone),
 * whose only other job is to make the clone.  From there the runner is a
 * plain function call. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "clone_job.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
/* AddressSanitizer keeps one idea of "the current stack" per thread, in
 * memory the job's first process shares with the spawner (CLONE_VM).  Tell it
 * when the job stack is in use and when the spawner's own stack is back, or it
 * warns (into the job's stderr) and may report false positives. */
static const void *main_stack_bottom;
static size_t main_stack_size;
static void asan_to_job_stack(void *stack, size_t size)
{
        __sanitizer_start_switch_fiber(NULL, stack, size);
}
static void asan_on_job_stack(void)
{
        __sanitizer_finish_switch_fiber(NULL, &main_stack_bottom, &main_stack_size);
}
static void asan_back_to_main_stack(void)
{
        __sanitizer_start_switch_fiber(NULL, main_stack_bottom, main_stack_size);
        __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
}
#else
static inline void asan_to_job_stack(void *stack, size_t size) { (void) stack; (void) size; }
static inline void asan_on_job_stack(void) { }
static inline void asan_back_to_main_stack(void) { }
#endif

/* The first process of a job runs on this stack, in the spawner's memory,
 * while the spawner waits (CLONE_VFORK): one job at a time uses it. */
static char job_stack[256 * 1024] __attribute__((aligned(64)));

/* Read by the first process on the job stack (shared memory). */
static struct {
        int (*fn)(void *);
        void *arg;
} first;
/* Set by the runner, in its own copy of the memory, before it jumps. */
static struct {
        void (*fn)(void *);
        void *arg;
} runner;
static jmp_buf runner_landing;

static int first_main(void *unused)
{
        (void) unused;
        asan_on_job_stack();
        return first.fn(first.arg);
}

/* The clone, and the runner's landing point: nothing else happens in this
 * frame, and nothing below it but the clone has a frame of ours. */
static pid_t __attribute__((noinline)) clone_from_here(int flags, int cgroup_fd, bool *in_cgroup)
{
        if (setjmp(runner_landing)) {
                /* the runner, back on the spawner's stack */
                asan_back_to_main_stack();
                runner.fn(runner.arg);
                _exit(127);
        }
#if defined(__x86_64__)
        /* cgroup v2: born in the slot's cgroup (Linux 5.7), where moving it
         * there would take the kernel's global threadgroup lock for writing,
         * and wait for an RCU grace period whenever it was idle */
        if (cgroup_fd >= 0) {
                /* static, not on our stack: the runner comes back to this
                 * frame by longjmp, over the clone's, and a sanitizer build
                 * would find a frame's poisoned edges there */
                static struct clone_args ca;
                ca = (struct clone_args) {
                        .flags = (uint64_t) flags | CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .stack = (uint64_t) (uintptr_t) job_stack,
                        .stack_size = sizeof(job_stack),
                        .cgroup = (uint64_t) cgroup_fd,
                };
                *in_cgroup = true;     /* the child reads it: it runs before we return */
                pid_t pid = sb_clone3(&ca, sizeof(ca), first_main, NULL);
                if (pid >= 0)
                        return pid;
                *in_cgroup = false;
                if (pid != -ENOSYS && pid != -E2BIG && pid != -EINVAL) {
                        errno = -pid;
                        return -1;
                }
        }
#else
        (void) cgroup_fd;
#endif
        *in_cgroup = false;
        return clone(first_main, job_stack + sizeof(job_stack), flags | SIGCHLD, NULL);
}

pid_t sb_clone_job(int (*fn)(void *), void *arg, bool new_net, int cgroup_fd, bool *in_cgroup)
{
        /* the cgroup namespace comes later: its root is the cgroup the job
         * is in when it is made (sb_job_cgroup_join) */
        /* the mount and IPC namespaces are the slot's (sb_slot_ns_join): a
         * copy of the spawner's mount tree would only be thrown away */
        const int flags = CLONE_VM | CLONE_VFORK | CLONE_NEWPID | CLONE_NEWUTS | (new_net ? CLONE_NEWNET : 0);
        first.fn = fn;
        first.arg = arg;
        asan_to_job_stack(job_stack, sizeof(job_stack));
        pid_t pid = clone_from_here(flags, cgroup_fd, in_cgroup);
        /* the child changed the shared sanitizer state to its stack */
        if (pid > 0)
                asan_back_to_main_stack();
        return pid;
}

void sb_clone_runner_start(void (*fn)(void *), void *arg)
{
        runner.fn = fn;
        runner.arg = arg;
        longjmp(runner_landing, 1);
}
