/* Standard base64 (RFC 4648, section 4), both ways, with lengths known
 * before a byte is written so callers allocate once. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The encoded length of len bytes, padding included. */
static inline size_t base64_encoded_len(size_t len)
{
        return (len + 2) / 3 * 4;
}

/* Room enough for what len bytes of base64 decode to. */
static inline size_t base64_decoded_max(size_t len)
{
        return (len + 3) / 4 * 3;
}

/* out has room for base64_encoded_len(len) bytes (no NUL is added). */
void base64_encode(const unsigned char *in, size_t len, char *out);
/* Decode into out (room for base64_decoded_max(len) bytes): the alphabet
 * A-Z a-z 0-9 + /, "=" padding optional but only at the end and only where
 * it belongs, no whitespace.  The decoded length, or -1 when it is not
 * base64. */
ssize_t base64_decode(const char *in, size_t len, unsigned char *out);
