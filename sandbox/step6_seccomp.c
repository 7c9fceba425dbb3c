/* Step 6: the seccomp filter, last, so that nothing of the set-up above has
 * to be allowed by it.
 *
 * A deny-list over the native architecture, with every other architecture
 * refused: docs/security.md says why (CPython, numpy, pandas, scipy and
 * their C libraries use a wide and changing set of calls; what the filter
 * must stop is the kernel surface a confined, unprivileged, namespaced
 * process still reaches).  i386 (int 0x80) and x32 calls are foreign
 * architectures to this filter: it hands them to the job's init through a
 * notification listener (SECCOMP_RET_USER_NOTIF), so init learns which call
 * it was, refuses it and ends the job, and the answer can name the call.
 * (SECCOMP_RET_KILL_PROCESS would end it as surely, but nobody would learn
 * the call: a process killed by seccomp leaves only SIGSYS in its status.)
 *
 * The program is compiled once at start-up (libseccomp allocates, so only
 * where a single thread runs) and the child loads the exported BPF with one
 * prctl, no allocation. */
#include <linux/seccomp.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>

#include "common/cleanup.h"
#include "enter.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Calls a job never needs and that widen the kernel surface or reach beyond
 * the job: answered EPERM so Python raises PermissionError and goes on. */
static const char *const denied[] = {
        /* namespaces and mounts */
        "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot",
        "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        /* other processes' memory */
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
        /* kernel keyrings are shared by uid, not by namespace */
        "keyctl", "add_key", "request_key",
        /* large kernel surfaces */
        "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
        "fanotify_init", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
        /* the machine itself */
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "create_module", "query_module", "get_kernel_syms", "reboot", "swapon", "swapoff",
        "acct", "quotactl", "quotactl_fd", "syslog", "vhangup", "iopl", "ioperm", "uselib",
        "nfsservctl", "_sysctl", "sysfs", "ustat",
        /* clocks are global */
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
        /* identity of the (namespaced) host */
        "sethostname", "setdomainname",
        /* a process's own segment table (16-bit code, old Wine): nothing a
         * Python job needs, and a history of kernel bugs (Docker refuses it) */
        "modify_ldt",
        /* NUMA page moves touch other processes' placement */
        "migrate_pages", "move_pages",
        /* Every job sees the same read-only files of the host (/usr, the
         * interpreter): whole-file locks and watches on them would let
         * concurrent jobs signal each other or watch what others open. */
        "flock", "inotify_init", "inotify_init1", "inotify_add_watch",
        /* Memory no limit sees: a memfd's pages are not in the address
         * space once unmapped, and every one of a job's open files could
         * hold max_file_size of them (256 x 64 MB by default).  Files in
         * /tmp (and /dev/shm) count against its size instead. */
        "memfd_create", "memfd_secret",
        /* POSIX message queues: the slot's IPC namespace is shared by its
         * jobs one after the other, and nothing would remove a queue left
         * behind (the namespace also allows none: slot_ns.c) */
        "mq_open",
};

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                const struct scmp_arg_cmp *cmp, struct sb_error *err)
{
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0;       /* not a call of this architecture or libseccomp version */
        int r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
        if (r < 0)
                return sb_fail(err, -r, "seccomp rule for %s", name);
        return 0;
}

/* The rules beyond the plain deny-list: calls refused only with some
 * arguments. */
