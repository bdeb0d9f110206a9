/* The context layers and the temporal table, written into an output. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "snap/contexts_internal.h"
#include "snap/snap.h"

/* The OGR geometry type of a layer: single when every feature is single. */
static OGRwkbGeometryType layer_geom_type(GEOSContextHandle_t h, const ctxprof_context_layer *l)
{
    int multi = 0, mixed = 0;
    for (size_t i = 0; i < l->n; i++) {
        int t = GEOSGeomTypeId_r(h, l->geom[i]);
        multi |= t == GEOS_MULTIPOINT || t == GEOS_MULTILINESTRING || t == GEOS_MULTIPOLYGON ||
                 t == GEOS_GEOMETRYCOLLECTION;
        int d = GEOSGetNumGeometries_r(h, l->geom[i]) > 0 ? GEOSGeom_getDimensions_r(h, l->geom[i])
                                                          : l->geom_dim;
        mixed |= d != l->geom_dim;
    }
    /* Points and polygons in one kind (places of concern from several
     * layers): a layer of any geometry, each feature as it was given. */
    if (mixed)
        return wkbUnknown;
    switch (l->geom_dim) {
    case 0:
        return multi ? wkbMultiPoint : wkbPoint;
    case 1:
        return multi ? wkbMultiLineString : wkbLineString;
    default:
        return multi ? wkbMultiPolygon : wkbPolygon;
    }
}

static OGRGeometryH to_ogr(GEOSContextHandle_t h, GEOSWKBWriter *w, const GEOSGeometry *g,
                           OGRwkbGeometryType want)
{
    size_t n = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(h, w, g, &n);
    if (!wkb)
        return NULL;
    OGRGeometryH og = NULL;
    if (OGR_G_CreateFromWkb(wkb, NULL, &og, (int)n) != OGRERR_NONE)
        og = NULL;
    GEOSFree_r(h, wkb);
    if (og && OGR_G_GetGeometryType(og) != want) {
        if (want == wkbMultiPolygon)
            og = OGR_G_ForceToMultiPolygon(og);
        else if (want == wkbMultiLineString)
            og = OGR_G_ForceToMultiLineString(og);
        else if (want == wkbMultiPoint)
            og = OGR_G_ForceToMultiPoint(og);
    }
    return og;
}

