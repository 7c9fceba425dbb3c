/* How a job ended: the runner's result frame, and the classification of a
 * job's end into the one vocabulary of statuses. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <linux/audit.h>

#include "sandbox/outcome.h"
#include "tap.h"

#define KB 1024ull

/* An outcome whose result channel holds `len` bytes of `data`. */
static void with_result(struct sb_outcome *o, const char *data, size_t len, bool truncated)
{
        memset(o, 0, sizeof(*o));
        o->pending_fd = -1;
        o->result.data = malloc(len + 1);
        memcpy(o->result.data, data, len);
        o->result.data[len] = 0;
        o->result.len = len;
        o->result.truncated = truncated;
}

static void done_with(struct sb_outcome *o)
{
        free(o->result.data);
        free(o->header);
}

struct frame_case {
        const char *what;
        const char *data;             /* NULL: see len */
        bool truncated;
        bool parsed;
        const char *status, *header, *result;   /* when parsed; result NULL: none */
};

static void frame_cases(void)
{
        static const struct frame_case cases[] = {
                { "good frame", "success 2\n{}42", false, true, "success", "{}", "42" },
                { "good frame, header with text", "error 16\n{\"error\": \"bad\"}", false, true, "error",
                  "{\"error\": \"bad\"}", NULL },
                { "trailing result kept whole", "success 0\n[1, 2, 3]\n", false, true, "success", "", "[1, 2, 3]\n" },
                { "missing newline", "success 2{}42", false, false, NULL, NULL, NULL },
                { "length not a number", "success x\n{}", false, false, NULL, NULL, NULL },
                { "length with a tail", "success 2x\n{}", false, false, NULL, NULL, NULL },
                { "empty length", "success \n{}", false, false, NULL, NULL, NULL },
                { "negative length", "success -1\n{}", false, false, NULL, NULL, NULL },
                { "length past the data", "success 5\n{}", false, false, NULL, NULL, NULL },
                { "header over the maximum", "success 262145\n{}", false, false, NULL, NULL, NULL },
                { "truncated buffer", "success 2\n{}42", true, false, NULL, NULL, NULL },
                { "status word too long", "aaaaaaaaaaaaaaaaaaaaaaaaa 2\n{}", false, false, NULL, NULL, NULL },
                { "empty status word", " 2\n{}", false, false, NULL, NULL, NULL },
                { "no space before the length", "success\n{}", false, false, NULL, NULL, NULL },
                { "garbage written by a script", "hello world\n", false, false, NULL, NULL, NULL },
                { "newline past the first 128 bytes", NULL, false, false, NULL, NULL, NULL },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct frame_case *c = &cases[i];
                struct sb_outcome o;
                char big[200];
                const char *data = c->data;
                if (!data) {
                        memset(big, 'a', sizeof(big) - 1);
                        big[sizeof(big) - 1] = 0;
                        memcpy(big + 150, " 2\n{}", 5);
                        data = big;
                }
                with_result(&o, data, strlen(data), c->truncated);
                bool parsed = sb_frame_parse(&o);
                ok(parsed == c->parsed && (o.header != NULL) == c->parsed, "frame: %s", c->what);
                if (c->parsed) {
                        is_str(o.runner_status, c->status, "frame: %s: status word", c->what);
                        is_str(o.header, c->header, "frame: %s: header", c->what);
                        if (c->result)
                                ok(o.result_json && o.result_json_len == strlen(c->result) &&
                                   memcmp(o.result_json, c->result, o.result_json_len) == 0,
                                   "frame: %s: result", c->what);
                        else
                                ok(!o.result_json, "frame: %s: no result", c->what);
                } else {
                        ok(!o.result_json && !o.runner_status[0], "frame: %s: nothing taken", c->what);
                }
                done_with(&o);
        }

        /* a header at the maximum is still a frame */
        size_t hl = SB_FRAME_HEADER_MAX;
        char *frame = malloc(hl + 32);
        int n = snprintf(frame, 32, "error %zu\n", hl);
        memset(frame + n, ' ', hl);
        struct sb_outcome o;
        with_result(&o, frame, (size_t) n + hl, false);
        ok(sb_frame_parse(&o) && strlen(o.header) == hl, "frame: header of exactly the maximum");
        done_with(&o);
        free(frame);

        /* no data at all */
        memset(&o, 0, sizeof(o));
        ok(!sb_frame_parse(&o), "frame: empty channel");
}

enum { NO_FRAME, FRAME, FRAME_NO_RESULT };

