/* JSON as RFC 8259 has it, where json-c's strict mode is looser: see
 * strict_json.h. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "strict_json.h"

/* Length of the RFC 8259 number at s, or 0:
 * -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static size_t number_len(const char *s, size_t n)
{
        size_t i = 0, d;
        if (i < n && s[i] == '-')
                i++;
        if (i < n && s[i] == '0')
                i++;
        else if (i < n && s[i] >= '1' && s[i] <= '9')
                while (i < n && isdigit((unsigned char) s[i]))
                        i++;
        else
                return 0;
        if (i < n && s[i] == '.') {
                for (d = ++i; i < n && isdigit((unsigned char) s[i]);)
                        i++;
                if (i == d)
                        return 0;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                for (d = i; i < n && isdigit((unsigned char) s[i]);)
                        i++;
                if (i == d)
                        return 0;
        }
        return i;
}

static bool is_word_char(char c)
{
        return isalnum((unsigned char) c) || c == '.' || c == '+' || c == '-' || c == '_';
}

size_t json_strict_prefix(const char *text, size_t len)
{
        size_t i = 0;
        while (i < len) {
                size_t at = i, k;
                char c = text[i];
                if (c == '"') {
                        for (i++; i < len && text[i] != '"'; i++) {
                                if ((unsigned char) text[i] < 0x20)
                                        return i;
                                if (text[i] == '\\')
                                        i++;           /* json-c checked the escape itself */
                        }
                        if (i >= len)
                                return at;
                        i++;
                } else if (c == '-' || isdigit((unsigned char) c)) {
                        if (!(k = number_len(text + i, len - i)) || (i + k < len && is_word_char(text[i + k])))
                                return at;
                        i += k;
                } else if (is_word_char(c)) {
                        for (k = 0; i + k < len && is_word_char(text[i + k]);)
                                k++;
                        if (!((k == 4 && !memcmp(text + i, "true", 4)) || (k == 5 && !memcmp(text + i, "false", 5)) ||
                              (k == 4 && !memcmp(text + i, "null", 4))))
                                return at;
                        i += k;
                } else {
                        i++;
                }
        }
        return len;
}
