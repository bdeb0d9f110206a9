#include "hotspots/kde.h"
#include "hotspots/kde_rows.h"
#include "hotspots/kernel.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>

#include "core/pool.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

const char *const ctxprof_kernel_names[5] = {"quartic", "triangular", "uniform", "triweight",
                                             "epanechnikov"};

int ctxprof_kernel_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (name && strcmp(name, ctxprof_kernel_names[i]) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------------------
 * Kernels. */

/* Exact mode, as a function of q = (d/r)^2 (and d/r for the triangular
 * kernel; the shapes are in kernel.h); the scaled constants make each
 * kernel integrate to 1 over the disc of radius r (polar integration: Wand
 * & Jones 1995, p. 175). */
static double kernel_exact(ctxprof_kernel k, double q, double r, double decay, int scaled)
{
    double v, c;
    switch (k) {
    case CTXPROF_KERNEL_TRIANGULAR:
        v = kde_triangular(sqrt(q), decay);
        c = 3.0 / ((1.0 + 2.0 * decay) * M_PI * r * r);
        break;
    case CTXPROF_KERNEL_UNIFORM:
        v = kde_uniform();
        c = 1.0 / (M_PI * r * r);
        break;
    case CTXPROF_KERNEL_TRIWEIGHT:
        v = kde_triweight(q);
        c = 4.0 / (M_PI * r * r);
        break;
    case CTXPROF_KERNEL_EPANECHNIKOV:
        v = kde_epanechnikov(q);
        c = 2.0 / (M_PI * r * r);
        break;
    case CTXPROF_KERNEL_QUARTIC:
    default:
        v = kde_quartic(q);
        c = 3.0 / (M_PI * r * r);
        break;
    }
    return scaled ? c * v : v;
}

double ctxprof_kde_kernel(ctxprof_kernel k, double d, double r, double decay, int scaled)
{
    if (!(r > 0) || d > r || d < 0)
        return 0.0;
    return kernel_exact(k, (d / r) * (d / r), r, decay, scaled);
}

/* ---------------------------------------------------------------------------
 * Default bandwidth. */

typedef struct {
    double d, w;
} dist_weight;

static int cmp_dist(const void *a, const void *b)
{
    double x = ((const dist_weight *)a)->d, y = ((const dist_weight *)b)->d;
    return (x > y) - (x < y);
}

static int bandwidth_undefined(ctxprof_ctx *ctx, size_t n)
{
    return ctxprof_error(ctx, CTXPROF_E_INPUT,
                         "kde: the default bandwidth is undefined for %zu point(s) at one place; "
                         "give a radius",
                         n);
}

int ctxprof_kde_default_bandwidth(ctxprof_ctx *ctx, double *bandwidth, const double *x,
                                  const double *y, const double *w, size_t n)
{
    *bandwidth = 0.0;
    if (n < 2)
        return bandwidth_undefined(ctx, n);
    dist_weight *dw = ctxprof_mallocarray(ctx, n, sizeof *dw);
    if (!dw)
        return CTXPROF_E_NOMEM;
    double sw = 0, mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        sw += wi;
        mx += wi * x[i];
        my += wi * y[i];
    }
    if (!(sw > 0)) {
        free(dw);
        return bandwidth_undefined(ctx, n);
    }
    mx /= sw;
    my /= sw;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my, wi = w ? w[i] : 1.0;
        ss += wi * (dx * dx + dy * dy);
        dw[i].d = sqrt(dx * dx + dy * dy);
        dw[i].w = wi;
    }
    double sd = sqrt(ss / sw);
    qsort(dw, n, sizeof *dw, cmp_dist);
    /* (Weighted) median: the smallest distance whose cumulative weight
     * reaches half; the mean of the two middle values when it falls exactly
     * between them, as the unweighted median does. */
    double half = sw / 2.0, cum = 0, dm = dw[n - 1].d;
    for (size_t i = 0; i < n; i++) {
        cum += dw[i].w;
        if (cum > half) {
            dm = dw[i].d;
            break;
        }
        if (cum == half) {
            dm = i + 1 < n ? (dw[i].d + dw[i + 1].d) / 2.0 : dw[i].d;
            break;
        }
    }
    free(dw);
    double m = fmin(sd, sqrt(1.0 / log(2.0)) * dm);
    double r = 0.9 * m * pow(sw, -0.2);
    if (!(r > 0))
        return bandwidth_undefined(ctx, n);
    *bandwidth = r;
    return 0;
}

