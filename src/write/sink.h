/* Output sinks: where an output's layers go. ctxprof_output (output.h) is
 * the one front end the stages call; a sink is one back end behind it, a
 * table of functions in the manner of SQLite's sqlite3_io_methods: an
 * implementation's own struct starts with a ctxprof_sink, whose ops the
 * front end calls and nothing else. What a sink can hold is in its
 * capabilities (CTXPROF_SINK_*, output.h); the optional functions that go
 * with them are NULL when a sink has not got them.
 *
 * The sinks are listed once, in sink.c (ctxprof_sink_for picks one from the
 * target): a GeoPackage file (sink_gpkg.c) and a PostGIS schema
 * (sink_pg.c). Private to src/write/: callers use output.h.
 */
#ifndef CTXPROF_SINK_H
#define CTXPROF_SINK_H

#include <gdal.h>
#include <ogr_api.h>

#include "write/output.h"

typedef struct ctxprof_sink_ops ctxprof_sink_ops;

/* The part every sink shares; its own struct starts with one. */
typedef struct {
    const ctxprof_sink_ops *ops;
    ctxprof_output *out; /* the front end: a sink adds run_metadata rows with
                          * ctxprof_output_meta(ctx, sink->out, ...) */
    char *display;       /* the target as shown in messages (a password hidden) */
    GDALDatasetH ds;     /* the vector dataset written by the ctxprof_sink_gdal_*
                          * helpers below; NULL once closed */
    int in_transaction;  /* a layer's transaction is open on ds */
} ctxprof_sink;

struct ctxprof_sink_ops {
    const char *name;  /* "GeoPackage", "PostGIS" */
    unsigned int caps; /* CTXPROF_SINK_* */
    /* Nonzero when target is one of this sink's (PostGIS: "PG:..."); NULL
     * takes every target (the file sink, last in sink.c's table). */
    int (*accepts)(const char *target);

    /* Creates an empty output for target, ready for layers; *sink (NULL on
     * failure, when nothing is left behind) is freed by close. o is never
     * NULL. */
    int (*open)(ctxprof_ctx *ctx, ctxprof_sink **sink, ctxprof_output *out, const char *target,
                const ctxprof_output_options *o);
    /* CTXPROF_SINK_UPDATE_COPY, else NULL: the output starts as a copy of
     * the GeoPackage source (move: source is a private copy, renamed rather
     * than copied), edited by edit through SQLite before it is opened (see
     * ctxprof_output_open_copy). */
    int (*open_copy)(ctxprof_ctx *ctx, ctxprof_sink **sink, ctxprof_output *out, const char *target,
                     const ctxprof_output_options *o, const char *source,
                     ctxprof_output_edit_fn edit, void *arg, int move);

    /* A layer (geom wkbNone: a table; srs NULL then) with its fields, and
     * its transaction started; the layer belongs to the sink. */
    int (*create_layer)(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH *layer, const char *name,
                        OGRwkbGeometryType geom, OGRSpatialReferenceH srs,
                        const ctxprof_column *cols, size_t n_cols);
    /* One row of layer; the caller keeps feat. */
    int (*write)(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH layer, OGRFeatureH feat);
    /* Commits the open layer transaction (none open: 0). */
    int (*commit)(ctxprof_ctx *ctx, ctxprof_sink *sink);
    /* Removes a layer or table when there is one (no transaction open). */
    int (*drop_layer)(ctxprof_ctx *ctx, ctxprof_sink *sink, const char *name);

    /* A Float32 raster named name (no transaction open): cols x rows values,
     * row 0 at the top, in srs. CTXPROF_SINK_RASTER_LAYERS: a layer of the
     * output; CTXPROF_SINK_RASTER_FILES: a GeoTIFF beside it, named in
     * run_metadata. NULL when the sink holds no rasters. */
    int (*raster)(ctxprof_ctx *ctx, ctxprof_sink *sink, const char *name, const float *data,
                  int cols, int rows, const double gt[6], OGRSpatialReferenceH srs, double nodata);
    /* CTXPROF_SINK_STYLES, else NULL: QGIS's default styles of the layers
     * written into the output (layer_styles), after the last layer. */
    int (*styles)(ctxprof_ctx *ctx, ctxprof_sink *sink);

    /* Closes the dataset and puts the complete output where readers see
     * it, in one step (a file renamed onto the target; a staging schema
     * swapped for the schema). shareable: an ordinary file mode rather
     * than owner-only, where the sink has modes. */
    int (*publish)(ctxprof_ctx *ctx, ctxprof_sink *sink, int shareable);
    /* Undoes what publish has not made visible: the target stays as it was
     * (a temporary file removed, a staging schema dropped). */
    void (*abort)(ctxprof_ctx *ctx, ctxprof_sink *sink);
    /* Frees the sink (after publish or abort). */
    void (*close)(ctxprof_ctx *ctx, ctxprof_sink *sink);
};

extern const ctxprof_sink_ops ctxprof_sink_gpkg;
extern const ctxprof_sink_ops ctxprof_sink_pg;

/* The factory: the sink for target, by its form alone (nothing is opened
 * or connected); NULL for a NULL target. */
const ctxprof_sink_ops *ctxprof_sink_for(const char *target);

/* GDAL vector writing shared by the sinks that write through GDAL (both
 * built-in ones): messages name sink->display. opts are the driver's layer
 * creation options. */
int ctxprof_sink_gdal_create_layer(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH *layer,
                                   const char *name, OGRwkbGeometryType geom,
                                   OGRSpatialReferenceH srs, const ctxprof_column *cols,
                                   size_t n_cols, char **opts);
int ctxprof_sink_gdal_write(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH layer,
                            OGRFeatureH feat);
int ctxprof_sink_gdal_commit(ctxprof_ctx *ctx, ctxprof_sink *sink);
int ctxprof_sink_gdal_drop_layer(ctxprof_ctx *ctx, ctxprof_sink *sink, const char *name);
/* Closes ds; a failure while closing (GDAL writes at close) is an error. */
int ctxprof_sink_gdal_close(ctxprof_ctx *ctx, ctxprof_sink *sink);
/* Rolls back an open transaction and closes ds, quietly (abort). */
void ctxprof_sink_gdal_discard(ctxprof_sink *sink);

/* One Float32 band written to path by GDAL driver (creation options co),
 * with the geotransform, srs and NoData; errors name display and name. */
int ctxprof_sink_write_band(ctxprof_ctx *ctx, const char *driver, char **co, const char *path,
                            const char *display, const char *name, const float *data, int cols,
                            int rows, const double gt[6], OGRSpatialReferenceH srs, double nodata);

#endif
