#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "common/cleanup.h"
#include "config.h"

#define S(field, type, def, min, max, help) \
        { #field, type, offsetof(struct config, field), sizeof(((struct config *) 0)->field), def, min, max, help }
#define L(field, def, help) \
        { #field, SET_LIST, offsetof(struct config, field), sizeof(((struct config *) 0)->field[0]), def, 0, \
          CONFIG_MAX_LIST, help }

const struct setting config_settings[] = {
        S(listen, SET_STR, "", 0, 0, "socket to serve on: a path, HOST:PORT, or empty for fd 0 / LISTEN_FDS"),
        S(socket_group, SET_STR, "", 0, 0, "group of a unix socket made with listen (empty: unchanged)"),
        S(socket_mode, SET_MODE, "0660", 0, 0777, "mode of a unix socket made with listen"),
        S(user, SET_STR, "", 0, 0, "user sandrun-fcgi switches to once the spawner runs (empty: stay)"),
        S(web_server_addrs, SET_STR, "", 0, 0,
          "FastCGI over TCP: comma-separated IPv4/IPv6 addresses allowed to connect (empty: 127.0.0.1 and ::1)"),
        S(threads, SET_UINT, "0", 0, 256, "FastCGI worker threads (0: slots + queue_max, at most 256)"),
        S(log_level, SET_STR, "info", 0, 0, "debug, info, warning or error"),
        S(slots, SET_UINT, "0", 0, 1024, "execution slots: jobs that run at once (0: 2 per CPU)"),
        S(pool_depth, SET_UINT, "1", 0, 4,
          "jobs kept confined and waiting for a request, per slot (0: no pool, each job is started for its request)"),
        S(queue_max, SET_UINT, "16", 0, 4096, "requests that may wait for a slot"),
        S(queue_wait_s, SET_DOUBLE, "10", 0, 3600, "longest wait for a slot before 503"),
        S(drain_s, SET_DOUBLE, "60", 0, 3600,
          "on a stop signal, how long requests in flight may finish before their jobs are ended (503)"),
        S(client_max_concurrent, SET_UINT, "0", 0, 100000,
          "requests one client of the class \"default\" may have running or queued at once, past which it gets "
          "429 (0: no cap of its own, slots + queue_max); classes without max_concurrent take it too"),
        S(max_body_bytes, SET_U64, "16777216", 1024, 1 << 30, "largest request body (nginx's client_max_body_size follows it)"),
        S(max_script_bytes, SET_U64, "1048576", 1, 1 << 30, "largest script"),
        S(max_stdin_bytes, SET_U64, "1048576", 0, 1 << 30, "largest stdin"),
        S(default_timeout_s, SET_DOUBLE, "30", 0.001, 86400, "timeout when the request gives none"),
        S(max_timeout_s, SET_DOUBLE, "300", 0.001, 86400, "largest timeout a request may ask"),
        S(default_memory_mb, SET_UINT, "512", 16, 1 << 20, "memory limit when the request gives none"),
        S(min_memory_mb, SET_UINT, "64", 16, 1 << 20, "smallest memory limit a request may ask"),
        S(max_memory_mb, SET_UINT, "2048", 16, 1 << 20, "largest memory limit a request may ask"),
        S(max_stdout_bytes, SET_U64, "1048576", 0, 1 << 30, "stdout kept; the rest is dropped and flagged"),
        S(max_stderr_bytes, SET_U64, "1048576", 0, 1 << 30, "stderr kept; the rest is dropped and flagged"),
        S(max_result_bytes, SET_U64, "1048576", 2, 1 << 30, "largest result (JSON text)"),
        S(max_output_drain_bytes, SET_U64, "67108864", 0, 1ull << 40,
          "stdout and stderr a job may write in all, kept or dropped; past it the job ends (output_limit)"),
        S(max_tests, SET_UINT, "64", 1, 4096, "test cases a POST /grade request may bring"),
        S(max_files_in, SET_UINT, "64", 0, 4096, "input files a request may bring (\"files\")"),
        S(max_files_in_bytes, SET_U64, "8388608", 0, 1 << 30, "input files' decoded contents together"),
        S(max_files_out, SET_UINT, "32", 0, 4096, "files of the job's output/ returned at most"),
        S(max_files_out_bytes, SET_U64, "8388608", 0, 1 << 30,
          "returned files' contents together; what does not fit is left out and flagged"),
        S(mode, SET_STR, "warm", 0, 0,
          "warm: fork a zygote with Python and the libraries loaded; cold: start python3 per job"),
        S(cgroup, SET_STR, "auto", 0, 0,
          "memory and pids cgroups per job: auto (v2 where delegated, else v1, else none), on (required), off"),
        S(job_uid_base, SET_UINT, "200000", 1000, 4000000000.0, "first uid of the jobs: every job, running or pooled, has one of its own, from base to "
          "base + slots x (1 + pool_depth) - 1"),
        S(job_gid, SET_UINT, "200000", 1000, 4000000000.0, "gid of every job"),
        S(tmp_size_mb, SET_UINT, "64", 1, 1 << 20, "size of a job's private /tmp (and /dev/shm)"),
        S(max_processes, SET_UINT, "128", 1, 1 << 20, "processes and threads of one job"),
        S(max_open_files, SET_UINT, "256", 16, 1 << 20, "open files of one job process"),
        S(max_file_size_mb, SET_UINT, "64", 1, 1 << 20, "largest file a job may write"),
        S(python, SET_STR, SANDRUN_PYTHON, 0, 0, "Python interpreter run in the sandbox (must live under /usr)"),
        S(runner, SET_STR, SANDRUN_RUNNER, 0, 0, "the in-sandbox runner, runner.py"),
        S(init, SET_STR, SANDRUN_INIT, 0, 0, "the job's init, sandrun-init (a static program)"),
        L(ro_paths, "/etc/alternatives,/etc/ld.so.cache,/etc/fonts,/etc/matplotlibrc,/etc/python3,/etc/python3.11",
          "host paths shown read-only in the sandbox besides /usr"),
        L(libraries, "numpy,pandas,matplotlib",
          "libraries offered to scripts, preloaded in warm mode (matplotlib: ready to plot); /health lists those "
          "that import"),
};
const size_t config_n_settings = ELEMENTSOF(config_settings);

const struct setting *config_find(const char *name)
{
        for (size_t i = 0; i < config_n_settings; i++)
                if (strcmp(config_settings[i].name, name) == 0)
                        return &config_settings[i];
        return NULL;
}

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
        if (!s || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *out = v;
        return 0;
}

int parse_double(const char *s, double *out)
{
        if (!s || !(isdigit((unsigned char) s[0]) || s[0] == '.'))
                return -EINVAL;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || *end || !isfinite(v))
                return -EINVAL;
        *out = v;
        return 0;
}