/* ---------------------------------------------------------------------------
 * The grid and the stamping. */

void ctxprof_raster_clear(ctxprof_raster *raster)
{
    if (!raster)
        return;
    free(raster->data);
    memset(raster, 0, sizeof *raster);
}

typedef struct {
    const double *x, *y, *w;
    size_t n;
    const ctxprof_kde_options *o;
    double r;
    int cols, rows;
    double xmin, ymin, xmax, ymax; /* qgis: the grown source extent; exact: grid edges */
    int buffer;                    /* qgis: stamp half-width in cells */
    float *out;                    /* qgis: accumulated in place */
    double *acc;                   /* exact: accumulated in double */
    /* Bands of rows, each with the points whose stamps reach it, in input order. */
    int band_rows, n_bands;
    size_t *band_start; /* n_bands + 1 offsets into band_pts */
    uint32_t *band_pts;
    kde_qgis_row_fn qrow;
    double qconst;
    kde_exact_row_fn erow;
    /* Half-widths in cells of the stamp's rows by distance k (in rows)
     * from its centre; -1: the row is wholly beyond the radius. */
    long *hw;
    long n_hw;
} kde_job;

/* qgis mode: the cell block QGIS reads and writes for point i, or 0 when
 * QGIS 3.22 drops the point (out of its extent, or the block leaves the
 * raster, where GDALRasterIO fails and the point is reported and skipped). */
static int qgis_block(const kde_job *j, size_t i, long *xpos, long *ypos, long *yio)
{
    double px = j->o->pixel, x = j->x[i], y = j->y[i];
    int b = j->buffer, bs = 2 * b + 1;
    if (!(x >= j->xmin && x <= j->xmax && y >= j->ymin && y <= j->ymax))
        return 0;
    /* QGIS converts these doubles to unsigned int: truncation towards zero,
     * so -0.5 becomes 0; anything at or below -1 fails in GDALRasterIO. */
    double vx = (x - j->xmin) / px - b, vy = (y - j->ymin) / px - b, vio = (j->ymax - y) / px - b;
    if (vx <= -1.0 || vy <= -1.0 || vio <= -1.0 || vx >= 2147483647.0 || vy >= 2147483647.0 ||
        vio >= 2147483647.0)
        return 0;
    *xpos = (long)vx;
    *ypos = (long)vy;
    *yio = (long)vio;
    if (*xpos + bs > j->cols || *yio + bs > j->rows)
        return 0;
    return 1;
}

/* exact mode: the rows and columns whose centres lie within r of point i
 * (empty when lo > hi). */
static void exact_span(const kde_job *j, size_t i, long *c0, long *c1, long *r0, long *r1)
{
    double px = j->o->pixel, x = j->x[i], y = j->y[i], r = j->r;
    double a = ceil((x - r - j->xmin) / px - 0.5), b = floor((x + r - j->xmin) / px - 0.5);
    double c = ceil((j->ymax - (y + r)) / px - 0.5), d = floor((j->ymax - (y - r)) / px - 0.5);
    a = fmax(a, 0);
    b = fmin(b, j->cols - 1);
    c = fmax(c, 0);
    d = fmin(d, j->rows - 1);
    if (a > b || c > d) {
        *c0 = 1;
        *c1 = 0;
        *r0 = 1;
        *r1 = 0;
        return;
    }
    *c0 = (long)a;
    *c1 = (long)b;
    *r0 = (long)c;
    *r1 = (long)d;
}

