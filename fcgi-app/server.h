#pragma once

#include <fcgiapp.h>

#include "jobs/service.h"

void server_handle(struct service *s, FCGX_Request *rq);
