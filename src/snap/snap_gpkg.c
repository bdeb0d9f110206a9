/* `ctxprof snap`: the snap stage on an existing profile GeoPackage. */
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gdal.h>
#include <sqlite3.h>

#include "core/gpkg.h"
#include "core/pool.h"
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
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        const ctxprof_context_type_def *d = &ctxprof_context_types[t];
        if (strcasecmp(name, d->id_column) == 0 ||
            (d->dist_column && strcasecmp(name, d->dist_column) == 0))
            return 1;
    }
    return 0;
}

/* Layers the snap stage writes: an earlier run's are replaced. */
static int is_snap_layer(const char *name)
{
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        if (strcmp(name, ctxprof_context_types[t].layer) == 0)
            return 1;
    return strcmp(name, "temporal") == 0;
}

static int alloc_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, size_t n)
{
    size_t m = n ? n : 1;
    memset(inc, 0, sizeof *inc);
    inc->x = ctxprof_mallocarray(ctx, m, sizeof *inc->x);
    inc->y = ctxprof_mallocarray(ctx, m, sizeof *inc->y);
    inc->when = ctxprof_calloc(ctx, m, sizeof *inc->when);
    inc->cats = ctxprof_calloc(ctx, m, sizeof *inc->cats);
    inc->flags = ctxprof_calloc(ctx, m, sizeof *inc->flags);
    inc->pid = ctxprof_calloc(ctx, m, sizeof *inc->pid);
    inc->cap = m;
    return inc->x && inc->y && inc->when && inc->cats && inc->flags && inc->pid ? 0
                                                                                : CTXPROF_E_NOMEM;
}

/* Doubles the arrays of inc (and *fids), the new slots zeroed. */
static int grow_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, int64_t **fids)
{
    size_t nc = inc->cap * 2;
    void *p;
#define GROW(a)                                                                                    \
    if (!(p = ctxprof_reallocarray(ctx, inc->a, nc, sizeof *inc->a)))                              \
        return CTXPROF_E_NOMEM;                                                                    \
    inc->a = p;
    /* clang-format off */
    GROW(x) GROW(y) GROW(when) GROW(cats) GROW(flags) GROW(pid)
    /* clang-format on */
#undef GROW
        if (fids)
    {
        if (!(p = ctxprof_reallocarray(ctx, *fids, nc, sizeof **fids)))
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
static int incidents_transform(ctxprof_ctx *ctx, OGRLayerH layer, const char *path, const char *crs,
                               OGRCoordinateTransformationH *ct)
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

/* The incident fields both readers take, by name, and setting field k of
 * incident i from its text (unknown names are warned about with the fid). */
static const char *const row_fields[4] = {"categories", "flags", "pid", "occurred_at"};

static void set_field(ctxprof_ctx *ctx, ctxprof_incidents *inc, size_t i, int k, const char *v,
                      const char *path, long long fid)
{
    char bad[64];
    const char *reason;
    size_t len;
    switch (k) {
    case 0:
        if (ctxprof_taxonomy_parse(v, ctxprof_category_names, CTXPROF_N_CATEGORIES, &inc->cats[i],
                                   bad, sizeof bad))
            ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s incidents fid %lld: unknown category '%s'", path,
                        fid, bad);
        break;
    case 1:
        if (ctxprof_taxonomy_parse(v, ctxprof_flag_names, CTXPROF_N_FLAGS, &inc->flags[i], bad,
                                   sizeof bad))
            ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s incidents fid %lld: unknown flag '%s'", path,
                        fid, bad);
        break;
    case 2: /* cut to the pid's length */
        len = strnlen(v, sizeof inc->pid[i] - 1);
        memcpy(inc->pid[i], v, len);
        inc->pid[i][len] = '\0';
        break;
    default:
        if (ctxprof_date_parse(v, CTXPROF_YMD, &inc->when[i], &reason))
            memset(&inc->when[i], 0, sizeof inc->when[i]);
    }
}