static int write_layer(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_contexts *c,
                       const ctxprof_snap_result *res, int t)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    const ctxprof_context_layer *l = &c->layer[t];
    const ctxprof_context_profile *p = &res->profile[t];
    enum { MAXC = 96 };
    ctxprof_column cols[MAXC];
    char names[CTXPROF_N_CATEGORIES + CTXPROF_N_FLAGS][32];
    size_t nc = 0;
    if (l->n_attrs > MAXC - 40)
        return ctxprof_error(ctx, CTXPROF_E_INPUT, "%s: the layer has too many columns (%zu)",
                             ctxprof_context_types[t].layer, l->n_attrs);
    cols[nc++] = (ctxprof_column){"id", OFTString};
    cols[nc++] = (ctxprof_column){"name", OFTString};
    size_t first_attr = nc;
    for (size_t a = 0; a < l->n_attrs; a++)
        cols[nc++] = (ctxprof_column){l->attrs[a].name, (OGRFieldType)l->attrs[a].type};
    int measure_col = -1;
    if (l->measure_kind == CTXPROF_MEASURE_HECTARES) {
        measure_col = (int)nc;
        cols[nc++] = (ctxprof_column){"area_ha", OFTReal};
    } else if (l->measure_kind == CTXPROF_MEASURE_KM) {
        measure_col = (int)nc;
        cols[nc++] = (ctxprof_column){"length_m", OFTReal};
    }
    size_t c_total = nc;
    cols[nc++] = (ctxprof_column){"n_total", OFTInteger64};
    for (int k = 0; k < CTXPROF_N_CATEGORIES; k++) {
        snprintf(names[k], sizeof names[k], "n_%s", ctxprof_category_names[k]);
        cols[nc++] = (ctxprof_column){names[k], OFTInteger64};
    }
    for (int k = 0; k < CTXPROF_N_FLAGS; k++) {
        snprintf(names[CTXPROF_N_CATEGORIES + k], sizeof names[0], "n_%s", ctxprof_flag_names[k]);
        cols[nc++] = (ctxprof_column){names[CTXPROF_N_CATEGORIES + k], OFTInteger64};
    }
    size_t c_people = nc;
    cols[nc++] = (ctxprof_column){"n_people", OFTInteger64};
    cols[nc++] = (ctxprof_column){"rate", OFTReal};
    cols[nc++] = (ctxprof_column){"rank", OFTInteger64};
    cols[nc++] = (ctxprof_column){"rate_rank", OFTInteger64};

    OGRwkbGeometryType gt = layer_geom_type(h, l);
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, ctxprof_context_types[t].layer, gt, cols, nc);
    if (rc)
        return rc;
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(h);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < l->n && !rc; i++) {
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, l->id[i]);
        if (l->name[i])
            OGR_F_SetFieldString(f, 1, l->name[i]);
        else
            OGR_F_SetFieldNull(f, 1);
        for (size_t a = 0; a < l->n_attrs; a++) {
            if (l->attrs[a].value[i])
                OGR_F_SetFieldString(f, (int)(first_attr + a), l->attrs[a].value[i]);
            else
                OGR_F_SetFieldNull(f, (int)(first_attr + a));
        }
        if (measure_col >= 0) {
            double m =
                l->measure_kind == CTXPROF_MEASURE_KM ? l->measure[i] * 1000.0 : l->measure[i];
            if (isnan(m))
                OGR_F_SetFieldNull(f, measure_col);
            else
                OGR_F_SetFieldDouble(f, measure_col, m);
        }
        size_t k = c_total;
        OGR_F_SetFieldInteger64(f, (int)k++, p->n_total[i]);
        for (int j = 0; j < CTXPROF_N_CATEGORIES; j++)
            OGR_F_SetFieldInteger64(f, (int)k++, p->n_cat[i * CTXPROF_N_CATEGORIES + (size_t)j]);
        for (int j = 0; j < CTXPROF_N_FLAGS; j++)
            OGR_F_SetFieldInteger64(f, (int)k++, p->n_flag[i * CTXPROF_N_FLAGS + (size_t)j]);
        k = c_people;
        OGR_F_SetFieldInteger64(f, (int)k++, p->n_people[i]);
        if (isnan(p->rate[i]))
            OGR_F_SetFieldNull(f, (int)k++);
        else
            OGR_F_SetFieldDouble(f, (int)k++, p->rate[i]);
        OGR_F_SetFieldInteger64(f, (int)k++, p->rank[i]);
        if (p->rate_rank[i] == INT64_MIN)
            OGR_F_SetFieldNull(f, (int)k++);
        else
            OGR_F_SetFieldInteger64(f, (int)k++, p->rate_rank[i]);
        OGRGeometryH g = to_ogr(h, w, l->geom[i], gt);
        if (!g) {
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "%s: cannot convert the geometry of %s",
                               ctxprof_context_types[t].layer, l->id[i]);
            break;
        }
        OGR_F_SetGeometryDirectly(f, g);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    GEOSWKBWriter_destroy_r(h, w);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static int write_temporal(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_contexts *c,
                          const ctxprof_snap_result *res)
{
    static const ctxprof_column cols[] = {
        {"context_type", OFTString}, {"context_id", OFTString}, {"weekday", OFTInteger},
        {"hour", OFTInteger},        {"n", OFTInteger64},
    };
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "temporal", wkbNone, cols, 5);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < res->n_temporal && !rc; i++) {
        const ctxprof_temporal_cell *tc = &res->temporal[i];
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, ctxprof_context_types[tc->type].layer);
        OGR_F_SetFieldString(f, 1, c->layer[tc->type].id[tc->feature]);
        OGR_F_SetFieldInteger(f, 2, tc->weekday);
        if (tc->hour >= 0)
            OGR_F_SetFieldInteger(f, 3, tc->hour);
        else
            OGR_F_SetFieldNull(f, 3);
        OGR_F_SetFieldInteger64(f, 4, tc->n);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static int write_meta(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_contexts *c,
                      const ctxprof_snap_result *res, const ctxprof_snap_options *o)
{
    int rc = 0;
    char key[128];
#define META(k, ...)                                                                               \
    do {                                                                                           \
        if ((rc = ctxprof_output_metaf(ctx, out, k, __VA_ARGS__)))                                 \
            return rc;                                                                             \
    } while (0)
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        if (ctxprof_context_types[t].reach_key) {
            snprintf(key, sizeof key, "snap.%s", ctxprof_context_types[t].reach_key);
            META(key, "%g", ctxprof_snap_reach(o, (int)t));
        }
    META("snap.incidents", "%zu", res->n);
    META("snap.no_position", "%lld", (long long)res->n_no_position);
    META("snap.catchments_derived", "%s",
         c->catchments_derived ? "yes (Voronoi of schools)" : "no");
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        const ctxprof_context_layer *l = &c->layer[t];
        if (!l->present)
            continue;
        const char *nm = ctxprof_context_types[t].layer;
        snprintf(key, sizeof key, "snap.%s.source", nm);
        META(key, "%s", l->source);
        snprintf(key, sizeof key, "snap.%s.features", nm);
        META(key, "%zu", l->n);
        snprintf(key, sizeof key, "snap.%s.id_field", nm);
        META(key, "%s", l->id_field ? l->id_field : "(fid)");
        snprintf(key, sizeof key, "snap.%s.repaired", nm);
        META(key, "%ld", l->n_repaired);
        snprintf(key, sizeof key, "snap.%s.skipped", nm);
        META(key, "%ld", l->n_skipped);
        snprintf(key, sizeof key, "snap.%s.merged", nm);
        META(key, "%ld", l->n_merged);
        snprintf(key, sizeof key, "snap.%s.clipped", nm);
        META(key, "%ld", l->n_clipped);
        snprintf(key, sizeof key, "snap.%s.linked_incidents", nm);
        META(key, "%lld", (long long)res->n_linked[t]);
    }
    if (c->bus_from_sequences) {
        const ctxprof_bus_counts *b = &c->bus;
        META("snap.bus.rows_read", "%lld", (long long)b->rows_read);
        META("snap.bus.rows_rejected", "%lld", (long long)b->rows_rejected);
        META("snap.bus.rows_excluded", "%lld", (long long)b->rows_excluded);
        META("snap.bus.routes", "%lld", (long long)b->routes);
        META("snap.bus.runs", "%lld", (long long)b->runs);
        META("snap.bus.single_stop_runs", "%lld", (long long)b->single_stop_runs);
        META("snap.bus.pairs", "%lld", (long long)b->pairs);
        META("snap.bus.pairs_zero_length", "%lld", (long long)b->pairs_zero_length);
        META("snap.bus.pairs_merged", "%lld", (long long)b->pairs_merged);
        META("snap.bus.segments", "%lld", (long long)b->segments);
    }
    META("time.snap_index_s", "%.3f", res->seconds_index);
    META("time.snap_link_s", "%.3f", res->seconds_snap);
    META("time.snap_profile_s", "%.3f", res->seconds_profile);
