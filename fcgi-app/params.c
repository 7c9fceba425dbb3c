#include <string.h>

#include "params.h"

void clean_request_id(const char *in, char *out, size_t size)
{
        size_t n = 0;
        for (; in[n] && n + 1 < size && n < 64; n++) {
                char ch = in[n];
                if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-' ||
                      ch == '_'))
                        break;
        }
        if (in[n] != 0)
                n = 0;
        memcpy(out, in, n);
        out[n] = 0;
}
