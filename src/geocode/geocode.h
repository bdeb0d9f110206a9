/* The geocoding cascade: coordinates (BNG or WGS84, swaps repaired, checked
 * against the study area) -> full postcode -> address -> bus stop, street
 * junction, named place or "on or near" street -> postcode sector or
 * district. Every result has a method and a 0-100 score; every miss a
 * reason. docs/geocoding.md describes the cascade and the scores. */
#ifndef CTXPROF_GEOCODE_H
#define CTXPROF_GEOCODE_H

#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/context.h"
#include "geocode/gazetteer.h"

typedef enum {
    CTXPROF_GC_NONE = 0,
    CTXPROF_GC_GEOMETRY,
    CTXPROF_GC_COORD_BNG,
    CTXPROF_GC_COORD_WGS84,
    CTXPROF_GC_POSTCODE,
    CTXPROF_GC_ADDRESS,
    CTXPROF_GC_STOP,
    CTXPROF_GC_JUNCTION,
    CTXPROF_GC_PLACE,
    CTXPROF_GC_STREET,
    CTXPROF_GC_SECTOR,
    CTXPROF_GC_DISTRICT,
    CTXPROF_GC_N_METHODS
} ctxprof_gc_method;

extern const char *const ctxprof_gc_method_names[CTXPROF_GC_N_METHODS];

typedef struct {
    /* Coordinates as read (NAN when absent); xy are in xy_srs (a projected
     * grid, normally BNG), lon/lat in WGS84. */
    double x, y, lon, lat;
    OGRSpatialReferenceH xy_srs; /* NULL: British National Grid */
    /* Text fields ("" when absent). */
    const char *postcode, *address, *location, *stop, *route;
} ctxprof_geo_input;

typedef struct {
    double x, y; /* profile CRS */
    ctxprof_gc_method method;
    int score;         /* 0-100 */
    int repaired;      /* coordinates swapped or in the other system */
    int published;     /* the coordinates were a point in Britain, outside the study area */
    double outside_m;  /* kept within the outside tolerance: metres outside the study area */
    double text_off_m; /* the location text places the point this much further (> text_check_m) */
    char reason[200];  /* why it failed (or what was repaired) */
} ctxprof_geo_result;

typedef struct ctxprof_geocoder ctxprof_geocoder;

/* gz may be NULL (coordinates only); study_area may be NULL (then points
 * are only checked against the range of the grid). Neither is owned. */
int ctxprof_geocoder_new(ctxprof_ctx *ctx, ctxprof_geocoder **out, const char *crs,
                         const ctxprof_gazetteer *gz, const GEOSPreparedGeometry *study_area);
void ctxprof_geocoder_free(ctxprof_ctx *ctx, ctxprof_geocoder *gc);

/* Published coordinates outside the study area by up to outside_tolerance_m
 * are kept (res->outside_m); with text_check_m > 0 a point placed by its
 * coordinates is also looked up by its location text, and a text match
 * further than that is reported (res->text_off_m). Both default to 0. */
void ctxprof_geocoder_set_checks(ctxprof_geocoder *gc, double outside_tolerance_m,
                                 double text_check_m);

/* Returns 1 when placed, 0 when not (res->reason says why). A valid pair of
 * coordinates is never replaced by the location text. */
int ctxprof_geocode(ctxprof_ctx *ctx, ctxprof_geocoder *gc, const ctxprof_geo_input *in,
                    ctxprof_geo_result *res);

/* Places a point already in the profile CRS: 1 if inside the study area. */
int ctxprof_geocoder_inside(ctxprof_ctx *ctx, const ctxprof_geocoder *gc, double x, double y);

#endif
