#include "hotspots/points.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>

#include "core/gpkg.h"
#include "core/pool.h"

void ctxprof_points_free(ctxprof_points *pts)
{
    if (!pts)
        return;
    free(pts->x);
    free(pts->y);
    free(pts->w);
    CPLFree(pts->srs_wkt);
    memset(pts, 0, sizeof *pts);
}

/* Room for one more point: 0, or -1 when memory is out (any thread). */
static int grow_arrays(ctxprof_points *p, int weighted)
{
    if (p->n < p->cap)
        return 0;
    size_t cap = p->cap ? p->cap * 2 : 4096;
    double *x = realloc(p->x, ctxprof_size_mul(cap, sizeof *x));
    if (x)
        p->x = x;
    double *y = realloc(p->y, ctxprof_size_mul(cap, sizeof *y));
    if (y)
        p->y = y;
    double *w = weighted ? realloc(p->w, ctxprof_size_mul(cap, sizeof *w)) : NULL;
    if (w)
        p->w = w;
    if (!x || !y || (weighted && !w))
        return -1;
    p->cap = cap;
    return 0;
}

static int grow(ctxprof_ctx *ctx, ctxprof_points *p, int weighted)
{
    return grow_arrays(p, weighted)
               ? ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory reading points")
               : 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static int add_point(ctxprof_ctx *ctx, ctxprof_points *p, double x, double y, double w,
                     int weighted)
{
    int rc;
    if ((rc = grow(ctx, p, weighted)))
        return rc;
    p->x[p->n] = x;
    p->y[p->n] = y;
    if (weighted)
        p->w[p->n] = w;
    p->n++;
    return 0;
}

/* Parallel reading of a GeoPackage layer: FID ranges read straight
 * through SQLite on their own connections, then joined in FID order, the
 * order a sequential read gives. Points only, no weights, no filter, no
 * transformation; a geometry that is not a plain point (or a blob GDAL must
 * read) sends the caller back to the sequential reader. */
typedef struct {
    const char *path, *layer, *fidcol, *geomcol;
    long long lo, hi; /* [lo, hi) */
    ctxprof_points pts;
    int failed;
} read_part;

/* A pool task: part i. One that is not read sets failed (the caller then
 * reads sequentially), which is not an error. */
static int read_part_run(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    (void)ctx;
    (void)state;
    read_part *rp = (read_part *)arg + i;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *sql =
        sqlite3_mprintf("SELECT \"%w\" FROM \"%w\" WHERE \"%w\" >= %lld AND \"%w\" < "
                        "%lld ORDER BY \"%w\"",
                        rp->geomcol, rp->layer, rp->fidcol, rp->lo, rp->fidcol, rp->hi, rp->fidcol);
    if (!sql ||
        sqlite3_open_v2(rp->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rp->failed = 1;
        goto done;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rp->pts.features++;
        double x, y;
        int r = ctxprof_gpkg_point(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), &x, &y);
        if (r < 0) { /* anything but a plain point: the sequential reader decides */
            rp->failed = 1;
            break;
        }
        if (r == 0) {
            rp->pts.no_geometry++;
            continue;
        }
        if (grow_arrays(&rp->pts, 0)) {
            rp->failed = 1;
            break;
        }
        rp->pts.x[rp->pts.n] = x;
        rp->pts.y[rp->pts.n++] = y;
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        rp->failed = 1;
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    sqlite3_free(sql);
    return 0;
}

/* Returns 0 when read, 1 when the caller should read sequentially. */
static int read_gpkg_parallel(ctxprof_ctx *ctx, ctxprof_points *pts, GDALDatasetH ds,
                              OGRLayerH layer, const char *path)
{
    const char *fidcol = OGR_L_GetFIDColumn(layer);
    long nthreads = ctxprof_pool_threads(0, 8, SIZE_MAX); /* one part per thread */
    const char *geomcol = OGR_L_GetGeometryColumn(layer);
    if (!fidcol || !*fidcol || !geomcol || !*geomcol || nthreads < 2 ||
        OGR_L_GetFeatureCount(layer, FALSE) < 200000)
        return 1;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT MIN(\"%s\"), MAX(\"%s\") FROM \"%s\"", fidcol, fidcol,
             OGR_L_GetName(layer));
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (!res)
        return 1;
    OGRFeatureH f = OGR_L_GetNextFeature(res);
    long long lo = f ? OGR_F_GetFieldAsInteger64(f, 0) : 0,
              hi = f ? OGR_F_GetFieldAsInteger64(f, 1) : -1;
    if (f)
        OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, res);
    if (hi < lo)
        return 1;
    read_part parts[8];
    memset(parts, 0, sizeof parts);
    long long span = (hi - lo + 1 + nthreads - 1) / nthreads;
    for (long t = 0; t < nthreads; t++) {
        parts[t].path = path;
        parts[t].layer = OGR_L_GetName(layer);
        parts[t].fidcol = fidcol;
        parts[t].geomcol = geomcol;
        parts[t].lo = lo + t * span;
        parts[t].hi = t == nthreads - 1 ? hi + 1 : lo + (t + 1) * span;
    }
    ctxprof_pool_options po = CTXPROF_POOL_OPTIONS_INIT;
    po.threads = (int)nthreads;
    int failed = 0, rc = ctxprof_pool_run(ctx, (size_t)nthreads, read_part_run, parts, &po);
    for (long t = 0; t < nthreads; t++)
        failed |= parts[t].failed;
    for (long t = 0; t < nthreads && !failed && !rc; t++) {
        const ctxprof_points *q = &parts[t].pts;
        for (size_t i = 0; i < q->n && !rc; i++)
            rc = add_point(ctx, pts, q->x[i], q->y[i], 1.0, 0);
        pts->features += q->features;
        pts->no_geometry += q->no_geometry;
    }
    for (long t = 0; t < nthreads; t++)
        ctxprof_points_free(&parts[t].pts);
    if (rc)
        return rc;
    return failed ? 1 : 0;
}

int ctxprof_points_read(ctxprof_ctx *ctx, ctxprof_points *pts, const char *path,
                        const ctxprof_points_options *o)
{
    int rc = 0;
    char **oo = NULL;
    GDALDatasetH ds = NULL;
    OGRSpatialReferenceH target = NULL, assumed = NULL;
    OGRCoordinateTransformationH ct = NULL;
    int weighted = o->weight != NULL;
    if (pts->n && (weighted != (pts->w != NULL)))
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "points: weights on some files only");
    if (ends_with(path, ".csv") || ends_with(path, ".txt") || ends_with(path, ".tsv")) {
        oo = CSLSetNameValue(oo, "X_POSSIBLE_NAMES", "Longitude,Lon,Long,lng,X,Easting");
        oo = CSLSetNameValue(oo, "Y_POSSIBLE_NAMES", "Latitude,Lat,Y,Northing");
        oo = CSLSetNameValue(oo, "KEEP_GEOM_COLUMNS", "NO");
    }
    struct stat st;
    if (strncmp(path, "/vsi", 4) != 0 && strstr(path, ":") == NULL && stat(path, &st) != 0) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "no such file");
        goto done;
    }
    ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, (const char *const *)oo, NULL);
    if (!ds) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot open as a vector layer");
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    OGRLayerH layer =
        o->layer ? GDALDatasetGetLayerByName(ds, o->layer) : GDALDatasetGetLayer(ds, 0);
    if (!layer) {
        if (o->layer)
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL, "no layer '%s'", o->layer);
        else
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL, "no vector layer");
        goto done;
    }
    const char *lname = OGR_L_GetName(layer);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    if (OGR_FD_GetGeomFieldCount(defn) < 1) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL,
                              "layer '%s' has no geometry (a text file needs Longitude/Latitude, "
                              "lon/lat, X/Y or Easting/Northing columns)",
                              lname);
        goto done;
    }
    int wfield = -1;
    if (weighted) {
        wfield = OGR_FD_GetFieldIndex(defn, o->weight);
        if (wfield < 0) {
            char names[512] = "";
            for (int i = 0; i < OGR_FD_GetFieldCount(defn) && strlen(names) < 400; i++) {
                if (i)
                    strcat(names, ", ");
                strncat(names, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), 60);
            }
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, o->weight,
                                  "layer '%s' has no such field (fields: %s)", lname, names);
            goto done;
        }
        OGRFieldType t = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, wfield));
        if (t != OFTInteger && t != OFTInteger64 && t != OFTReal && t != OFTString) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, o->weight,
                                  "the weight field is not numeric");
            goto done;
        }
    }
    if (o->where && *o->where && OGR_L_SetAttributeFilter(layer, o->where) != OGRERR_NONE) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL,
                              "the filter '%s' is not a valid OGR SQL expression", o->where);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    /* Read only the weight (all fields when a filter may need them). */
    if (!(o->where && *o->where)) {
        int nf = OGR_FD_GetFieldCount(defn);
        char **ignored = NULL;
        for (int i = 0; i < nf; i++)
            if (i != wfield)
                ignored = CSLAddString(ignored, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        OGR_L_SetIgnoredFields(layer, (const char **)ignored);
        CSLDestroy(ignored);
    }
    /* The layer's extent: QGIS grows it in --qgis-compat mode (unfiltered
     * only), and it tells longitude/latitude text files apart. */
    OGREnvelope env;
    int have_env = OGR_L_GetExtent(layer, &env, TRUE) == OGRERR_NONE;
    if (have_env && !o->where) {
        pts->ext[0] = env.MinX;
        pts->ext[1] = env.MinY;
        pts->ext[2] = env.MaxX;
        pts->ext[3] = env.MaxY;
        pts->has_ext = 1;
    }

    /* The CRS: the layer's, transformed to the target when that differs or
     * when the layer is geographic (a density needs metres). */
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(layer);
    if (!lsrs && oo && have_env && env.MinX >= -180 && env.MaxX <= 180 && env.MinY >= -90 &&
        env.MaxY <= 90) {
        /* A text file with longitude and latitude: WGS84. */
        assumed = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(assumed, 4326);
        OSRSetAxisMappingStrategy(assumed, OAMS_TRADITIONAL_GIS_ORDER);
        lsrs = assumed;
    }
    const char *tdef = o->target_crs;
    if (!tdef && lsrs && OSRIsGeographic(lsrs))
        tdef = "EPSG:27700";
    if (tdef) {
        target = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(target, tdef) != OGRERR_NONE) {
            rc = ctxprof_error(ctx, CTXPROF_E_CRS, "'%s' is not a known CRS", tdef);
            goto done;
        }
        OSRSetAxisMappingStrategy(target, OAMS_TRADITIONAL_GIS_ORDER);
        if (OSRIsGeographic(target)) {
            rc = ctxprof_error(ctx, CTXPROF_E_CRS,
                               "'%s' is a geographic CRS; a density needs a projected one "
                               "(e.g. EPSG:27700)",
                               tdef);
            goto done;
        }
        if (!lsrs) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, 0, NULL,
                                  "layer '%s' has no CRS to transform from", lname);
            goto done;
        }
        if (!OSRIsSame(lsrs, target)) {
            ct = OCTNewCoordinateTransformation(lsrs, target);
            if (!ct) {
                rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, 0, NULL,
                                      "cannot transform layer '%s' to %s", lname, tdef);
                ctxprof_error_append_lib(ctx);
                goto done;
            }
        }
        pts->srs_geographic = OSRIsGeographic(lsrs);
    } else if (lsrs && OSRIsGeographic(lsrs)) {
        pts->srs_geographic = 1;
    }
    if (!pts->srs_wkt) {
        OGRSpatialReferenceH s = target ? target : lsrs;
        if (s)
            OSRExportToWkt(s, &pts->srs_wkt);
    }

    /* Large GeoPackage layers of plain points: read in parallel. */
    if (!weighted && !ct && !(o->where && *o->where) &&
        strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "GPKG") == 0) {
        size_t n0 = pts->n;
        long long f0 = pts->features, g0 = pts->no_geometry;
        rc = read_gpkg_parallel(ctx, pts, ds, layer, path);
        if (rc <= 0)
            goto done;
        pts->n = n0; /* fall back: read everything again, in order */
        pts->features = f0;
        pts->no_geometry = g0;
        rc = 0;
    }
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer))) {
        pts->features++;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        double wt = 1.0;
        if (weighted) {
            const char *raw =
                OGR_F_IsFieldSetAndNotNull(f, wfield) ? OGR_F_GetFieldAsString(f, wfield) : "";
            while (*raw == ' ')
                raw++;
            if (!*raw) {
                wt = 0.0; /* as QGIS: a NULL weight adds nothing */
                pts->null_weights++;
            } else {
                const char *s = OGR_F_GetFieldAsString(f, wfield);
                char *end;
                wt = strtod(s, &end);
                while (*end == ' ')
                    end++;
                if (end == s || *end || !isfinite(wt)) {
                    rc = ctxprof_error_at(
                        ctx, CTXPROF_E_INPUT, path, (long)OGR_F_GetFID(f), o->weight,
                        "weight '%.40s' is not a number (row is the feature id)", s);
                    OGR_F_Destroy(f);
                    goto done;
                }
            }
        }
        if (!g || OGR_G_IsEmpty(g)) {
            pts->no_geometry++;
            OGR_F_Destroy(f);
            continue;
        }
        if (ct && OGR_G_Transform(g, ct) != OGRERR_NONE) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, (long)OGR_F_GetFID(f), NULL,
                                  "cannot transform the point (row is the feature id)");
            OGR_F_Destroy(f);
            goto done;
        }
        OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
        if (t == wkbPoint) {
            rc = add_point(ctx, pts, OGR_G_GetX(g, 0), OGR_G_GetY(g, 0), wt, weighted);
        } else if (t == wkbMultiPoint) {
            for (int i = 0; i < OGR_G_GetGeometryCount(g) && !rc; i++) {
                OGRGeometryH pt = OGR_G_GetGeometryRef(g, i);
                if (!OGR_G_IsEmpty(pt))
                    rc = add_point(ctx, pts, OGR_G_GetX(pt, 0), OGR_G_GetY(pt, 0), wt, weighted);
            }
        } else {
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, (long)OGR_F_GetFID(f), NULL,
                                  "layer '%s' holds a %s, not points (row is the feature id)",
                                  lname, OGRGeometryTypeToName(OGR_G_GetGeometryType(g)));
        }
        OGR_F_Destroy(f);
        if (rc)
            goto done;
    }
done:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (target)
        OSRDestroySpatialReference(target);
    if (assumed)
        OSRDestroySpatialReference(assumed);
    if (ds)
        GDALClose(ds);
    CSLDestroy(oo);
    return rc;
}
