/* sandrun: the command-line twin of the HTTP API (POST /execute and POST /invoke).  It builds the same JSON
 * request a client would send and runs it through the same validation, job
 * path and response code as sandrun-fcgi, then prints the response body.
 *
 * Exit status: 0 the script succeeded, 1 it failed (or the sandbox could not
 * run it), 2 usage error. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/dialects.h"
#include "common/cleanup.h"
#include "files.h"
#include "grade.h"
#include "live.h"

#ifndef SANDRUN_SYSCONFDIR
#define SANDRUN_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SANDRUN_SYSCONFDIR "/sandrun/sandrun.conf"

static void usage(FILE *f)
{
        fprintf(f, "Usage: sandrun run SCRIPT.py [--timeout S] [--memory-limit MB] [--stdin FILE] [--config FILE]\n"
                   "                   [--file PATH]... [--output-dir DIR] [--ndjson]\n"
                   "       sandrun invoke MODULE.FUNCTION MODULE.py EVENT.json [--timeout S] [--memory-limit MB]\n"
                   "                      [--config FILE] [--file PATH]... [--output-dir DIR]\n"
                   "       sandrun grade CODE.py TESTS.json [--compare exact|trim|tokens|float:TOL] [--timeout S]\n"
                   "                     [--memory-limit MB] [--config FILE] [--file PATH]... [--ndjson]\n"
                   "       sandrun --help | --version\n\n"
                   "run: runs SCRIPT.py (which defines main()) in the same sandbox as the service and\n"
                   "prints the POST /execute response body.\n"
                   "invoke: imports MODULE.py as MODULE, calls FUNCTION(event, context) with the event and\n"
                   "context of EVENT.json ({\"version\": \"v1\", \"event\": ..., \"context\": ...}) and prints\n"
                   "the POST /invoke response body.\n"
                   "grade: runs CODE.py, a stdin/stdout program, against each test of TESTS.json (an array of\n"
                   "{\"name\", \"stdin\", \"expected_stdout\"}, or a /grade request without its code) and prints\n"
                   "the POST /grade response body; exit status 0 only when every test is accepted.\n"
                   "--file PATH puts a copy of PATH in the script's working directory (a relative path keeps\n"
                   "its form, any other goes by its base name); --output-dir DIR writes the files the script\n"
                   "left in output/ under DIR.\n"
                   "The script's output is shown as it runs when stderr is a terminal (stdout holds the JSON\n"
                   "body alone); --ndjson prints the events of a streamed answer instead, the result last.\n"
                   "Exit status: 0 success, 1 the script failed, 2 usage error.\n");
}

/* Read a whole file, at most max bytes. */
static int slurp(const char *path, size_t max, char **out, size_t *len)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        size_t cap = 65536, n = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (n == cap) {
                        if (cap > max) {
                                free(buf);
                                return -EFBIG;
                        }
                        cap *= 2;
                        char *b = realloc(buf, cap);
                        if (!b) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = b;
                }
                size_t k = fread(buf + n, 1, cap - n, f);
                n += k;
                if (k == 0)
                        break;
        }
        if (ferror(f) || n > max) {
                free(buf);
                return ferror(f) ? -EIO : -EFBIG;
        }
        *out = buf;
        *len = n;
        return 0;
}

/* The exit status says how the job went, never what HTTP would have said. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static int print_response(struct http_response *resp)
{
        struct iovec v[3];
        size_t n = response_pieces(resp, v);
        for (size_t i = 0; i < n; i++)
                fwrite(v[i].iov_base, 1, v[i].iov_len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        if (resp->ran)
                return resp->exec_status == SB_SUCCESS ? EXIT_OK : EXIT_FAILED;
        /* nothing ran: the request we built was refused (the arguments'
         * fault), or the sandbox could not take it */
        return resp->status >= 500 ? EXIT_FAILED : EXIT_USAGE;
}

struct args {
        bool invoke;
        const char *positional[3];
        const char *stdin_path, *timeout, *memory, *config_path, *output_dir;
        bool ndjson, grade;
        const char *compare;          /* grade: exact, trim, tokens or float:TOLERANCE */
        char **files;                 /* --file, in order (room for argc) */
        size_t n_files;
};

