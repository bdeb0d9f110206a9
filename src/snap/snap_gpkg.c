/* `ctxprof snap`: the snap stage on an existing profile GeoPackage. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gdal.h>

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

/* Reads the incidents layer into plain arrays (profile CRS). */
int ctxprof_snap_read_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                                const char *path, const char *crs)
{
    int rc = 0;
    OGRSpatialReferenceH target = ctxprof_snap_srs(crs), src = NULL;
    OGRCoordinateTransformationH ct = NULL;
    if (!target)
        return ctxprof_error(ctx, CTXPROF_E_CRS, "the profile CRS '%s' is unknown", crs);
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(layer);
    if (lsrs) {
        src = OSRClone(lsrs);
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        if (!OSRIsSame(src, target) && !(ct = OCTNewCoordinateTransformation(src, target))) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, 0, NULL,
                                  "cannot transform the incidents to %s", crs);
            goto done;
        }
    }
    GIntBig count = OGR_L_GetFeatureCount(layer, TRUE);
    if ((rc = alloc_incidents(ctx, inc, count > 0 ? (size_t)count : 0)))
        goto done;
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
        if (i == inc->cap) { /* the count was an estimate */
            size_t nc = inc->cap * 2;
            void *p;
#define GROW(a)                                                                                \
    if (!(p = ctxprof_realloc(ctx, inc->a, nc * sizeof *inc->a))) {                            \
        OGR_F_Destroy(f);                                                                      \
        rc = CTXPROF_E_NOMEM;                                                                  \
        goto done;                                                                             \
    }                                                                                          \
    inc->a = p;
            GROW(x) GROW(y) GROW(when) GROW(cats) GROW(flags) GROW(pid)
#undef GROW
            memset(inc->when + inc->cap, 0, (nc - inc->cap) * sizeof *inc->when);
            memset(inc->pid + inc->cap, 0, (nc - inc->cap) * sizeof *inc->pid);
            memset(inc->cats + inc->cap, 0, (nc - inc->cap) * sizeof *inc->cats);
            memset(inc->flags + inc->cap, 0, (nc - inc->cap) * sizeof *inc->flags);
            inc->cap = nc;
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
    if (src)
        OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(target);
    return rc;
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

int ctxprof_snap_gpkg(ctxprof_ctx *ctx, ctxprof_snap_summary *sum, const ctxprof_profile *p,
                      const ctxprof_snap_options *given, const char *in, const char *out_path,
                      const char *arguments)
{
    int rc = 0;
    double t0 = now_s();
    GDALDatasetH ds = NULL;
    ctxprof_output *out = NULL;
    ctxprof_incidents inc = {0};
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
    ctxprof_progress_push(ctx, 0.0, 0.2);
    rc = ctxprof_snap_read_incidents(ctx, &inc, incl, in, crs);
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
    if ((rc = ctxprof_output_open(ctx, &out, out_path, crs)))
        goto done;
    ctxprof_progress_push(ctx, 0.6, 0.65);
    for (int i = 0; i < GDALDatasetGetLayerCount(ds) && !rc; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(l);
        if (strcmp(name, "incidents") == 0 || strcmp(name, "run_metadata") == 0 ||
            is_snap_layer(name))
            continue;
        OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(l);
        if (ls && !OSRIsSame(ls, ctxprof_output_srs(out)))
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "%s: layer %s is not in the profile CRS %s; copied as it is", in, name, crs);
        if (!(rc = ctxprof_output_copy_layer(ctx, out, l)))
            sum->n_layers_copied++;
    }
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    static const char *const drop[] = {"snap.", "time.snap", NULL};
    if ((rc = ctxprof_output_copy_meta(ctx, out, ds, drop)))
        goto done;
    if ((rc = ctxprof_output_meta(ctx, out, "snap.arguments", arguments ? arguments : "snap")) ||
        (rc = ctxprof_output_meta(ctx, out, "snap.input", in)) ||
        (rc = ctxprof_output_meta(ctx, out, "snap.profile", ctxprof_profile_path(p))))
        goto done;
    const ctxprof_extra_column *cols;
    size_t n_cols;
    if ((rc = ctxprof_snap_columns(ctx, &sum->result, sum->contexts, &cols, &n_cols)))
        goto done;
    ctxprof_progress_push(ctx, 0.65, 0.95);
    rc = write_incidents(ctx, out, incl, cols, n_cols, inc.n);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    if ((rc = ctxprof_snap_write_layers(ctx, out, sum->contexts, &sum->result, &opts)))
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
    ctxprof_output_close(ctx, out);
    if (ds)
        GDALClose(ds);
    ctxprof_incidents_free(ctx, &inc);
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