static int set_list(struct config *c, const struct setting *st, const char *value, struct sb_error *err)
{
        char *base = (char *) c + st->offset;
        size_t *count = st->offset == offsetof(struct config, ro_paths) ? &c->n_ro_paths : &c->n_libraries;
        *count = 0;
        const char *p = value;
        while (*p) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);
                if (len == 0 || len >= st->size)
                        return sb_failx(err, EINVAL, "setting %s: item '%.*s' is empty or too long", st->name,
                                        (int) len, p);
                if (*count >= CONFIG_MAX_LIST)
                        return sb_failx(err, E2BIG, "setting %s: more than %d items", st->name, CONFIG_MAX_LIST);
                memcpy(base + *count * st->size, p, len);
                base[*count * st->size + len] = 0;
                (*count)++;
                p = comma ? comma + 1 : p + len;
        }
        return 0;
}

/* "classes" is an object, not one of the table's types: JSON, in the file
 * or as the text of --classes. */
static int set_classes_json(struct config *c, struct json_object *v, struct sb_error *err)
{
        return classes_parse(&c->classes, v, err);
}

static int set_classes_text(struct config *c, const char *text, struct sb_error *err)
{
        struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return sb_failx(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        struct json_object *v = json_tokener_parse_ex(tok, text, (int) strlen(text));
        bool ok = v && json_tokener_get_error(tok) == json_tokener_success &&
                  json_tokener_get_parse_end(tok) == strlen(text);
        json_tokener_free(tok);
        int r = ok ? set_classes_json(c, v, err) : sb_failx(err, EINVAL, "setting classes: not one JSON object");
        json_object_put(v);
        return r;
}

int config_set(struct config *c, const char *name, const char *value, struct sb_error *err)
{
        if (strcmp(name, "classes") == 0)
                return set_classes_text(c, value, err);
        const struct setting *st = config_find(name);
        if (!st)
                return sb_failx(err, ENOENT, "unknown setting '%s'", name);
        void *field = (char *) c + st->offset;
        uint64_t u;
        double d;
        int r;

        switch (st->type) {
        case SET_STR:
                if (strlen(value) >= st->size)
                        return sb_failx(err, ENAMETOOLONG, "setting %s: longer than %zu bytes", name, st->size - 1);
                if (strchr(value, '\n'))
                        return sb_failx(err, EINVAL, "setting %s: must be one line", name);
                memcpy(field, value, strlen(value) + 1);
                return 0;
        case SET_MODE: {
                char *end;
                errno = 0;
                unsigned long v = strtoul(value, &end, 8);
                if (!*value || errno || *end || v > (unsigned long) st->max)
                        return sb_failx(err, EINVAL, "setting %s: '%s' is not an octal mode", name, value);
                *(unsigned *) field = (unsigned) v;
                return 0;
        }
        case SET_UINT:
        case SET_U64:
                r = parse_u64(value, (uint64_t) st->max, &u);
                if (r < 0 || (double) u < st->min)
                        return sb_failx(err, EINVAL, "setting %s: '%s' is not a whole number from %.0f to %.0f",
                                        name, value, st->min, st->max);
                if (st->type == SET_UINT)
                        *(unsigned *) field = (unsigned) u;
                else
                        *(uint64_t *) field = u;
                return 0;
        case SET_DOUBLE:
                r = parse_double(value, &d);
                if (r < 0 || d < st->min || d > st->max)
                        return sb_failx(err, EINVAL, "setting %s: '%s' is not a number from %g to %g", name, value,
                                        st->min, st->max);
                *(double *) field = d;
                return 0;
        case SET_LIST:
                return set_list(c, st, value, err);
        }
        return sb_failx(err, EINVAL, "setting %s: unknown type", name);
}

void config_defaults(struct config *c)
{
        memset(c, 0, sizeof(*c));
        for (size_t i = 0; i < config_n_settings; i++) {
                struct sb_error e;
                /* defaults are compiled in and covered by the unit tests */
                (void) config_set(c, config_settings[i].name, config_settings[i].def, &e);
        }
}

/* A JSON value as the text config_set takes; lists become comma-joined. */
static int value_text(const struct setting *st, struct json_object *v, char *buf, size_t size, struct sb_error *err)
{
        enum json_type t = json_object_get_type(v);
        switch (st->type) {
        case SET_STR:
        case SET_MODE:
                if (t != json_type_string)
                        return sb_failx(err, EINVAL, "setting %s: must be a string", st->name);
                snprintf(buf, size, "%s", json_object_get_string(v));
                return 0;
        case SET_UINT:
        case SET_U64:
                if (t != json_type_int || json_object_get_int64(v) < 0)
                        return sb_failx(err, EINVAL, "setting %s: must be a whole number", st->name);
                snprintf(buf, size, "%lld", (long long) json_object_get_int64(v));
                return 0;
        case SET_DOUBLE:
                if (t != json_type_int && t != json_type_double)
                        return sb_failx(err, EINVAL, "setting %s: must be a number", st->name);
                snprintf(buf, size, "%.17g", json_object_get_double(v));
                return 0;
        case SET_LIST: {
                if (t != json_type_array)
                        return sb_failx(err, EINVAL, "setting %s: must be a list of strings", st->name);
                size_t n = json_object_array_length(v), off = 0;
                buf[0] = 0;
                for (size_t i = 0; i < n; i++) {
                        struct json_object *e = json_object_array_get_idx(v, i);
                        if (json_object_get_type(e) != json_type_string)
                                return sb_failx(err, EINVAL, "setting %s: must be a list of strings", st->name);
                        const char *s = json_object_get_string(e);
                        if (strchr(s, ',') || !*s)
                                return sb_failx(err, EINVAL, "setting %s: items must be non-empty, without commas",
                                                st->name);
                        int k = snprintf(buf + off, size - off, "%s%s", i ? "," : "", s);
                        if (k < 0 || (size_t) k >= size - off)
                                return sb_failx(err, E2BIG, "setting %s: list too long", st->name);
                        off += (size_t) k;
                }
                return 0;
        }
        }
        return sb_failx(err, EINVAL, "setting %s: unknown type", st->name);
}

int config_load_string(struct config *c, const char *text, struct sb_error *err)
{
        struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return sb_failx(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        struct json_object *root = json_tokener_parse_ex(tok, text, (int) strlen(text));
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t consumed = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!root || jerr != json_tokener_success || text[consumed + strspn(text + consumed, " \t\r\n")]) {
                json_object_put(root);
                return sb_failx(err, EINVAL, "config is not valid JSON: %s",
                                jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "trailing data");
        }
        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return sb_failx(err, EINVAL, "config must be a JSON object");
        }
        int r = 0;
        json_object_object_foreach(root, key, val) {
                const struct setting *st = config_find(key);
                char buf[CONFIG_MAX_LIST * 130];
                if (strcmp(key, "classes") == 0) {
                        if ((r = set_classes_json(c, val, err)) < 0)
                                break;
                        continue;
                }
                if (!st) {
                        r = sb_failx(err, ENOENT, "unknown setting '%s'", key);
                        break;
                }
                if ((r = value_text(st, val, buf, sizeof(buf), err)) < 0)
                        break;
                if ((r = config_set(c, key, buf, err)) < 0)
                        break;
        }
        json_object_put(root);
        return r;
}

