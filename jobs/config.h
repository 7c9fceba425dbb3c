/* Settings: one table names every setting, its type, default and range.  The
 * config file (JSON), the command line and the man page all follow it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "jobs/classes.h"

#define CONFIG_MAX_LIST 32

struct config {
        /* where and how to serve */
        char listen[256];             /* "" = fd 0 or LISTEN_FDS */
        char socket_group[64];
        unsigned socket_mode;
        char user[64];                /* drop sandrun-fcgi to this user after start-up ("" = stay) */
        char web_server_addrs[512];   /* TCP: comma-separated peer addresses allowed ("" = loopback only) */
        unsigned threads;
        char log_level[16];

        /* execution slots and queue */
        unsigned slots;               /* 0 = 2 per CPU */
        unsigned queue_max;
        double queue_wait_s;
        unsigned pool_depth;          /* pooled jobs per slot (spawner.c) */
        double drain_s;               /* how long a stop waits for requests in flight */

        /* clients: classes (jobs/classes.h) and the default class's cap */
        unsigned client_max_concurrent;   /* 0 = slots + queue_max */
        struct class_table classes;
        /* in a request's copy of the settings (dialect_settings): the class
         * whose max_timeout_s and max_memory_mb these are ("": the service's),
         * named in a refusal */
        char limits_of[CLASS_NAME_MAX];

        /* request limits (API.md) */
        uint64_t max_body_bytes;
        uint64_t max_script_bytes;
        uint64_t max_stdin_bytes;
        double default_timeout_s;
        double max_timeout_s;
        unsigned default_memory_mb;
        unsigned min_memory_mb;
        unsigned max_memory_mb;
        uint64_t max_stdout_bytes;
        uint64_t max_stderr_bytes;
        uint64_t max_result_bytes;
        uint64_t max_output_drain_bytes;
        unsigned max_tests;           /* /grade: test cases a request may bring */
        unsigned max_files_in;        /* files a request may bring */
        uint64_t max_files_in_bytes;  /* their decoded contents together */
        unsigned max_files_out;       /* files of output/ that come back */
        uint64_t max_files_out_bytes; /* their contents together */

        /* sandbox */
        char mode[8];                 /* warm or cold */
        char cgroup[8];               /* auto, on or off */
        unsigned job_uid_base;
        unsigned job_gid;
        unsigned tmp_size_mb;
        unsigned max_processes;
        unsigned max_open_files;
        unsigned max_file_size_mb;
        char python[256];
        char runner[256];             /* path of runner.py */
        char init[256];               /* path of sandrun-init */
        char ro_paths[CONFIG_MAX_LIST][128];
        size_t n_ro_paths;
        char libraries[CONFIG_MAX_LIST][64];
        size_t n_libraries;
};

enum setting_type { SET_STR, SET_UINT, SET_U64, SET_DOUBLE, SET_MODE, SET_LIST };

struct setting {
        const char *name;
        enum setting_type type;
        size_t offset;
        size_t size;                  /* SET_STR: buffer size; SET_LIST: element size */
        const char *def;              /* default, as text */
        double min, max;
        const char *help;
};

extern const struct setting config_settings[];
extern const size_t config_n_settings;

void config_defaults(struct config *c);
/* Load a JSON object of settings; unknown keys and bad values are errors. */
int config_load_file(struct config *c, const char *path, struct sb_error *err);
int config_load_string(struct config *c, const char *json, struct sb_error *err);
/* Set one setting from text, as given on the command line. */
int config_set(struct config *c, const char *name, const char *value, struct sb_error *err);
/* How many job uids (and sandbox slots: plan.h) the service uses: one for
 * each running job and each pooled one, from job_uid_base up. */
unsigned config_job_uids(const struct config *c);
/* Fill derived values (slots from the CPU count, ...) and check cross-field rules. */
int config_finish(struct config *c, struct sb_error *err);
const struct setting *config_find(const char *name);

/* Strict number parsing: the whole string, no sign surprises, in range. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
int parse_double(const char *s, double *out);