#undef META
    return 0;
}

/* Whether the snap stage writes a temporal table: only with a context. */
int ctxprof_snap_has_temporal(const ctxprof_contexts *c)
{
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        if (c->layer[t].present)
            return 1;
    return 0;
}

int ctxprof_snap_sql_fail(ctxprof_ctx *ctx, sqlite3 *db, const char *path, const char *what)
{
    return ctxprof_error(ctx, CTXPROF_E_DB, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

/* The temporal cells as a table SQLite reads (an eponymous virtual table,
 * ctxprof_temporal_cells: context_type, context_id, weekday, hour, n; rowid
 * = cell + 1), so one INSERT ... SELECT writes them all. */
typedef struct {
    ctxprof_ctx *ctx;
    const ctxprof_contexts *c;
    const ctxprof_snap_result *res;
    int rc; /* a cancel from the progress callback */
} temporal_state;

typedef struct {
    sqlite3_vtab base;
    temporal_state *s;
} cells_vtab;

typedef struct {
    sqlite3_vtab_cursor base;
    size_t i;
} cells_cursor;

static int cells_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(context_type TEXT, context_id TEXT, "
                                      "weekday INTEGER, hour INTEGER, n INTEGER)");
    if (rc != SQLITE_OK)
        return rc;
    cells_vtab *v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->s = aux;
    *out = &v->base;
    return SQLITE_OK;
}

static int cells_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int cells_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    const temporal_state *s = ((cells_vtab *)v)->s;
    info->estimatedCost = (double)s->res->n_temporal + 1;
    info->estimatedRows = (sqlite3_int64)s->res->n_temporal;
    return SQLITE_OK;
}

