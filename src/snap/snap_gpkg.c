/* `ctxprof snap`: the snap stage on an existing profile GeoPackage. */
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gdal.h>
#include <sqlite3.h>

#include "load/date.h"
#include "snap/contexts_internal.h"
#include "snap/snap.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Columns the snap stage writes on incidents: earlier ones are replaced. */
static int is_snap_column(const char *name)
{
    static const char *const cols[] = {"catchment_id",   "school_id",          "school_dist_m",
                                       "park_id",        "park_dist_m",        "bus_segment_id",
                                       "bus_segment_dist_m", "area_code"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (strcasecmp(name, cols[i]) == 0)
            return 1;
    return 0;
}

/* Layers the snap stage writes: an earlier run's are replaced. */
static int is_snap_layer(const char *name)
{
    for (int t = 0; t < CTXPROF_CTX_N; t++)
        if (strcmp(name, ctxprof_context_layer_names[t]) == 0)
            return 1;
    return strcmp(name, "temporal") == 0;
}

static int alloc_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, size_t n)
{
    size_t m = n ? n : 1;
    memset(inc, 0, sizeof *inc);
    inc->x = ctxprof_malloc(ctx, m * sizeof *inc->x);
    inc->y = ctxprof_malloc(ctx, m * sizeof *inc->y);
    inc->when = ctxprof_calloc(ctx, m, sizeof *inc->when);
    inc->cats = ctxprof_calloc(ctx, m, sizeof *inc->cats);
    inc->flags = ctxprof_calloc(ctx, m, sizeof *inc->flags);
    inc->pid = ctxprof_calloc(ctx, m, sizeof *inc->pid);
    inc->cap = m;
    return inc->x && inc->y && inc->when && inc->cats && inc->flags && inc->pid
               ? 0
               : CTXPROF_E_NOMEM;
}

/* Doubles the arrays of inc (and *fids), the new slots zeroed. */
static int grow_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, int64_t **fids)
{
    size_t nc = inc->cap * 2;
    void *p;
#define GROW(a)                                                                                \
    if (!(p = ctxprof_realloc(ctx, inc->a, nc * sizeof *inc->a)))                              \
        return CTXPROF_E_NOMEM;                                                                \
    inc->a = p;
    GROW(x) GROW(y) GROW(when) GROW(cats) GROW(flags) GROW(pid)
#undef GROW
    if (fids) {
        if (!(p = ctxprof_realloc(ctx, *fids, nc * sizeof **fids)))
            return CTXPROF_E_NOMEM;
        *fids = p;
    }
    memset(inc->when + inc->cap, 0, (nc - inc->cap) * sizeof *inc->when);
    memset(inc->pid + inc->cap, 0, (nc - inc->cap) * sizeof *inc->pid);
    memset(inc->cats + inc->cap, 0, (nc - inc->cap) * sizeof *inc->cats);
    memset(inc->flags + inc->cap, 0, (nc - inc->cap) * sizeof *inc->flags);
    inc->cap = nc;
    return 0;
}

/* *ct from the incidents layer's CRS to the profile's, or NULL when they
 * are the same (or the layer has none). */
static int incidents_transform(ctxprof_ctx *ctx, OGRLayerH layer, const char *path,
                               const char *crs, OGRCoordinateTransformationH *ct)
{
    int rc = 0;
    *ct = NULL;
    OGRSpatialReferenceH target = ctxprof_snap_srs(crs), src = NULL;
    if (!target)
        return ctxprof_error(ctx, CTXPROF_E_CRS, "the profile CRS '%s' is unknown", crs);
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(layer);
    if (lsrs) {
        src = OSRClone(lsrs);
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        if (!OSRIsSame(src, target) && !(*ct = OCTNewCoordinateTransformation(src, target)))
            rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, 0, NULL,
                                  "cannot transform the incidents to %s", crs);
        OSRDestroySpatialReference(src);
    }
    OSRDestroySpatialReference(target);
    return rc;
}

/* Reads the incidents layer into plain arrays (profile CRS); with fids,
 * also each incident's feature id (*fids, inc->n of them, to free). */
