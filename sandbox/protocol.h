/* The messages between a job's caller (a sandrun-fcgi thread or the CLI) and
 * the spawner.  One SOCK_SEQPACKET message per job carries the request and,
 * with SCM_RIGHTS, the job's fds; the reply comes back on a socket made for
 * that job alone, so concurrent callers never read each other's answers. */
#pragma once

#include <stdint.h>

#define SB_PROTO_MAGIC 0x73616e64u   /* "sand" */
/* The longest /invoke handler, "module.function", without its NUL: the
 * request's validation refuses longer ones, so none is ever cut short. */
#define SB_HANDLER_MAX 127

/* The order of the fds sent with a request; in the child they land on these
 * numbers (see step2_fds.c). */
enum {
        SB_FD_STDIN = 0,
        SB_FD_STDOUT = 1,
        SB_FD_STDERR = 2,
        SB_FD_SCRIPT = 3,     /* memfd holding the user's code */
        SB_FD_RESULT = 4,     /* pipe: the runner's framed answer */
        SB_FD_REPLY = 5,      /* the job's reply socket; closed before user code runs */
        SB_FD_FILES_IN = 6,   /* sealed memfd: the request's input files, as file frames */
        SB_FD_FILES_OUT = 7,  /* pipe: init's file frames of output/; the runner closes it first thing */
        SB_N_JOB_FDS = 8,
        /* A pooled job (spawner.c) is confined before its request exists:
         * these placeholders' numbers hold /dev/null until the hand-over,
         * and its two channels wait on the next two. */
        SB_FD_POOL_RUNNER = 8,  /* the runner's: the request's fds for 0..6 */
        SB_FD_POOL_INIT = 9,    /* init's: the reply socket and the files' pipe */
        SB_N_POOL_FDS = 10,
};

enum sb_dialect {
        SB_DIALECT_EXECUTE = 1,   /* script with main() */
        SB_DIALECT_RUN = 2,       /* plain code */
        SB_DIALECT_INVOKE = 3,    /* module.function(event, context) */
};

struct sb_job_request {
        uint32_t magic;
        uint32_t dialect;
        uint32_t slot;               /* the caller's execution slot (bounds only: the
                                      * spawner gives the job a sandbox slot of its own) */
        uint32_t wall_ms;
        uint32_t cpu_seconds;
        uint32_t max_files_out;      /* files init gathers from output/ at most */
        uint64_t memory_bytes;
        uint64_t max_result_bytes;
        uint64_t max_files_out_bytes;  /* their contents together at most */
        char handler[SB_HANDLER_MAX + 1];  /* /invoke: "module.function", validated by the caller */
};

enum sb_reply_kind {
        SB_REPLY_SETUP_FAILED = 1,   /* sent by the child: the sandbox could not be set up */
        SB_REPLY_DONE = 2,           /* sent by the spawner after wait4 */
        SB_REPLY_REFUSED = 3,        /* the spawner could not start the job at all */
        SB_REPLY_WORKER_EXIT = 4,    /* sent by the job's init: how the runner process ended */
};

/* The caller's word to the job's init, on the job's reply socket (the
 * runner closed its copy before any user code: only the caller and init
 * hold it).  Init ends the job at once and says so in its report. */
enum sb_stop_kind {
        SB_STOP_OUTPUT = 1,          /* the job wrote more than max_output_drain_bytes */
        SB_STOP_CLIENT = 2,          /* the client of a streamed answer went away */
};

struct sb_job_stop {
        uint32_t magic;
        uint32_t kind;
};

struct sb_job_reply {
        uint32_t magic;
        uint32_t kind;
        int32_t error;               /* negative errno for SETUP_FAILED/REFUSED */
        int32_t wstatus;             /* wait4 status for DONE */
        uint32_t timed_out;          /* the wall-clock deadline killed the job */
        uint32_t pooled;             /* DONE, WORKER_EXIT: the request went to a job confined before it came */
        uint64_t wall_us;
        uint64_t utime_us;
        uint64_t stime_us;
        uint64_t maxrss_kb;
        uint64_t base_rss_kb;        /* warm: what the zygote had resident before the job */
        /* WORKER_EXIT: init ended the job for a call of another architecture
         * (AUDIT_ARCH_* and the number as the kernel saw them; arch 0: none) */
        uint32_t forbidden_arch;
        int32_t forbidden_nr;
        /* WORKER_EXIT: the job's memory cgroup recorded an OOM kill */
        uint32_t oom_killed;
        /* WORKER_EXIT: init ended the job at its caller's word (SB_STOP_OUTPUT) */
        uint32_t output_stopped;
        /* WORKER_EXIT: init ended the job because its client went away */
        uint32_t client_stopped;
        /* WORKER_EXIT: the runner died of a SIGKILL nothing in the job sent
         * (step6_seccomp.c, the kill watch): ended from outside, not judged */
        uint32_t killed_outside;
        char msg[256];
};