/* Reads the incidents layer into plain arrays (profile CRS). */
static int read_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                          const char *path, const char *crs)
{
    OGRCoordinateTransformationH ct = NULL;
    int rc = incidents_transform(ctx, layer, path, crs, &ct);
    if (rc)
        return rc;
    GIntBig count = OGR_L_GetFeatureCount(layer, TRUE);
    if ((rc = alloc_incidents(ctx, inc, count > 0 ? (size_t)count : 0)))
        goto done;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int fi[4];
    for (int k = 0; k < 4; k++)
        fi[k] = OGR_FD_GetFieldIndex(defn, row_fields[k]);
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    size_t i = 0;
    while ((f = OGR_L_GetNextFeature(layer))) {
        if (i == inc->cap && (rc = grow_incidents(ctx, inc, NULL))) { /* count was an estimate */
            OGR_F_Destroy(f);
            goto done;
        }
        inc->x[i] = inc->y[i] = NAN;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && !OGR_G_IsEmpty(g) && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
            double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0);
            if (!ct || OCTTransform(ct, 1, &x, &y, NULL)) {
                inc->x[i] = x;
                inc->y[i] = y;
            }
        }
        for (int k = 0; k < 4; k++) /* one at a time: OGR may reuse its string */
            if (fi[k] >= 0 && OGR_F_IsFieldSetAndNotNull(f, fi[k]))
                set_field(ctx, inc, i, k, OGR_F_GetFieldAsString(f, fi[k]), path,
                          (long long)OGR_F_GetFID(f));
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
    return read_incidents(ctx, inc, layer, path, crs);
}
/* One fid range of the SQLite reader: a task of the core pool, read on its
 * thread's own context (what it logs reaches the caller in range order). */
typedef struct {
    const char *path;
    char *sql;
    OGRCoordinateTransformationH ct;
    size_t count; /* rows expected: progress and the first allocation */
    ctxprof_incidents inc;
    int64_t *fids;
} gpkg_part;