static int argument_rules(scmp_filter_ctx ctx, uint32_t eperm, struct sb_error *err)
{
        int r;

        /* Only unix sockets: no network family, no netlink, no raw packets.
         * The job's net namespace has no interface but a down loopback, and
         * this closes the families the kernel would still serve there. */
        struct scmp_arg_cmp not_unix = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
        if ((r = rule(ctx, eperm, "socket", 1, &not_unix, err)) < 0 ||
            (r = rule(ctx, eperm, "socketpair", 1, &not_unix, err)) < 0)
                return r;

        /* clone may make threads and processes, never namespaces.  clone3
         * passes its flags in memory a filter can't read: ENOSYS makes glibc
         * fall back to clone. */
        static const unsigned long ns_flags[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                                  CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME };
        for (size_t i = 0; i < ELEMENTSOF(ns_flags); i++) {
                struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]);
                if ((r = rule(ctx, eperm, "clone", 1, &c, err)) < 0)
                        return r;
        }
        if ((r = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err)) < 0)
                return r;

        /* The same for record locks: on a shared read-only file a job can only
         * take read locks, which never conflict, so nobody can notice them as
         * long as nobody can ask who holds one (F_GETLK).  Directory change
         * notices (F_NOTIFY) would show other jobs' reads. */
        static const unsigned long bad_fcntls[] = { F_GETLK, F_OFD_GETLK, F_NOTIFY };
        for (size_t i = 0; i < ELEMENTSOF(bad_fcntls); i++) {
                struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_EQ, bad_fcntls[i]);
                if ((r = rule(ctx, eperm, "fcntl", 1, &c, err)) < 0)
                        return r;
        }

        /* Pushing bytes into another terminal's input, or the console's. */
        static const unsigned long bad_ioctls[] = { TIOCSTI, TIOCLINUX };
        for (size_t i = 0; i < ELEMENTSOF(bad_ioctls); i++) {
                struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, bad_ioctls[i]);
                if ((r = rule(ctx, eperm, "ioctl", 1, &c, err)) < 0)
                        return r;
        }

        /* A job stays non-dumpable (step 4): its memory and /proc files are
         * nobody's to read, not even its own other processes'. */
        struct scmp_arg_cmp dumpable = SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE);
        if ((r = rule(ctx, eperm, "prctl", 1, &dumpable, err)) < 0)
                return r;

        /* Turning off address-space randomisation helps exploits only. */
        struct scmp_arg_cmp no_aslr = SCMP_A0(SCMP_CMP_MASKED_EQ, ADDR_NO_RANDOMIZE, ADDR_NO_RANDOMIZE);
        return rule(ctx, eperm, "personality", 1, &no_aslr, err);
}

/* The kill watch.  A runner dead of SIGKILL was killed either by its own
 * job (the script's os.kill, a child's, a CPU limit it set itself: its
 * outcome) or from outside the sandbox (an operator's kill -9: nothing of
 * the script's, and its request is told to retry).  The kernel does not say
 * who sent it, so the job's calls that could send it to the runner, or set
 * the CPU limit whose hard edge is a SIGKILL, are handed to init through
 * the filter's listener, which notes them and lets them go on.  init's own
 * kill(-1, SIGKILL) is not watched (it would wait on itself): kill(-1)
 * never reaches its caller, so a job's kill(-1) that killed the runner came
 * from another of its processes, which is still alive when the runner's end
 * is judged (init.c, killed_from_outside). */
static int kill_watch(scmp_filter_ctx ctx, struct sb_error *err)
{
        static const struct {
                const char *name;
                unsigned sig_arg;
        } sends[] = { { "kill", 1 }, { "tkill", 1 }, { "tgkill", 2 }, { "rt_sigqueueinfo", 1 },
                      { "rt_tgsigqueueinfo", 2 }, { "pidfd_send_signal", 1 } };
        int r;
        for (size_t i = 0; i < ELEMENTSOF(sends); i++) {
                /* a signal is an int: its low word is what the kernel reads */
                struct scmp_arg_cmp c[2] = { SCMP_CMP(sends[i].sig_arg, SCMP_CMP_MASKED_EQ, 0xffffffffUL, SIGKILL) };
                if (strcmp(sends[i].name, "kill") != 0) {
                        if ((r = rule(ctx, SCMP_ACT_NOTIFY, sends[i].name, 1, c, err)) < 0)
                                return r;
                        continue;
                }
                /* kill with any pid but -1 (init's kill(-1, SIGKILL) must not
                 * wait on init): glibc passes the int zero-extended,
                 * 0x00000000ffffffff; every other value lies below or above */
                c[1] = SCMP_A0(SCMP_CMP_LT, 0xffffffffUL);
                if ((r = rule(ctx, SCMP_ACT_NOTIFY, "kill", 2, c, err)) < 0)
                        return r;
                c[1] = SCMP_A0(SCMP_CMP_GT, 0xffffffffUL);
                if ((r = rule(ctx, SCMP_ACT_NOTIFY, "kill", 2, c, err)) < 0)
                        return r;
        }
        /* setrlimit / prlimit64 of RLIMIT_CPU: the kernel's SIGKILL at the new
         * hard limit is then the script's own doing (prlimit64 with no new
         * limit only reads: glibc's getrlimit) */
        struct scmp_arg_cmp cpu0 = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffUL, RLIMIT_CPU);
        struct scmp_arg_cmp cpu1[2] = { SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, RLIMIT_CPU), SCMP_A2(SCMP_CMP_NE, 0) };
        if ((r = rule(ctx, SCMP_ACT_NOTIFY, "setrlimit", 1, &cpu0, err)) < 0 ||
            (r = rule(ctx, SCMP_ACT_NOTIFY, "prlimit64", 2, cpu1, err)) < 0)
                return r;
        return 0;
}