/* Stamps the points of one band into its rows: 0, or -1 when memory is out. */
static int stamp_band_qgis(kde_job *j, int band)
{
    const ctxprof_kde_options *o = j->o;
    double px = o->pixel, r = j->r;
    int bs = 2 * j->buffer + 1;
    long b = j->buffer;
    long row_lo = (long)band * j->band_rows, row_hi = row_lo + j->band_rows; /* [lo, hi) */
    double *val = malloc(ctxprof_size_mul((size_t)bs, sizeof *val));
    if (!val)
        return -1;
    for (size_t k = j->band_start[band]; k < j->band_start[band + 1]; k++) {
        size_t i = j->band_pts[k];
        long xpos, ypos, yio;
        if (!qgis_block(j, i, &xpos, &ypos, &yio))
            continue;
        double x = j->x[i], y = j->y[i], wt = j->w ? j->w[i] : 1.0;
        long yp0 = row_lo > yio ? row_lo - yio : 0;
        long yp1 = row_hi - yio < bs ? row_hi - yio : bs;
        for (long yp = yp0; yp < yp1; yp++) {
            /* QGIS measures y on a grid anchored at ymin but writes the
             * block from the top: row yio + yp gets the value of the
             * centroid ypos + yp counted from the bottom. */
            double cy = ((double)(unsigned int)(ypos + yp) + 0.5) * px + j->ymin;
            float *line = j->out + (size_t)(yio + yp) * (size_t)j->cols + xpos;
            double dy = cy - y;
            /* Cells that cannot be within the radius are skipped (QGIS
             * leaves them untouched too): the point lies within a cell of
             * the block's centre, so row k from the centre has |dy| of at
             * least (k - 1.5) cells, and its cells within the radius lie
             * within hw[kk] + 2 of the centre column. */
            long kk = yp > b ? yp - b : b - yp;
            if (j->hw[kk] < 0)
                continue;
            long a = b - 2 - j->hw[kk], e = b + 3 + j->hw[kk];
            int xp0 = a > 0 ? (int)a : 0, xp1 = e < bs ? (int)e : bs;
            if (xp0 < xp1)
                j->qrow(line, val, xp0, xp1, xpos, px, j->xmin, x, dy, r, wt, j->qconst, o->decay);
        }
    }
    free(val);
    return 0;
}

static int stamp_band_exact(kde_job *j, int band)
{
    const ctxprof_kde_options *o = j->o;
    double px = o->pixel, r = j->r, r2 = r * r, inv_r2 = 1.0 / r2;
    long row_lo = (long)band * j->band_rows, row_hi = row_lo + j->band_rows - 1;
    double cst = o->scaled ? kernel_exact(o->kernel, 0.0, r, o->decay, 1) /
                                 kernel_exact(o->kernel, 0.0, r, o->decay, 0)
                           : 1.0;
    double *val = malloc(ctxprof_size_mul((size_t)(2 * r / px) + 8, sizeof *val));
    if (!val)
        return -1;
    for (size_t k = j->band_start[band]; k < j->band_start[band + 1]; k++) {
        size_t i = j->band_pts[k];
        long c0, c1, r0, r1;
        exact_span(j, i, &c0, &c1, &r0, &r1);
        if (r0 < row_lo)
            r0 = row_lo;
        if (r1 > row_hi)
            r1 = row_hi;
        double x = j->x[i], y = j->y[i], wt = (j->w ? j->w[i] : 1.0) * cst;
        long crow = lround((j->ymax - y) / px - 0.5), ccol = lround((x - j->xmin) / px - 0.5);
        for (long row = r0; row <= r1; row++) {
            double dy = j->ymax - ((double)row + 0.5) * px - y, dy2 = dy * dy;
            if (dy2 > r2)
                continue;
            /* Only the columns whose centres can lie within the disc at this
             * row (widened by one; the loop tests each cell anyway). */
            /* Only the columns whose centres can lie within the disc at
             * this row: row k from the point's nearest row has |dy| of at
             * least (k - 0.5) cells (table hw, with a cell of margin). */
            long kk = row > crow ? row - crow : crow - row;
            if (kk > j->n_hw || j->hw[kk] < 0)
                continue;
            long a = ccol - 1 - j->hw[kk], b = ccol + 1 + j->hw[kk];
            if (a < c0)
                a = c0;
            if (b > c1)
                b = c1;
            if (a < c0)
                a = c0;
            if (b > c1)
                b = c1;
            j->erow(j->acc + (size_t)row * (size_t)j->cols, val, (int)a, (int)b, j->xmin - x, px,
                    dy2, r2, inv_r2, wt, o->decay);
        }
    }
    free(val);
    return 0;
}