int config_load_file(struct config *c, const char *path, struct sb_error *err)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return sb_fail(err, errno, "open config %s", path);
        char buf[65536];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        if (ferror(f))
                return sb_fail(err, EIO, "read config %s", path);
        if (n == sizeof(buf) - 1)
                return sb_failx(err, EFBIG, "config %s is larger than %zu bytes", path, sizeof(buf) - 1);
        buf[n] = 0;
        int r = config_load_string(c, buf, err);
        if (r < 0) {
                char msg[sizeof(err->msg)];
                memcpy(msg, err->msg, sizeof(msg));
                sb_failx(err, -r, "%.100s: %.150s", path, msg);
        }
        return r;
}

unsigned config_job_uids(const struct config *c)
{
        return c->slots * (1 + c->pool_depth);
}

int config_finish(struct config *c, struct sb_error *err)
{
        if (c->slots == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                c->slots = (unsigned) (n > 0 ? 2 * n : 2);
        }
        if (c->threads == 0)
                c->threads = c->slots + c->queue_max > 256 ? 256 : c->slots + c->queue_max;
        if (c->threads < c->slots)
                return sb_failx(err, EINVAL, "threads (%u) must be at least slots (%u)", c->threads, c->slots);
        if (c->min_memory_mb > c->max_memory_mb)
                return sb_failx(err, EINVAL, "min_memory_mb is above max_memory_mb");
        if (c->default_memory_mb < c->min_memory_mb || c->default_memory_mb > c->max_memory_mb)
                return sb_failx(err, EINVAL, "default_memory_mb must lie in [min_memory_mb, max_memory_mb]");
        if (c->default_timeout_s > c->max_timeout_s)
                return sb_failx(err, EINVAL, "default_timeout_s is above max_timeout_s");
        if (c->max_script_bytes > c->max_body_bytes)
                c->max_script_bytes = c->max_body_bytes;
        if ((uint64_t) c->job_uid_base + config_job_uids(c) > 4294967294ull)
                return sb_failx(err, ERANGE, "job uids overflow");
        if (strcmp(c->log_level, "debug") && strcmp(c->log_level, "info") && strcmp(c->log_level, "warning") &&
            strcmp(c->log_level, "error"))
                return sb_failx(err, EINVAL, "log_level must be debug, info, warning or error");
        if (strcmp(c->mode, "warm") && strcmp(c->mode, "cold"))
                return sb_failx(err, EINVAL, "mode must be warm or cold");
        if (strcmp(c->cgroup, "auto") && strcmp(c->cgroup, "on") && strcmp(c->cgroup, "off"))
                return sb_failx(err, EINVAL, "cgroup must be auto, on or off");
        int r = classes_finish(&c->classes, c->max_timeout_s, c->min_memory_mb, c->max_memory_mb,
                               c->client_max_concurrent, c->slots + c->queue_max, err);
        if (r < 0)
                return r;
        if (c->python[0] != '/' || strncmp(c->python, "/usr/", 5) != 0)
                return sb_failx(err, EINVAL, "python must be an absolute path under /usr (it runs inside the sandbox)");
        if (c->runner[0] != '/')
                return sb_failx(err, EINVAL, "runner must be an absolute path");
        if (c->init[0] != '/')
                return sb_failx(err, EINVAL, "init must be an absolute path");

        return 0;
}
