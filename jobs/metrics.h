/* Counters for GET /metrics, in the Prometheus text format. */
#pragma once

#include <stddef.h>

#include "service.h"

void metrics_request(const char *endpoint, int http_status);
void metrics_execution(const char *status, double seconds);
void metrics_queue_wait(double seconds);
void metrics_rejected(void);
void metrics_setup_failure(void);
/* The whole exposition; caller frees. */
char *metrics_render(struct service *s, size_t *len);
