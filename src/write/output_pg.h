/* PostgreSQL/PostGIS backend of the output (write/output.h): the parts of
 * ctxprof_output that differ from the GeoPackage path. Private to
 * src/write/: callers use output.h only.
 *
 * Layers are written into a staging schema NAME__new through GDAL's
 * PostgreSQL driver; ctxprof_output_pg_publish then, in one transaction,
 * drops NAME and renames NAME__new to NAME. Until then NAME is untouched, so
 * a failed or killed run leaves the earlier results as they were. Rasters go
 * to GeoTIFF files beside the database, renamed into place after the commit.
 */
#ifndef CTXPROF_OUTPUT_PG_H
#define CTXPROF_OUTPUT_PG_H

#include <gdal.h>

#include "write/output.h"

typedef struct ctxprof_output_pg ctxprof_output_pg;

/* Connects (a control connection holding a per-schema advisory lock, and
 * the writing connection returned in *ds), checks PostGIS, refuses a schema
 * that ctxprof did not write, and creates the empty staging schema.
 * *display is the target as shown in messages (password hidden, schema
 * named); the caller frees it with ctxprof_free. */
int ctxprof_output_pg_open(ctxprof_ctx *ctx, ctxprof_output_pg **pg, GDALDatasetH *ds,
                           char **display, const char *target,
                           const ctxprof_output_pg_options *o);

/* The schema being written (the final name, not the staging one). */
const char *ctxprof_output_pg_schema(const ctxprof_output_pg *pg);

/* Layer creation options for GDAL's PostgreSQL driver (free with CSLDestroy). */
char **ctxprof_output_pg_layer_options(const ctxprof_output_pg *pg, OGRwkbGeometryType geom);

/* One Float32 band written to path by GDAL driver (creation options co),
 * with the geotransform, the output's CRS and NoData (output.c; shared by
 * the GeoPackage raster layers and the GeoTIFFs beside a database). */
int ctxprof_output_write_band(ctxprof_ctx *ctx, ctxprof_output *out, const char *driver,
                              char **co, const char *path, const char *display,
                              const char *name, const float *data, int cols, int rows,
                              const double gt[6], double nodata);

/* Writes a Float32 GeoTIFF to a temporary file in the raster folder and
 * names its final path in run_metadata (raster.NAME.path). */
int ctxprof_output_pg_raster(ctxprof_ctx *ctx, ctxprof_output_pg *pg, ctxprof_output *out,
                             const char *name, const float *data, int cols, int rows,
                             const double gt[6], double nodata);

/* After the writing connection is closed: replaces the schema by the
 * staging schema in one transaction, then moves the rasters into place. */
int ctxprof_output_pg_publish(ctxprof_ctx *ctx, ctxprof_output_pg *pg);

/* Rewrites the context's error, whose GDAL part may hold SQL and rows, to
 * PostgreSQL's own ERROR line, on one line, with the password hidden. */
void ctxprof_output_pg_tidy_error(ctxprof_ctx *ctx, const ctxprof_output_pg *pg);

/* Drops the staging schema and the temporary rasters unless published,
 * disconnects and frees pg. Accepts NULL. */
void ctxprof_output_pg_free(ctxprof_ctx *ctx, ctxprof_output_pg *pg);

#endif
