/* The PostgreSQL/PostGIS sink (ctxprof_sink_pg, write/sink.h), for targets
 * "PG:" followed by a libpq connection string. Private to src/write/:
 * callers use output.h.
 *
 * Layers are written into a staging schema NAME__new through GDAL's
 * PostgreSQL driver; publish then, in one transaction, drops NAME and
 * renames NAME__new to NAME. Until then NAME is untouched, so a failed or
 * killed run leaves the earlier results as they were. Rasters go to GeoTIFF
 * files beside the database, renamed into place after the commit.
 */
#ifndef CTXPROF_SINK_PG_H
#define CTXPROF_SINK_PG_H

#include "write/sink.h"

/* A schema name made from free text such as a profile's name: lowercase
 * ASCII letters, digits and _ ("Northbrook sample" -> northbrook_sample),
 * "ctxprof" when nothing usable is left. Free with ctxprof_free. */
int ctxprof_sink_pg_schema_name(ctxprof_ctx *ctx, char **schema, const char *text);

#endif
