/* Client classes.  The operator gives each API key a class in nginx's key
 * file ("KEY NAME:CLASS;"), and nginx passes the class with the client's
 * name.  A class bounds what its clients' requests may ask (timeout,
 * memory), how many requests one client may have running or queued at once,
 * and its weight when waiting requests take turns for a slot.
 *
 * Classes are defined in the config file ("classes", docs/operations.md).
 * The class "default" always exists: it is every key's that names no class,
 * and its limits are the service's own unless the config overrides them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

#define CLASS_MAX 16
#define CLASS_NAME_MAX 32
#define CLASS_DEFAULT "default"
/* a request's weight in the fair queue: turns in a row */
#define CLASS_WEIGHT_MAX 100

struct client_class {
        char name[CLASS_NAME_MAX];
        double max_timeout_s;         /* 0 until config_finish: the service's */
        unsigned max_memory_mb;       /* 0 until config_finish: the service's */
        unsigned max_concurrent;      /* running + queued per client; 0 until config_finish */
        unsigned weight;              /* 0 until config_finish: 1 */
        /* max_concurrent was set (by the class or client_max_concurrent);
         * otherwise it is the service's whole capacity, and nginx gets no
         * cap for the class */
        bool capped;
};

struct class_table {
        struct client_class c[CLASS_MAX];
        size_t n;
};

/* Is name a class name: 1 to 31 of [a-z0-9_-], starting with a letter?
 * (It becomes a metrics label and an nginx zone name.) */
bool class_name_ok(const char *name);

/* The config's "classes" object, {"NAME": {"max_timeout_s": ..,
 * "max_memory_mb": .., "max_concurrent": .., "weight": ..}, ...}, into t;
 * unknown fields, bad names and bad values are errors. */
struct json_object;
int classes_parse(struct class_table *t, struct json_object *obj, struct sb_error *err);

/* Fill what a class left unset from the service's limits and check every
 * class against them; adds "default" when the config did not name it.  A
 * class without max_concurrent gets client_max_concurrent, or when that is
 * 0 the service's capacity (slots + queue_max: no cap of its own). */
int classes_finish(struct class_table *t, double max_timeout_s, unsigned min_memory_mb, unsigned max_memory_mb,
                   unsigned client_max_concurrent, unsigned capacity, struct sb_error *err);

/* The class called name, or NULL.  NULL or "" is "default". */
const struct client_class *classes_find(const struct class_table *t, const char *name);
/* Its index in the table (for per-class counters). */
size_t classes_index(const struct class_table *t, const struct client_class *c);

/* nginx's part of the caps: for http { }, a limit_conn zone per class keyed
 * by the client's name on the locations that run code. */
void classes_write_nginx(const struct class_table *t, FILE *f);
