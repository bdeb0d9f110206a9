/* Shapefile export of a profile GeoPackage, written with shapelib, for
 * analysts whose tools want shapefiles: .shp .shx .dbf .prj (ESRI WKT) .cpg
 * (UTF-8) per layer, field names cut to ten characters with the mapping in
 * <layer>.fields.csv, one shapefile per geometry type when a layer mixes
 * types, tables as .dbf only. Every file is created owner-only (0600): the
 * export is as identifiable as the profile. See docs/export.md. */
#ifndef CTXPROF_EXPORT_SHP_H
#define CTXPROF_EXPORT_SHP_H

#include <stddef.h>

#include "core/context.h"

/* The shapefile format's limit for one .shp or .dbf: offsets are 32-bit. */
#define CTXPROF_SHP_LIMIT_DEFAULT 2147483647ULL

typedef struct {
    const char *const *layers; /* layers to export; NULL: every vector layer and table
                                  except run_metadata and ctxprof's internal tables */
    size_t n_layers;
    unsigned long long limit_bytes; /* largest .shp/.dbf allowed; 0: CTXPROF_SHP_LIMIT_DEFAULT */
} ctxprof_shp_options;
#define CTXPROF_SHP_OPTIONS_INIT                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

typedef struct {
    char *layer;       /* the GeoPackage layer */
    char *file;        /* file name without extension (e.g. "incidents_point") */
    const char *shape; /* "point", "multipoint", "line", "polygon" (Z appended) or "table" */
    long long records;
    int fields;
    unsigned long long shp_bytes, dbf_bytes; /* as written (shp_bytes 0 for a table) */
} ctxprof_shp_file;

typedef struct {
    ctxprof_shp_file *files;
    size_t n_files, cap_files;
    long long n_truncated; /* text values cut to 254 bytes */
    long long n_nulled;    /* values a DBF cannot hold (NaN, dates out of range), written NULL */
} ctxprof_shp_summary;

/* Exports the layers of gpkg into dir (created when missing). Files are
 * written into a temporary folder inside dir and renamed into place only
 * when every layer is written; nothing is written when a file would pass
 * the size limit. Warnings (truncated text) go to the context's log, naming
 * layer, fid and field, never the value. */
int ctxprof_shp_export(ctxprof_ctx *ctx, ctxprof_shp_summary *sum, const char *gpkg,
                       const char *dir, const ctxprof_shp_options *o);
void ctxprof_shp_summary_free(ctxprof_ctx *ctx, ctxprof_shp_summary *sum);

/* The name a GeoPackage column gets in a DBF: ASCII letters, digits and '_',
 * at most 10 bytes, unique among taken (case-insensitively). names[0..n) in
 * column order; out[i] receives 11 bytes. Names that already fit keep
 * themselves; longer ones are cut, and a cut that collides ends in _1, _2... */
void ctxprof_shp_field_names(const char *const *names, size_t n, char (*out)[11]);

#endif
