#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live.h"

static void event(int fd, const char *data, size_t len)
{
        if (!len)
                return;
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string(fd == 2 ? "stderr" : "stdout"));
        json_object_object_add(o, "data", json_text(data, len));
        size_t n;
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
        fwrite(text, 1, n, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        json_object_put(o);
}

void cli_live_output(void *ctx, int fd, const char *data, size_t len)
{
        struct cli_live *l = ctx;
        if (fd != 1 && fd != 2)
                return;
        if (l->echo && !l->ndjson) {
                /* as the script wrote it; a failed write to a terminal is not the job's business */
                (void) !write(STDERR_FILENO, data, len);
                return;
        }
        if (!l->ndjson)
                return;
        char *joined = malloc(l->carry_len[fd] + len);
        if (!joined)
                return;
        memcpy(joined, l->carry[fd], l->carry_len[fd]);
        memcpy(joined + l->carry_len[fd], data, len);
        size_t total = l->carry_len[fd] + len, hold = utf8_incomplete_tail(joined, total);
        event(fd, joined, total - hold);
        memcpy(l->carry[fd], joined + total - hold, hold);
        l->carry_len[fd] = hold;
        free(joined);
}

void cli_live_result(struct cli_live *l, struct http_response *resp)
{
        for (int fd = 1; fd <= 2; fd++)
                event(fd, l->carry[fd], l->carry_len[fd]);
        struct iovec v[3];
        size_t n = response_pieces(resp, v);
        printf("{\"type\":\"result\",\"http_status\":%d%s", resp->status, v[0].iov_len > 2 ? "," : "");
        fwrite((const char *) v[0].iov_base + 1, 1, v[0].iov_len - 1, stdout);
        for (size_t i = 1; i < n; i++)
                fwrite(v[i].iov_base, 1, v[i].iov_len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
}