static int read_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                          const char *path, const char *crs, int64_t **fids)
{
    OGRCoordinateTransformationH ct = NULL;
    int rc = incidents_transform(ctx, layer, path, crs, &ct);
    if (rc)
        return rc;
    GIntBig count = OGR_L_GetFeatureCount(layer, TRUE);
    if ((rc = alloc_incidents(ctx, inc, count > 0 ? (size_t)count : 0)))
        goto done;
    if (fids && !(*fids = ctxprof_malloc(ctx, inc->cap * sizeof **fids))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int f_cats = OGR_FD_GetFieldIndex(defn, "categories");
    int f_flags = OGR_FD_GetFieldIndex(defn, "flags");
    int f_pid = OGR_FD_GetFieldIndex(defn, "pid");
    int f_when = OGR_FD_GetFieldIndex(defn, "occurred_at");
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    size_t i = 0;
    char bad[64];
    while ((f = OGR_L_GetNextFeature(layer))) {
        if (i == inc->cap && (rc = grow_incidents(ctx, inc, fids))) { /* count was an estimate */
            OGR_F_Destroy(f);
            goto done;
        }
        inc->x[i] = inc->y[i] = NAN;
        if (fids)
            (*fids)[i] = OGR_F_GetFID(f);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && !OGR_G_IsEmpty(g) && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
            double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0);
            if (!ct || OCTTransform(ct, 1, &x, &y, NULL)) {
                inc->x[i] = x;
                inc->y[i] = y;
            }
        }
        if (f_cats >= 0 && OGR_F_IsFieldSetAndNotNull(f, f_cats) &&
            ctxprof_taxonomy_parse(OGR_F_GetFieldAsString(f, f_cats), ctxprof_category_names,
                                   CTXPROF_N_CATEGORIES, &inc->cats[i], bad, sizeof bad))
            ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s incidents fid %lld: unknown category '%s'",
                        path, (long long)OGR_F_GetFID(f), bad);
        if (f_flags >= 0 && OGR_F_IsFieldSetAndNotNull(f, f_flags) &&
            ctxprof_taxonomy_parse(OGR_F_GetFieldAsString(f, f_flags), ctxprof_flag_names,
                                   CTXPROF_N_FLAGS, &inc->flags[i], bad, sizeof bad))
            ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s incidents fid %lld: unknown flag '%s'", path,
                        (long long)OGR_F_GetFID(f), bad);
        if (f_pid >= 0 && OGR_F_IsFieldSetAndNotNull(f, f_pid))
            snprintf(inc->pid[i], sizeof inc->pid[i], "%s", OGR_F_GetFieldAsString(f, f_pid));
        if (f_when >= 0 && OGR_F_IsFieldSetAndNotNull(f, f_when)) {
            const char *reason;
            if (ctxprof_date_parse(OGR_F_GetFieldAsString(f, f_when), CTXPROF_YMD,
                                   &inc->when[i], &reason))
                memset(&inc->when[i], 0, sizeof inc->when[i]);
        }
        OGR_F_Destroy(f);
        i++;
        if ((i & 65535) == 0 &&
            (rc = ctxprof_progress(ctx, count > 0 ? (double)i / (double)count : 0.5,
                                   "reading incidents")))
            goto done;
    }
    inc->n = i;
done:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    return rc;
}

int ctxprof_snap_read_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                                const char *path, const char *crs)
{
    return read_incidents(ctx, inc, layer, path, crs, NULL);
}
/* A GeoPackage point's x and y, NaN for an empty or other geometry (as the
 * OGR reader: wkbFlatten(type) == wkbPoint and not empty). */
