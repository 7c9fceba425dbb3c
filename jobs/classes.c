#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "classes.h"

bool class_name_ok(const char *name)
{
        size_t n = strlen(name);
        if (n == 0 || n >= CLASS_NAME_MAX || !islower((unsigned char) name[0]))
                return false;
        for (const char *p = name; *p; p++)
                if (!islower((unsigned char) *p) && !isdigit((unsigned char) *p) && *p != '_' && *p != '-')
                        return false;
        return true;
}

static int whole(struct json_object *v, const char *cls, const char *key, double min, double max, unsigned *out,
                 struct sb_error *err)
{
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < min ||
            json_object_get_int64(v) > max)
                return sb_failx(err, EINVAL, "classes.%s.%s: must be a whole number from %.0f to %.0f", cls, key, min,
                                max);
        *out = (unsigned) json_object_get_int64(v);
        return 0;
}

static int parse_one(struct client_class *c, const char *name, struct json_object *o, struct sb_error *err)
{
        if (!json_object_is_type(o, json_type_object))
                return sb_failx(err, EINVAL, "classes.%s: must be an object", name);
        memset(c, 0, sizeof(*c));
        snprintf(c->name, sizeof(c->name), "%s", name);
        json_object_object_foreach(o, key, v) {
                int r = 0;
                if (strcmp(key, "max_timeout_s") == 0) {
                        double d = json_object_get_double(v);
                        if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
                            !isfinite(d) || d < 0.001 || d > 86400)
                                return sb_failx(err, EINVAL, "classes.%s.max_timeout_s: must be a number from 0.001 to 86400",
                                                name);
                        c->max_timeout_s = d;
                } else if (strcmp(key, "max_memory_mb") == 0)
                        r = whole(v, name, key, 16, 1 << 20, &c->max_memory_mb, err);
                else if (strcmp(key, "max_concurrent") == 0) {
                        r = whole(v, name, key, 1, 100000, &c->max_concurrent, err);
                        c->capped = true;
                }
                else if (strcmp(key, "weight") == 0)
                        r = whole(v, name, key, 1, CLASS_WEIGHT_MAX, &c->weight, err);
                else
                        return sb_failx(err, ENOENT,
                                        "classes.%s: unknown field '%.40s' (max_timeout_s, max_memory_mb, "
                                        "max_concurrent, weight)",
                                        name, key);
                if (r < 0)
                        return r;
        }
        return 0;
}

int classes_parse(struct class_table *t, struct json_object *obj, struct sb_error *err)
{
        if (!json_object_is_type(obj, json_type_object))
                return sb_failx(err, EINVAL, "setting classes: must be an object of classes by name");
        t->n = 0;
        json_object_object_foreach(obj, name, o) {
                if (!class_name_ok(name))
                        return sb_failx(err, EINVAL,
                                        "classes: '%.40s' is not a class name (a lower-case letter, then up to 30 of "
                                        "a-z, 0-9, _ and -)",
                                        name);
                if (t->n >= CLASS_MAX)
                        return sb_failx(err, E2BIG, "classes: more than %d", CLASS_MAX);
                int r = parse_one(&t->c[t->n], name, o, err);
                if (r < 0)
                        return r;
                t->n++;
        }
        return 0;
}

int classes_finish(struct class_table *t, double max_timeout_s, unsigned min_memory_mb, unsigned max_memory_mb,
                   unsigned client_max_concurrent, unsigned capacity, struct sb_error *err)
{
        if (!classes_find(t, CLASS_DEFAULT)) {
                if (t->n >= CLASS_MAX)
                        return sb_failx(err, E2BIG, "classes: more than %d with \"default\"", CLASS_MAX);
                /* first, so that it keeps its place in /metrics whatever the config names */
                memmove(&t->c[1], &t->c[0], t->n * sizeof(t->c[0]));
                memset(&t->c[0], 0, sizeof(t->c[0]));
                snprintf(t->c[0].name, sizeof(t->c[0].name), CLASS_DEFAULT);
                t->n++;
        }
        for (size_t i = 0; i < t->n; i++) {
                struct client_class *c = &t->c[i];
                if (c->max_timeout_s == 0)
                        c->max_timeout_s = max_timeout_s;
                if (c->max_memory_mb == 0)
                        c->max_memory_mb = max_memory_mb;
                if (c->max_concurrent == 0 && client_max_concurrent > 0) {
                        c->max_concurrent = client_max_concurrent;
                        c->capped = true;
                } else if (c->max_concurrent == 0)
                        c->max_concurrent = capacity;
                if (c->weight == 0)
                        c->weight = 1;
                /* the service's limits bound every class: they are also
                 * what nginx's timeouts and the sandbox were sized for */
                if (c->max_timeout_s > max_timeout_s)
                        return sb_failx(err, EINVAL, "classes.%s.max_timeout_s (%g) is above max_timeout_s (%g)",
                                        c->name, c->max_timeout_s, max_timeout_s);
                if (c->max_memory_mb > max_memory_mb || c->max_memory_mb < min_memory_mb)
                        return sb_failx(err, EINVAL, "classes.%s.max_memory_mb (%u) must lie in [min_memory_mb, "
                                        "max_memory_mb] = [%u, %u]",
                                        c->name, c->max_memory_mb, min_memory_mb, max_memory_mb);
        }
        return 0;
}

const struct client_class *classes_find(const struct class_table *t, const char *name)
{
        if (!name || !*name)
                name = CLASS_DEFAULT;
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->c[i].name, name) == 0)
                        return &t->c[i];
        return NULL;
}

size_t classes_index(const struct class_table *t, const struct client_class *c)
{
        return c >= t->c && c < t->c + t->n ? (size_t) (c - t->c) : 0;
}

void classes_write_nginx(const struct class_table *t, FILE *f)
{
        fprintf(f,
                "# sandrun: per-client concurrency caps by class, for nginx's http { }.\n"
                "#\n"
                "# Written by `sandrun-fcgi --nginx-classes` from the classes in sandrun.conf:\n"
                "# write it again whenever they change, then reload nginx.  The caps hold across\n"
                "# every backend behind this nginx; each sandrun-fcgi holds them again on its own.\n"
                "# Only the requests that run code count (/execute /run /invoke /grade), each in\n"
                "# its client's class; a request past its client's cap is answered 429.\n");
        for (size_t i = 0; i < t->n; i++) {
                const struct client_class *c = &t->c[i];
                if (!c->capped) {
                        fprintf(f, "\n# class %s: no cap of its own (the service's queue bounds it)\n", c->name);
                        continue;
                }
                fprintf(f,
                        "\nmap \"$sandrun_api_class $uri\" $sandrun_conn_%zu {\n"
                        "    default  \"\";\n"
                        "    \"~^%s /(execute|run|invoke|grade)$\"  $sandrun_api_client;\n"
                        "}\n"
                        "limit_conn_zone $sandrun_conn_%zu zone=sandrun_conn_%s:1m;\n"
                        "limit_conn sandrun_conn_%s %u;\n",
                        i, c->name, i, c->name, c->name, c->max_concurrent);
        }
}