static int read_gpkg_part(ctxprof_ctx *ctx, size_t part, void *arg, void *state)
{
    (void)state;
    gpkg_part *pt = (gpkg_part *)arg + part;
    ctxprof_incidents *inc = &pt->inc;
    const char *path = pt->path;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, pt->sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot read the incidents: %s",
                              db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    if ((rc = alloc_incidents(ctx, inc, pt->count)))
        goto done;
    if (!(pt->fids = ctxprof_mallocarray(ctx, inc->cap, sizeof *pt->fids))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    size_t i = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (i == inc->cap && (rc = grow_incidents(ctx, inc, &pt->fids))) /* an estimate */
            goto done;
        int64_t fid = sqlite3_column_int64(st, 0);
        pt->fids[i] = fid;
        double x, y;
        /* as the OGR reader: a position only for a non-empty point */
        if (ctxprof_gpkg_point(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &x, &y) < 1)
            x = y = NAN;
        if (!isnan(x) && pt->ct && !OCTTransform(pt->ct, 1, &x, &y, NULL))
            x = y = NAN;
        inc->x[i] = x;
        inc->y[i] = y;
        for (int k = 0; k < 4; k++) {
            const char *v = (const char *)sqlite3_column_text(st, 2 + k);
            if (v)
                set_field(ctx, inc, i, k, v, path, (long long)fid);
        }
        i++;
        if ((i & 65535) == 0 &&
            (rc = ctxprof_progress(ctx, pt->count ? fmin(1.0, (double)i / (double)pt->count) : 0.5,
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
    return rc;
}

/* Appends the incidents (and fids) of b to a. */
static int append_part(ctxprof_ctx *ctx, gpkg_part *a, const gpkg_part *b)
{
    ctxprof_incidents *x = &a->inc;
    const ctxprof_incidents *y = &b->inc;
    while (x->cap < x->n + y->n)
        if (grow_incidents(ctx, x, &a->fids))
            return CTXPROF_E_NOMEM;
#define APPEND(f) memcpy(x->f + x->n, y->f, y->n * sizeof *x->f);
    /* clang-format off */
    APPEND(x) APPEND(y) APPEND(when) APPEND(cats) APPEND(flags) APPEND(pid)
    /* clang-format on */
#undef APPEND
        memcpy(a->fids + x->n, b->fids, y->n * sizeof *a->fids);
    x->n += y->n;
    return 0;
}

int ctxprof_snap_read_incidents_gpkg(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                                     const char *path, const char *crs, int64_t **fids)
{
    int rc = 0;
    gpkg_part part[2];
    memset(part, 0, sizeof part);
    int n_parts = 1;
    if (fids)
        *fids = NULL;
    memset(inc, 0, sizeof *inc);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const char *fidcol = OGR_L_GetFIDColumn(layer), *table = OGR_L_GetName(layer);
    sqlite3_str *q = sqlite3_str_new(NULL);
    sqlite3_str_appendf(q, "SELECT \"%w\", \"%w\"", fidcol, OGR_L_GetGeometryColumn(layer));
    for (int k = 0; k < 4; k++) {
        int fi = OGR_FD_GetFieldIndex(defn, row_fields[k]);
        if (fi >= 0)
            sqlite3_str_appendf(q, ", \"%w\"", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, fi)));
        else
            sqlite3_str_appendf(q, ", NULL");
    }
    sqlite3_str_appendf(q, " FROM \"%w\"", table);
    char *select = sqlite3_str_finish(q);
    GIntBig count = OGR_L_GetFeatureCount(layer, TRUE);
    /* Two fid ranges on two threads for a large layer (the fids of a
     * GeoPackage table are its integer primary key, so a range is cheap). */
    sqlite3_int64 lo = 0, hi = -1;
    if (select && count >= 200000 && ctxprof_pool_threads(0, 2, SIZE_MAX) >= 2) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        char *mm =
            sqlite3_mprintf("SELECT min(\"%w\"), max(\"%w\") FROM \"%w\"", fidcol, fidcol, table);
        if (mm && sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, mm, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
            lo = sqlite3_column_int64(st, 0);
            hi = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        sqlite3_free(mm);
        if (hi > lo)
            n_parts = 2;
    }
    sqlite3_int64 mid = lo + (hi - lo) / 2 + 1;
    for (int k = 0; k < n_parts && !rc; k++) {
        gpkg_part *pt = &part[k];
        pt->path = path;
        pt->count = count > 0 ? (size_t)count / (size_t)n_parts : 0;
        if (!select) {
            rc = CTXPROF_E_NOMEM;
            break;
        }
        pt->sql = n_parts == 1 ? sqlite3_mprintf("%s ORDER BY 1", select)
                  : k == 0 ? sqlite3_mprintf("%s WHERE \"%w\" < %lld ORDER BY 1", select, fidcol,
                                             (long long)mid)
                           : sqlite3_mprintf("%s WHERE \"%w\" >= %lld ORDER BY 1", select, fidcol,
                                             (long long)mid);
        if (!pt->sql)
            rc = CTXPROF_E_NOMEM;
        else
            rc = incidents_transform(ctx, layer, path, crs, &pt->ct);
    }
    if (!rc) {
        ctxprof_pool_options po = CTXPROF_POOL_OPTIONS_INIT;
        po.threads = n_parts;
        po.progress = "reading incidents";
        rc = ctxprof_pool_run(ctx, (size_t)n_parts, read_gpkg_part, part, &po);
    }
    if (!rc && n_parts == 2)
        rc = append_part(ctx, &part[0], &part[1]);
    if (!rc) {
        *inc = part[0].inc;
        memset(&part[0].inc, 0, sizeof part[0].inc);
        if (fids) {
            *fids = part[0].fids;
            part[0].fids = NULL;
        }
    }
    for (int k = 0; k < 2; k++) {
        gpkg_part *pt = &part[k];
        ctxprof_incidents_free(ctx, &pt->inc);
        ctxprof_free(ctx, pt->fids);
        sqlite3_free(pt->sql);
        if (pt->ct)
            OCTDestroyCoordinateTransformation(pt->ct);
    }
    sqlite3_free(select);
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
    for (int k = 0; k < 4; k++) {
        int fi = OGR_FD_GetFieldIndex(defn, row_fields[k]);
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
    ctxprof_column *cols = ctxprof_mallocarray(ctx, (size_t)nf + n_extra + 1, sizeof *cols);
    int *map = ctxprof_mallocarray(ctx, (size_t)nf + 1, sizeof *map);
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
            rc =
                ctxprof_progress(ctx, n_inc ? (double)i / (double)n_inc : 0.5, "writing incidents");
    }
    OGR_F_Destroy(g);
    ctxprof_free(ctx, map);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

/* The fast path for a GeoPackage input: the output starts as a copy of it
 * and the snap columns are set in place with one UPDATE, so the incidents,
 * their spatial index and every other layer are not rewritten feature by
 * feature. Both run on a second thread (the updater) while this one reads,
 * links and profiles: the copy is made while the incidents are read and
 * linked (ctxprof_output_copy_file), and the UPDATE sets each row as soon as
 * linking has reached it. The copy is then renamed into the output
 * (ctxprof_output_open_copied), which gets the temporal table by SQL and the
 * rest through GDAL. Gives the same incidents as write_incidents
 * (tests/unit/test_snap.c: test_snap_gpkg_paths_equal). The updater is a
 * pipeline stage beside this thread, not a pool of tasks: it runs on a
 * ctxprof_thread, whose context has the update's error until
 * ctxprof_thread_join moves it here. */
typedef struct {
    ctxprof_thread *thread; /* NULL once joined */
    int started;
    char *src, *path; /* the input, and its copy beside the output */
    int copy_failed;  /* the copy could not be made (err says why) */
    int rc;           /* the update's (its error is on the thread's context) */
    char err[512];
    /* The update, described by updater_go (or run on the calling thread by
     * update_incidents when there is no second thread). */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int state;     /* 0 waiting for go, 1 go, -1 stop */
    atomic_size_t linked; /* incidents 0..linked-1 have their columns */
    atomic_size_t rows;   /* rows updated, for progress */
    int done;             /* the thread has finished (under mu) */
    const char *table, *fid_col, *in;
    const int64_t *fids;
    size_t n;
    const ctxprof_extra_column *cols;
    size_t n_cols;
} updater;

typedef struct {
    updater *u;
    size_t next; /* the row after the last one looked up */
    int first;   /* the first column set: its lookup moves to the next row */
} snap_value_state;

/* Waits until incident i has its columns: 0, or -1 when told to stop. */
static int updater_wait_row(updater *u, size_t i)
{
    if (i < atomic_load(&u->linked))
        return 0;
    pthread_mutex_lock(&u->mu);
    while (i >= atomic_load(&u->linked) && u->state >= 0)
        pthread_cond_wait(&u->cv, &u->mu);
    int stop = u->state < 0;
    pthread_mutex_unlock(&u->mu);
    return stop ? -1 : 0;
}

/* ctxprof_snap_value(k, fid): column k of the incident with that fid. The
 * update visits the rows in fid order, as they were read: the next index is
 * tried first, then a binary search (the fids were read in ascending order). */
static void snap_value(sqlite3_context *sc, int argc, sqlite3_value **argv)
{
    (void)argc;
    snap_value_state *s = sqlite3_user_data(sc);
    const updater *u = s->u;
    int k = sqlite3_value_int(argv[0]);
    int64_t fid = sqlite3_value_int64(argv[1]);
    size_t i = s->next;
    if (k < 0 || (size_t)k >= u->n_cols) {
        sqlite3_result_null(sc);
        return;
    }
    if (k == s->first && i < u->n && u->fids[i] == fid)
        s->next = i + 1;
    else if (i > 0 && u->fids[i - 1] == fid)
        i--;
    else {
        size_t lo = 0, hi = u->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (u->fids[mid] < fid)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo >= u->n || u->fids[lo] != fid) {
            sqlite3_result_null(sc);
            return;
        }
        i = lo;
        if (k == s->first)
            s->next = i + 1;
    }
    /* Every column waits: SQLite computes them in the table's column
     * order, which need not be k's (a column may be there already). */
    if (updater_wait_row(s->u, i)) {
        sqlite3_result_error(sc, "cancelled", -1);
        return;
    }
    if (k == s->first)
        atomic_fetch_add(&s->u->rows, 1);
    const ctxprof_extra_column *e = &u->cols[k];
    if (e->str && e->str[i])
        sqlite3_result_text(sc, e->str[i], -1, SQLITE_STATIC);
    else if (e->i64 && e->i64[i] != INT64_MIN)
        sqlite3_result_int64(sc, e->i64[i]);
    else if (e->dbl && !isnan(e->dbl[i]))
        sqlite3_result_double(sc, e->dbl[i]);
    else
        sqlite3_result_null(sc);
}

/* Sets the snap columns of every incident of the copy db in one UPDATE (the
 * columns added first where missing) and commits. Rows not linked yet are
 * waited for (updater_wait_row). */
static int update_incidents(ctxprof_ctx *ctx, sqlite3 *db, updater *u)
{
    int rc = 0;
    sqlite3_stmt *st = NULL;
    char *sql = sqlite3_mprintf("PRAGMA table_info(\"%w\")", u->table);
    unsigned char *have = ctxprof_calloc(ctx, u->n_cols + 1, 1); /* column k exists already */
    struct {
        char *name, *def;
    } *trig = NULL;
    size_t n_trig = 0, cap_trig = 0;
    if (!have) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot read the incidents' columns");
        goto done;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        for (size_t k = 0; k < u->n_cols && name; k++)
            if (strcasecmp(name, u->cols[k].name) == 0)
                have[k] = 1;
    }
    sqlite3_finalize(st);
    st = NULL;
    sqlite3_free(sql);
    sql = NULL;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot start a transaction");
        goto done;
    }
    /* The table's triggers (the spatial index's and the feature count's)
     * call functions only GDAL defines (ST_IsEmpty, ST_MinX...): they are
     * set aside for the update, which changes neither fid nor geometry and
     * so would not fire them, and put back as they were. */
    sql = sqlite3_mprintf("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                          "lower(tbl_name) = lower(%Q) AND sql IS NOT NULL",
                          u->table);
    if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot read the incidents' triggers");
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
            rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot set a trigger aside");
            goto done;
        }
        sqlite3_free(sql);
        sql = NULL;
    }
    for (size_t k = 0; k < u->n_cols; k++) {
        if (have[k])
            continue;
        const ctxprof_extra_column *e = &u->cols[k];
        sql = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN \"%w\" %s", u->table, e->name,
                              e->str   ? "TEXT"
                              : e->i64 ? "INTEGER"
                                       : "REAL");
        if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot add a snap column to the incidents");
            goto done;
        }
        sqlite3_free(sql);
        sql = NULL;
    }
    /* One UPDATE over the whole table (in fid order); snap_value gives each
     * row's value of column k from the arrays. A column just added is null
     * already: one that stays null (its context is absent) is left out. */
    snap_value_state sv = {u, 0, -1};
    if (sqlite3_create_function(db, "ctxprof_snap_value", 2, SQLITE_UTF8, &sv, snap_value, NULL,
                                NULL) != SQLITE_OK) {
        rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot register a function");
        goto done;
    }
    sqlite3_str *q = sqlite3_str_new(db);
    sqlite3_str_appendf(q, "UPDATE \"%w\" SET ", u->table);
    int n_set = 0;
    for (size_t k = 0; k < u->n_cols; k++)
        if (have[k] || !u->cols[k].all_null) {
            if (sv.first < 0)
                sv.first = (int)k;
            sqlite3_str_appendf(q, "%s\"%w\" = ctxprof_snap_value(%d, \"%w\")", n_set++ ? ", " : "",
                                u->cols[k].name, (int)k, u->fid_col);
        }
    sql = sqlite3_str_finish(q);
    if (!sql || (n_set && sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)) {
        rc = u->state < 0 ? CTXPROF_E_CANCELLED
                          : ctxprof_snap_sql_fail(ctx, db, u->in, "cannot update the incidents");
        goto done;
    }
    for (size_t t = 0; t < n_trig; t++)
        if (sqlite3_exec(db, trig[t].def, NULL, NULL, NULL) != SQLITE_OK) {
            rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot put a trigger back");
            goto done;
        }
    sqlite3_free(sql);
    sql = sqlite3_mprintf("UPDATE gpkg_contents SET last_change = "
                          "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now') "
                          "WHERE lower(table_name) = lower(%Q)",
                          u->table);
    if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = ctxprof_snap_sql_fail(ctx, db, u->in, "cannot commit the incidents update");