/* A pool task: one band (bands write rows of their own). */
static int stamp_task(ctxprof_ctx *ctx, size_t band, void *arg, void *state)
{
    (void)state;
    kde_job *j = arg;
    if ((j->o->qgis_compat ? stamp_band_qgis : stamp_band_exact)(j, (int)band))
        return ctxprof_error(ctx, CTXPROF_E_NOMEM, "kde: out of memory");
    return 0;
}

/* The rows a point's stamp touches, or 0 when it touches none. */
static int point_rows(const kde_job *j, size_t i, long *r0, long *r1)
{
    if (j->o->qgis_compat) {
        long xpos, ypos, yio;
        if (!qgis_block(j, i, &xpos, &ypos, &yio))
            return 0;
        *r0 = yio;
        *r1 = yio + 2 * j->buffer;
        return 1;
    }
    long c0, c1;
    exact_span(j, i, &c0, &c1, r0, r1);
    return c0 <= c1 && *r0 <= *r1;
}

int ctxprof_kde_run(ctxprof_ctx *ctx, ctxprof_raster *raster, const double *x, const double *y,
                    const double *w, size_t n, const ctxprof_kde_options *o)
{
    int rc = 0;
    kde_job j;
    memset(&j, 0, sizeof j);
    memset(raster, 0, sizeof *raster);
    raster->nodata = CTXPROF_KDE_NODATA;
    raster->n_points = n;
    if (!(o->pixel > 0) || !isfinite(o->pixel))
        return ctxprof_error(ctx, CTXPROF_E_CONFIG, "kde: pixel size %g must be positive",
                             o->pixel);
    if ((int)o->kernel < 0 || (int)o->kernel > 4)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG, "kde: unknown kernel %d", (int)o->kernel);
    if (!isfinite(o->decay) || o->decay < -100 || o->decay > 100)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG, "kde: decay %g is outside -100..100", o->decay);
    if (!o->qgis_compat && o->scaled && o->kernel == CTXPROF_KERNEL_TRIANGULAR && o->decay <= -0.5)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "kde: a scaled triangular kernel needs decay > -0.5 (its integral "
                             "is %s otherwise)",
                             o->decay == -0.5 ? "zero" : "negative");
    /* In QGIS mode the extent stands for the layer's extent, which is a
     * single point for a single point. */
    if (o->has_extent &&
        !(o->qgis_compat ? o->extent[2] >= o->extent[0] && o->extent[3] >= o->extent[1]
                         : o->extent[2] > o->extent[0] && o->extent[3] > o->extent[1]))
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "kde: extent %g,%g,%g,%g is empty (xmin,ymin,xmax,ymax)", o->extent[0],
                             o->extent[1], o->extent[2], o->extent[3]);
    if (n == 0 && !o->has_extent)
        return ctxprof_error(ctx, CTXPROF_E_INPUT, "kde: no points to estimate a density from");
    if (n > UINT32_MAX)
        return ctxprof_error(ctx, CTXPROF_E_INPUT, "kde: %zu points are more than 2^32-1", n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return ctxprof_error(ctx, CTXPROF_E_INPUT, "kde: point %zu has no finite coordinates",
                                 i + 1);

    double r = o->radius;
    if (!(r > 0)) {
        int brc = ctxprof_kde_default_bandwidth(ctx, &r, x, y, w, n);
        raster->radius_from_rule = 1;
        if (brc)
            return brc;
    }
    if (!isfinite(r))
        return ctxprof_error(ctx, CTXPROF_E_CONFIG, "kde: radius %g is not finite", r);
    raster->radius = r;

    j.x = x;
    j.y = y;
    j.w = w;
    j.n = n;
    j.o = o;
    j.r = r;
    double px = o->pixel;
    double ex0, ey0, ex1, ey1;
    if (o->has_extent) {
        ex0 = o->extent[0];
        ey0 = o->extent[1];
        ex1 = o->extent[2];
        ey1 = o->extent[3];
    } else {
        ex0 = ey0 = INFINITY;
        ex1 = ey1 = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            ex0 = fmin(ex0, x[i]);
            ex1 = fmax(ex1, x[i]);
            ey0 = fmin(ey0, y[i]);
            ey1 = fmax(ey1, y[i]);
        }
    }
    double ncols, nrows;
    if (o->qgis_compat) {
        /* QGIS: the source extent grown by the radius; one more row and
         * column than the extent needs. */
        j.xmin = ex0 - r;
        j.ymin = ey0 - r;
        j.xmax = ex1 + r;
        j.ymax = ey1 + r;
        nrows = fmax(ceil((j.ymax - j.ymin) / px) + 1, 1.0);
        ncols = fmax(ceil((j.xmax - j.xmin) / px) + 1, 1.0);
        j.buffer = (int)(r / px);
        if (r - px * j.buffer > 0.5)
            j.buffer++;
    } else if (o->has_extent) {
        j.xmin = ex0;
        j.ymax = ey1;
        ncols = fmax(ceil((ex1 - ex0) / px - 1e-9), 1.0);
        nrows = fmax(ceil((ey1 - ey0) / px - 1e-9), 1.0);
    } else {
        /* The extent grown by the radius, snapped outwards to whole cells so
         * that surfaces of the same cell size line up. */
        j.xmin = floor((ex0 - r) / px) * px;
        j.ymax = ceil((ey1 + r) / px) * px;
        ncols = fmax(ceil((ex1 + r - j.xmin) / px - 1e-9), 1.0);
        nrows = fmax(ceil((j.ymax - (ey0 - r)) / px - 1e-9), 1.0);
    }
    if (ncols * nrows > 2e9 || ncols > 2e9 || nrows > 2e9)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "kde: a grid of %.0f x %.0f cells is too large; use a larger pixel "
                             "size or a smaller extent",
                             ncols, nrows);
    if (o->qgis_compat && (double)(2 * j.buffer + 1) * (2 * j.buffer + 1) > 1e9)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "kde: radius %g is %d cells of %g; use a larger pixel size", r,
                             j.buffer, px);
    j.cols = (int)ncols;
    j.rows = (int)nrows;
    if (!o->qgis_compat) {
        j.xmax = j.xmin + j.cols * px;
        j.ymin = j.ymax - j.rows * px;
    }
    raster->cols = j.cols;
    raster->rows = j.rows;
    raster->gt[0] = j.xmin;
    raster->gt[1] = px;
    raster->gt[2] = 0;
    raster->gt[3] = j.ymax;
    raster->gt[4] = 0;
    raster->gt[5] = -px;

    /* Row half-width table. QGIS: k - 1.5 cells is the least |dy| of row k;
     * exact: k - 0.5. Both with a margin; each cell is still tested. */
    {
        double off = o->qgis_compat ? 1.5 : 0.5;
        j.n_hw = (o->qgis_compat ? 2L * j.buffer + 1 : (long)ceil(r / px) + 2) + 1;
        if (!(j.hw = malloc(ctxprof_size_mul((size_t)j.n_hw + 1, sizeof *j.hw)))) {
            rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "kde: out of memory");
            goto done;
        }
        for (long k = 0; k <= j.n_hw; k++) {
            double dmin = k > off ? (k - off) * px : 0.0;
            if (dmin > r * (1 + 1e-9))
                j.hw[k] = -1;
            else
                j.hw[k] = (long)ceil(sqrt(fmax(r * r - dmin * dmin, 0.0)) / px * (1 + 1e-9)) + 1;
        }
    }
    size_t ncell = (size_t)j.cols * (size_t)j.rows;
    raster->data = malloc(ctxprof_size_mul(ncell, sizeof(float)));
    if (!raster->data) {
        rc =
            ctxprof_error(ctx, CTXPROF_E_NOMEM, "kde: no memory for %d x %d cells", j.cols, j.rows);
        goto done;
    }
    if (o->qgis_compat) {
        for (size_t c = 0; c < ncell; c++)
            raster->data[c] = CTXPROF_KDE_NODATA;
        j.out = raster->data;
    } else if (!(j.acc = calloc(ncell, sizeof(double)))) {
        rc =
            ctxprof_error(ctx, CTXPROF_E_NOMEM, "kde: no memory for %d x %d cells", j.cols, j.rows);
        goto done;
    }

    /* Bands at least as tall as a stamp, so that a stamp reaches two bands
     * at most; about eight bands per thread for balance. */
    int nthreads = ctxprof_pool_threads(o->threads, 0, SIZE_MAX);
    long stamp_rows = o->qgis_compat ? 2L * j.buffer + 1 : (long)ceil(2 * r / px) + 1;
    long bh = (j.rows + 8L * nthreads - 1) / (8L * nthreads);
    if (bh < stamp_rows)
        bh = stamp_rows;
    if (bh < 1)
        bh = 1;
    if (bh > j.rows)
        bh = j.rows;
    j.band_rows = (int)bh;
    j.n_bands = (int)((j.rows + bh - 1) / bh);
    if (nthreads > j.n_bands)
        nthreads = j.n_bands;
    raster->threads = nthreads;
    j.band_start = calloc((size_t)j.n_bands + 2, sizeof(size_t));
    if (!j.band_start) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "kde: out of memory");
        goto done;
    }
    /* Counting sort of the points into bands, stable, so that every cell
     * receives its values in input order (what QGIS's Float32 sums need). */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        long r0, r1;
        if (!point_rows(&j, i, &r0, &r1)) {
            if (o->qgis_compat)
                raster->n_dropped++;
            continue;
        }
        raster->n_stamped++;
        long b0 = r0 / bh, b1 = r1 / bh;
        if (b1 >= j.n_bands)
            b1 = j.n_bands - 1;
        for (long b = b0; b <= b1; b++) {
            j.band_start[b + 2]++;
            total++;
        }
    }
    for (int b = 0; b < j.n_bands; b++)
        j.band_start[b + 2] += j.band_start[b + 1];
    if (total && !(j.band_pts = malloc(ctxprof_size_mul(total, sizeof(uint32_t))))) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "kde: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        long r0, r1;
        if (!point_rows(&j, i, &r0, &r1))
            continue;
        long b0 = r0 / bh, b1 = r1 / bh;
        if (b1 >= j.n_bands)
            b1 = j.n_bands - 1;
        for (long b = b0; b <= b1; b++)
            j.band_pts[j.band_start[b + 1]++] = (uint32_t)i;
    }
    /* The row functions and QGIS's constant factor, as QGIS computes it. */
    int avx2 = kde_rows_have_avx2() && !getenv("CTXPROF_NO_AVX2");
    switch (o->kernel) {
    case CTXPROF_KERNEL_TRIANGULAR:
        j.qrow = avx2 ? qrow_triangular_avx2 : qrow_triangular_base;
        j.erow = avx2 ? erow_triangular_avx2 : erow_triangular_base;
        j.qconst = o->scaled && o->decay >= 0 ? 3. / ((1. + 2. * o->decay) * M_PI * pow(r, 2)) : 1.;
        break;
    case CTXPROF_KERNEL_UNIFORM:
        j.qrow = avx2 ? qrow_constant_avx2 : qrow_constant_base;
        j.erow = avx2 ? erow_uniform_avx2 : erow_uniform_base;
        j.qconst = o->scaled ? (2. / (M_PI * r)) * (0.5 / r) : 1.0;
        break;
    case CTXPROF_KERNEL_TRIWEIGHT:
        j.qrow = avx2 ? qrow_triweight_avx2 : qrow_triweight_base;
        j.erow = avx2 ? erow_triweight_avx2 : erow_triweight_base;
        j.qconst = o->scaled ? 128. / (35. * M_PI * pow(r, 2)) * (35. / 32.) : 1.;
        break;
    case CTXPROF_KERNEL_EPANECHNIKOV:
        j.qrow = avx2 ? qrow_epanechnikov_avx2 : qrow_epanechnikov_base;
        j.erow = avx2 ? erow_epanechnikov_avx2 : erow_epanechnikov_base;
        j.qconst = o->scaled ? 8. / (3. * M_PI * pow(r, 2)) * (3. / 4.) : 1.;
        break;
    default:
        j.qrow = avx2 ? qrow_quartic_avx2 : qrow_quartic_base;
        j.erow = avx2 ? erow_quartic_avx2 : erow_quartic_base;
        /* 116 where 16 belongs: QGIS 3.22's scaled quartic is 7.25 times too large. */
        j.qconst = o->scaled ? 116. / (5. * M_PI * pow(r, 2)) * (15. / 16.) : 1.;
        break;
    }
    /* The calling thread stamps too, and alone reports progress. */
    ctxprof_pool_options po = CTXPROF_POOL_OPTIONS_INIT;
    po.threads = nthreads;
    po.progress = "kernel density";
    ctxprof_progress_push(ctx, 0.0, 0.95);
    rc = ctxprof_pool_run(ctx, (size_t)j.n_bands, stamp_task, &j, &po);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    if (!o->qgis_compat)
        for (size_t c = 0; c < ncell; c++)
            raster->data[c] = (float)j.acc[c];
    rc = ctxprof_progress(ctx, 1.0, "kernel density");
