/* Corridors: the output layers, and `ctxprof corridors` on a GeoPackage. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gdal.h>
#include <ogr_api.h>

#include "corridors/corridors.h"
#include "snap/snap.h"
#include "load/date.h"
#include "snap/contexts_internal.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The five abuse categories get a column each (docs/corridors.md). */
#define N_CAT_COLS 5

static int write_layer(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_corridors_result *r,
                       const char *name, int polygons)
{
    GEOSContextHandle_t gh = ctxprof_geos(ctx);
    char catcol[N_CAT_COLS][16];
    ctxprof_column cols[24];
    size_t nc = 0;
    cols[nc++] = (ctxprof_column){"corridor_id", OFTInteger64};
    cols[nc++] = (ctxprof_column){"school_a", OFTString};
    cols[nc++] = (ctxprof_column){"school_b", OFTString};
    cols[nc++] = (ctxprof_column){"name_a", OFTString};
    cols[nc++] = (ctxprof_column){"name_b", OFTString};
    cols[nc++] = (ctxprof_column){"length_m", OFTReal};
    cols[nc++] = (ctxprof_column){"network_m", OFTReal};
    cols[nc++] = (ctxprof_column){"connector_a_m", OFTReal};
    cols[nc++] = (ctxprof_column){"connector_b_m", OFTReal};
    cols[nc++] = (ctxprof_column){"n_incidents", OFTInteger64};
    size_t first_cat = nc;
    for (int b = 0; b < N_CAT_COLS; b++) {
        snprintf(catcol[b], sizeof catcol[b], "n_%s", ctxprof_category_names[b]);
        cols[nc++] = (ctxprof_column){catcol[b], OFTInteger64};
    }
    cols[nc++] = (ctxprof_column){"n_school_travel", OFTInteger64};
    cols[nc++] = (ctxprof_column){"per_km", OFTReal};
    cols[nc++] = (ctxprof_column){"rank", OFTInteger64};
    cols[nc++] = (ctxprof_column){"rank_per_km", OFTInteger64};
    OGRLayerH l;
    int rc =
        ctxprof_output_layer(ctx, out, &l, name, polygons ? wkbPolygon : wkbLineString, cols, nc);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (size_t c = 0; c < r->n && !rc; c++) {
        int k = 0;
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldInteger64(f, k++, (GIntBig)(c + 1));
        OGR_F_SetFieldString(f, k++, r->id_a[c]);
        OGR_F_SetFieldString(f, k++, r->id_b[c]);
        if (r->name_a[c])
            OGR_F_SetFieldString(f, k, r->name_a[c]);
        else
            OGR_F_SetFieldNull(f, k);
        k++;
        if (r->name_b[c])
            OGR_F_SetFieldString(f, k, r->name_b[c]);
        else
            OGR_F_SetFieldNull(f, k);
        k++;
        OGR_F_SetFieldDouble(f, k++, round(r->length_m[c] * 10) / 10);
        OGR_F_SetFieldDouble(f, k++, round(r->network_m[c] * 10) / 10);
        OGR_F_SetFieldDouble(f, k++, round(r->connector_a_m[c] * 10) / 10);
        OGR_F_SetFieldDouble(f, k++, round(r->connector_b_m[c] * 10) / 10);
        OGR_F_SetFieldInteger64(f, k++, r->n_incidents[c]);
        for (int b = 0; b < N_CAT_COLS; b++)
            OGR_F_SetFieldInteger64(f, (int)first_cat + b,
                                    r->n_cat[c * CTXPROF_N_CATEGORIES + (size_t)b]);
        k = (int)first_cat + N_CAT_COLS;
        OGR_F_SetFieldInteger64(f, k++, r->n_school_travel[c]);
        OGR_F_SetFieldDouble(f, k++, r->per_km[c]);
        OGR_F_SetFieldInteger64(f, k++, r->rank[c]);
        OGR_F_SetFieldInteger64(f, k++, r->rank_per_km[c]);
        /* GEOS -> OGR through WKB */
        const GEOSGeometry *gg = polygons ? r->polygon[c] : r->route[c];
        size_t len = 0;
        unsigned char *wkb = GEOSGeomToWKB_buf_r(gh, gg, &len);
        OGRGeometryH og = NULL;
        if (!wkb || OGR_G_CreateFromWkb(wkb, NULL, &og, (int)len) != OGRERR_NONE) {
            if (wkb)
                GEOSFree_r(gh, wkb);
            rc =
                ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: cannot convert corridor %zu", c + 1);
            break;
        }
        GEOSFree_r(gh, wkb);
        if (polygons && wkbFlatten(OGR_G_GetGeometryType(og)) != wkbPolygon) {
            OGRGeometryH forced = OGR_G_ForceToPolygon(og); /* takes og */
            og = forced;
        }
        OGR_F_SetGeometryDirectly(f, og);
        rc = ctxprof_output_write(ctx, out, l, f);
    }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

int ctxprof_corridors_write(ctxprof_ctx *ctx, ctxprof_output *out,
                            const ctxprof_corridors_result *r, const ctxprof_corridors_options *o)
{
    int rc;
    if ((rc = write_layer(ctx, out, r, "corridor_routes", 0)) ||
        (rc = write_layer(ctx, out, r, "corridors", 1)))
        return rc;
#define META(k, ...)                                                                               \
    if ((rc = ctxprof_output_metaf(ctx, out, k, __VA_ARGS__)))                                     \
        return rc;
    META("corridors.network_lines", "%zu", r->n_lines)
    META("corridors.network_nodes", "%zu", r->n_nodes)
    META("corridors.network_edges", "%zu", r->n_edges)
    META("corridors.schools", "%zu", r->n_schools)
    META("corridors.corridors", "%zu", r->n)
    META("corridors.unreachable_pairs", "%zu", r->n_unreachable)
    META("corridors.incidents_in_corridors", "%lld", (long long)r->n_counted)
    META("corridors.k", "%d", o->k)
    META("corridors.max_dist_m", "%g", o->max_dist_m)
    META("corridors.corridor_width_m", "%g", o->corridor_width_m)
    META("corridors.snap_tolerance_m", "%g", o->snap_tolerance_m)
    META("time.corridors_s", "%.3f",
         r->seconds_network + r->seconds_pairs + r->seconds_routes + r->seconds_count)
#undef META
    return 0;
}

int ctxprof_corridors_gpkg(ctxprof_ctx *ctx, ctxprof_corridors_summary *sum,
                           const ctxprof_contexts_options *co, const ctxprof_corridors_options *o,
                           const char *in, const char *out_path, const char *arguments)
{
    int rc = 0;
    double t0 = now_s();
    GDALDatasetH ds = NULL;
    ctxprof_output *out = NULL;
    ctxprof_incidents inc = {0};
    ctxprof_contexts *contexts = NULL;
    memset(sum, 0, sizeof *sum);
    const char *crs = co->crs;
    if (!(ds = GDALOpenEx(in, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL))) {
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
    if ((rc = ctxprof_snap_read_incidents(ctx, &inc, incl, in, crs)))
        goto done;
    sum->n_incidents = (int64_t)inc.n;
    double t1 = now_s();
    sum->seconds_read = t1 - t0;
    if ((rc = ctxprof_contexts_load(ctx, &contexts, co)))
        goto done;
    sum->seconds_contexts = now_s() - t1;
    ctxprof_progress_push(ctx, 0.1, 0.8);
    rc = ctxprof_corridors_run(ctx, &sum->result, contexts, &inc, o);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    double t2 = now_s();
    if ((rc = ctxprof_output_open(ctx, &out, out_path, crs)))
        goto done;
    ctxprof_progress_push(ctx, 0.8, 0.95);
    for (int i = 0; i < GDALDatasetGetLayerCount(ds) && !rc; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(l);
        if (strcmp(name, "run_metadata") == 0 || strcmp(name, "corridors") == 0 ||
            strcmp(name, "corridor_routes") == 0)
            continue;
        if (!(rc = ctxprof_output_copy_layer(ctx, out, l)))
            sum->n_layers_copied++;
    }
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    static const char *const drop[] = {"corridors.", "time.corridors_s", NULL};
    if ((rc = ctxprof_output_copy_meta(ctx, out, ds, drop)))
        goto done;
    if ((rc = ctxprof_output_meta(ctx, out, "corridors.arguments",
                                  arguments ? arguments : "corridors")) ||
        (rc = ctxprof_output_meta(ctx, out, "corridors.input", in)) ||
        (rc = ctxprof_corridors_write(ctx, out, &sum->result, o)))
        goto done;
    GDALClose(ds);
    ds = NULL;
    sum->seconds_write = now_s() - t2;
    sum->seconds_total = now_s() - t0;
    if ((rc = ctxprof_output_finish(ctx, out)))
        goto done;
    rc = ctxprof_progress(ctx, 1.0, "done");
done:
    ctxprof_output_close(ctx, out);
    if (ds)
        GDALClose(ds);
    ctxprof_contexts_free(ctx, contexts);
    ctxprof_incidents_free(ctx, &inc);
    if (rc)
        ctxprof_corridors_summary_free(ctx, sum);
    return rc;
}

void ctxprof_corridors_summary_free(ctxprof_ctx *ctx, ctxprof_corridors_summary *sum)
{
    ctxprof_corridors_result_free(ctx, &sum->result);
}
