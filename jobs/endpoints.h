/* The endpoints, named once: routing, the log line and the metrics' labels
 * all take their words from here. */
#pragma once

#define SANDRUN_ENDPOINTS(X)            \
        X(EP_EXECUTE, "/execute")       \
        X(EP_RUN, "/run")               \
        X(EP_INVOKE, "/invoke")         \
        X(EP_GRADE, "/grade")           \
        X(EP_HEALTH, "/health")         \
        X(EP_ROOT, "/")                 \
        X(EP_METRICS, "/metrics")       \
        X(EP_OTHER, "other")

enum endpoint {
#define X(id, path) id,
        SANDRUN_ENDPOINTS(X)
#undef X
        EP_COUNT
};

static inline const char *endpoint_path(enum endpoint e)
{
        static const char *const paths[] = {
#define X(id, path) [id] = path,
                SANDRUN_ENDPOINTS(X)
#undef X
        };
        return (unsigned) e < EP_COUNT ? paths[e] : "other";
}
