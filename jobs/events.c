#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

static void line(struct output_events *e, int fd, const char *data, size_t len)
{
        if (!len)
                return;
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string(fd == 2 ? "stderr" : "stdout"));
        json_object_object_add(o, "data", json_text(data, len));
        size_t n;
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
        char *l = malloc(n + 1);
        if (l) {
                memcpy(l, text, n);
                l[n] = '\n';
                e->emit(e->ctx, fd, l, n + 1);
                free(l);
        }
        json_object_put(o);
}

void output_events_feed(struct output_events *e, int fd, const char *data, size_t len)
{
        if (fd != 1 && fd != 2)
                return;
        /* what the last read cut, then this read, without what it cuts */
        size_t carried = e->carry_len[fd];
        char *joined = malloc(carried + len);
        if (!joined)
                return;
        memcpy(joined, e->carry[fd], carried);
        memcpy(joined + carried, data, len);
        size_t total = carried + len, hold = utf8_incomplete_tail(joined, total);
        line(e, fd, joined, total - hold);
        memcpy(e->carry[fd], joined + total - hold, hold);
        e->carry_len[fd] = hold;
        free(joined);
}

void output_events_flush(struct output_events *e)
{
        for (int fd = 1; fd <= 2; fd++) {
                line(e, fd, e->carry[fd], e->carry_len[fd]);
                e->carry_len[fd] = 0;
        }
}

size_t result_event_pieces(struct http_response *resp, char head[64], struct iovec v[5])
{
        struct iovec body[3];
        size_t n = response_pieces(resp, body);
        int hn = snprintf(head, 64, "{\"type\":\"result\",\"http_status\":%d%s", resp->status,
                          body[0].iov_len > 2 ? "," : "");
        v[0] = (struct iovec) { .iov_base = head, .iov_len = (size_t) hn };
        /* the body without its opening brace */
        v[1] = (struct iovec) { .iov_base = (char *) body[0].iov_base + 1, .iov_len = body[0].iov_len - 1 };
        for (size_t i = 1; i < n; i++)
                v[i + 1] = body[i];
        v[n + 1] = (struct iovec) { .iov_base = (void *) "\n", .iov_len = 1 };
        return n + 2;
}
