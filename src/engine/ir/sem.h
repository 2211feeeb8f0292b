/*
 * sem.h - the scalar semantics of every element-wise op, as inline
 * functions generated from the fexpr/iexpr columns of gr_ops.def:
 *   double  gr_sem_f_<name>(double a, double b, double c)
 *   int64_t gr_sem_i_<name>(int64_t a, int64_t b, int64_t c)
 * Every execution mode (step kernels, batched and fused plans) evaluates
 * element-wise ops only through these, so the modes cannot disagree.
 * Bools travel as 0/1 in either representation.
 */
#ifndef GR_IR_SEM_H
#define GR_IR_SEM_H

#include <math.h>
#include <stdint.h>

/* Wrapping integer arithmetic (through unsigned: no UB on overflow). */
static inline int64_t gr_iadd(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static inline int64_t gr_isub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static inline int64_t gr_imul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static inline int64_t gr_idiv(int64_t a, int64_t b)
{
    if (b == 0) {
        return 0;
    }
    if (b == -1) {
        return gr_isub(0, a); /* INT64_MIN / -1 wraps to INT64_MIN */
    }
    return a / b;
}
static inline int64_t gr_imod(int64_t a, int64_t b)
{
    if (b == 0 || b == -1) {
        return 0;
    }
    return a % b;
}
static inline double gr_fmod(double a, double b) { return b == 0 ? 0.0 : fmod(a, b); }
static inline double gr_fmin(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        return NAN;
    }
    return a < b ? a : b;
}
static inline double gr_fmax(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        return NAN;
    }
    return a > b ? a : b;
}
static inline int64_t gr_f2i(double a)
{
    if (isnan(a)) {
        return 0;
    }
    if (a >= 9223372036854775807.0) {
        return INT64_MAX;
    }
    if (a <= -9223372036854775808.0) {
        return INT64_MIN;
    }
    return (int64_t)a;
}

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                          \
    static inline double gr_sem_f_##ID(double a, double b, double c)               \
    {                                                                              \
        (void)a; (void)b; (void)c;                                                 \
        return (double)(fexpr);                                                    \
    }                                                                              \
    static inline int64_t gr_sem_i_##ID(int64_t a, int64_t b, int64_t c)           \
    {                                                                              \
        (void)a; (void)b; (void)c;                                                 \
        return (int64_t)(iexpr);                                                   \
    }
#include "gr_ops.def"
#undef OP
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#endif
