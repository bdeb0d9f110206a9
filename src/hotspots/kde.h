/* Kernel density estimation on plain arrays of points.
 *
 * Two modes:
 *  - exact (default): every cell is evaluated at its true centre, values are
 *    summed in double precision, and the scaled kernels integrate to 1 over
 *    the plane (units: per square map unit, times the weights).
 *  - QGIS 3.22 compatible (qgis_compat): reproduces
 *    qgis:heatmapkerneldensityestimation cell for cell, including its grid,
 *    NoData mask, the vertically mirrored y distance, the stamp half-width
 *    rule, the 15/16 factor of its scaled quartic, Float32 accumulation in
 *    input order and the points it silently drops at the grid's edge.
 *    docs/hotspots.md lists the differences.
 *
 * Stamping runs on as many threads as asked (rows are split between
 * threads), its cost grows linearly with the number of points, and no
 * per-point I/O is done.
 */
#ifndef CTXPROF_KDE_H
#define CTXPROF_KDE_H

#include <stddef.h>

#include "core/context.h"

/* Same numbering as QGIS's KERNEL parameter. */
typedef enum {
    CTXPROF_KERNEL_QUARTIC = 0,
    CTXPROF_KERNEL_TRIANGULAR = 1,
    CTXPROF_KERNEL_UNIFORM = 2,
    CTXPROF_KERNEL_TRIWEIGHT = 3,
    CTXPROF_KERNEL_EPANECHNIKOV = 4
} ctxprof_kernel;

extern const char *const ctxprof_kernel_names[5];
/* Parses a kernel name ("quartic", ...); returns -1 when unknown. */
int ctxprof_kernel_parse(const char *name);

#define CTXPROF_KDE_NODATA (-9999.0f)

typedef struct {
    double radius; /* bandwidth in map units; <= 0: the default rule */
    double pixel;  /* cell size in map units (> 0) */
    ctxprof_kernel kernel;
    double decay;    /* triangular kernel only: value at the radius, relative */
    int scaled;      /* 0: raw sums of kernel values; 1: density (integrates to 1) */
    int qgis_compat; /* reproduce QGIS 3.22 (see above) */
    int has_extent;  /* use extent[] (xmin, ymin, xmax, ymax) for the grid */
    double extent[4];
    int threads; /* 0: every online core */
} ctxprof_kde_options;

#define CTXPROF_KDE_OPTIONS_INIT                                                                   \
    {                                                                                              \
        0.0, 25.0, CTXPROF_KERNEL_QUARTIC, 0.0, 0, 0, 0, {0.0, 0.0, 0.0, 0.0}, 0                   \
    }

/* A north-up Float32 raster: data[row * cols + col], row 0 at the top. */
typedef struct {
    int cols, rows;
    double gt[6]; /* GDAL geotransform */
    float *data;  /* owned; free with ctxprof_raster_clear */
    float nodata; /* CTXPROF_KDE_NODATA */
    /* What the run used and did. */
    double radius;        /* the bandwidth used */
    int radius_from_rule; /* 1 when radius came from the default rule */
    size_t n_points;      /* points given */
    size_t n_stamped;     /* points that contributed */
    size_t n_dropped;     /* qgis_compat: points QGIS 3.22 drops at the edge */
    int threads;          /* threads used */
} ctxprof_raster;

/* Computes the density surface of n points (x[i], y[i]) with weights w[i]
 * (w may be NULL: every weight 1). On success *raster owns its data (free
 * with ctxprof_raster_clear). Reports progress; cancellable. Errors:
 * CTXPROF_E_CONFIG for bad options, CTXPROF_E_INPUT for no points,
 * CTXPROF_E_NOMEM, CTXPROF_E_CANCELLED. */
int ctxprof_kde_run(ctxprof_ctx *ctx, ctxprof_raster *raster, const double *x, const double *y,
                    const double *w, size_t n, const ctxprof_kde_options *opts);

/* Sets *bandwidth to the default bandwidth (the ArcGIS rule of thumb, after
 * Silverman): 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2, with SD the standard
 * distance from the (weighted) mean centre, Dm the (weighted) median distance
 * from it and n the number of points (the sum of the weights when w is
 * given). Returns 0; CTXPROF_E_INPUT with *bandwidth 0 when it is undefined
 * (fewer than two distinct points: no spread); CTXPROF_E_NOMEM. */
int ctxprof_kde_default_bandwidth(ctxprof_ctx *ctx, double *bandwidth, const double *x,
                                  const double *y, const double *w, size_t n);

/* The kernel's value at distance d for bandwidth r as the exact mode uses
 * it (0 beyond r). Scaled values are per square map unit. */
double ctxprof_kde_kernel(ctxprof_kernel k, double d, double r, double decay, int scaled);

void ctxprof_raster_clear(ctxprof_raster *raster);

/* Writes the raster as a Float32 file with NoData -9999: a GeoTIFF, or a
 * GeoPackage raster layer named layer (default "hotspot_density") when path
 * ends in .gpkg. srs_wkt may be NULL. The file is written beside path under
 * a temporary name and renamed into place when complete. */
int ctxprof_raster_save(ctxprof_ctx *ctx, const ctxprof_raster *raster, const char *path,
                        const char *layer, const char *srs_wkt);

#endif
