/* The sandbox's plan from the settings (jobs/service.c, service_plan): what
 * a job's limits and identity are made of, before anything runs. */
#include <stdlib.h>

#include "jobs/service.h"
#include "tap.h"

int main(void)
{
        struct config c;
        struct sb_plan p;
        struct sb_error e = { 0 };

        config_defaults(&c);
        config_finish(&c, &e);
        c.slots = 3;
        c.tmp_size_mb = 32;
        c.max_file_size_mb = 5;
        c.max_open_files = 99;
        c.max_processes = 17;
        c.job_uid_base = 250000;
        c.job_gid = 250001;
        ok(service_plan(&c, &p, &e) == 0, "the default settings make a plan");
        ok(c.pool_depth == 1, "a pool of one job per slot by default");
        ok(p.uid_base == 250000 && p.gid == 250001 && p.slots == 6 && p.pool == 3,
           "identity: uid base, gid; a sandbox slot for each running job and each pooled one");
        c.pool_depth = 0;
        ok(service_plan(&c, &p, &e) == 0 && p.slots == 3 && p.pool == 0, "pool_depth 0: no pool, the slots alone");
        c.pool_depth = 4;
        ok(service_plan(&c, &p, &e) == 0 && p.slots == 15 && p.pool == 12, "pool_depth 4: four waiting per slot");
        c.pool_depth = 1;
        ok(p.tmp_bytes == 32ull << 20 && p.file_size_bytes == 5ull << 20, "sizes in bytes from MB");
        ok(p.max_open_files == 99 && p.max_processes == 17, "per-job counts");
        ok(p.warm, "warm mode by default");
        ok(p.n_preload == 3 && strcmp(p.preload[0], "numpy") == 0 && strcmp(p.preload[1], "pandas") == 0 &&
                   strcmp(p.preload[2], "matplotlib") == 0,
           "the libraries to preload, in order");
        is_str(p.python, c.python, "the interpreter");
        snprintf(c.runner, sizeof(c.runner), "/opt/x/share/runner.py");
        ok(service_plan(&c, &p, &e) == 0, "plan again");
        is_str(p.runner_dir, "/opt/x/share", "the runner's directory, from the runner's path");
        ok(strcmp(c.runner, "/opt/x/share/runner.py") == 0, "the settings are not changed by planning");

        snprintf(c.mode, sizeof(c.mode), "cold");
        ok(service_plan(&c, &p, &e) == 0 && !p.warm, "cold mode");

        static const char *const bad[] = { "os;import", "", ".hidden", "a b", "x'y", "numpy\n" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(c.libraries[0], sizeof(c.libraries[0]), "%s", bad[i]);
                c.n_libraries = 1;
                ok(service_plan(&c, &p, &e) == -EINVAL, "library name '%s' refused: it would be Python source",
                   bad[i]);
        }
        snprintf(c.libraries[0], sizeof(c.libraries[0]), "matplotlib.pyplot");
        ok(service_plan(&c, &p, &e) == 0, "a dotted name is a library name");
        return tap_done();
}