struct class_case {
        const char *what;
        int wstatus;
        const char *word;             /* the runner's status word, with FRAME */
        int frame;
        bool truncated, timed_out, oom_killed, output_stopped;
        uint32_t arch;
        int32_t nr;
        uint64_t utime_ms;
        uint64_t maxrss_kb, base_rss_kb;
        enum sb_status want;
        int want_signal;
        const char *want_syscall;
};

#define LIMIT_MB 100
#define TIMEOUT_S 1.5            /* the CPU limit: 2 s */

static void class_cases(void)
{
        static const struct class_case cases[] = {
                { "timed out", W_EXITCODE(0, SIGKILL), .timed_out = true, .want = SB_TIMEOUT },
                { "timed out beats the runner's word", W_EXITCODE(0, 0), "success", FRAME, .timed_out = true,
                  .want = SB_TIMEOUT },
                { "ended for its output", W_EXITCODE(0, SIGKILL), .output_stopped = true, .want = SB_OUTPUT_LIMIT },
                { "ended for its output after it had answered", W_EXITCODE(0, 0), "success", FRAME,
                  .output_stopped = true, .want = SB_OUTPUT_LIMIT },
                { "timed out before its output was stopped", W_EXITCODE(0, SIGKILL), .timed_out = true,
                  .output_stopped = true, .want = SB_TIMEOUT },
                { "OOM-killed runner", W_EXITCODE(0, SIGKILL), .oom_killed = true, .want = SB_MEMORY },
                { "OOM kill, runner ended without a frame", W_EXITCODE(1, 0), .oom_killed = true, .want = SB_MEMORY },
                { "OOM kill of another process, runner answered", W_EXITCODE(0, 0), "success", FRAME,
                  .oom_killed = true, .want = SB_SUCCESS },
                { "foreign arch call (i386)", W_EXITCODE(0, SIGKILL), .arch = AUDIT_ARCH_I386, .nr = 11,
                  .want = SB_KILLED, .want_signal = SIGSYS, .want_syscall = "i386 execve (11)" },
                { "foreign arch call (x32)", W_EXITCODE(0, SIGKILL), .arch = AUDIT_ARCH_X86_64,
                  .nr = 0x40000000 | 1, .want = SB_KILLED, .want_signal = SIGSYS, .want_syscall = "x32 write (1)" },
                { "SIGXCPU", W_EXITCODE(0, SIGXCPU), .want = SB_TIMEOUT },
                { "SIGKILL at the CPU limit", W_EXITCODE(0, SIGKILL), .utime_ms = 2000, .want = SB_TIMEOUT },
                { "SIGKILL below the CPU limit", W_EXITCODE(0, SIGKILL), .utime_ms = 1999, .want = SB_KILLED,
                  .want_signal = SIGKILL },
                { "SIGSEGV near the memory limit", W_EXITCODE(0, SIGSEGV), .maxrss_kb = 90 * KB, .want = SB_MEMORY },
                { "SIGSEGV far from the memory limit", W_EXITCODE(0, SIGSEGV), .maxrss_kb = 50 * KB,
                  .want = SB_KILLED, .want_signal = SIGSEGV },
                { "SIGABRT near the memory limit", W_EXITCODE(0, SIGABRT), .maxrss_kb = 95 * KB, .want = SB_MEMORY },
                { "SIGTERM near the memory limit", W_EXITCODE(0, SIGTERM), .maxrss_kb = 95 * KB, .want = SB_KILLED,
                  .want_signal = SIGTERM },
                { "warm: the zygote's pages do not count", W_EXITCODE(0, SIGSEGV), .maxrss_kb = 140 * KB,
                  .base_rss_kb = 60 * KB, .want = SB_KILLED, .want_signal = SIGSEGV },
                { "warm: growth near the limit", W_EXITCODE(0, SIGSEGV), .maxrss_kb = 160 * KB,
                  .base_rss_kb = 60 * KB, .want = SB_MEMORY },
                { "exit without a frame near the memory limit", W_EXITCODE(1, 0), .maxrss_kb = 92 * KB,
                  .want = SB_MEMORY },
                { "exit without a frame far from it", W_EXITCODE(1, 0), .maxrss_kb = 10 * KB, .want = SB_ERROR },
                { "runner: success", W_EXITCODE(0, 0), "success", FRAME, .want = SB_SUCCESS },
                { "runner: success without a result", W_EXITCODE(0, 0), "success", FRAME_NO_RESULT,
                  .want = SB_ERROR },
                { "runner: error", W_EXITCODE(0, 0), "error", FRAME, .want = SB_ERROR },
                { "runner: timeout", W_EXITCODE(0, 0), "timeout", FRAME, .want = SB_TIMEOUT },
                { "runner: memory_exceeded", W_EXITCODE(0, 0), "memory_exceeded", FRAME, .want = SB_MEMORY },
                { "runner: output_limit", W_EXITCODE(0, 0), "output_limit", FRAME, .want = SB_OUTPUT_LIMIT },
                { "runner: killed is not its word to say", W_EXITCODE(0, 0), "killed", FRAME, .want = SB_ERROR },
                { "runner: setup_failed is not its word to say", W_EXITCODE(0, 0), "setup_failed", FRAME,
                  .want = SB_ERROR },
                { "runner: an unknown word", W_EXITCODE(0, 0), "great", FRAME, .want = SB_ERROR },
                { "truncated result", W_EXITCODE(0, 0), "success", NO_FRAME, .truncated = true,
                  .want = SB_OUTPUT_LIMIT },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct class_case *c = &cases[i];
                struct sb_outcome o;
                char frame[64] = "";
                if (c->frame != NO_FRAME)
                        snprintf(frame, sizeof(frame), "%s 2\n{}%s", c->word, c->frame == FRAME ? "42" : "");
                else if (c->truncated)
                        snprintf(frame, sizeof(frame), "%s 2\n{}4", c->word);
                with_result(&o, frame, strlen(frame), c->truncated);
                sb_frame_parse(&o);
                struct sb_job_reply how = {
                        .magic = SB_PROTO_MAGIC, .kind = SB_REPLY_WORKER_EXIT, .wstatus = c->wstatus,
                        .timed_out = c->timed_out, .oom_killed = c->oom_killed, .output_stopped = c->output_stopped,
                        .forbidden_arch = c->arch, .forbidden_nr = c->nr,
                        .utime_us = c->utime_ms * 1000, .wall_us = 1234,
                        .maxrss_kb = c->maxrss_kb, .base_rss_kb = c->base_rss_kb,
                };
                sb_outcome_classify(&o, &how, LIMIT_MB, TIMEOUT_S);
                ok(o.status == c->want, "classify: %s: %s", c->what, sb_status_name(c->want));
                if (o.status != c->want)
                        printf("#   got: %s\n", sb_status_name(o.status));
                if (c->want == SB_OUTPUT_LIMIT)
                        ok(o.output_stopped == c->output_stopped, "classify: %s: %s", c->what,
                           c->output_stopped ? "says the output ended it" : "the result was too large");
                if (c->want_signal)
                        ok(o.signal == c->want_signal, "classify: %s: signal %d", c->what, c->want_signal);
                if (c->want_syscall)
                        is_str(o.syscall, c->want_syscall, "classify: %s: the call named", c->what);
                done_with(&o);
        }

        /* the figures come from the report */
        struct sb_outcome o;
        with_result(&o, "", 0, false);
        struct sb_job_reply how = { .wstatus = W_EXITCODE(3, 0), .wall_us = 2500, .utime_us = 1000,
                                    .stime_us = 500, .maxrss_kb = 4096 };
        sb_outcome_classify(&o, &how, LIMIT_MB, TIMEOUT_S);
        ok(o.duration_ms == 2.5 && o.cpu_ms == 1.5 && o.max_rss_kb == 4096 && o.exit_code == 3,
           "classify: wall, CPU, peak memory and exit code from the report");
        done_with(&o);
}

static void status_words(void)
{
        static const char *const words[] = { "success", "error", "timeout", "memory_exceeded", "output_limit",
                                             "killed", "setup_failed" };
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
                is_str(sb_status_name((enum sb_status) i), words[i], "status %zu is '%s'", i, words[i]);
                ok(sb_status_from_word(words[i]) == (int) i, "'%s' names status %zu", words[i], i);
        }
        is_str(sb_status_name((enum sb_status) 99), "unknown", "no status 99");
        ok(sb_status_from_word("Success") == -1 && sb_status_from_word("") == -1 && sb_status_from_word(NULL) == -1,
           "words are exact");
#define COUNT_(id, word) +1
        ok(0 SB_EXEC_STATUSES(COUNT_) == 6 && 0 SB_STATUSES(COUNT_) == 7,
           "six ways a job that ran can end, and setup_failed");
#undef COUNT_
}

int main(void)
{
        frame_cases();
        class_cases();
        status_words();
        return tap_done();
}
