/*
 * native_internal.h - helpers shared by the native algorithm files
 * (src/engine/native/*.c, one algorithm per file).
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

#endif
