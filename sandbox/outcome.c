/* How a job ended: the runner's frame and the classification.  Pure: no fd,
 * no process, so the unit tests can feed it every case. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <seccomp.h>

#ifndef X32_SYSCALL_BIT
#define X32_SYSCALL_BIT 0x40000000
#endif

#include "common/cleanup.h"
#include "outcome.h"

#define SB_STATUS_WORD_(id, word) [id] = word,
static const char *const status_words[] = { SB_STATUSES(SB_STATUS_WORD_) };
#undef SB_STATUS_WORD_

const char *sb_status_name(enum sb_status s)
{
        return (unsigned) s < ELEMENTSOF(status_words) ? status_words[s] : "unknown";
}

int sb_status_from_word(const char *word)
{
        for (size_t i = 0; word && i < ELEMENTSOF(status_words); i++)
                if (strcmp(status_words[i], word) == 0)
                        return (int) i;
        return -1;
}

/* The runner frames its answer as
 *   "<status> <header length>\n" <header JSON> <result JSON>
 * the status word is a single token, the header holds the error text and
 * traceback, the rest is the result value.  See sandbox/python/runner.py.
 * Anything else on this channel (a script may write to it) is no frame at
 * all.  Usage figures never come from here: the runner's process runs the
 * script, which could make them up; init measures them (WORKER_EXIT). */
bool sb_frame_parse(struct sb_outcome *o)
{
        struct sb_buf *b = &o->result;
        if (!b->data || b->truncated || o->header)
                return o->header != NULL;
        char *nl = memchr(b->data, '\n', b->len < 128 ? b->len : 128);
        char *sp = nl ? memchr(b->data, ' ', (size_t) (nl - b->data)) : NULL;
        if (!sp || sp == b->data || (size_t) (sp - b->data) >= sizeof(o->runner_status))
                return false;
        char *end;
        errno = 0;
        unsigned long long hl = strtoull(sp + 1, &end, 10);
        if (errno || end == sp + 1 || end != nl)
                return false;
        size_t off = (size_t) (nl - b->data) + 1;
        if (hl > SB_FRAME_HEADER_MAX || hl > b->len - off)
                return false;
        memcpy(o->runner_status, b->data, (size_t) (sp - b->data));
        o->runner_status[sp - b->data] = 0;
        o->header = strndup(b->data + off, (size_t) hl);
        off += (size_t) hl;
        if (off < b->len) {
                o->result_json = b->data + off;
                o->result_json_len = b->len - off;
        }
        return o->header != NULL;
}

void sb_foreign_call_name(uint32_t arch, int32_t nr, char *buf, size_t size)
{
        const char *table = "unknown";
        uint32_t token = 0;
        if (arch == AUDIT_ARCH_I386) {
                table = "i386", token = SCMP_ARCH_X86;
        } else if (arch == AUDIT_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)) {
                table = "x32", token = SCMP_ARCH_X32;
        }
        char *name = token ? seccomp_syscall_resolve_num_arch(token, nr) : NULL;
        int shown = token == SCMP_ARCH_X32 ? nr & ~X32_SYSCALL_BIT : nr;
        if (name)
                snprintf(buf, size, "%s %s (%d)", table, name, shown);
        else
                snprintf(buf, size, "%s call %d", table, shown);
        free(name);
}

/* A job that died of a signal: the CPU limit, the memory limit (a C
 * allocation failing at the limit often ends this way) or the signal. */
static void classify_signal(struct sb_outcome *o, int sig, bool near_memory_limit, double cpu_limit_ms)
{
        if (sig == SIGXCPU || (sig == SIGKILL && o->cpu_ms >= cpu_limit_ms)) {
                o->status = SB_TIMEOUT;
        } else if ((sig == SIGKILL || sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS) && near_memory_limit) {
                o->status = SB_MEMORY;
        } else {
                o->status = SB_KILLED;
                o->signal = sig;
        }
}

/* The runner said how it went: its word, checked against what it sent. */
static enum sb_status runner_said(const struct sb_outcome *o)
{
        switch (sb_status_from_word(o->runner_status)) {
        case SB_SUCCESS:
                return o->result_json ? SB_SUCCESS : SB_ERROR;
        case SB_MEMORY:
                return SB_MEMORY;
        case SB_OUTPUT_LIMIT:
                return SB_OUTPUT_LIMIT;
        case SB_TIMEOUT:
                return SB_TIMEOUT;
        default:
                return SB_ERROR;
        }
}

void sb_outcome_classify(struct sb_outcome *o, const struct sb_job_reply *how, uint64_t memory_mb, double timeout_s)
{
        int st = how->wstatus;
        uint64_t mem_kb = memory_mb * 1024;
        /* how much the job grew beyond what it started with (warm mode starts
         * with the zygote's pages) */
        uint64_t grown_kb = how->maxrss_kb > how->base_rss_kb ? how->maxrss_kb - how->base_rss_kb : 0;
        bool near_memory_limit = grown_kb * 10 >= mem_kb * 9;

        o->duration_ms = (double) how->wall_us / 1000.0;
        o->cpu_ms = (double) (how->utime_us + how->stime_us) / 1000.0;
        o->max_rss_kb = how->maxrss_kb;

        if (how->timed_out) {
                o->status = SB_TIMEOUT;
        } else if (how->output_stopped) {
                /* its caller had init end it: it wrote more than it may */
                o->status = SB_OUTPUT_LIMIT;
                o->output_stopped = true;
        } else if (how->client_stopped) {
                /* nobody waits for the answer: ended, as by a SIGKILL */
                o->status = SB_KILLED;
                o->signal = SIGKILL;
                o->client_stopped = true;
        } else if (how->oom_killed && (WIFSIGNALED(st) || !o->header)) {
                /* the job's memory cgroup killed the runner (or its end) */
                o->status = SB_MEMORY;
        } else if (how->forbidden_arch) {
                /* init ended the job for a call of another architecture */
                o->status = SB_KILLED;
                o->signal = SIGSYS;
                sb_foreign_call_name(how->forbidden_arch, how->forbidden_nr, o->syscall, sizeof(o->syscall));
        } else if (WIFSIGNALED(st)) {
                classify_signal(o, WTERMSIG(st), near_memory_limit, ceil(timeout_s) * 1000.0);
        } else {
                o->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                if (o->result.truncated)
                        o->status = SB_OUTPUT_LIMIT;
                else if (!o->header)
                        o->status = near_memory_limit ? SB_MEMORY : SB_ERROR;
                else
                        o->status = runner_said(o);
        }
}
