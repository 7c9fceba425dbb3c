#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level min_level = LOG_INFO_;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(const char *name)
{
        if (strcmp(name, "debug") == 0) min_level = LOG_DEBUG_;
        else if (strcmp(name, "warning") == 0) min_level = LOG_WARNING_;
        else if (strcmp(name, "error") == 0) min_level = LOG_ERROR_;
        else min_level = LOG_INFO_;
}

void log_json(enum log_level level, const char *msg, struct json_object *fields)
{
        static const char *const names[] = { "debug", "info", "warning", "error" };
        if (level < min_level) {
                json_object_put(fields);
                return;
        }
        struct json_object *o = json_object_new_object();
        struct timespec ts;
        struct tm tm;
        char when[64];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof(when) - n, ".%03ldZ", ts.tv_nsec / 1000000);
        json_object_object_add(o, "time", json_object_new_string(when));
        json_object_object_add(o, "level", json_object_new_string(names[level]));
        json_object_object_add(o, "msg", json_object_new_string(msg));
        if (fields) {
                json_object_object_foreach(fields, k, v)
                        json_object_object_add(o, k, json_object_get(v));
                json_object_put(fields);
        }
        size_t len;
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        pthread_mutex_lock(&log_lock);
        /* one write per line, so lines of concurrent threads never mix */
        char *line = NULL;
        if (asprintf(&line, "%s\n", text) >= 0) {
                (void) !write(STDERR_FILENO, line, len + 1);
                free(line);
        }
        pthread_mutex_unlock(&log_lock);
        json_object_put(o);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        log_json(level, buf, NULL);
}
