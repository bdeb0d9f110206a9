/* Private to kde.c: one row of a stamp, for each kernel, built for SSE2
 * (_base) and AVX2 (_avx2); kde_rows.c says why they live apart. */
#ifndef CTXPROF_KDE_ROWS_H
#define CTXPROF_KDE_ROWS_H

/* QGIS mode: adds the kernel values of columns xp0..xp1-1 of a block that
 * starts at column xpos into line (Float32, NoData -9999 turned into 0 where
 * a value lands); val is scratch of at least xp1 doubles. c is QGIS's
 * constant factor, dc the decay. */
typedef void (*kde_qgis_row_fn)(float *restrict line, double *restrict val, int xp0, int xp1,
                                long xpos, double px, double xmin, double x, double dy, double r,
                                double wt, double c, double dc);
/* Exact mode: adds wt * K(d) to line[c0..c1] (double sums). */
typedef void (*kde_exact_row_fn)(double *restrict line, double *restrict val, int c0, int c1,
                                 double dx0, double px, double dy2, double r2, double inv_r2,
                                 double wt, double decay);

#define KDE_ROW_DECL(NAME, TYPE)                                                                   \
    void NAME##_base TYPE;                                                                         \
    void NAME##_avx2 TYPE;
#define KDE_QGIS_ARGS                                                                              \
    (float *restrict, double *restrict, int, int, long, double, double, double, double, double,    \
     double, double, double)
#define KDE_EXACT_ARGS                                                                             \
    (double *restrict, double *restrict, int, int, double, double, double, double, double, double, \
     double)

KDE_ROW_DECL(qrow_quartic, KDE_QGIS_ARGS)
KDE_ROW_DECL(qrow_triweight, KDE_QGIS_ARGS)
KDE_ROW_DECL(qrow_epanechnikov, KDE_QGIS_ARGS)
KDE_ROW_DECL(qrow_triangular, KDE_QGIS_ARGS)
KDE_ROW_DECL(qrow_constant, KDE_QGIS_ARGS)
KDE_ROW_DECL(erow_quartic, KDE_EXACT_ARGS)
KDE_ROW_DECL(erow_triweight, KDE_EXACT_ARGS)
KDE_ROW_DECL(erow_epanechnikov, KDE_EXACT_ARGS)
KDE_ROW_DECL(erow_triangular, KDE_EXACT_ARGS)
KDE_ROW_DECL(erow_uniform, KDE_EXACT_ARGS)

/* 1 when the CPU runs the _avx2 versions. */
int kde_rows_have_avx2(void);

#endif
