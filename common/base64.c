#include <stdint.h>

#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const unsigned char *in, size_t len, char *out)
{
        size_t i = 0;
        for (; i + 3 <= len; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
                *out++ = alphabet[v >> 18];
                *out++ = alphabet[(v >> 12) & 63];
                *out++ = alphabet[(v >> 6) & 63];
                *out++ = alphabet[v & 63];
        }
        if (i < len) {
                uint32_t v = (uint32_t) in[i] << 16 | (i + 1 < len ? (uint32_t) in[i + 1] << 8 : 0);
                *out++ = alphabet[v >> 18];
                *out++ = alphabet[(v >> 12) & 63];
                *out++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
                *out++ = '=';
        }
}

static int value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

ssize_t base64_decode(const char *in, size_t len, unsigned char *out)
{
        /* padding: up to two '=' at the end, and then the length is whole */
        size_t pad = 0;
        while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
                pad++;
        if (pad && len % 4)
                return -1;
        size_t n = len - pad;
        if (n % 4 == 1)
                return -1;   /* 6 bits cannot end a byte */
        size_t o = 0;
        uint32_t acc = 0;
        for (size_t i = 0; i < n; i++) {
                int v = value(in[i]);
                if (v < 0)
                        return -1;
                acc = acc << 6 | (uint32_t) v;
                if (i % 4 == 3) {
                        out[o++] = (unsigned char) (acc >> 16);
                        out[o++] = (unsigned char) (acc >> 8);
                        out[o++] = (unsigned char) acc;
                        acc = 0;
                }
        }
        switch (n % 4) {
        case 2:
                /* the bits past the last byte must be zero: one text, one value */
                if (acc & 0xf)
                        return -1;
                out[o++] = (unsigned char) (acc >> 4);
                break;
        case 3:
                if (acc & 0x3)
                        return -1;
                out[o++] = (unsigned char) (acc >> 10);
                out[o++] = (unsigned char) (acc >> 2);
                break;
        }
        return (ssize_t) o;
}