/* The end watch.  The runner's exit_group(0) is how a job that ends well
 * ends: init hears of it and, when the runner was alone in its job,
 * reports before the runner's teardown instead of after it (init.c,
 * runner_exiting).  Only the code 0 (its low byte: what the kernel keeps):
 * the job's first process, which holds the listener until it becomes init,
 * fails with other codes, and init itself ends with the thread's own exit,
 * so neither ever waits on itself. */
static int end_watch(scmp_filter_ctx ctx, struct sb_error *err)
{
        struct scmp_arg_cmp zero = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffUL, 0);
        return rule(ctx, SCMP_ACT_NOTIFY, "exit_group", 1, &zero, err);
}

/* Export once; the child loads these instructions without libseccomp. */
static int export_program(scmp_filter_ctx ctx, struct sb_plan *p, struct sb_error *err)
{
        int r;
        _cleanup_close_ int fd = memfd_create("sandrun-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return sb_fail(err, errno, "memfd_create");
        if ((r = seccomp_export_bpf(ctx, fd)) < 0)
                return sb_fail(err, -r, "seccomp_export_bpf");
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
            (size_t) st.st_size > sizeof(p->filter))
                return sb_failx(err, EINVAL, "seccomp program has an unexpected size");
        if (pread(fd, p->filter, (size_t) st.st_size, 0) != st.st_size)
                return sb_fail(err, errno, "read seccomp program");
        p->filter_len = (unsigned short) (st.st_size / sizeof(struct sock_filter));
        return 0;
}

int sb_seccomp_compile(struct sb_plan *p, struct sb_error *err)
{
        const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        int r;

        p->filter_len = 0;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return sb_failx(err, ENOMEM, "seccomp_init failed");

        /* A call made through another architecture's table is never ours:
         * the job's init hears of it (see above) and kills the job. */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY)) < 0) {
                r = sb_fail(err, -r, "seccomp bad-arch action");
                goto out;
        }
        /* no_new_privs is set by step 4 already; libseccomp must not depend on it */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0) {
                r = sb_fail(err, -r, "seccomp nnp attribute");
                goto out;
        }
        for (size_t i = 0; i < ELEMENTSOF(denied); i++)
                if ((r = rule(ctx, eperm, denied[i], 0, NULL, err)) < 0)
                        goto out;
        if ((r = argument_rules(ctx, eperm, err)) < 0 || (r = kill_watch(ctx, err)) < 0 ||
            (r = end_watch(ctx, err)) < 0)
                goto out;
        r = export_program(ctx, p, err);
out:
        seccomp_release(ctx);
        return r;
}

int sb_seccomp_load(const struct sb_plan *p, struct sb_error *err)
{
        struct sock_fprog prog = { .len = p->filter_len, .filter = (struct sock_filter *) p->filter };
        if (p->filter_len == 0)
                return sb_failx(err, EINVAL, "no seccomp program compiled");
        /* The listener comes back close-on-exec; the caller gives it to the
         * job's init alone. */
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0)
                return sb_fail(err, errno, "load seccomp filter");
        return (int) fd;
}