done:
    sqlite3_finalize(st);
    sqlite3_free(sql);
    for (size_t t = 0; t < n_trig; t++) {
        ctxprof_free(ctx, trig[t].name);
        ctxprof_free(ctx, trig[t].def);
    }
    ctxprof_free(ctx, trig);
    ctxprof_free(ctx, have);
    return rc;
}

static int updater_run(ctxprof_ctx *ctx, void *arg)
{
    updater *u = arg;
    u->copy_failed = ctxprof_output_copy_file(u->src, u->path, u->err, sizeof u->err) != 0;
    pthread_mutex_lock(&u->mu);
    while (!u->copy_failed && u->state == 0)
        pthread_cond_wait(&u->cv, &u->mu);
    int go = !u->copy_failed && u->state > 0;
    pthread_mutex_unlock(&u->mu);
    int rc = 0;
    if (go) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(u->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
                SQLITE_OK ||
            sqlite3_exec(db, ctxprof_output_copy_pragmas, NULL, NULL, NULL) != SQLITE_OK)
            rc = ctxprof_snap_sql_fail(ctx, db, u->path, "cannot open the copy");
        else
            rc = update_incidents(ctx, db, u);
        if (sqlite3_close(db) != SQLITE_OK && !rc)
            rc = ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot close the copy", u->path);
    }
    /* Nearly every page changed: sent to disk while the calling thread
     * writes the rest (it may rename the copy meanwhile; starting the
     * writeback can take a while). */
    int fd = go && !rc ? open(u->path, O_RDONLY) : -1;
    pthread_mutex_lock(&u->mu);
    u->rc = rc;
    u->done = 1;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
    if (fd >= 0) {
        ctxprof_output_writeback(fd);
        close(fd);
    }
    return rc;
}