static void gpkg_point(const unsigned char *b, int n, double *x, double *y)
{
    *x = *y = NAN;
    if (!b || n < 8 || b[0] != 'G' || b[1] != 'P' || (b[3] & 0x10)) /* empty flag */
        return;
    static const int env_len[8] = {0, 32, 48, 48, 64, -1, -1, -1};
    int env = env_len[(b[3] >> 1) & 7];
    if (env < 0 || (b[3] & 0x20)) /* unknown envelope, or extended geometry */
        return;
    const unsigned char *w = b + 8 + env;
    if (n < 8 + env + 21 || w[0] > 1)
        return;
    uint32_t t;
    memcpy(&t, w + 1, 4);
    int le = w[0] == 1;
    uint16_t one = 1;
    int host_le = *(unsigned char *)&one == 1;
    if (le != host_le)
        t = __builtin_bswap32(t);
    /* Point, Point Z/M/ZM (ISO and the old 0x80000000 / 0x40000000 flags) */
    if (!(t == 1 || t == 1001 || t == 2001 || t == 3001 || (t & 0x3fffffffu) == 1))
        return;
    uint64_t u[2];
    memcpy(u, w + 5, 16);
    if (le != host_le) {
        u[0] = __builtin_bswap64(u[0]);
        u[1] = __builtin_bswap64(u[1]);
    }
    double px, py;
    memcpy(&px, &u[0], 8);
    memcpy(&py, &u[1], 8);
    if (isnan(px) && isnan(py)) /* an empty point written without the flag */
        return;
    *x = px;
    *y = py;
}

int ctxprof_snap_read_incidents_gpkg(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                                     const char *path, const char *crs, int64_t **fids)
{
    int rc = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    OGRCoordinateTransformationH ct = NULL;
    if (fids)
        *fids = NULL;
    if ((rc = incidents_transform(ctx, layer, path, crs, &ct)))
        return rc;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    static const char *const names[] = {"categories", "flags", "pid", "occurred_at"};
    sqlite3_str *q = sqlite3_str_new(NULL);
    sqlite3_str_appendf(q, "SELECT \"%w\", \"%w\"", OGR_L_GetFIDColumn(layer),
                        OGR_L_GetGeometryColumn(layer));
    for (int k = 0; k < 4; k++) {
        int fi = OGR_FD_GetFieldIndex(defn, names[k]);
        if (fi >= 0)
            sqlite3_str_appendf(q, ", \"%w\"",
                                OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, fi)));
        else
            sqlite3_str_appendf(q, ", NULL");
    }
    sqlite3_str_appendf(q, " FROM \"%w\" ORDER BY 1", OGR_L_GetName(layer));
    sql = sqlite3_str_finish(q);
    if (!sql) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot read the incidents: %s",
                              db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    GIntBig count = OGR_L_GetFeatureCount(layer, TRUE);
    if ((rc = alloc_incidents(ctx, inc, count > 0 ? (size_t)count : 0)))
        goto done;
    if (fids && !(*fids = ctxprof_malloc(ctx, inc->cap * sizeof **fids))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    size_t i = 0;
    char bad[64];
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (i == inc->cap && (rc = grow_incidents(ctx, inc, fids))) /* count was an estimate */
            goto done;
        int64_t fid = sqlite3_column_int64(st, 0);
        if (fids)
            (*fids)[i] = fid;
        double x, y;
        gpkg_point(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &x, &y);
        if (!isnan(x) && ct && !OCTTransform(ct, 1, &x, &y, NULL))
            x = y = NAN;
        inc->x[i] = x;
        inc->y[i] = y;
        const char *v;
        if ((v = (const char *)sqlite3_column_text(st, 2)) &&
            ctxprof_taxonomy_parse(v, ctxprof_category_names, CTXPROF_N_CATEGORIES, &inc->cats[i],
                                   bad, sizeof bad))
            ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s incidents fid %lld: unknown category '%s'",
                        path, (long long)fid, bad);
        if ((v = (const char *)sqlite3_column_text(st, 3)) &&
            ctxprof_taxonomy_parse(v, ctxprof_flag_names, CTXPROF_N_FLAGS, &inc->flags[i], bad,
                                   sizeof bad))
            ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s incidents fid %lld: unknown flag '%s'", path,
                        (long long)fid, bad);
        if ((v = (const char *)sqlite3_column_text(st, 4))) { /* as snprintf "%s" */
            size_t len = strnlen(v, sizeof inc->pid[i] - 1);
            memcpy(inc->pid[i], v, len);
            inc->pid[i][len] = '\0';
        }
        if ((v = (const char *)sqlite3_column_text(st, 5))) {
            const char *reason;
            if (ctxprof_date_parse(v, CTXPROF_YMD, &inc->when[i], &reason))
                memset(&inc->when[i], 0, sizeof inc->when[i]);
        }
        i++;
        if ((i & 65535) == 0 &&
            (rc = ctxprof_progress(ctx, count > 0 ? (double)i / (double)count : 0.5,
                                   "reading incidents")))
            goto done;
    }
    if (step != SQLITE_DONE) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot read the incidents: %s",
                              sqlite3_errmsg(db));
        goto done;
    }
    inc->n = i;
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    sqlite3_free(sql);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    return rc;
}

