/*
 * native_internal.h - helpers shared by the native algorithm files
 * (the .c files in src/engine/native, one algorithm per file).
 */
#ifndef GR_NATIVE_INTERNAL_H
#define GR_NATIVE_INTERNAL_H

#include "gr.h"
#include "common/error.h"
#include "common/mem.h"

#ifdef _OPENMP
#include <omp.h>
#define GR_PRAGMA(x) _Pragma(#x)
#define GR_OMP(x) GR_PRAGMA(omp x)
#else
#define GR_OMP(x)
#endif

/* Below this many nodes+edges, parallel regions cost more than they save. */
#define GR_PAR_MIN 20000

/* --- helpers for wcc.c, bfs.c and sssp.c ------------------------------ */

/* 1 when a kernel over g should open a parallel region: more than one
 * thread, and a graph large enough (GR_PAR_MIN) to pay for it. */
static inline int gr_par_worth(const gr_graph *g)
{
#ifdef _OPENMP
    return omp_get_max_threads() > 1 && (uint64_t)g->n + g->m >= GR_PAR_MIN;
#else
    (void)g;
    return 0;
#endif
}

/* *p = min(*p, v), atomically (relaxed: callers synchronise at the end of
 * the parallel region).  Returns 1 when this call lowered *p. */
static inline int gr_atomic_min_u32(uint32_t *p, uint32_t v)
{
    uint32_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < cur) {
        if (__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
            return 1;
        }
    }
    return 0;
}

/* *p = min(*p, v) for doubles that are never NaN, atomically (relaxed).
 * Returns 1 when this call lowered *p. */
static inline int gr_atomic_min_f64(double *p, double v)
{
    double cur;
    __atomic_load(p, &cur, __ATOMIC_RELAXED);
    while (v < cur) {
        if (__atomic_compare_exchange(p, &cur, &v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            return 1;
        }
    }
    return 0;
}

#endif
