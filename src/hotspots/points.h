/* Points for the hotspot stage read from any OGR point layer: coordinates
 * (in a projected CRS) and optional weights, as plain arrays. */
#ifndef CTXPROF_POINTS_H
#define CTXPROF_POINTS_H

#include <stddef.h>

#include "core/context.h"

typedef struct {
    size_t n, cap;
    double *x, *y, *w;  /* w is NULL unless a weight field was read */
    char *srs_wkt;      /* the CRS of x, y (WKT), or NULL when unknown */
    int srs_geographic; /* the layer's own CRS was geographic (transformed) */
    /* Accounting: features read = points (parts of multipoints counted once
     * per part) + no_geometry; null weights count as 0. */
    long long features, no_geometry, null_weights;
    double ext[4]; /* the layer's extent as OGR reports it, in its own CRS */
    int has_ext;
} ctxprof_points;

typedef struct {
    const char *layer;      /* NULL: the first layer */
    const char *where;      /* OGR SQL attribute filter, or NULL */
    const char *weight;     /* numeric field, or NULL */
    const char *target_crs; /* e.g. "EPSG:27700"; NULL: the layer's CRS, or
                               EPSG:27700 when that is geographic */
} ctxprof_points_options;

#define CTXPROF_POINTS_OPTIONS_INIT                                                                \
    {                                                                                              \
        NULL, NULL, NULL, NULL                                                                     \
    }

/* Appends the points of path's layer to *pts (which starts zeroed; several
 * files may be appended when they share a CRS). Text files (.csv) find their
 * coordinates in Longitude/Latitude, lon/lat, x/y or Easting/Northing
 * columns. Errors name the file, the layer, the field and the feature. */
int ctxprof_points_read(ctxprof_ctx *ctx, ctxprof_points *pts, const char *path,
                        const ctxprof_points_options *opts);
void ctxprof_points_free(ctxprof_points *pts);

#endif
