/* The stamping loops of kde.c, in a file of their own: built twice, for
 * SSE2 and for AVX2 (chosen at run time), with the square roots taken by
 * vector instructions (under -std=c17 GCC keeps sqrt's errno and will not
 * vectorise it). Every operation stays IEEE-rounded, with no FMA and no
 * fast-math, so both builds give the same bits, and the QGIS-compatible rows
 * give QGIS's bits. The compiler may evaluate a kernel for a cell it then
 * discards (no-trapping-math), which lets the selects vectorise; that
 * changes no value. GDAL's headers stay out of this file (they reset the
 * pragma). */
#pragma GCC optimize("no-trapping-math")

#include "hotspots/kde_rows.h"
#include "hotspots/kernel.h"

#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define HAVE_AVX2_CLONES 1
#define TARGET_AVX2      __attribute__((target("avx2")))
#else
#define HAVE_AVX2_CLONES 0
#define TARGET_AVX2
#endif

#define NODATA (-9999.0f)

/* v[i] = sqrt(v[i]) for i in [a, b). */
static inline void sqrt_base(double *v, int a, int b)
{
    int i = a;
#if HAVE_AVX2_CLONES
    for (; i + 2 <= b; i += 2)
        _mm_storeu_pd(v + i, _mm_sqrt_pd(_mm_loadu_pd(v + i)));
#endif
    for (; i < b; i++)
        v[i] = sqrt(v[i]);
}

#if HAVE_AVX2_CLONES
TARGET_AVX2 static inline void sqrt_avx2(double *v, int a, int b)
{
    int i = a;
    for (; i + 4 <= b; i += 4)
        _mm256_storeu_pd(v + i, _mm256_sqrt_pd(_mm256_loadu_pd(v + i)));
    for (; i < b; i++)
        v[i] = sqrt(v[i]);
}
#else
#define sqrt_avx2 sqrt_base
#endif

#define TWICE(MACRO, NAME, EXPR)                                                                   \
    MACRO(NAME##_base, , sqrt_base, EXPR)                                                          \
    MACRO(NAME##_avx2, TARGET_AVX2, sqrt_avx2, EXPR)

/* One row of a QGIS stamp. QGIS 3.22's kernels (QgsKernelDensityEstimation)
 * are evaluated with the same operations in the same order, so that the
 * doubles come out bit for bit: distance sqrt(dx^2 + dy^2), u = d / r, its
 * scaled quartic with the 116/(5 pi r^2) * 15/16 constant (7.25 times too
 * large), a negative decay leaving the scaled triangular raw. Cells beyond
 * the radius are left alone; the others, NoData turned into 0, receive the
 * value in Float32, as QGIS's read-modify-write of each block does. */
#define QGIS_ROW(NAME, ATTR, SQRT, KERNEL_EXPR)                                                    \
    ATTR void NAME(float *restrict line, double *restrict val, int xp0, int xp1, long xpos,        \
                   double px, double xmin, double x, double dy, double r, double wt, double c,     \
                   double dc)                                                                      \
    {                                                                                              \
        double dy2 = dy * dy;                                                                      \
        for (int xp = xp0; xp < xp1; xp++) {                                                       \
            double dx = ((double)(int)(xpos + xp) + 0.5) * px + xmin - x;                          \
            val[xp] = dx * dx + dy2;                                                               \
        }                                                                                          \
        SQRT(val, xp0, xp1);                                                                       \
        for (int xp = xp0; xp < xp1; xp++) {                                                       \
            double dist = val[xp], u = dist / r;                                                   \
            (void)u;                                                                               \
            (void)c;                                                                               \
            (void)dc;                                                                              \
            val[xp] = dist > r ? NAN : wt * (KERNEL_EXPR);                                         \
        }                                                                                          \
        for (int xp = xp0; xp < xp1; xp++) {                                                       \
            float cur = line[xp];                                                                  \
            float base = cur == NODATA ? 0.0f : cur;                                               \
            double v = val[xp];                                                                    \
            float sum = (float)((double)base + v);                                                 \
            line[xp] = v == v ? sum : cur;                                                         \
        }                                                                                          \
    }
/* c is QGIS's constant factor (k * 15/16 and so on, computed once as QGIS
 * computes it per cell); c * t * t then rounds as QGIS's k * (15./16.) *
 * pow(t, 2) does. */
TWICE(QGIS_ROW, qrow_quartic, c *kde_quartic(u *u))
TWICE(QGIS_ROW, qrow_triweight, c *kde_triweight_qgis(u *u))
TWICE(QGIS_ROW, qrow_epanechnikov, c *kde_epanechnikov(u *u))
TWICE(QGIS_ROW, qrow_triangular, c *kde_triangular(u, dc))
TWICE(QGIS_ROW, qrow_constant, c *kde_uniform())

/* One row of an exact stamp over columns c0..c1; val is scratch. */
#define EXACT_ROW(NAME, ATTR, SQRT, KERNEL_EXPR)                                                   \
    ATTR void NAME(double *restrict line, double *restrict val, int c0, int c1, double dx0,        \
                   double px, double dy2, double r2, double inv_r2, double wt, double decay)       \
    {                                                                                              \
        (void)val;                                                                                 \
        for (int c = c0; c <= c1; c++) {                                                           \
            double dx = dx0 + ((double)c + 0.5) * px;                                              \
            double d2 = dx * dx + dy2;                                                             \
            double q = d2 * inv_r2;                                                                \
            (void)q;                                                                               \
            (void)decay;                                                                           \
            line[c] += d2 <= r2 ? wt * (KERNEL_EXPR) : 0.0;                                        \
        }                                                                                          \
    }
TWICE(EXACT_ROW, erow_quartic, kde_quartic(q))
TWICE(EXACT_ROW, erow_triweight, kde_triweight(q))
TWICE(EXACT_ROW, erow_epanechnikov, kde_epanechnikov(q))
TWICE(EXACT_ROW, erow_uniform, kde_uniform())

/* The triangular kernel needs d itself. */
#define EXACT_TRI(NAME, ATTR, SQRT)                                                                \
    ATTR void NAME(double *restrict line, double *restrict val, int c0, int c1, double dx0,        \
                   double px, double dy2, double r2, double inv_r2, double wt, double decay)       \
    {                                                                                              \
        double r = sqrt(r2); /* exactly the radius: sqrt(fl(r * r)) == r */                        \
        (void)inv_r2;                                                                              \
        for (int c = c0; c <= c1; c++) {                                                           \
            double dx = dx0 + ((double)c + 0.5) * px;                                              \
            val[c - c0] = dx * dx + dy2;                                                           \
        }                                                                                          \
        SQRT(val, 0, c1 - c0 + 1);                                                                 \
        for (int c = c0; c <= c1; c++) {                                                           \
            double d = val[c - c0];                                                                \
            line[c] += d <= r ? wt * kde_triangular(d / r, decay) : 0.0;                           \
        }                                                                                          \
    }
EXACT_TRI(erow_triangular_base, , sqrt_base)
EXACT_TRI(erow_triangular_avx2, TARGET_AVX2, sqrt_avx2)

int kde_rows_have_avx2(void)
{
#if HAVE_AVX2_CLONES
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}