static int cells_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    (void)v;
    cells_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int cells_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int cells_filter(sqlite3_vtab_cursor *c, int idx, const char *idx_str, int argc,
                        sqlite3_value **argv)
{
    (void)idx;
    (void)idx_str;
    (void)argc;
    (void)argv;
    ((cells_cursor *)c)->i = 0;
    return SQLITE_OK;
}

static int cells_next(sqlite3_vtab_cursor *cur)
{
    cells_cursor *c = (cells_cursor *)cur;
    temporal_state *s = ((cells_vtab *)cur->pVtab)->s;
    if ((++c->i & 65535) == 0 &&
        (s->rc = ctxprof_progress(s->ctx, (double)c->i / (double)s->res->n_temporal,
                                  "writing the temporal table")))
        return SQLITE_ABORT;
    return SQLITE_OK;
}

static int cells_eof(sqlite3_vtab_cursor *cur)
{
    const temporal_state *s = ((cells_vtab *)cur->pVtab)->s;
    return ((cells_cursor *)cur)->i >= s->res->n_temporal;
}

static int cells_column(sqlite3_vtab_cursor *cur, sqlite3_context *sc, int k)
{
    const temporal_state *s = ((cells_vtab *)cur->pVtab)->s;
    const ctxprof_temporal_cell *tc = &s->res->temporal[((cells_cursor *)cur)->i];
    const char *id;
    switch (k) {
    case 0:
        sqlite3_result_text(sc, ctxprof_context_types[tc->type].layer, -1, SQLITE_STATIC);
        break;
    case 1:
        if ((id = s->c->layer[tc->type].id[tc->feature]))
            sqlite3_result_text(sc, id, -1, SQLITE_STATIC);
        else
            sqlite3_result_null(sc);
        break;
    case 2:
        sqlite3_result_int(sc, tc->weekday);
        break;
    case 3:
        if (tc->hour >= 0)
            sqlite3_result_int(sc, tc->hour);
        else
            sqlite3_result_null(sc);
        break;
    default:
        sqlite3_result_int64(sc, tc->n);
    }
    return SQLITE_OK;
}

static int cells_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((cells_cursor *)cur)->i + 1;
    return SQLITE_OK;
}

static sqlite3_module cells_module = {
    .xConnect = cells_connect,
    .xBestIndex = cells_best_index,
    .xDisconnect = cells_disconnect,
    .xOpen = cells_open,
    .xClose = cells_close,
    .xFilter = cells_filter,
    .xNext = cells_next,
    .xEof = cells_eof,
    .xColumn = cells_column,
    .xRowid = cells_rowid,
};

/* The temporal table written straight into a GeoPackage's SQLite database
 * (inside the caller's transaction): the table, its gpkg_contents and
 * gpkg_ogr_contents rows and its feature-count triggers exactly as GDAL's
 * GPKG driver makes them for write_temporal, the rows by one INSERT ...
 * SELECT. An earlier temporal table is dropped first. */
