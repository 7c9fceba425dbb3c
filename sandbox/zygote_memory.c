/* The zygote's memory in as few page-table entries as it can.
 *
 * Every job begins as a fork of the zygote and ends with its exit: the fork
 * copies one page-table entry for each resident anonymous 4 KB page, and the
 * exit (on the answer's path: init reports once the runner is gone) tears
 * each down again.  A 2 MB huge page costs one entry for 512.  The profile of
 * a paced hello before this file was mostly that work (docs/performance.md):
 * about 10,000 4 KB entries copied and zapped per job.
 *
 * Three sources of small pages, three remedies, all while the zygote starts,
 * before anything of a job exists:
 *  - Python's object arenas (1 MiB each, mmap'd one by one, so never on a
 *    2 MB boundary): the zygote carves them in pairs out of 2 MB-aligned
 *    chunks marked MADV_HUGEPAGE (PyObject_SetArenaAllocator).
 *  - malloc's blocks of 128 KB and more, each a mapping of its own: the
 *    imports' go to the heap instead (a higher M_MMAP_THRESHOLD), which is
 *    one range to collapse.
 *  - the heap and every other anonymous mapping: collapsed into huge pages
 *    where a 2 MB-aligned range fits (MADV_COLLAPSE, Linux 6.1).
 *
 * A job gets the defaults back (sb_zygote_memory_job): its own arenas and
 * blocks are mapped as by any python3, so what it allocates is counted by
 * its limits as before, page by page.  All of it is best effort: without
 * transparent huge pages nothing changes but the alignment. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "zygote.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define HUGE_BYTES ((size_t) 2 << 20)

/* glibc's own default, which a job gets back */
#define DEFAULT_MMAP_THRESHOLD (128 * 1024)
/* the largest glibc takes on 64-bit hosts: the imports' big blocks (numpy's
 * and pandas' tables) land in the heap */
#define ZYGOTE_MMAP_THRESHOLD (32 * 1024 * 1024)

static bool carving;           /* in the zygote, until a job takes over */
static char *spare_half;       /* the unused second arena of the last chunk */

static void *plain_alloc(size_t size)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

/* A 2 MB-aligned chunk of exactly 2 MB: map 4 MB, give back both ends. */
static char *aligned_chunk(void)
{
        char *p = mmap(NULL, 2 * HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        uintptr_t start = ((uintptr_t) p + HUGE_BYTES - 1) & ~(uintptr_t) (HUGE_BYTES - 1);
        char *chunk = (char *) start;
        if (chunk > p)
                munmap(p, (size_t) (chunk - p));
        char *end = p + 2 * HUGE_BYTES;
        if (end > chunk + HUGE_BYTES)
                munmap(chunk + HUGE_BYTES, (size_t) (end - (chunk + HUGE_BYTES)));
        /* faulted as one huge page from its first touch */
        (void) madvise(chunk, HUGE_BYTES, MADV_HUGEPAGE);
        return chunk;
}

static void *arena_alloc(void *ctx, size_t size)
{
        (void) ctx;
        if (!carving || size * 2 != HUGE_BYTES)
                return plain_alloc(size);
        if (spare_half) {
                char *p = spare_half;
                spare_half = NULL;
                return p;
        }
        char *chunk = aligned_chunk();
        if (!chunk)
                return plain_alloc(size);
        spare_half = chunk + size;
        return chunk;
}

/* Every arena goes back to the system, carved or not (a carved half alone
 * splits its huge page: the other half stays as 4 KB pages). */
static void arena_free(void *ctx, void *ptr, size_t size)
{
        (void) ctx;
        munmap(ptr, size);
}

void sb_zygote_memory_start(void)
{
        PyObjectArenaAllocator a = { .ctx = NULL, .alloc = arena_alloc, .free = arena_free };
        carving = true;
        PyObject_SetArenaAllocator(&a);
        mallopt(M_MMAP_THRESHOLD, ZYGOTE_MMAP_THRESHOLD);
}

/* Collapse each 2 MB-aligned range of the heap and of anonymous mappings
 * into huge pages.  Returns how many ranges the kernel would not collapse
 * (no free huge page at hand, most often). */
static unsigned collapse_anonymous(void)
{
        unsigned failed = 0;
        FILE *f = fopen("/proc/self/maps", "re");
        char line[512];
        while (f && fgets(line, sizeof(line), f)) {
                unsigned long a, b;
                char perms[8], path[256] = "";
                if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &a, &b, perms, path) < 3)
                        continue;
                if (strcmp(perms, "rw-p") != 0 || (path[0] && strcmp(path, "[heap]") != 0))
                        continue;
                unsigned long lo = (a + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1), hi = b & ~(HUGE_BYTES - 1);
                if (hi <= lo)
                        continue;
                (void) madvise((void *) lo, hi - lo, MADV_HUGEPAGE);
                /* range by range: one that fails does not stop the rest */
                for (unsigned long r = lo; r < hi; r += HUGE_BYTES)
                        /* EINVAL: nothing mapped there yet */
                        if (madvise((void *) r, HUGE_BYTES, MADV_COLLAPSE) < 0 && errno != EINVAL)
                                failed++;
        }
        if (f)
                fclose(f);
        return failed;
}

void sb_zygote_memory_settle(void)
{
        /* the zygote allocates little from here on: a half nobody took is
         * not address space to hand to every job */
        if (spare_half) {
                munmap(spare_half, HUGE_BYTES / 2);
                spare_half = NULL;
        }
        /* the imports' garbage goes back to the system: a job's fork copies
         * no page of it, and cannot reuse it unseen (sb_zygote_size) */
        malloc_trim(0);
        /* a second pass takes what the first could not, once the kernel has
         * compacted memory for the first (a busy host has few free 2 MB
         * blocks) */
        if (collapse_anonymous() > 0)
                (void) collapse_anonymous();
}

void sb_zygote_memory_job(void)
{
        carving = false;
        mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD);
}
