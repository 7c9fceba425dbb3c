/* What the front reads from the job's side, on any bytes: the runner's
 * result frame ("<status> <header length>\n" header result), which a
 * script can forge since it may write to the same fd; the job's stdout
 * and stderr; and init's report of how the runner ended (struct
 * sb_job_reply: wait status, deadline, OOM kill, a foreign system call,
 * output stopped at the caller's word, usage).  The frame is parsed and
 * the ending classified as the caller's side of a job does it, then each
 * dialect's respond_* makes the answer: it must be strict JSON in valid
 * UTF-8, with the status the dialect promises (/execute 200 or 400, /run
 * 200, /invoke 200 or its 400).
 *
 * The frame parser and the classifier are sandbox/outcome.c's
 * (sb_frame_parse, sb_outcome_classify), pure; the respond functions are
 * jobs/dialect_*.c's.
 *
 * The input: 14 bytes of settings and init's report, two 2-byte lengths,
 * then stdout, stderr and the result channel's bytes. */
#include <signal.h>
#include <sys/wait.h>
#include <linux/audit.h>

#include "fuzz.h"

#include "jobs/dialects.h"
#include "sandbox/outcome.h"

/* A stream as the job's reader keeps it (buf_read): at most cap bytes,
 * NUL-terminated, truncated when more came. */
static void fill(struct sb_buf *b, const uint8_t *p, size_t n, size_t cap, bool more)
{
        b->cap = cap;
        b->total = n + (more ? 4096 : 0);
        b->truncated = more || n > cap;
        b->len = n > cap ? cap : n;
        b->eof = true;
        if (n == 0 && !more)
                return;                                 /* nothing read: data stays NULL */
        b->data = malloc(b->len + 1);
        if (!b->data)
                abort();
        if (b->len)
                memcpy(b->data, p, b->len);
        b->data[b->len] = 0;
}

/* What sb_outcome_free (sandbox/job.c, the caller's side with its fds)
 * frees; there is no reply channel here. */
static void outcome_free(struct sb_outcome *o)
{
        free(o->out.data);
        free(o->err.data);
        free(o->result.data);
        free(o->header);
}