/* 0, or the exit status of a usage error (the message is printed). */
static int parse_args(int argc, char **argv, struct args *a)
{
        a->invoke = argc >= 2 && strcmp(argv[1], "invoke") == 0;
        a->grade = argc >= 2 && strcmp(argv[1], "grade") == 0;
        if (argc < 3 || (strcmp(argv[1], "run") != 0 && !a->invoke && !a->grade)) {
                usage(stderr);
                return EXIT_USAGE;
        }
        size_t n_positional = 0, want_positional = a->invoke ? 3 : a->grade ? 2 : 1;
        for (int i = 2; i < argc; i++) {
                const char **slot = NULL;
                if (strcmp(argv[i], "--timeout") == 0) slot = &a->timeout;
                else if (strcmp(argv[i], "--memory-limit") == 0) slot = &a->memory;
                else if (strcmp(argv[i], "--stdin") == 0) slot = &a->stdin_path;
                else if (strcmp(argv[i], "--config") == 0) slot = &a->config_path;
                else if (strcmp(argv[i], "--output-dir") == 0) slot = &a->output_dir;
                else if (strcmp(argv[i], "--compare") == 0 && a->grade) slot = &a->compare;
                else if (strcmp(argv[i], "--ndjson") == 0) {
                        a->ndjson = true;
                        continue;
                }
                else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc) {
                        a->files[a->n_files++] = argv[++i];
                        continue;
                }
                else if (argv[i][0] == '-' && argv[i][1]) {
                        fprintf(stderr, "sandrun: unknown option '%s'\n", argv[i]);
                        return EXIT_USAGE;
                } else if (n_positional < want_positional) {
                        a->positional[n_positional++] = argv[i];
                        continue;
                } else {
                        fprintf(stderr, "sandrun: unexpected argument '%s'\n", argv[i]);
                        return EXIT_USAGE;
                }
                if (i + 1 >= argc) {
                        fprintf(stderr, "sandrun: %s needs a value\n", argv[i]);
                        return EXIT_USAGE;
                }
                *slot = argv[++i];
        }
        if (n_positional != want_positional) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (a->grade && a->stdin_path) {
                fprintf(stderr, "sandrun: grade takes no --stdin: each test's comes from TESTS.json\n");
                return EXIT_USAGE;
        }
        if (a->invoke && a->stdin_path) {
                fprintf(stderr, "sandrun: invoke takes no --stdin: the event comes from EVENT.json\n");
                return EXIT_USAGE;
        }
        return 0;
}

/* A sandrun run from its build tree (cli/sandrun there, or a link to it, as
 * dev/setup makes in /usr/local/bin) uses the runner and init of that build,
 * beside it: ../sandbox/python/runner.py and ../sandbox/sandrun-init.  An
 * installed one has no such files next to it and keeps the compiled-in paths
 * (where make install or the package put them).  A config file still wins. */
static void use_own_build(struct config *c)
{
        char exe[PATH_MAX], runner[PATH_MAX], init[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash)
                return;
        /* fits: it replaces at least "/x" and the NUL */
        snprintf(slash, sizeof exe - (size_t) (slash - exe), "/..");
        _cleanup_free_ char *dir = realpath(exe, NULL);
        if (!dir ||
            snprintf(runner, sizeof runner, "%s/sandbox/python/runner.py", dir) >= (int)sizeof runner ||
            snprintf(init, sizeof init, "%s/sandbox/sandrun-init", dir) >= (int)sizeof init ||
            strlen(runner) >= sizeof c->runner || strlen(init) >= sizeof c->init)
                return;
        if (access(runner, R_OK) == 0 && access(init, X_OK) == 0) {
                snprintf(c->runner, sizeof c->runner, "%s", runner);
                snprintf(c->init, sizeof c->init, "%s", init);
        }
}

static int load_config(struct config *c, const char *path)
{
        struct sb_error err = { 0 };
        config_defaults(c);
        use_own_build(c);
        if (!path)
                path = getenv("SANDRUN_CONFIG");
        if ((path || access(DEFAULT_CONFIG, F_OK) == 0) && config_load_file(c, path ? path : DEFAULT_CONFIG, &err) < 0) {
                fprintf(stderr, "sandrun: %s\n", err.msg);
                return EXIT_USAGE;
        }
        if (config_finish(c, &err) < 0) {
                fprintf(stderr, "sandrun: %s\n", err.msg);
                return EXIT_USAGE;
        }
        return 0;
}

/* Add the file's bytes to the request as a string field. */
static int add_file(struct json_object *req, const char *field, const char *path, size_t max)
{
        char *data = NULL;
        size_t len = 0;
        int r = slurp(path, max, &data, &len);
        if (r < 0) {
                fprintf(stderr, "sandrun: %s: %s\n", path, strerror(-r));
                return EXIT_USAGE;
        }
        json_object_object_add(req, field, json_text(data, len));
        free(data);
        return 0;
}

static enum endpoint cli_endpoint(const struct args *a)
{
        return a->invoke ? EP_INVOKE : a->grade ? EP_GRADE : EP_EXECUTE;
}

