/* Settings: defaults as documented, the file format, every rejection. */
#include <stdlib.h>
#include <unistd.h>

#include "jobs/config.h"
#include "tap.h"

static int load(struct config *c, const char *json, struct sb_error *e)
{
        config_defaults(c);
        return config_load_string(c, json, e);
}

int main(void)
{
        struct config c;
        struct sb_error e = { 0 };

        config_defaults(&c);
        ok(c.max_timeout_s == 300, "max_timeout_s defaults to 300");
        ok(c.default_timeout_s == 30, "default_timeout_s defaults to 30");
        ok(c.default_memory_mb == 512, "default_memory_mb defaults to 512");
        ok(c.min_memory_mb == 64, "min_memory_mb defaults to 64");
        ok(c.max_memory_mb == 2048, "max_memory_mb defaults to 2048");
        ok(c.max_script_bytes == 1048576, "max_script_bytes defaults to 1 MiB");
        ok(c.max_body_bytes == 16777216, "max_body_bytes defaults to 16 MiB (input files)");
        ok(c.max_stdout_bytes == 1048576 && c.max_stderr_bytes == 1048576, "output caps default to 1 MiB");
        ok(c.max_result_bytes == 1048576, "max_result_bytes defaults to 1 MiB");
        ok(c.socket_mode == 0660, "socket_mode defaults to 0660");
        ok(c.n_libraries == 3, "three default libraries");
        is_str(c.libraries[2], "matplotlib", "matplotlib is offered (and preloaded) by default");
        is_str(c.libraries[1], "pandas", "pandas is offered by default");
        ok(c.n_ro_paths >= 2, "default read-only paths present");
        ok(config_finish(&c, &e) == 0, "defaults pass config_finish");
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        ok(c.slots == (unsigned) (2 * ncpu), "slots default to 2 per CPU (%u)", c.slots);
        ok(c.threads >= c.slots, "threads at least slots");

        ok(load(&c, "{\"max_timeout_s\": 60, \"slots\": 3, \"libraries\": [\"numpy\"], \"socket_mode\": \"0600\"}", &e) == 0,
           "a valid file loads");
        ok(c.max_timeout_s == 60 && c.slots == 3 && c.n_libraries == 1 && c.socket_mode == 0600, "values are applied");
        ok(load(&c, "{\"queue_wait_s\": 2.5}", &e) == 0 && c.queue_wait_s == 2.5, "a fractional number is taken");

        ok(load(&c, "{\"nope\": 1}", &e) == -ENOENT, "unknown setting rejected");
        is_str(e.msg, "unknown setting 'nope'", "message names it");
        ok(load(&c, "{\"slots\": \"3\"}", &e) < 0, "string for a number rejected");
        ok(load(&c, "{\"slots\": -1}", &e) < 0, "negative number rejected");
        ok(load(&c, "{\"slots\": 1.5}", &e) < 0, "fraction for a whole number rejected");
        ok(load(&c, "{\"slots\": 99999}", &e) < 0, "slots above the maximum rejected");
        ok(load(&c, "{\"listen\": 5}", &e) < 0, "number for a string rejected");
        ok(load(&c, "{\"libraries\": \"numpy\"}", &e) < 0, "string for a list rejected");
        ok(load(&c, "{\"libraries\": [1]}", &e) < 0, "number in a list rejected");
        ok(load(&c, "{\"libraries\": [\"a,b\"]}", &e) < 0, "comma in a list item rejected");
        ok(load(&c, "{\"socket_mode\": \"0999\"}", &e) < 0, "non-octal mode rejected");
        ok(load(&c, "[1]", &e) < 0, "a non-object file rejected");
        ok(load(&c, "{\"slots\": 1", &e) < 0, "broken JSON rejected");
        ok(load(&c, "{\"slots\": 1} x", &e) < 0, "trailing data rejected");
        ok(load(&c, "{\"user\": \"a\\nb\"}", &e) < 0, "newline in a string rejected");

        config_defaults(&c);
        ok(config_set(&c, "max_memory_mb", "4096", &e) == 0 && c.max_memory_mb == 4096, "config_set from text");
        ok(config_set(&c, "max_memory_mb", "+5", &e) < 0, "sign rejected");
        ok(config_set(&c, "max_memory_mb", "5x", &e) < 0, "trailing garbage rejected");
        ok(config_set(&c, "max_memory_mb", "", &e) < 0, "empty rejected");
        ok(config_set(&c, "max_timeout_s", "nan", &e) < 0, "nan rejected");
        ok(config_set(&c, "max_timeout_s", "1e999", &e) < 0, "overflow rejected");
        ok(config_set(&c, "max_timeout_s", "-1", &e) < 0, "negative timeout rejected");

        config_defaults(&c);
        ok(config_set(&c, "pool_depth", "5", &e) < 0, "pool_depth above 4 rejected");
        ok(config_set(&c, "pool_depth", "0", &e) == 0 && c.pool_depth == 0, "pool_depth 0 (off) accepted");
        c.slots = 200;
        c.pool_depth = 4;
        c.job_uid_base = 4294967294u - 999;
        ok(config_finish(&c, &e) < 0 && strstr(e.msg, "uids"), "job uids past the range, the pool's counted, rejected");
        c.job_uid_base = 4294967294u - 1000;
        ok(config_finish(&c, &e) == 0 && config_job_uids(&c) == 1000, "slots x (1 + pool_depth) uids fit exactly");

        config_defaults(&c);
        c.min_memory_mb = 4096;
        ok(config_finish(&c, &e) < 0, "min above max memory rejected");
        config_defaults(&c);
        c.default_timeout_s = 400;
        ok(config_finish(&c, &e) < 0, "default timeout above max rejected");
        config_defaults(&c);
        snprintf(c.python, sizeof(c.python), "/opt/python3");
        ok(config_finish(&c, &e) < 0, "python outside /usr rejected");
        config_defaults(&c);
        snprintf(c.log_level, sizeof(c.log_level), "loud");
        ok(config_finish(&c, &e) < 0, "unknown log level rejected");
        config_defaults(&c);
        c.slots = 4;
        c.threads = 2;
        ok(config_finish(&c, &e) < 0, "fewer threads than slots rejected");

        ok(config_load_file(&c, "/nonexistent/sandrun.conf", &e) == -ENOENT, "missing file reported");

        /* every setting has a name, help text and a default that loads */
        for (size_t i = 0; i < config_n_settings; i++) {
                struct config d;
                memset(&d, 0, sizeof(d));
                ok(config_set(&d, config_settings[i].name, config_settings[i].def, &e) == 0 &&
                   config_settings[i].help && config_settings[i].help[0],
                   "setting %s: default loads and is documented", config_settings[i].name);
        }
        return tap_done();
}
