/* Helpers shared by the snap stage's files; not part of the engine API. */
#ifndef CTXPROF_CONTEXTS_INTERNAL_H
#define CTXPROF_CONTEXTS_INTERNAL_H

#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "load/taxonomy.h"
#include "snap/contexts.h"

/* A spatial reference from a user definition, traditional GIS axis order. */
OGRSpatialReferenceH ctxprof_snap_srs(const char *def);
/* Grows a layer's per-feature arrays to need (cap is the current capacity). */
int ctxprof_context_layer_reserve(ctxprof_ctx *ctx, ctxprof_context_layer *l, size_t need,
                                  size_t *cap);
void ctxprof_context_layer_clear(ctxprof_ctx *ctx, ctxprof_context_layer *l);
/* 1 when a source column would collide with a column the output writes. */
int ctxprof_snap_reserved_column(const char *name);
/* qsort comparator over char *. */
int ctxprof_snap_cmp_str(const void *a, const void *b);

/* Snap writing internals (snap_write.c), for ctxprof_snap_gpkg's copy path. */
#include "snap/snap.h"
typedef struct sqlite3 sqlite3;
int ctxprof_snap_has_temporal(const ctxprof_contexts *c);
/* A database error naming path, what failed and SQLite's message. */
int ctxprof_snap_sql_fail(ctxprof_ctx *ctx, sqlite3 *db, const char *path, const char *what);
int ctxprof_snap_write_temporal_sql(ctxprof_ctx *ctx, sqlite3 *db, const char *path,
                                    const ctxprof_contexts *c, const ctxprof_snap_result *res);
int ctxprof_snap_write_layers_ex(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_contexts *c,
                                 const ctxprof_snap_result *res, const ctxprof_snap_options *opts,
                                 int temporal);

#endif