/* Whether the SQLite reader reads this layer as OGR would: a GeoPackage
 * table whose categories, flags, pid and occurred_at (where present) are
 * text, as ctxprof writes them. */
static int gpkg_readable(GDALDatasetH ds, OGRLayerH layer)
{
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    if (!drv || strcmp(GDALGetDriverShortName(drv), "GPKG") != 0 || !OGR_L_GetFIDColumn(layer) ||
        !*OGR_L_GetFIDColumn(layer) || !OGR_L_GetGeometryColumn(layer) ||
        !*OGR_L_GetGeometryColumn(layer))
        return 0;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    static const char *const names[] = {"categories", "flags", "pid", "occurred_at"};
    for (int k = 0; k < 4; k++) {
        int fi = OGR_FD_GetFieldIndex(defn, names[k]);
        if (fi >= 0 && OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, fi)) != OFTString)
            return 0;
    }
    return 1;
}

/* The incidents layer again, with the snap columns after its own. */
static int write_incidents(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH in,
                           const ctxprof_extra_column *extra, size_t n_extra, size_t n_inc)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(in);
    int nf = OGR_FD_GetFieldCount(defn), rc = 0;
    ctxprof_column *cols = ctxprof_malloc(ctx, ((size_t)nf + n_extra + 1) * sizeof *cols);
    int *map = ctxprof_malloc(ctx, ((size_t)nf + 1) * sizeof *map);
    if (!cols || !map) {
        ctxprof_free(ctx, cols);
        ctxprof_free(ctx, map);
        return CTXPROF_E_NOMEM;
    }
    size_t nc = 0;
    for (int i = 0; i < nf; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        map[i] = -1;
        if (is_snap_column(OGR_Fld_GetNameRef(fd)))
            continue;
        map[i] = (int)nc;
        cols[nc++] = (ctxprof_column){OGR_Fld_GetNameRef(fd), OGR_Fld_GetType(fd)};
    }
    size_t first_extra = nc;
    for (size_t k = 0; k < n_extra; k++)
        cols[nc++] = (ctxprof_column){extra[k].name, extra[k].str   ? OFTString
                                                      : extra[k].i64 ? OFTInteger64
                                                                     : OFTReal};
    OGRLayerH layer;
    rc = ctxprof_output_layer(ctx, out, &layer, "incidents", wkbPoint, cols, nc);
    ctxprof_free(ctx, cols);
    if (rc) {
        ctxprof_free(ctx, map);
        return rc;
    }
    OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(layer)), f;
    OGR_L_ResetReading(in);
    size_t i = 0;
    while (!rc && (f = OGR_L_GetNextFeature(in))) {
        OGR_F_SetFID(g, OGRNullFID);
        OGR_F_SetFromWithMap(g, f, TRUE, map);
        for (size_t k = 0; k < n_extra; k++) {
            int fi = (int)(first_extra + k);
            const ctxprof_extra_column *e = &extra[k];
            if (i < n_inc && e->str && e->str[i])
                OGR_F_SetFieldString(g, fi, e->str[i]);
            else if (i < n_inc && e->i64 && e->i64[i] != INT64_MIN)
                OGR_F_SetFieldInteger64(g, fi, e->i64[i]);
            else if (i < n_inc && e->dbl && !isnan(e->dbl[i]))
                OGR_F_SetFieldDouble(g, fi, e->dbl[i]);
            else
                OGR_F_SetFieldNull(g, fi);
        }
        rc = ctxprof_output_write(ctx, out, layer, g);
        OGR_F_Destroy(f);
        if (!rc && (++i & 65535) == 0)
            rc = ctxprof_progress(ctx, n_inc ? (double)i / (double)n_inc : 0.5,
                                  "writing incidents");
    }
    OGR_F_Destroy(g);
    ctxprof_free(ctx, map);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