/* Starts the copy of in beside out on the updater's thread (when it cannot
 * start, the calling thread copies later). */
static void updater_start(ctxprof_ctx *ctx, updater *u, const char *in, const char *out)
{
    memset(u, 0, sizeof *u);
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    atomic_init(&u->linked, 0);
    atomic_init(&u->rows, 0);
    atomic_init(&u->state, 0);
    const char *slash = strrchr(out, '/');
    u->src = ctxprof_strdup(ctx, in);
    u->path = slash ? ctxprof_sprintf(ctx, "%.*s/.%s.copy-%ld.gpkg", (int)(slash - out), out,
                                      slash + 1, (long)getpid())
                    : ctxprof_sprintf(ctx, ".%s.copy-%ld.gpkg", out, (long)getpid());
    if (u->src && u->path && (u->thread = ctxprof_thread_start(ctx, updater_run, u)))
        u->started = 1;
}

/* Tells the updater to go (1) or stop (-1). */
static void updater_tell(updater *u, int state)
{
    pthread_mutex_lock(&u->mu);
    if (u->state >= 0)
        u->state = state;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
}

/* ctxprof_snap_feed: incidents 0..upto-1 have their columns. */
static void updater_linked(void *arg, size_t upto)
{
    updater *u = arg;
    atomic_store(&u->linked, upto);
    pthread_mutex_lock(&u->mu);
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
}

