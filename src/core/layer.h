/* Vector layers read one way, by the stages that read layers the profile
 * names (the study area, contexts, road lines): a uri as QGIS writes it,
 * "file|layername=x|subset=SQL", its subset set as the attribute filter,
 * and the transform to the profile CRS. */
#ifndef CTXPROF_LAYER_H
#define CTXPROF_LAYER_H

#include <gdal.h>
#include <ogr_srs_api.h>

#include "core/context.h"

typedef struct {
    GDALDatasetH ds;
    OGRLayerH layer;
    char *path;                      /* the file, named in messages */
    char *subset;                    /* the attribute filter (|subset= or |where=), or NULL */
    OGRCoordinateTransformationH ct; /* layer CRS -> target; NULL when they are the same */
    const char *xy_crs; /* a CSV read as points from these coordinate columns' CRS, or NULL */
} ctxprof_layer;

/* Splits uri into path, layer name and subset ("|subset=SQL" or
 * "|where=SQL", always last, as QGIS writes it); each may be NULL, all
 * allocated through the context. */
int ctxprof_split_uri_subset(ctxprof_ctx *ctx, const char *uri, char **path, char **layer,
                             char **subset);

/* Opens the layer of uri read-only. what names it in messages ("study
 * area", "schools layer"). A CSV without geometry is read as points from
 * its EASTING/NORTHING (EPSG:27700) or longitude/latitude (EPSG:4326)
 * columns. With target_crs, l->ct transforms to it; a layer with no CRS is
 * then an error unless no_crs_ok (its coordinates are taken as they are).
 * A malformed subset is an error naming it. Close with ctxprof_layer_close. */
int ctxprof_layer_open(ctxprof_ctx *ctx, ctxprof_layer *l, const char *uri, const char *what,
                       const char *target_crs, int no_crs_ok);
void ctxprof_layer_close(ctxprof_ctx *ctx, ctxprof_layer *l);

#endif
