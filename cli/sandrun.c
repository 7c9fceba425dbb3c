/* sandrun: the command-line twin of the HTTP API (POST /execute and POST /invoke).  It builds the same JSON
 * request a client would send and runs it through the same validation, job
 * path and response code as sandrun-fcgi, then prints the response body.
 *
 * Exit status: 0 the script succeeded, 1 it failed (or the sandbox could not
 * run it), 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/dialects.h"
#include "jobs/log.h"
#include "common/cleanup.h"

#ifndef SANDRUN_SYSCONFDIR
#define SANDRUN_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SANDRUN_SYSCONFDIR "/sandrun/sandrun.conf"

static void usage(FILE *f)
{
        fprintf(f, "Usage: sandrun run SCRIPT.py [--timeout S] [--memory-limit MB] [--stdin FILE] [--config FILE]\n"
                   "       sandrun invoke MODULE.FUNCTION MODULE.py EVENT.json [--timeout S] [--memory-limit MB]\n"
                   "                      [--config FILE]\n"
                   "       sandrun --help | --version\n\n"
                   "run: runs SCRIPT.py (which defines main()) in the same sandbox as the service and\n"
                   "prints the POST /execute response body.\n"
                   "invoke: imports MODULE.py as MODULE, calls FUNCTION(event, context) with the event and\n"
                   "context of EVENT.json ({\"version\": \"v1\", \"event\": ..., \"context\": ...}) and prints\n"
                   "the POST /invoke response body.\n"
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

static int print_response(struct http_response *resp)
{
        size_t len;
        const char *text = response_text(resp, &len);
        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        if (resp->status == 200)
                return 0;
        if (resp->ran || resp->status >= 500)
                return 1;
        return 2;
}

int main(int argc, char **argv)
{
        static struct service service;
        struct config *c = &service.cfg;
        struct sb_error err = { 0 };
        const char *script_path = NULL, *stdin_path = NULL, *timeout = NULL, *memory = NULL, *config_path = NULL;

        /* the spawner executes this program again as its zygote (spawner.h) */
        if (argc >= 1 && strcmp(argv[0], SB_ZYGOTE_ARGV0) == 0)
                sb_spawner_zygote_main();

        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                usage(stdout);
                return 0;
        }
        if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
                printf("sandrun %s\n", PACKAGE_VERSION);
                return 0;
        }
        bool invoke = argc >= 2 && strcmp(argv[1], "invoke") == 0;
        if (argc < 3 || (strcmp(argv[1], "run") != 0 && !invoke)) {
                usage(stderr);
                return 2;
        }
        const char *positional[3] = { NULL, NULL, NULL };
        size_t n_positional = 0, want_positional = invoke ? 3 : 1;
        for (int i = 2; i < argc; i++) {
                const char **slot = NULL;
                if (strcmp(argv[i], "--timeout") == 0) slot = &timeout;
                else if (strcmp(argv[i], "--memory-limit") == 0) slot = &memory;
                else if (strcmp(argv[i], "--stdin") == 0) slot = &stdin_path;
                else if (strcmp(argv[i], "--config") == 0) slot = &config_path;
                else if (argv[i][0] == '-' && argv[i][1]) {
                        fprintf(stderr, "sandrun: unknown option '%s'\n", argv[i]);
                        return 2;
                } else if (n_positional < want_positional) {
                        positional[n_positional++] = argv[i];
                        continue;
                } else {
                        fprintf(stderr, "sandrun: unexpected argument '%s'\n", argv[i]);
                        return 2;
                }
                if (i + 1 >= argc) {
                        fprintf(stderr, "sandrun: %s needs a value\n", argv[i]);
                        return 2;
                }
                *slot = argv[++i];
        }
        if (n_positional != want_positional) {
                usage(stderr);
                return 2;
        }
        script_path = invoke ? positional[1] : positional[0];
        if (invoke && stdin_path) {
                fprintf(stderr, "sandrun: invoke takes no --stdin: the event comes from EVENT.json\n");
                return 2;
        }

        config_defaults(c);
        if (!config_path)
                config_path = getenv("SANDRUN_CONFIG");
        if (config_path || access(DEFAULT_CONFIG, F_OK) == 0) {
                if (config_load_file(c, config_path ? config_path : DEFAULT_CONFIG, &err) < 0) {
                        fprintf(stderr, "sandrun: %s\n", err.msg);
                        return 2;
                }
        }
        if (config_finish(c, &err) < 0) {
                fprintf(stderr, "sandrun: %s\n", err.msg);
                return 2;
        }

        /* The request, exactly as a client would send it. */
        struct json_object *req = NULL;
        char *data = NULL;
        size_t len = 0;
        int r;
        if (invoke) {
                r = slurp(positional[2], c->max_body_bytes, &data, &len);
                if (r < 0) {
                        fprintf(stderr, "sandrun: %s: %s\n", positional[2], strerror(-r));
                        return 2;
                }
                struct request_error rerr = { 0 };
                req = parse_json_body(data, len, &rerr);
                free(data);
                if (!req) {
                        fprintf(stderr, "sandrun: %s: %s\n", positional[2], rerr.msg);
                        return 2;
                }
                json_object_object_add(req, "handler", json_object_new_string(positional[0]));
        } else {
                req = json_object_new_object();
        }
        r = slurp(script_path, c->max_body_bytes, &data, &len);
        if (r < 0) {
                fprintf(stderr, "sandrun: %s: %s\n", script_path, strerror(-r));
                json_object_put(req);
                return 2;
        }
        json_object_object_add(req, invoke ? "code" : "script", json_text(data, len));
        free(data);
        if (stdin_path) {
                r = slurp(stdin_path, c->max_body_bytes, &data, &len);
                if (r < 0) {
                        fprintf(stderr, "sandrun: %s: %s\n", stdin_path, strerror(-r));
                        return 2;
                }
                json_object_object_add(req, "stdin", json_text(data, len));
                free(data);
        }
        if (timeout) {
                double t;
                if (parse_double(timeout, &t) < 0) {
                        fprintf(stderr, "sandrun: --timeout needs a number of seconds, not '%s'\n", timeout);
                        return 2;
                }
                json_object_object_add(req, "timeout", json_object_new_double(t));
        }
        if (memory) {
                uint64_t m;
                if (parse_u64(memory, INT32_MAX, &m) < 0) {
                        fprintf(stderr, "sandrun: --memory-limit needs a whole number of MB, not '%s'\n", memory);
                        return 2;
                }
                json_object_object_add(req, "memory_limit", json_object_new_int64((int64_t) m));
        }
        size_t body_len;
        const char *body = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &body_len);

        if (getuid() != 0) {
                fprintf(stderr, "sandrun: must run as root to set up the sandbox\n");
                json_object_put(req);
                return 1;
        }
        /* One job, one slot, on the uid just past the service's range so it
         * never shares a uid with a job of a running service. */
        c->job_uid_base += c->slots;
        c->slots = 1;
        c->queue_max = 0;
        if (service_start(&service, false, &err) < 0) {
                fprintf(stderr, "sandrun: %s\n", err.msg);
                json_object_put(req);
                return 1;
        }
        struct http_response resp;
        response_init(&resp);
        if (invoke)
                dialect_invoke(&service, body, body_len, &resp);
        else
                dialect_execute(&service, body, body_len, &resp);
        json_object_put(req);
        if (resp.status >= 500 && resp.reason[0])
                fprintf(stderr, "sandrun: %s\n", resp.reason);
        int rc = print_response(&resp);
        dialect_settle(&resp);
        /* /invoke answers 200 for every run: its "error" field says how it went */
        struct json_object *e;
        if (invoke && rc == 0 && json_object_object_get_ex(resp.body, "error", &e) && e)
                rc = 1;
        response_free(&resp);
        service_stop(&service);
        return rc;
}
