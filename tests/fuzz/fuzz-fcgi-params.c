/* The FastCGI parameters the front reads and judges itself, on any bytes
 * (nginx passes the client's header values through): CONTENT_LENGTH
 * (parse_u64, jobs/config.c), CONTENT_TYPE (content_type_is_json,
 * jobs/validate.c) and the request id (clean_request_id,
 * fcgi-app/params.c), each against a plain reading of its rule.  The input
 * is the three values separated by NUL bytes, as FastCGI's name-value
 * pairs end up in the environment, then one byte for the id's buffer size. */
#include <ctype.h>
#include <strings.h>

#include "fuzz.h"
#include "fcgi-app/params.h"
#include "jobs/config.h"
#include "jobs/validate.h"

static void check_length(const char *cl)
{
        /* CONTENT_LENGTH: decimal digits only, no sign, no space */
        bool digits = cl[0] != 0;
        unsigned __int128 v = 0;
        for (const char *p = cl; *p && digits; p++) {
                digits = *p >= '0' && *p <= '9';
                v = v * 10 + (unsigned) (*p - '0');
                if (v > UINT64_MAX)
                        v = (unsigned __int128) UINT64_MAX + 1;   /* saturate: too big either way */
        }
        uint64_t got = 7;
        int r = parse_u64(cl, UINT64_MAX, &got);
        if (!digits)
                FUZZ_ASSERT(r == -EINVAL, "'%s' taken as a length (%d)", cl, r);
        else if (v > UINT64_MAX)
                FUZZ_ASSERT(r < 0, "'%s' overflowed into %llu", cl, (unsigned long long) got);
        else
                FUZZ_ASSERT(r == 0 && got == (uint64_t) v, "'%s' read as %llu (%d)", cl, (unsigned long long) got, r);
        /* the body cap: a length above it is refused, never wrapped */
        uint64_t cap = 1 << 20;
        r = parse_u64(cl, cap, &got);
        if (digits && v > cap)
                FUZZ_ASSERT(r == -ERANGE || (v > UINT64_MAX && r < 0), "'%s' passed a cap of %llu", cl,
                            (unsigned long long) cap);
}

static void check_type(const char *ct)
{
        /* application/json, any case, after spaces; then spaces or tabs;
         * then nothing or parameters after ';' */
        const char *p = ct;
        while (*p == ' ')
                p++;
        bool want = strncasecmp(p, "application/json", 16) == 0;
        if (want) {
                p += 16;
                while (*p == ' ' || *p == '\t')
                        p++;
                want = *p == 0 || *p == ';';
        }
        FUZZ_ASSERT(content_type_is_json(ct) == want, "Content-Type '%s' judged %d", ct, !want);
        FUZZ_ASSERT(!content_type_is_json(NULL), "no Content-Type taken for JSON");
}

static void check_id(const char *id, size_t size)
{
        char *out = malloc(size);                     /* exactly size: ASan sees one byte too many */
        if (!out)
                abort();
        clean_request_id(id, out, size);
        size_t n = strlen(id);
        bool clean = n <= 64 && n + 1 <= size;
        for (size_t i = 0; i < n && clean; i++)
                clean = isalnum((unsigned char) id[i]) || id[i] == '-' || id[i] == '_';
        if (clean)
                FUZZ_ASSERT(strcmp(out, id) == 0, "id '%s' became '%s'", id, out);
        else
                FUZZ_ASSERT(out[0] == 0, "id '%s' echoed as '%s'", id, out);
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_in in = { data, size };
        char *cl = fuzz_field(&in, 0, NULL);
        char *ct = fuzz_field(&in, 0, NULL);
        char *id = fuzz_field(&in, 0, NULL);
        size_t id_size = 1 + fuzz_u8(&in) % 80;
        check_length(cl);
        check_type(ct);
        check_id(id, 65);                             /* what server.c gives it */
        check_id(id, id_size);
        free(cl);
        free(ct);
        free(id);
        return 0;
}
