/* One JSON object per line on stderr (the journal under systemd). */
#pragma once

#include <json-c/json.h>

enum log_level { LOG_DEBUG_, LOG_INFO_, LOG_WARNING_, LOG_ERROR_ };

void log_set_level(const char *name);
/* Takes ownership of fields (may be NULL); adds time, level and msg. */
void log_json(enum log_level level, const char *msg, struct json_object *fields);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