/* Waits until the updater is done with the copy, reporting the update's
 * progress (a cancel stops it); its thread may still be sending the copy to
 * disk (updater_end joins it). 0 when the copy was made and updated, 1 when
 * there is no copy (the calling thread copies and updates), or the error. */
static int updater_wait(ctxprof_ctx *ctx, updater *u)
{
    if (!u->started)
        return 1;
    int rc = 0, told = u->state > 0;
    for (;;) {
        if (told &&
            (rc = ctxprof_progress(ctx, (double)atomic_load(&u->rows) / (double)(u->n ? u->n : 1),
                                   "writing incidents"))) {
            updater_tell(u, -1);
            told = 0;
        }
        pthread_mutex_lock(&u->mu);
        if (!u->done) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100000000; /* 0.1 s */
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&u->cv, &u->mu, &until);
        }
        int done = u->done;
        pthread_mutex_unlock(&u->mu);
        if (done)
            break;
    }
    if (rc)
        return rc;
    if (u->rc) { /* its thread ends without a writeback: its error comes over */
        rc = ctxprof_thread_join(ctx, u->thread, 1);
        u->thread = NULL;
        return rc;
    }
    if (u->copy_failed) {
        ctxprof_log(ctx, CTXPROF_LOG_DEBUG,
                    "the copy on a second thread failed (%s): copying again", u->err);
        return 1;
    }
    return 0;
}