static const uint32_t arches[4] = { 0, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, 0xdeadbeef };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_in in = { data, size };
        uint8_t flags = fuzz_u8(&in);
        uint8_t mem_sel = fuzz_u8(&in), time_sel = fuzz_u8(&in);

        /* init's report: the fields the classifier reads */
        struct sb_job_reply how = { .magic = SB_PROTO_MAGIC, .kind = SB_REPLY_WORKER_EXIT };
        uint8_t st = fuzz_u8(&in);
        how.wstatus = (flags & 1) ? (st & 0x7f) /* killed by signal st */ : (int32_t) st << 8 /* exit st */;
        if ((flags & 6) == 6)
                how.wstatus = 0x7f | st << 8;           /* stopped: neither exited nor signalled */
        how.timed_out = (flags >> 3) & 1;
        how.oom_killed = (flags >> 4) & 1;
        how.output_stopped = (flags >> 6) & 1;   /* init ended it at the caller's word */
        uint8_t arch = fuzz_u8(&in);
        how.forbidden_arch = arches[arch & 3];
        how.forbidden_nr = (int32_t) ((arch >> 2) * 7) | ((arch & 0x80) ? 0x40000000 : 0);
        how.wall_us = fuzz_u64(&in, 3) * 97;
        how.utime_us = fuzz_u64(&in, 2) * 997;
        how.stime_us = fuzz_u64(&in, 1) * 997;
        how.maxrss_kb = fuzz_u64(&in, 2) * 17;
        how.base_rss_kb = fuzz_u64(&in, 1) * 97;

        struct sb_job_spec spec = {
                .dialect = SB_DIALECT_EXECUTE,
                .timeout_s = (time_sel + 1) / 4.0,
                .memory_mb = 64 + mem_sel * 8u,
                /* small caps, so that small inputs reach them */
                .max_stdout_bytes = 64,
                .max_stderr_bytes = 64,
                .max_result_bytes = 64,
        };
        size_t out_n = (size_t) fuzz_u64(&in, 2) % 256, err_n = (size_t) fuzz_u64(&in, 2) % 256;
        out_n = out_n < in.n ? out_n : in.n;
        const uint8_t *out_p = in.p;
        in.p += out_n, in.n -= out_n;
        err_n = err_n < in.n ? err_n : in.n;
        const uint8_t *err_p = in.p;
        in.p += err_n, in.n -= err_n;

        struct sb_outcome o;
        memset(&o, 0, sizeof(o));
        o.pending_fd = -1;
        o.output_drain_limit = UINT64_C(64) << 20;
        fill(&o.out, out_p, out_n, spec.max_stdout_bytes, false);
        fill(&o.err, err_p, err_n, spec.max_stderr_bytes, false);
        /* the result channel's cap leaves room for the header; bit 5 says
         * more came than was kept */
        fill(&o.result, in.p, in.n, spec.max_result_bytes + SB_FRAME_HEADER_MAX + 32, (flags >> 5) & 1);

        bool framed = sb_frame_parse(&o);
        FUZZ_ASSERT(framed == (o.header != NULL), "parse said %d with header %p", framed, (void *) o.header);
        if (framed) {
                /* any bytes but a space (NUL included): only compared with strcmp */
                FUZZ_ASSERT(memchr(o.runner_status, 0, sizeof(o.runner_status)), "runner status unterminated");
                FUZZ_ASSERT(!o.result_json || (o.result_json > o.result.data &&
                                               o.result_json + o.result_json_len == o.result.data + o.result.len),
                            "result outside the channel's bytes");
        }
        sb_outcome_classify(&o, &how, spec.memory_mb, spec.timeout_s);
        FUZZ_ASSERT(o.status >= SB_SUCCESS && o.status < SB_SETUP_FAILED, "status %d", (int) o.status);
        FUZZ_ASSERT(o.status != SB_SUCCESS || (framed && o.result_json), "success without a result");

        struct job_request req = { .timeout_s = spec.timeout_s, .memory_mb = (unsigned) spec.memory_mb };
        /* the dialects' respond functions (the table in jobs/dialects.c
         * names these three; it is not linked here, as it needs the service) */
        static const enum endpoint eps[3] = { EP_EXECUTE, EP_RUN, EP_INVOKE };
        static void (*const respond[3])(const struct job_request *, const struct sb_outcome *,
                                        struct http_response *) = { respond_execute, respond_run, respond_invoke };
        for (int i = 0; i < 3; i++) {
                struct http_response resp;
                response_init(&resp);
                respond[i](&req, &o, &resp);
                size_t len;
                const char *text = response_text(&resp, &len);
                struct json_object *v = fuzz_check_body(text, len);
                if (eps[i] == EP_EXECUTE) {
                        FUZZ_ASSERT(resp.status == 200 || resp.status == 400, "/execute %d", resp.status);
                        const char *status = fuzz_member_string(v, "status");
                        FUZZ_ASSERT(status && (resp.status == 200) == (strcmp(status, "success") == 0),
                                    "/execute %d with status %s", resp.status, status ? status : "none");
                        FUZZ_ASSERT(resp.status == 200 || fuzz_member_string(v, "error"), "a failure without error");
                } else if (eps[i] == EP_RUN) {
                        FUZZ_ASSERT(resp.status == 200, "/run %d", resp.status);
                        const char *status = fuzz_member_string(v, "status");
                        FUZZ_ASSERT(status && (!strcmp(status, "success") || !strcmp(status, "error") ||
                                               !strcmp(status, "timeout") || !strcmp(status, "memory_exceeded")),
                                    "/run status %s", status ? status : "none");
                } else {
                        FUZZ_ASSERT(resp.status == 200 || (resp.status == 400 && fuzz_member_string(v, "error")),
                                    "/invoke %d", resp.status);
                }
                json_object_put(v);
                response_free(&resp);
        }
        /* every status's words, as the log and /execute say them */
        for (enum sb_status s = SB_SUCCESS; s <= SB_SETUP_FAILED; s++) {
                char text[256];
                struct sb_outcome shown = o;
                shown.status = s;
                outcome_error_text(&shown, req.timeout_s, req.memory_mb, "main()", text, sizeof(text));
                FUZZ_ASSERT(fuzz_utf8_valid(text, strlen(text)), "error text %s", text);
        }
        outcome_free(&o);
        return 0;
}
