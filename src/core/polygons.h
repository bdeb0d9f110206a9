/* Polygon layers read one way: one CRS rule, one make-valid method, one
 * union. The study area (load, snap, hotspots) and every polygon context go
 * through here, so that the area that filters incidents is the area the PAI
 * divides by. */
#ifndef CTXPROF_POLYGONS_H
#define CTXPROF_POLYGONS_H

#include <geos_c.h>
#include <ogr_api.h>

#include "core/context.h"

/* Returns g when valid; else warns naming what, the feature fid_text and
 * name (may be NULL), repairs it with GEOS make-valid (structure method,
 * collapsed parts dropped), destroys g, counts *n_repaired and returns the
 * repaired geometry (NULL on failure). */
GEOSGeometry *ctxprof_geom_repair(ctxprof_ctx *ctx, GEOSGeometry *g, const char *what,
                                  const char *fid_text, const char *name, long *n_repaired);

/* An OGR geometry as a GEOS one (through WKB); NULL on failure. */
GEOSGeometry *ctxprof_geos_from_ogr(ctxprof_ctx *ctx, OGRGeometryH g);

/* The union of the polygons of the layer uri ("file|layername=x"), each
 * feature transformed to crs (a layer without a CRS is an error) and
 * repaired as ctxprof_geom_repair does; lines and points in it are
 * ignored, a layer with no polygon is an error. *out is owned by the
 * caller (GEOSGeom_destroy_r). */
int ctxprof_study_area_read(ctxprof_ctx *ctx, GEOSGeometry **out, const char *uri, const char *crs);

#endif