int ctxprof_snap_write_temporal_sql(ctxprof_ctx *ctx, sqlite3 *db, const char *path,
                                    const ctxprof_contexts *c, const ctxprof_snap_result *res)
{
    int rc = 0;
    sqlite3_stmt *st = NULL;
    static const char *const meta[] = {"gpkg_contents", "gpkg_ogr_contents", "gpkg_extensions",
                                       "gpkg_data_columns", "gpkg_metadata_reference"};
    for (size_t k = 0; k < sizeof meta / sizeof *meta; k++) {
        char *sql = sqlite3_mprintf(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(%Q)",
            meta[k]);
        int have = 0;
        if (sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
            have = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        st = NULL;
        sqlite3_free(sql);
        if (!have)
            continue;
        sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE lower(table_name) = 'temporal'", meta[k]);
        int ok = sql && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
        sqlite3_free(sql);
        if (!ok)
            return ctxprof_snap_sql_fail(ctx, db, path, "cannot drop the earlier temporal table");
    }
    if (sqlite3_exec(db,
                     "DROP TABLE IF EXISTS \"temporal\";"
                     "CREATE TABLE \"temporal\" ( \"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT "
                     "NULL, \"context_type\" TEXT, \"context_id\" TEXT, \"weekday\" MEDIUMINT, "
                     "\"hour\" MEDIUMINT, \"n\" INTEGER);",
                     NULL, NULL, NULL) != SQLITE_OK)
        return ctxprof_snap_sql_fail(ctx, db, path, "cannot create the temporal table");
    /* One INSERT ... SELECT over the cells: one statement, not one per row. */
    temporal_state ts = {ctx, c, res, 0};
    if (sqlite3_create_module(db, "ctxprof_temporal_cells", &cells_module, &ts) != SQLITE_OK ||
        sqlite3_exec(db,
                     "INSERT INTO \"temporal\" (\"fid\", \"context_type\", \"context_id\", "
                     "\"weekday\", \"hour\", \"n\") SELECT rowid, context_type, context_id, "
                     "weekday, hour, n FROM ctxprof_temporal_cells",
                     NULL, NULL, NULL) != SQLITE_OK)
        rc =
            ts.rc ? ts.rc : ctxprof_snap_sql_fail(ctx, db, path, "cannot write the temporal table");
    /* the module points at ts: gone with it */
    sqlite3_create_module(db, "ctxprof_temporal_cells", NULL, NULL);
    if (rc)
        return rc;
    char *sql = sqlite3_mprintf(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change, srs_id) VALUES ('temporal', 'attributes', 'temporal', '', "
        "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'), 0);"
        "INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES ('temporal', %lld);"
        "CREATE TRIGGER \"trigger_insert_feature_count_temporal\" AFTER INSERT ON "
        "\"temporal\" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 "
        "WHERE lower(table_name) = lower('temporal'); END;"
        "CREATE TRIGGER \"trigger_delete_feature_count_temporal\" AFTER DELETE ON "
        "\"temporal\" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 "
        "WHERE lower(table_name) = lower('temporal'); END;",
        (long long)res->n_temporal);
    if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        rc = ctxprof_snap_sql_fail(ctx, db, path, "cannot register the temporal table");
    sqlite3_free(sql);
    return rc;
}

int ctxprof_snap_write_layers(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_contexts *c,
                              const ctxprof_snap_result *res, const ctxprof_snap_options *opts)
{
    return ctxprof_snap_write_layers_ex(ctx, out, c, res, opts, 1);
}

int ctxprof_snap_write_layers_ex(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_contexts *c,
                                 const ctxprof_snap_result *res, const ctxprof_snap_options *opts,
                                 int temporal)
{
    int rc = 0;
    ctxprof_snap_options def = CTXPROF_SNAP_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    int any = 0;
    for (int t = 0; t < (int)ctxprof_n_context_types && !rc; t++)
        if (c->layer[t].present) {
            any = 1;
            rc = write_layer(ctx, out, c, res, t);
        }
    /* Without any context there is nothing to tabulate. */
    if (!rc && any && temporal)
        rc = write_temporal(ctx, out, c, res);
    if (!rc)
        rc = write_meta(ctx, out, c, res, opts);
    return rc;
}