/* Stops the updater if it still runs and removes its copy when unused. */
static void updater_end(ctxprof_ctx *ctx, updater *u)
{
    if (u->started) {
        updater_tell(u, -1);
        ctxprof_thread_join(ctx, u->thread, 0); /* its error, if any, is not this one's */
        u->thread = NULL;
        unlink(u->path); /* not used (or already renamed: then absent) */
        pthread_mutex_destroy(&u->mu);
        pthread_cond_destroy(&u->cv);
    }
    ctxprof_free(ctx, u->src);
    ctxprof_free(ctx, u->path);
}

/* The profile on a thread of its own (with its own context) while this one
 * waits for the update. */
typedef struct {
    ctxprof_snap_result *res;
    const ctxprof_contexts *c;
    const ctxprof_incidents *inc;
} profile_job;

static int profile_run(ctxprof_ctx *ctx, void *arg)
{
    profile_job *j = arg;
    return ctxprof_snap_profile(ctx, j->res, j->c, j->inc);
}

/* What the copy gets through SQLite once it is the output: the update when
 * the updater did not make it, and the temporal table. */
typedef struct {
    updater *u;       /* NULL: updated already */
    const char *path; /* the output, for messages */
    const ctxprof_contexts *c;
    const ctxprof_snap_result *res;
    int temporal;
} copy_edit;

static int edit_copy(ctxprof_ctx *ctx, sqlite3 *db, void *arg)
{
    copy_edit *e = arg;
    int rc = e->u ? update_incidents(ctx, db, e->u) : 0;
    if (!rc && e->temporal &&
        (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
         (rc = ctxprof_snap_write_temporal_sql(ctx, db, e->path, e->c, e->res)) ||
         sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK))
        rc = rc ? rc : ctxprof_snap_sql_fail(ctx, db, e->path, "cannot write the temporal table");
    return rc;
}