/* The fast path for a GeoPackage input: the output starts as a copy of it
 * (ctxprof_output_open_copy) and the snap columns are set in place with one
 * UPDATE per incident, so the incidents, their spatial index and every other
 * layer are not rewritten feature by feature. Gives the same incidents as
 * write_incidents (tests/unit/test_snap.c: test_snap_gpkg_paths_equal). */
typedef struct {
    const char *table, *fid_col, *path;
    const int64_t *fids;
    size_t n;
    const ctxprof_extra_column *cols;
    size_t n_cols;
    const ctxprof_contexts *c;       /* with temporal: its table is written too */
    const ctxprof_snap_result *res;
    int temporal;
} update_arg;

static int sql_fail(ctxprof_ctx *ctx, sqlite3 *db, const char *path, const char *what)
{
    return ctxprof_error(ctx, CTXPROF_E_DB, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

typedef struct {
    const update_arg *a;
    size_t next; /* the row after the last one looked up */
    ctxprof_ctx *ctx;
    size_t rows; /* rows updated, for progress */
    int rc;      /* a cancel from the progress callback */
    int first;   /* the first column set: its lookup moves to the next row */
} snap_value_state;

/* ctxprof_snap_value(k, fid): column k of the incident with that fid. The
 * update visits the rows in fid order, as they were read: the next index is
 * tried first, then a binary search (the fids were read in ascending order). */
static void snap_value(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
    (void)argc;
    snap_value_state *s = sqlite3_user_data(sc);
    const update_arg *a = s->a;
    int k = sqlite3_value_int(argv[0]);
    int64_t fid = sqlite3_value_int64(argv[1]);
    size_t i = s->next;
    if (k < 0 || (size_t)k >= a->n_cols) {
        sqlite3_result_null(sc);
        return;
    }
    /* progress, and a cancel ends the update */
    if (k == s->first && (++s->rows & 4095) == 0 &&
        (s->rc = ctxprof_progress(s->ctx, (double)s->rows / (double)(a->n ? a->n : 1),
                                  "writing incidents"))) {
        sqlite3_result_error(sc, "cancelled", -1);
        return;
    }
    if (k == s->first && i < a->n && a->fids[i] == fid)
        s->next = i + 1;
    else if (i > 0 && a->fids[i - 1] == fid)
        i--;
    else {
        size_t lo = 0, hi = a->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (a->fids[mid] < fid)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo >= a->n || a->fids[lo] != fid) {
            sqlite3_result_null(sc);
            return;
        }
        i = lo;
        if (k == s->first)
            s->next = i + 1;
    }
    const ctxprof_extra_column *e = &a->cols[k];
    if (e->str && e->str[i])
        sqlite3_result_text(sc, e->str[i], -1, SQLITE_STATIC);
    else if (e->i64 && e->i64[i] != INT64_MIN)
        sqlite3_result_int64(sc, e->i64[i]);
    else if (e->dbl && !isnan(e->dbl[i]))
        sqlite3_result_double(sc, e->dbl[i]);
    else
        sqlite3_result_null(sc);
}

static int column_all_null(const ctxprof_extra_column *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((e->str && e->str[i]) || (e->i64 && e->i64[i] != INT64_MIN) ||
            (e->dbl && !isnan(e->dbl[i])))
            return 0;
    return 1;
}

static int update_incidents(ctxprof_ctx *ctx, sqlite3 *db, void *argp)
{
    const update_arg *a = argp;
    int rc = 0;
    sqlite3_stmt *st = NULL;
    char *sql = sqlite3_mprintf("PRAGMA table_info(\"%w\")", a->table);
    unsigned have = 0; /* bit k: column k exists already */
    struct {
        char *name, *def;
    } *trig = NULL;
    size_t n_trig = 0, cap_trig = 0;
    if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(ctx, db, a->path, "cannot read the incidents' columns");
        goto done;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        for (size_t k = 0; k < a->n_cols && name; k++)
            if (strcasecmp(name, a->cols[k].name) == 0)
                have |= 1u << k;
    }
    sqlite3_finalize(st);
    st = NULL;
    sqlite3_free(sql);
    sql = NULL;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_fail(ctx, db, a->path, "cannot start a transaction");
        goto done;
    }
    /* The table's triggers (the spatial index's and the feature count's)
     * call functions only GDAL defines (ST_IsEmpty, ST_MinX...): they are
     * set aside for the update, which changes neither fid nor geometry and
     * so would not fire them, and put back as they were. */
    sql = sqlite3_mprintf("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                          "lower(tbl_name) = lower(%Q) AND sql IS NOT NULL",
                          a->table);
    if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sql_fail(ctx, db, a->path, "cannot read the incidents' triggers");
        goto done;
    }
    while (sqlite3_step(st) == SQLITE_ROW && !rc) {
        char *name = ctxprof_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
        char *def = ctxprof_strdup(ctx, (const char *)sqlite3_column_text(st, 1));
        if (!name || !def ||
            ctxprof_grow(ctx, (void **)&trig, &cap_trig, n_trig + 1, sizeof *trig)) {
            ctxprof_free(ctx, name);
            ctxprof_free(ctx, def);
            rc = CTXPROF_E_NOMEM;
            break;
        }
        trig[n_trig].name = name;
        trig[n_trig++].def = def;
    }
    sqlite3_finalize(st);
    st = NULL;
    sqlite3_free(sql);
    sql = NULL;
    if (rc)
        goto done;
    for (size_t t = 0; t < n_trig; t++) {
        sql = sqlite3_mprintf("DROP TRIGGER \"%w\"", trig[t].name);
        if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            rc = sql_fail(ctx, db, a->path, "cannot set a trigger aside");
            goto done;
        }
        sqlite3_free(sql);
        sql = NULL;
    }
    for (size_t k = 0; k < a->n_cols; k++) {
        if (have & (1u << k))
            continue;
        const ctxprof_extra_column *e = &a->cols[k];
        sql = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN \"%w\" %s", a->table, e->name,
                              e->str ? "TEXT" : e->i64 ? "INTEGER" : "REAL");
        if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            rc = sql_fail(ctx, db, a->path, "cannot add a snap column to the incidents");
            goto done;
        }
        sqlite3_free(sql);
        sql = NULL;
    }
    /* One UPDATE over the whole table (in fid order); snap_value gives each
     * row's value of column k from the arrays. A column just added is null
     * already: one with no value (its context is absent) is left out. */
    snap_value_state sv = {a, 0, ctx, 0, 0, -1};
    if (sqlite3_create_function(db, "ctxprof_snap_value", 2, SQLITE_UTF8, &sv, snap_value, NULL,
                                NULL) != SQLITE_OK) {
        rc = sql_fail(ctx, db, a->path, "cannot register a function");
        goto done;
    }
    sqlite3_str *q = sqlite3_str_new(db);
    sqlite3_str_appendf(q, "UPDATE \"%w\" SET ", a->table);
    int n_set = 0;
    for (size_t k = 0; k < a->n_cols; k++)
        if ((have & (1u << k)) || !column_all_null(&a->cols[k], a->n)) {
            if (sv.first < 0)
                sv.first = (int)k;
            sqlite3_str_appendf(q, "%s\"%w\" = ctxprof_snap_value(%d, \"%w\")",
                                n_set++ ? ", " : "", a->cols[k].name, (int)k, a->fid_col);
        }
    sql = sqlite3_str_finish(q);
    if (!sql || (n_set && sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)) {
        rc = sv.rc ? sv.rc : sql_fail(ctx, db, a->path, "cannot update the incidents");
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
    for (size_t t = 0; t < n_trig; t++)
        if (sqlite3_exec(db, trig[t].def, NULL, NULL, NULL) != SQLITE_OK) {
            rc = sql_fail(ctx, db, a->path, "cannot put a trigger back");
            goto done;
        }
    sqlite3_free(sql);
    sql = sqlite3_mprintf("UPDATE gpkg_contents SET last_change = "
                          "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now') "
                          "WHERE lower(table_name) = lower(%Q)",
                          a->table);
    if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_fail(ctx, db, a->path, "cannot commit the incidents update");
        goto done;
    }
    if (a->temporal) {
        if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
            (rc = ctxprof_snap_write_temporal_sql(ctx, db, a->path, a->c, a->res)) ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            rc = rc ? rc : sql_fail(ctx, db, a->path, "cannot write the temporal table");
    }
