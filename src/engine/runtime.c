/*
 * runtime.c - library-wide settings: version and thread count.
 */
#include "config.h"
#include "gr.h"

#ifdef _OPENMP
#include <omp.h>
#endif

const char *gr_version(void) { return PACKAGE_VERSION; }

int gr_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void gr_set_threads(int n)
{
#ifdef _OPENMP
    if (n > 0) {
        omp_set_num_threads(n);
    }
#else
    (void)n;
#endif
}