int ctxprof_snap_gpkg(ctxprof_ctx *ctx, ctxprof_snap_summary *sum,
                      const ctxprof_contexts_options *co, const ctxprof_snap_options *given,
                      const char *in, const char *out_path, const char *arguments,
                      const char *profile_path)
{
    updater up = {0};
    int rc = 0;
    double t0 = now_s();
    GDALDatasetH ds = NULL;
    ctxprof_output *out = NULL;
    ctxprof_incidents inc = {0};
    int64_t *fids = NULL;
    memset(sum, 0, sizeof *sum);
    const char *crs = co->crs ? co->crs : "EPSG:27700";
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
    /* A GeoPackage whose incidents SQLite reads as OGR would, to a
     * GeoPackage output: copied and updated in place, on a second thread. */
    GDALDriverH in_drv = GDALGetDatasetDriver(ds);
    int copy = !(given && given->rewrite) && in_drv &&
               strcmp(GDALGetDriverShortName(in_drv), "GPKG") == 0 && gpkg_readable(ds, incl) &&
               (ctxprof_output_target_caps(out_path) & CTXPROF_SINK_UPDATE_COPY);
    if (copy)
        updater_start(ctx, &up, in, out_path);
    /* The contexts first: the update can start once the incidents are read. */
    ctxprof_progress_push(ctx, 0.0, 0.1);
    rc = ctxprof_contexts_load(ctx, &sum->contexts, co);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    double t1 = now_s();
    sum->seconds_contexts = t1 - t0;
    ctxprof_progress_push(ctx, 0.1, 0.3);
    rc = copy ? ctxprof_snap_read_incidents_gpkg(ctx, &inc, incl, in, crs, &fids)
              : read_incidents(ctx, &inc, incl, in, crs);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    sum->n_incidents = (int64_t)inc.n;
    sum->seconds_read = now_s() - t1;
    ctxprof_snap_options opts = CTXPROF_SNAP_OPTIONS_INIT;
    if (given)
        opts = *given;
    const ctxprof_extra_column *cols;
    size_t n_cols;
    if ((rc = ctxprof_snap_result_init(ctx, &sum->result, inc.n)) ||
        (rc = ctxprof_snap_columns(ctx, &sum->result, sum->contexts, &cols, &n_cols)))
        goto done;
    if (copy) {
        up.table = OGR_L_GetName(incl);
        up.fid_col = OGR_L_GetFIDColumn(incl);
        up.in = in;
        up.fids = fids;
        up.n = inc.n;
        up.cols = cols;
        up.n_cols = n_cols;
        updater_tell(&up, 1);
    }
    ctxprof_snap_feed feed = {updater_linked, &up};
    ctxprof_progress_push(ctx, 0.3, 0.6);
    rc = ctxprof_snap_link(ctx, &sum->result, sum->contexts, &inc, &opts,
                           copy && up.started ? &feed : NULL);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    double t2 = now_s(); /* writing: the rest of the update, then the output */
    /* The profile on a third thread while this one reports the update. */
    profile_job pj = {&sum->result, sum->contexts, &inc};
    ctxprof_thread *pt = copy && up.started ? ctxprof_thread_start(ctx, profile_run, &pj) : NULL;
    ctxprof_progress_push(ctx, 0.6, 0.8);
    int urc = copy ? updater_wait(ctx, &up) : 1;
    ctxprof_progress_pop(ctx);
    /* the update's error, when there is one, is the one kept */
    int prc = pt ? ctxprof_thread_join(ctx, pt, urc >= 0)
                 : ctxprof_snap_profile(ctx, &sum->result, sum->contexts, &inc);
    if ((rc = urc < 0 ? urc : prc))
        goto done;

    /* The copy's temporal table is written by SQL too. */
    int temporal_sql = copy && ctxprof_snap_has_temporal(sum->contexts);
    ctxprof_progress_push(ctx, 0.8, 0.95);
    if (copy) {
        copy_edit ce = {urc == 0 ? NULL : &up, out_path, sum->contexts, &sum->result, temporal_sql};
        atomic_store(&up.linked, inc.n); /* this thread updates: nothing to wait for */
        rc = urc == 0
                 ? ctxprof_output_open_copied(ctx, &out, out_path, crs, up.path, edit_copy, &ce)
                 : ctxprof_output_open_copy(ctx, &out, out_path, crs, in, edit_copy, &ce);
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
                        "%s: layer %s is not in the profile CRS %s; copied as it is", in, name,
                        crs);
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
        (rc = ctxprof_output_meta(ctx, out, "snap.profile", profile_path ? profile_path : "")))
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
    updater_end(ctx, &up);
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
