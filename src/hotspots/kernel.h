/* The kernels' shapes, written once: kde.c (the exact mode's constants and
 * ctxprof_kde_kernel) and kde_rows.c (the stamping rows of both modes) use
 * these. Each is a function of q = (d/r)^2, or of t = d/r for the
 * triangular kernel, for 0 <= q, t <= 1, and is 1 at the centre; the scaled
 * constants that multiply them are in kde.c (docs/methods.md gives both).
 * No GDAL header here: kde_rows.c must not see one. The rows' bits depend
 * on these exact operations (the QGIS-compatible mode matches QGIS 3.22's
 * doubles): keep the order of every operation. */
#ifndef CTXPROF_KERNEL_H
#define CTXPROF_KERNEL_H

#include <math.h>

static inline double kde_quartic(double q)
{
    return (1.0 - q) * (1.0 - q);
}

static inline double kde_triweight(double q)
{
    return (1.0 - q) * (1.0 - q) * (1.0 - q);
}

/* QGIS 3.22 writes the triweight as pow(1 - u^2, 3), which can round
 * differently from the product. */
static inline double kde_triweight_qgis(double q)
{
    return pow(1.0 - q, 3);
}

static inline double kde_epanechnikov(double q)
{
    return 1.0 - q;
}

/* decay: the value at the radius, relative to the centre. */
static inline double kde_triangular(double t, double decay)
{
    return 1.0 - (1.0 - decay) * t;
}

static inline double kde_uniform(void)
{
    return 1.0;
}

#endif
