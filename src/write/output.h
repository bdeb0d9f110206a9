/* Output dataset: the one front end through which every stage writes its
 * layers, whatever holds them. The holder is a sink (write/sink.h), chosen
 * from the target by ctxprof_output_open: a GeoPackage written to a
 * temporary file beside the target and renamed into place by
 * ctxprof_output_finish, so an interrupted run never leaves a broken file
 * where a good one was; or a PostGIS schema ("PG:" targets), replaced as a
 * whole by ctxprof_output_finish in one transaction. What a sink can hold
 * (styles, rasters, an in-place update) is in its capabilities
 * (CTXPROF_SINK_*), which callers ask for rather than the kind of target.
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

/* What a sink can do (ctxprof_output_caps, ctxprof_output_target_caps). */
#define CTXPROF_SINK_STYLES        0x01u /* holds QGIS's default styles (layer_styles) */
#define CTXPROF_SINK_RASTER_LAYERS 0x02u /* rasters are layers of the output */
#define CTXPROF_SINK_RASTER_FILES  0x04u /* rasters are GeoTIFFs beside it (raster_dir) */
#define CTXPROF_SINK_UPDATE_COPY                                                                   \
    0x08u                         /* can start as an edited copy of a GeoPackage                   \
                                   * (ctxprof_output_open_copy, snap's update) */
#define CTXPROF_SINK_SCHEMA 0x10u /* writes into a named schema (options.schema) */
#define CTXPROF_SINK_REMOTE                                                                        \
    0x20u /* opening reaches a server: open it before long                                         \
           * work, so that a wrong connection fails at once */

/* Options of an output; every field may be left NULL. */
typedef struct {
    unsigned int version;
    /* What the output is of (a profile's name): CTXPROF_SINK_SCHEMA makes
     * the schema from it when none is given and the target names none
     * (PostgreSQL's active_schema=): lowercase ASCII letters, digits and _
     * ("Northbrook sample" -> northbrook_sample). */
    const char *name;
    /* CTXPROF_SINK_SCHEMA: the schema; NULL: as above, else "ctxprof". */
    const char *schema;
    /* CTXPROF_SINK_RASTER_FILES: the folder for the rasters ("": the
     * current folder); NULL: the folder of the first of raster_beside that
     * is a file path, not a database connection (a profile's own output,
     * the profile file), else the current folder. */
    const char *raster_dir;
    const char *raster_beside[2];
} ctxprof_output_options;
#define CTXPROF_OUTPUT_OPTIONS_VERSION 1
#define CTXPROF_OUTPUT_OPTIONS_INIT                                                                \
    {                                                                                              \
        CTXPROF_OUTPUT_OPTIONS_VERSION, NULL, NULL, NULL,                                          \
        {                                                                                          \
            NULL, NULL                                                                             \
        }                                                                                          \
    }

/* Creates the output for target in the sink its form names: a "PG:" target
 * a PostGIS schema (see below), any other a GeoPackage (its folder is
 * created when missing; written to a temporary file until finish). srs_def
 * is the profile CRS (e.g. "EPSG:27700"). */
int ctxprof_output_open(ctxprof_ctx *ctx, ctxprof_output **out, const char *target,
                        const char *srs_def);
/* The same with options (o may be NULL). */
int ctxprof_output_open_with(ctxprof_ctx *ctx, ctxprof_output **out, const char *target,
                             const char *srs_def, const ctxprof_output_options *o);
/* The capabilities (CTXPROF_SINK_*) of the sink ctxprof_output_open would
 * choose for target, known from its form alone (nothing is opened); 0 for
 * NULL. */
unsigned int ctxprof_output_target_caps(const char *target);
/* The capabilities of an open output's sink. */
unsigned int ctxprof_output_caps(const ctxprof_output *out);
/* Edits a copy through SQLite before GDAL opens it (see open_copy). */
struct sqlite3;
typedef int (*ctxprof_output_edit_fn)(ctxprof_ctx *ctx, struct sqlite3 *db, void *arg);
/* Like ctxprof_output_open, for a sink with CTXPROF_SINK_UPDATE_COPY (any
 * other is refused): the temporary file starts as a copy (SQLite backup) of
 * the GeoPackage source (every layer, table and spatial index kept as they
 * are); edit (when not NULL) changes it through its own SQLite connection
 * (no journal: the file is private until finish) before GDAL opens it for
 * update. Stages that rewrite a few layers of a big output use this instead
 * of copying every feature. */