/* The request, exactly as a client would send it; NULL after a usage error. */
static struct json_object *build_request(const struct args *a, const struct config *c)
{
        struct json_object *req = NULL;
        if (a->invoke) {
                char *data = NULL;
                size_t len = 0;
                int r = slurp(a->positional[2], c->max_body_bytes, &data, &len);
                if (r < 0) {
                        fprintf(stderr, "sandrun: %s: %s\n", a->positional[2], strerror(-r));
                        return NULL;
                }
                struct request_error rerr = { 0 };
                req = parse_json_body(data, len, &rerr);
                free(data);
                if (!req) {
                        fprintf(stderr, "sandrun: %s: %s\n", a->positional[2], rerr.msg);
                        return NULL;
                }
                json_object_object_add(req, "handler", json_object_new_string(a->positional[0]));
        } else if (a->grade) {
                if (!(req = cli_grade_request(a->positional[1], a->compare, c->max_body_bytes)))
                        return NULL;
        } else {
                req = json_object_new_object();
        }
        const struct dialect *d = dialect_of(cli_endpoint(a));
        if (add_file(req, d->rules.code_field, a->invoke ? a->positional[1] : a->positional[0], c->max_body_bytes) ||
            (a->stdin_path && add_file(req, "stdin", a->stdin_path, c->max_body_bytes)) ||
            cli_add_files(req, a->files, a->n_files, c->max_files_in_bytes))
                goto fail;
        if (a->timeout) {
                double t;
                if (parse_double(a->timeout, &t) < 0) {
                        fprintf(stderr, "sandrun: --timeout needs a number of seconds, not '%s'\n", a->timeout);
                        goto fail;
                }
                json_object_object_add(req, "timeout", json_object_new_double(t));
        }
        if (a->memory) {
                uint64_t m;
                if (parse_u64(a->memory, INT32_MAX, &m) < 0) {
                        fprintf(stderr, "sandrun: --memory-limit needs a whole number of MB, not '%s'\n", a->memory);
                        goto fail;
                }
                json_object_object_add(req, "memory_limit", json_object_new_int64((int64_t) m));
        }
        return req;
fail:
        json_object_put(req);
        return NULL;
}

/* One job on a service of one slot, through the dialect's own path. */
static int run_one(struct service *service, const struct dialect *d, struct json_object *req, const char *output_dir,
                   bool ndjson)
{
        struct config *c = &service->cfg;
        struct sb_error err = { 0 };
        size_t body_len;
        const char *body = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &body_len);

        /* One job, one slot, on the uid just past the service's range so it
         * never shares a uid with a job of a running service. */
        c->job_uid_base += config_job_uids(c);
        c->slots = 1;
        /* one request: a job confined before it would only be one more */
        c->pool_depth = 0;
        c->queue_max = 0;
        if (service_start(service, false, &err) < 0) {
                fprintf(stderr, "sandrun: %s\n", err.msg);
                return EXIT_FAILED;
        }
        struct http_response resp;
        struct job_lease lease = JOB_LEASE_INIT;
        response_init(&resp);
        /* the script's output as it comes: to the terminal, or as events */
        struct cli_live live;
        cli_live_init(&live, ndjson, isatty(STDERR_FILENO));
        struct dialect_hooks hooks = { .output = { .write = cli_live_output, .ctx = &live, .cancel_fd = -1 } };
        dialect_handle_hooked(d, service, body, body_len, &resp, &lease, &hooks);
        if (resp.status >= 500 && resp.reason[0])
                fprintf(stderr, "sandrun: %s\n", resp.reason);
        int rc;
        if (ndjson && resp.ran) {
                cli_live_result(&live, &resp);
                rc = resp.exec_status == SB_SUCCESS ? EXIT_OK : EXIT_FAILED;
        } else {
                rc = print_response(&resp);
        }
        if (output_dir && cli_write_outputs(&resp, output_dir) != 0 && rc == EXIT_OK)
                rc = EXIT_FAILED;
        service_settle(&lease);
        response_free(&resp);
        service_stop(service);
        return rc;
}

int main(int argc, char **argv)
{
        static struct service service;
        struct args a = { 0 };
        int r;

        /* the spawner executes this program again as its zygote (spawner.h) */
        if (argc >= 1 && strcmp(argv[0], SB_ZYGOTE_ARGV0) == 0)
                sb_spawner_zygote_main();

        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                usage(stdout);
                return EXIT_OK;
        }
        if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
                printf("sandrun %s\n", PACKAGE_VERSION);
                return EXIT_OK;
        }
        if (argc < 1 || !(a.files = calloc((size_t) argc, sizeof(*a.files))))
                return EXIT_FAILED;
        if ((r = parse_args(argc, argv, &a)) != 0 || (r = load_config(&service.cfg, a.config_path)) != 0)
                return r;
        struct json_object *req = build_request(&a, &service.cfg);
        if (!req)
                return EXIT_USAGE;
        if (getuid() != 0) {
                fprintf(stderr, "sandrun: must run as root to set up the sandbox\n");
                json_object_put(req);
                return EXIT_FAILED;
        }
        r = run_one(&service, dialect_of(cli_endpoint(&a)), req, a.output_dir, a.ndjson);
        json_object_put(req);
        free(a.files);
        return r;
}
