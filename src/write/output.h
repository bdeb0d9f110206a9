/* Output dataset: one GeoPackage written to a temporary file beside the
 * target and renamed into place by ctxprof_output_finish, so an interrupted
 * run never leaves a broken file where a good one was.
 */
#ifndef CTXPROF_OUTPUT_H
#define CTXPROF_OUTPUT_H

#include <gdal.h>
#include <ogr_api.h>

#include "core/context.h"

typedef struct {
    const char *name;
    OGRFieldType type;
} ctxprof_column;

typedef struct ctxprof_output ctxprof_output;

/* Creates the temporary GeoPackage for target (its folder is created when
 * missing). srs_def is the profile CRS (e.g. "EPSG:27700"). */
int ctxprof_output_open(ctxprof_ctx *ctx, ctxprof_output **out, const char *target,
                        const char *srs_def);
/* Edits a copy through SQLite before GDAL opens it (see open_copy). */
struct sqlite3;
typedef int (*ctxprof_output_edit_fn)(ctxprof_ctx *ctx, struct sqlite3 *db, void *arg);
/* Like ctxprof_output_open, but the temporary file starts as a copy (SQLite backup) of
 * the GeoPackage source (every layer, table and spatial index kept as they
 * are); edit (when not NULL) changes it through its own SQLite connection
 * (no journal: the file is private until finish) before GDAL opens it for
 * update. Stages that rewrite a few layers of a big output use this instead
 * of copying every feature. */
int ctxprof_output_open_copy(ctxprof_ctx *ctx, ctxprof_output **out, const char *target,
                             const char *srs_def, const char *source,
                             ctxprof_output_edit_fn edit, void *arg);
/* Removes the layer or table name when the output has it. */
int ctxprof_output_drop_layer(ctxprof_ctx *ctx, ctxprof_output *out, const char *name);
/* Creates a layer (geom wkbNone for a table) inside one transaction per
 * layer; the layer is owned by the output. */
int ctxprof_output_layer(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH *layer,
                         const char *name, OGRwkbGeometryType geom,
                         const ctxprof_column *cols, size_t n_cols);
/* Writes a feature and destroys nothing: the caller owns feat. */
int ctxprof_output_write(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH layer,
                         OGRFeatureH feat);
/* Commits the open layer transaction. */
int ctxprof_output_end_layer(ctxprof_ctx *ctx, ctxprof_output *out);
OGRSpatialReferenceH ctxprof_output_srs(const ctxprof_output *out);

/* Copies a vector layer or table of another dataset unchanged. */
int ctxprof_output_copy_layer(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH in);

/* Copies the run_metadata rows of another output, less those whose key
 * starts with one of drop (a NULL-terminated list): a stage run again
 * replaces its own rows. */
int ctxprof_output_copy_meta(ctxprof_ctx *ctx, ctxprof_output *out, GDALDatasetH in,
                             const char *const *drop);

/* Adds a run_metadata row (written by finish). */
int ctxprof_output_meta(ctxprof_ctx *ctx, ctxprof_output *out, const char *key,
                        const char *value);
int ctxprof_output_metaf(ctxprof_ctx *ctx, ctxprof_output *out, const char *key,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes run_metadata, closes the dataset and renames it onto the target. */
int ctxprof_output_finish(ctxprof_ctx *ctx, ctxprof_output *out);
/* Frees out; when finish was not reached, removes the temporary file. */
void ctxprof_output_close(ctxprof_ctx *ctx, ctxprof_output *out);

const char *ctxprof_output_target(const ctxprof_output *out);

/* Writes a Float32 raster layer (a GeoPackage tiled gridded coverage) named
 * name: cols x rows values, row 0 at the top, geotransform gt, in the
 * output's CRS, with the given NoData value. Commits the open layer first. */
int ctxprof_output_raster(ctxprof_ctx *ctx, ctxprof_output *out, const char *name,
                          const float *data, int cols, int rows, const double gt[6],
                          double nodata);

#endif
