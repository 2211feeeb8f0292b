/*
 * mem.c - allocation wrapper with failure injection (see mem.h).
 */
#include "config.h"
#include "common/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static long fail_budget = -1; /* -1: no injection */
static long alloc_count;

void gr_mem_fail_after(long n)
{
    fail_budget = n;
    alloc_count = 0;
}

long gr_mem_count(void) { return alloc_count; }

/* One more allocation: may it succeed? */
static int allow(void)
{
    if (fail_budget < 0) {
        return 1;
    }
    if (alloc_count >= fail_budget) {
        return 0;
    }
    alloc_count++;
    return 1;
}

int gr_mul_ok(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) {
        return 0;
    }
    *out = a * b;
    return 1;
}

void *gr_malloc(size_t n)
{
    if (!allow()) {
        return NULL;
    }
    return malloc(n ? n : 1);
}

void *gr_calloc(size_t count, size_t size)
{
    size_t total;
    if (!gr_mul_ok(count, size, &total) || !allow()) {
        return NULL;
    }
    return calloc(total ? total : 1, 1);
}

void *gr_realloc(void *p, size_t n)
{
    if (!allow()) {
        return NULL;
    }
    return realloc(p, n ? n : 1);
}

void gr_free(void *p) { free(p); }

char *gr_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = gr_malloc(n);
    if (d) {
        memcpy(d, s, n);
    }
    return d;
}

#define BIG_ALIGN 64
#define HUGE_ADVISE_MIN (4u << 20) /* ask for huge pages from 4 MiB up */

void *gr_alloc_big(size_t count, size_t size)
{
    size_t total;
    void *p = NULL;
    if (!gr_mul_ok(count, size, &total) || !allow()) {
        return NULL;
    }
    if (total == 0) {
        total = BIG_ALIGN;
    }
    if (total >= HUGE_ADVISE_MIN) {
        /* Align to 2 MiB so whole huge pages back the array. */
        size_t rounded = (total + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
        if (posix_memalign(&p, 2u << 20, rounded) != 0) {
            return NULL;
        }
#ifdef MADV_HUGEPAGE
        (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
        return p;
    }
    if (posix_memalign(&p, BIG_ALIGN, total) != 0) {
        return NULL;
    }
    return p;
}

void gr_free_big(void *p) { free(p); }
