/*
 * mem.h - the one allocation wrapper of grperf, with failure injection.
 *
 * Every allocation in libgr goes through gr_malloc / gr_calloc / gr_realloc
 * and is released with gr_free.  Tests set a budget with gr_mem_fail_after:
 * after that many successful allocations every further one fails, so an
 * operation can be re-run allowing 0, 1, 2, ... allocations and must fail
 * cleanly, without leaking, each time (as LAGraph's LG_BRUTAL does).
 *
 * Large arrays (gr_alloc_big) are 64-byte aligned and, when large enough,
 * advised to use transparent huge pages; free them with gr_free_big.
 */
#ifndef GR_MEM_H
#define GR_MEM_H

#include <stddef.h>

void *gr_malloc(size_t n);              /* NULL on failure (or injected) */
void *gr_calloc(size_t count, size_t size); /* zeroed; NULL on overflow */
void *gr_realloc(void *p, size_t n);    /* NULL on failure, p untouched */
void gr_free(void *p);                  /* NULL allowed */
char *gr_strdup(const char *s);         /* NULL on failure */

/* count*size bytes, 64-byte aligned, huge-page advised when large;
 * NULL on failure or overflow.  Not zeroed.  Released by gr_free_big or,
 * as well, gr_free (a plan hands its result registers over to a result
 * that gr_free releases). */
void *gr_alloc_big(size_t count, size_t size);
void gr_free_big(void *p);              /* NULL allowed */

/* Failure injection: after `n` further successful allocations, fail all
 * others; n < 0 turns injection off.  Returns allocations made since the
 * budget was set (for tests that count). */
void gr_mem_fail_after(long n);
long gr_mem_count(void);

/* Multiply with overflow check: 0 when a*b overflows size_t. */
int gr_mul_ok(size_t a, size_t b, size_t *out);

#endif