done:
    free(j.acc);
    free(j.band_start);
    free(j.band_pts);
    free(j.hw);
    if (rc)
        ctxprof_raster_clear(raster);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Writing. */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

int ctxprof_raster_save(ctxprof_ctx *ctx, const ctxprof_raster *raster, const char *path,
                        const char *layer, const char *srs_wkt)
{
    int rc = 0, gpkg = ends_with(path, ".gpkg");
    GDALDatasetH ds = NULL;
    char **co = NULL;
    const char *slash = strrchr(path, '/');
    char *tmp = slash ? ctxprof_sprintf(ctx, "%.*s/.%s.tmp-%ld%s", (int)(slash - path), path,
                                        slash + 1, (long)getpid(), gpkg ? ".gpkg" : ".tif")
                      : ctxprof_sprintf(ctx, ".%s.tmp-%ld%s", path, (long)getpid(),
                                        gpkg ? ".gpkg" : ".tif");
    if (!tmp)
        return CTXPROF_E_NOMEM;
    GDALDriverH drv = GDALGetDriverByName(gpkg ? "GPKG" : "GTiff");
    if (!drv) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: GDAL has no %s driver", path,
                           gpkg ? "GPKG" : "GTiff");
        goto done;
    }
    if (gpkg) {
        co = CSLSetNameValue(co, "RASTER_TABLE", layer ? layer : "hotspot_density");
        co = CSLSetNameValue(co, "TILE_FORMAT", "TIFF");
    } else if ((size_t)raster->cols * (size_t)raster->rows * 4 > 3000000000u) {
        co = CSLSetNameValue(co, "BIGTIFF", "YES");
    }
    VSIUnlink(tmp);
    ds = GDALCreate(drv, tmp, raster->cols, raster->rows, 1, GDT_Float32, co);
    if (!ds) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create the raster", path);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    double gt[6];
    memcpy(gt, raster->gt, sizeof gt);
    GDALSetGeoTransform(ds, gt);
    if (srs_wkt && *srs_wkt)
        GDALSetProjection(ds, srs_wkt);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, raster->nodata);
    if (GDALRasterIO(band, GF_Write, 0, 0, raster->cols, raster->rows, raster->data, raster->cols,
                     raster->rows, GDT_Float32, 0, 0) != CE_None) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write the raster", path);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    CPLErrorReset();
    GDALClose(ds);
    if (CPLGetLastErrorType() >= CE_Failure) {
        ds = NULL;
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write the raster", path);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    ds = NULL;
    if (rename(tmp, path) != 0) {
        rc =
            ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot rename the finished raster into place: %s",
                          path, strerror(errno));
        goto done;
    }
done:
    if (ds)
        GDALClose(ds);
    if (rc)
        VSIUnlink(tmp);
    CSLDestroy(co);
    ctxprof_free(ctx, tmp);
    return rc;
}