done:
    sqlite3_finalize(st);
    sqlite3_free(sql);
    for (size_t t = 0; t < n_trig; t++) {
        ctxprof_free(ctx, trig[t].name);
        ctxprof_free(ctx, trig[t].def);
    }
    ctxprof_free(ctx, trig);
    return rc;
}

/* The copy of the input made on its own thread while the incidents are read
 * and linked (ctxprof_output_copy_file), then renamed into the output. */
typedef struct {
    pthread_t thread;
    int started, joined, rc;
    char *src, *path;
    char err[512];
} early_copy;

static void *early_copy_run(void *arg)
{
    early_copy *e = arg;
    e->rc = ctxprof_output_copy_file(e->src, e->path, e->err, sizeof e->err);
    return NULL;
}

static void early_copy_start(ctxprof_ctx *ctx, early_copy *e, const char *in, const char *out)
{
    memset(e, 0, sizeof *e);
    const char *slash = strrchr(out, '/');
    e->src = ctxprof_strdup(ctx, in);
    e->path = slash ? ctxprof_sprintf(ctx, "%.*s/.%s.copy-%ld.gpkg", (int)(slash - out), out,
                                      slash + 1, (long)getpid())
                    : ctxprof_sprintf(ctx, ".%s.copy-%ld.gpkg", out, (long)getpid());
    if (e->src && e->path && pthread_create(&e->thread, NULL, early_copy_run, e) == 0)
        e->started = 1;
}

