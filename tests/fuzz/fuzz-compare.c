/* /grade's comparisons (jobs/compare.c) on any output: no mode reads past
 * either text, every mode finds a text equal to itself, and the modes nest:
 * what matches exactly matches trimmed, what matches trimmed matches as
 * tokens, and as tokens with any tolerance.
 *
 * The input: a byte of tolerance (its value / 255), then got and expected
 * split at the first NUL. */
#include "fuzz.h"
#include "jobs/compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        double tol = data[0] / 255.0;
        data++, size--;
        const uint8_t *nul = memchr(data, 0, size);
        size_t glen = nul ? (size_t) (nul - data) : size;
        size_t wlen = nul ? size - glen - 1 : 0;
        /* each text alone in its own allocation: ASan sees any read past it */
        char *got = malloc(glen ? glen : 1), *want = malloc(wlen ? wlen : 1);
        if (!got || !want)
                abort();
        memcpy(got, data, glen);
        if (nul)
                memcpy(want, nul + 1, wlen);
        struct compare_mode modes[4] = { { COMPARE_EXACT, 0 }, { COMPARE_TRIM, 0 }, { COMPARE_TOKENS, 0 },
                                         { COMPARE_FLOAT, tol } };
        bool r[4];
        for (int i = 0; i < 4; i++) {
                FUZZ_ASSERT(output_matches(got, glen, got, glen, &modes[i]) || i == 3,
                            "mode %d: a text differs from itself", i);
                r[i] = output_matches(got, glen, want, wlen, &modes[i]);
        }
        FUZZ_ASSERT(!r[0] || r[1], "exact but not trimmed");
        FUZZ_ASSERT(!r[1] || r[2], "trimmed but not tokens");
        FUZZ_ASSERT(!r[2] || r[3], "tokens but not within a tolerance");
        free(got);
        free(want);
        return 0;
}
