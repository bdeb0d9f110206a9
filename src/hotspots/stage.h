/* The hotspots stage of `ctxprof run`. */
#ifndef CTXPROF_HOTSPOTS_STAGE_H
#define CTXPROF_HOTSPOTS_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "write/output.h"

/* A profile's [hotspots] settings (filled by src/profile/). */
typedef struct {
    unsigned int version;
    const char *file;       /* the profile file, named in messages */
    double radius_m;        /* kernel radius; 0 or NaN: the default rule */
    double pixel_m;         /* cell size of the density surface */
    const char *kernel;     /* kernel name, checked by ctxprof_hotspots_stage */
    double area_share;      /* share of the study area in hotspot polygons */
    double gistar_cell_m;   /* Gi* grid cell */
    double gistar_band_m;   /* Gi* distance band */
    const char *categories; /* comma list of categories, or NULL */
    const char *study_area; /* dataset uri, or NULL */
    const char *crs;        /* the profile CRS */
} ctxprof_hotspots_stage_options;

#define CTXPROF_HOTSPOTS_STAGE_OPTIONS_VERSION 1
#define CTXPROF_HOTSPOTS_STAGE_OPTIONS_INIT                                                        \
    {                                                                                              \
        .version = CTXPROF_HOTSPOTS_STAGE_OPTIONS_VERSION, .radius_m = 0, .pixel_m = 25,           \
        .kernel = "quartic", .area_share = 0.05, .gistar_cell_m = 100, .gistar_band_m = 300,       \
        .crs = "EPSG:27700"                                                                        \
    }

/* Density surface (hotspot_density), hotspot polygons (hotspots) and Gi*
 * cells (hotspot_gistar) of the n points, with the settings o; nothing
 * when n is 0. Each category of o->categories also gets a density surface
 * of its own incidents (cats: their taxonomy masks), hotspot_density_<key>,
 * with the same radius, and its hotspots (rows of hotspots whose category
 * is the key). */
int ctxprof_hotspots_stage(ctxprof_ctx *ctx, ctxprof_output *out,
                           const ctxprof_hotspots_stage_options *o, const double *x,
                           const double *y, const uint32_t *cats, size_t n);

#endif