/* Waits for the copy: 0 when it is there to use. */
static int early_copy_join(early_copy *e)
{
    if (e->started && !e->joined) {
        pthread_join(e->thread, NULL);
        e->joined = 1;
    }
    return e->started && e->rc == 0 ? 0 : -1;
}

static void early_copy_end(ctxprof_ctx *ctx, early_copy *e)
{
    if (early_copy_join(e) == 0)
        unlink(e->path); /* not used (or already renamed: then absent) */
    ctxprof_free(ctx, e->src);
    ctxprof_free(ctx, e->path);
}

int ctxprof_snap_gpkg(ctxprof_ctx *ctx, ctxprof_snap_summary *sum, const ctxprof_profile *p,
                      const ctxprof_snap_options *given, const char *in, const char *out_path,
                      const char *arguments)
{
    early_copy ec = {0};
    int rc = 0;
    double t0 = now_s();
    GDALDatasetH ds = NULL;
    ctxprof_output *out = NULL;
    ctxprof_incidents inc = {0};
    int64_t *fids = NULL;
    memset(sum, 0, sizeof *sum);
    const char *crs = ctxprof_profile_str(p, "profile", "crs");
    ds = GDALOpenEx(in, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, in, 0, NULL, "cannot open the profile GeoPackage");
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    OGRLayerH incl = GDALDatasetGetLayerByName(ds, "incidents");
    if (!incl) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, in, 0, NULL,
                              "no incidents layer: give a GeoPackage written by 'ctxprof run'");
        goto done;
    }
    /* A GeoPackage input to a GeoPackage output is copied on a second
     * thread meanwhile (used when the copy path is taken below). */
    GDALDriverH in_drv = GDALGetDatasetDriver(ds);
    if (!(given && given->rewrite) && in_drv &&
        strcmp(GDALGetDriverShortName(in_drv), "GPKG") == 0 && !ctxprof_output_is_pg(out_path))
        early_copy_start(ctx, &ec, in, out_path);
    ctxprof_progress_push(ctx, 0.0, 0.2);
    rc = (given && given->rewrite) || !gpkg_readable(ds, incl)
             ? read_incidents(ctx, &inc, incl, in, crs, &fids)
             : ctxprof_snap_read_incidents_gpkg(ctx, &inc, incl, in, crs, &fids);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    sum->n_incidents = (int64_t)inc.n;
    double t1 = now_s();
    sum->seconds_read = t1 - t0;

    ctxprof_progress_push(ctx, 0.2, 0.3);
    rc = ctxprof_contexts_load(ctx, &sum->contexts, p);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    sum->seconds_contexts = now_s() - t1;
    ctxprof_snap_options opts = CTXPROF_SNAP_OPTIONS_INIT;
    if (given)
        opts = *given;
    else
        ctxprof_snap_options_from_profile(&opts, p);
    ctxprof_progress_push(ctx, 0.3, 0.6);
    rc = ctxprof_snap_run(ctx, &sum->result, sum->contexts, &inc, &opts);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;

    double t2 = now_s();
    const ctxprof_extra_column *cols;
    size_t n_cols;
    if ((rc = ctxprof_snap_columns(ctx, &sum->result, sum->contexts, &cols, &n_cols)))
        goto done;
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    int copy = !opts.rewrite && drv && strcmp(GDALGetDriverShortName(drv), "GPKG") == 0 &&
               OGR_L_GetFIDColumn(incl) && *OGR_L_GetFIDColumn(incl) &&
               n_cols <= 8 * sizeof(unsigned);
    for (size_t i = 1; i < inc.n && copy; i++) /* the update looks fids up in order */
        copy = fids[i - 1] < fids[i];
    /* The copy's temporal table is written with the incidents' update. */
    int temporal_sql = copy && ctxprof_snap_has_temporal(sum->contexts);
    ctxprof_progress_push(ctx, 0.6, 0.95);
    if (copy) {
        update_arg ua = {OGR_L_GetName(incl), OGR_L_GetFIDColumn(incl), in, fids, inc.n,
                         cols, n_cols, sum->contexts, &sum->result, temporal_sql};
        rc = early_copy_join(&ec) == 0
                 ? ctxprof_output_open_copied(ctx, &out, out_path, crs, ec.path, update_incidents,
                                              &ua)
                 : ctxprof_output_open_copy(ctx, &out, out_path, crs, in, update_incidents, &ua);
    } else
        rc = ctxprof_output_open(ctx, &out, out_path, crs);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds) && !rc; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(l);
        if (strcmp(name, "incidents") == 0)
            continue;
        if (strcmp(name, "run_metadata") == 0 || is_snap_layer(name)) {
            if (copy && !(temporal_sql && strcmp(name, "temporal") == 0)) /* replaced below */
                rc = ctxprof_output_drop_layer(ctx, out, name);
            continue;
        }
        OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(l);
        if (ls && !OSRIsSame(ls, ctxprof_output_srs(out)))
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "%s: layer %s is not in the profile CRS %s; copied as it is", in, name, crs);
        if (copy || !(rc = ctxprof_output_copy_layer(ctx, out, l)))
            sum->n_layers_copied++;
    }
    if (rc)
        goto done;
    static const char *const drop[] = {"snap.", "time.snap", NULL};
    if ((rc = ctxprof_output_copy_meta(ctx, out, ds, drop)))
        goto done;
    if ((rc = ctxprof_output_meta(ctx, out, "snap.arguments", arguments ? arguments : "snap")) ||
        (rc = ctxprof_output_meta(ctx, out, "snap.input", in)) ||
        (rc = ctxprof_output_meta(ctx, out, "snap.profile", ctxprof_profile_path(p))))
        goto done;
    if (!copy) {
        ctxprof_progress_push(ctx, 0.65, 0.95);
        rc = write_incidents(ctx, out, incl, cols, n_cols, inc.n);
        ctxprof_progress_pop(ctx);
        if (rc)
            goto done;
    }
    if ((rc = ctxprof_snap_write_layers_ex(ctx, out, sum->contexts, &sum->result, &opts,
                                           !temporal_sql)))
        goto done;
    GDALClose(ds);
    ds = NULL;
    sum->seconds_write = now_s() - t2;
    sum->seconds_total = now_s() - t0;
    if ((rc = ctxprof_output_metaf(ctx, out, "time.snap_total_s", "%.3f", sum->seconds_total)) ||
        (rc = ctxprof_output_finish(ctx, out)))
        goto done;
    rc = ctxprof_progress(ctx, 1.0, "done");
done:
    early_copy_end(ctx, &ec);
    ctxprof_output_close(ctx, out);
    if (ds)
        GDALClose(ds);
    ctxprof_incidents_free(ctx, &inc);
    ctxprof_free(ctx, fids);
    if (rc)
        ctxprof_snap_summary_free(ctx, sum);
    return rc;
}

void ctxprof_snap_summary_free(ctxprof_ctx *ctx, ctxprof_snap_summary *sum)
{
    ctxprof_snap_result_free(ctx, &sum->result);
    ctxprof_contexts_free(ctx, sum->contexts);
    sum->contexts = NULL;
}