int ctxprof_output_open_copy(ctxprof_ctx *ctx, ctxprof_output **out, const char *target,
                             const char *srs_def, const char *source, ctxprof_output_edit_fn edit,
                             void *arg);
/* Like open_copy, but copy is a private copy of the source GeoPackage made
 * by ctxprof_output_copy_file in target's folder: it is renamed into place
 * (not copied again), edited and opened. */
int ctxprof_output_open_copied(ctxprof_ctx *ctx, ctxprof_output **out, const char *target,
                               const char *srs_def, const char *copy, ctxprof_output_edit_fn edit,
                               void *arg);
/* Starts writing the changed pages of the open file fd to disk without
 * waiting for them (finish, which syncs the output before moving it into
 * place, then has less to wait for). Uses no context: any thread. */
void ctxprof_output_writeback(int fd);
/* The settings of a copy's SQLite connection for editing it (no journal,
 * no syncing: the file is private until finish; a large page cache). */
extern const char ctxprof_output_copy_pragmas[];
/* Copies the GeoPackage source to path (owner-only from its first byte)
 * with SQLite's backup API. Uses no context, so it may run on its own
 * thread (snap copies while it reads and links); 0, or -1 with a message
 * in err (the partial copy removed). */
int ctxprof_output_copy_file(const char *source, const char *path, char *err, size_t n_err);
/* Removes the layer or table name when the output has it. */
int ctxprof_output_drop_layer(ctxprof_ctx *ctx, ctxprof_output *out, const char *name);
/* Creates a layer (geom wkbNone for a table) inside one transaction per
 * layer; the layer is owned by the output. */
int ctxprof_output_layer(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH *layer, const char *name,
                         OGRwkbGeometryType geom, const ctxprof_column *cols, size_t n_cols);
/* Writes a feature and destroys nothing: the caller owns feat. */
int ctxprof_output_write(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH layer, OGRFeatureH feat);
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
int ctxprof_output_meta(ctxprof_ctx *ctx, ctxprof_output *out, const char *key, const char *value);
int ctxprof_output_metaf(ctxprof_ctx *ctx, ctxprof_output *out, const char *key, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

/* Outputs are identifiable and created owner-only (0600). A package meant
 * for sharing calls this before finish, which then leaves an ordinary file
 * (0644 less the umask). */
void ctxprof_output_set_shareable(ctxprof_output *out);

/* Writes run_metadata (and the styles, CTXPROF_SINK_STYLES), closes the
 * dataset and publishes it: renamed onto the target, or swapped for the
 * earlier schema. */
int ctxprof_output_finish(ctxprof_ctx *ctx, ctxprof_output *out);
/* Frees out; when finish was not reached, the target stays as it was (the
 * temporary file is removed, the staging schema dropped). Accepts NULL. */
void ctxprof_output_close(ctxprof_ctx *ctx, ctxprof_output *out);

const char *ctxprof_output_target(const ctxprof_output *out);

/* Writes a Float32 raster named name: cols x rows values, row 0 at the top,
 * geotransform gt, in the output's CRS, with the given NoData value.
 * Commits the open layer first. CTXPROF_SINK_RASTER_LAYERS: a layer of the
 * output (a GeoPackage tiled gridded coverage); CTXPROF_SINK_RASTER_FILES:
 * a GeoTIFF NAME.LAYER.tif in the raster folder, moved into place by
 * finish and named in run_metadata (raster.LAYER.path). */
int ctxprof_output_raster(ctxprof_ctx *ctx, ctxprof_output *out, const char *name,
                          const float *data, int cols, int rows, const double gt[6], double nodata);

/* PostgreSQL/PostGIS output: a target "PG:" followed by a libpq connection
 * string of keyword=value pairs (PG:"dbname=gis host=/run/postgresql").
 * Every layer goes into one schema, replaced as a whole by finish in one
 * transaction (a failed run leaves the earlier schema as it was); rasters go
 * to GeoTIFF files NAME.LAYER.tif in the raster folder, named in
 * run_metadata (raster.LAYER.path). See docs/output.md. */

/* A copy of text (a connection string, a command line) with the value of
 * every password=VALUE shown as ***. Free with ctxprof_free; NULL when
 * memory is exhausted. */
char *ctxprof_output_redact(ctxprof_ctx *ctx, const char *text);

#endif
