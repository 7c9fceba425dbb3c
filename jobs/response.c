#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/printbuf.h>

#include "response.h"

void response_init(struct http_response *r)
{
        memset(r, 0, sizeof(*r));
        r->status = 500;
}

void response_free(struct http_response *r)
{
        json_object_put(r->body);
        r->body = NULL;
        free(r->text);
        r->text = NULL;
        free(r->tail);
        r->tail = NULL;
}

void response_error(struct http_response *r, int status, const char *msg)
{
        /* an error's body is the error alone */
        free(r->tail);
        r->tail = NULL;
        r->tail_len = 0;
        json_object_put(r->body);
        r->status = status;
        r->body = json_object_new_object();
        json_object_object_add(r->body, "error", json_object_new_string(msg));
}

const char *response_text(struct http_response *r, size_t *len)
{
        if (!r->body)
                response_error(r, 500, "internal error");
        const char *s = json_object_to_json_string_length(r->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
        return s;
}

size_t response_pieces(struct http_response *r, struct iovec v[3])
{
        size_t len;
        const char *text = response_text(r, &len);
        if (!r->tail || len < 2 || text[len - 1] != '}') {
                v[0] = (struct iovec) { .iov_base = (void *) text, .iov_len = len };
                return 1;
        }
        /* "{...}" becomes "{...," tail "}"; "{}" becomes "{" tail "}" */
        v[0] = (struct iovec) { .iov_base = (void *) text, .iov_len = len - 1 };
        if (len == 2)
                v[1] = (struct iovec) { .iov_base = r->tail + 1, .iov_len = r->tail_len - 1 };
        else
                v[1] = (struct iovec) { .iov_base = r->tail, .iov_len = r->tail_len };
        v[2] = (struct iovec) { .iov_base = (void *) "}", .iov_len = 1 };
        return 3;
}

const char *http_reason(int status)
{
        switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Entity";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Unknown";
        }
}

/* Length of the valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        unsigned min;
        unsigned cp;
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

size_t utf8_valid_prefix(const char *data, size_t len)
{
        const unsigned char *s = (const unsigned char *) data;
        size_t i = 0, k;
        while (i < len && (k = utf8_seq(s + i, len - i)) > 0)
                i += k;
        return i;
}

size_t utf8_cut(const char *text, size_t len, size_t max)
{
        if (len <= max)
                return len;
        /* back off continuation bytes to the first byte of a character */
        while (max > 0 && ((unsigned char) text[max] & 0xc0) == 0x80)
                max--;
        return max;
}

size_t utf8_incomplete_tail(const char *data, size_t len)
{
        const unsigned char *d = (const unsigned char *) data;
        for (size_t k = 1; k <= 3 && k <= len; k++) {
                unsigned char c = d[len - k];
                if ((c & 0xc0) == 0x80)
                        continue;               /* a continuation byte: look further back */
                size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
                return need > k ? k : 0;
        }
        return 0;
}

struct json_object *json_text(const char *data, size_t len)
{
        if (!data)
                return json_object_new_string("");
        const unsigned char *s = (const unsigned char *) data;
        size_t i = 0;
        while (i < len) {
                size_t k = utf8_seq(s + i, len - i);
                if (k == 0 || s[i] == 0)
                        break;
                i += k;
        }
        if (i == len)
                return json_object_new_string_len(data, (int) len);

        /* worst case: every byte becomes the 3-byte U+FFFD */
        char *out = malloc(len * 3 + 1);
        if (!out)
                return json_object_new_string("");
        size_t o = 0;
        for (i = 0; i < len;) {
                size_t k = utf8_seq(s + i, len - i);
                if (k == 0) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                } else {
                        memcpy(out + o, s + i, k);
                        o += k;
                        i += k;
                }
        }
        struct json_object *j = json_object_new_string_len(out, (int) o);
        free(out);
        return j;
}

static int raw_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
        const char *text = json_object_get_userdata(jso);
        return printbuf_memappend(pb, text, (int) strlen(text));
}

static void raw_free(struct json_object *jso, void *userdata)
{
        free(userdata);
}

struct json_object *json_raw(const char *text, size_t len)
{
        char *copy = strndup(text, len);
        if (!copy)
                return NULL;
        /* any object will do as the holder: its serializer is replaced */
        struct json_object *j = json_object_new_string("");
        if (!j) {
                free(copy);
                return NULL;
        }
        json_object_set_serializer(j, raw_serializer, copy, raw_free);
        return j;
}

struct json_object *json_ms(double ms)
{
        /* three decimals, printed as such: json-c would print 17 digits */
        char text[64];
        snprintf(text, sizeof(text), "%.3f", ms);
        char *end = text + strlen(text) - 1;
        while (*end == '0' && end[-1] != '.')
                *end-- = 0;
        return json_object_new_double_s(ms, text);
}