/* What the job's first process tells sandrun-init: written into a pipe on
 * SB_INIT_ARGS_FD before the exec (init's argv is just "sandrun-init"), read
 * and checked by init first thing.  The number is the script's: init has no
 * use for the script (the runner has its own copy), so its args take it. */
#define SB_INIT_ARGS_MAGIC 0x696e6974u   /* "init" */
#define SB_INIT_ARGS_FD SB_FD_SCRIPT

struct sb_init_args {
        uint32_t magic;
        uint32_t size;               /* of this struct: init and its caller are built together */
        int32_t worker;              /* the runner's pid */
        int32_t ready_fd;            /* a pipe the runner waits on before it reads the user's code */
        int32_t listener_fd;         /* the seccomp filter's notification listener */
        int32_t events_fd;           /* the job cgroup's memory.events, or -1 without cgroups */
        uint32_t wall_ms;            /* the job's wall-clock limit */
        uint32_t max_files_out;      /* what init may gather from output/ (see gather.h) */
        uint64_t max_files_out_bytes;
        uint64_t base_rss_kb;        /* what the runner had resident when it started */
        uint64_t start_ns;           /* CLOCK_MONOTONIC when the job's first process began */
        /* A pooled job: init's channel (SB_FD_POOL_INIT), on which its
         * struct sb_pool_init comes with the request, and the read end of a
         * pipe the runner writes one byte to once it holds its request and
         * has lowered its limits.  Both -1 for a job started for a request
         * (then wall_ms, max_files_out* and start_ns above hold). */
        int32_t pool_fd;
        int32_t set_fd;
};

/* The hand-over of a request to a pooled job (spawner.c): one message on
 * each of its channels, both SOCK_SEQPACKET and made for that job alone.
 * The runner's comes with the request's fds in the order of the enum above,
 * SB_FD_STDIN to SB_FD_FILES_IN but SB_FD_FILES_OUT (7 fds); init's with
 * the reply socket and the files' pipe (2 fds). */
#define SB_POOL_MAGIC 0x706f6f6cu   /* "pool" */
#define SB_POOL_RUNNER_FDS 7
#define SB_POOL_INIT_FDS 2

struct sb_pool_runner {
        uint32_t magic;
        uint32_t dialect;
        uint32_t cpu_seconds;        /* RLIMIT_CPU, lowered to this */
        uint32_t pad;
        uint64_t address_space;      /* RLIMIT_AS, lowered to this */
        uint64_t max_result_bytes;
        char handler[SB_HANDLER_MAX + 1];
};

/* The pooled runner's word to its init once it holds its request (on the
 * pipe of sb_init_args.set_fd): the CPU time it spent before, waiting and
 * rehearsing, which is not the job's. */
struct sb_pool_spent {
        uint64_t user_us;
        uint64_t sys_us;
};

struct sb_pool_init {
        uint32_t magic;
        uint32_t wall_ms;
        uint32_t max_files_out;
        uint32_t pad;
        uint64_t max_files_out_bytes;
};

/* Files travel as frames, the same both ways: the request's input files in a
 * sealed memfd the runner reads (SB_FD_FILES_IN), and what init gathers from
 * the job's output/ in a pipe the caller reads (SB_FD_FILES_OUT).  A frame is
 * this header, path_len bytes of path (relative, no NUL), then size bytes of
 * content.  The output stream ends with one frame of path_len 0 whose size
 * holds SB_FILES_* flags; a stream without it was cut short. */
#define SB_FILES_MAGIC 0x66696c65u   /* "file" */
#define SB_FILE_PATH_MAX 1024        /* bytes of a path, the contract's bound */
#define SB_FILE_NAME_MAX 255         /* bytes of one component */
#define SB_FILES_TRUNCATED 1u        /* something under output/ was left out */

struct sb_file_frame {
        uint32_t magic;
        uint32_t path_len;
        uint64_t size;
};
