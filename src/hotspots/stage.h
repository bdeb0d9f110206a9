/* The hotspots stage of `ctxprof run`. */
#ifndef CTXPROF_HOTSPOTS_STAGE_H
#define CTXPROF_HOTSPOTS_STAGE_H

#include <stddef.h>

#include "core/context.h"
typedef struct ctxprof_profile ctxprof_profile; /* profile/profile.h: until this stage takes typed options */
#include "write/output.h"

/* Density surface (hotspot_density), hotspot polygons (hotspots) and Gi*
 * cells (hotspot_gistar) of the n points, with the profile's [hotspots]
 * settings; nothing when n is 0. */
int ctxprof_hotspots_stage(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_profile *p,
                           const double *x, const double *y, size_t n);

#endif
