/* The config file (config_load_string, jobs/config.c) and the command
 * line's settings (config_set) on any text, then config_finish and the
 * web_server_addrs list (peers_parse, fcgi-app/peers.c); "classes" too.  A config either
 * loads, and then it keeps every rule config_finish promises, or fails
 * with a message; nothing is written outside the struct, nothing leaks. */
#include "fuzz.h"
#include "fcgi-app/peers.h"
#include "jobs/config.h"

static void check_config(const struct config *c)
{
        struct sb_error err = { 0 };
        struct config f = *c;
        if (config_finish(&f, &err) < 0) {
                FUZZ_ASSERT(err.code < 0 && memchr(err.msg, 0, sizeof(err.msg)), "config_finish failed without a message");
                return;
        }
        FUZZ_ASSERT(f.slots > 0 && f.threads >= f.slots && f.threads <= 256, "slots %u, threads %u", f.slots, f.threads);
        FUZZ_ASSERT(f.min_memory_mb <= f.default_memory_mb && f.default_memory_mb <= f.max_memory_mb,
                    "memory %u <= %u <= %u", f.min_memory_mb, f.default_memory_mb, f.max_memory_mb);
        FUZZ_ASSERT(f.default_timeout_s > 0 && f.default_timeout_s <= f.max_timeout_s, "timeouts %g, %g",
                    f.default_timeout_s, f.max_timeout_s);
        FUZZ_ASSERT(f.max_script_bytes <= f.max_body_bytes, "script above body");
        FUZZ_ASSERT(f.n_ro_paths <= CONFIG_MAX_LIST && f.n_libraries <= CONFIG_MAX_LIST, "lists");
        FUZZ_ASSERT(f.python[0] == '/' && f.runner[0] == '/' && f.init[0] == '/', "paths");
        /* the classes: "default" among them, each within the service's limits */
        FUZZ_ASSERT(f.classes.n >= 1 && f.classes.n <= CLASS_MAX && classes_find(&f.classes, NULL), "classes");
        for (size_t i = 0; i < f.classes.n; i++) {
                const struct client_class *k = &f.classes.c[i];
                FUZZ_ASSERT(class_name_ok(k->name), "class name");
                FUZZ_ASSERT(k->max_timeout_s > 0 && k->max_timeout_s <= f.max_timeout_s, "class %s timeout", k->name);
                FUZZ_ASSERT(k->max_memory_mb >= f.min_memory_mb && k->max_memory_mb <= f.max_memory_mb,
                            "class %s memory", k->name);
                FUZZ_ASSERT(k->max_concurrent >= 1 && k->weight >= 1 && k->weight <= CLASS_WEIGHT_MAX,
                            "class %s cap or weight", k->name);
        }
        /* every string setting is terminated within its buffer */
        for (size_t i = 0; i < config_n_settings; i++) {
                const struct setting *st = &config_settings[i];
                if (st->type == SET_STR)
                        FUZZ_ASSERT(memchr((const char *) &f + st->offset, 0, st->size), "%s unterminated", st->name);
        }
        struct peers p;
        if (peers_parse(&p, f.web_server_addrs, &err) == 0)
                FUZZ_ASSERT(p.n >= 1 && p.n <= PEERS_MAX, "%u peers", p.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_cstring(data, size);
        if (!text)
                return 0;

        /* as a file (config_load_file reads it whole, NUL-terminated) */
        struct config c;
        struct sb_error err = { 0 };
        config_defaults(&c);
        if (config_load_string(&c, text, &err) == 0)
                check_config(&c);
        else
                FUZZ_ASSERT(err.code < 0 && err.msg[0] && memchr(err.msg, 0, sizeof(err.msg)), "a failure without a message");

        /* as a command line: --NAME VALUE, split at the first '=' */
        char *eq = strchr(text, '=');
        if (eq) {
                *eq = 0;
                config_defaults(&c);
                if (config_set(&c, text, eq + 1, &err) == 0)
                        check_config(&c);
        }
        free(text);
        return 0;
}
