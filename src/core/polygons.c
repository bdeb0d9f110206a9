#include "core/polygons.h"

#include <stdio.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/layer.h"

GEOSGeometry *ctxprof_geom_repair(ctxprof_ctx *ctx, GEOSGeometry *g, const char *what,
                                  const char *fid_text, const char *name, long *n_repaired)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    if (GEOSisValid_r(h, g) == 1)
        return g;
    char *reason = GEOSisValidReason_r(h, g);
    GEOSMakeValidParams *mp = GEOSMakeValidParams_create_r(h);
    GEOSMakeValidParams_setMethod_r(h, mp, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(h, mp, 0);
    GEOSGeometry *v = GEOSMakeValidWithParams_r(h, g, mp);
    GEOSMakeValidParams_destroy_r(h, mp);
    ctxprof_log(ctx, CTXPROF_LOG_WARN,
                "%s: feature %s%s%s%s is invalid (%s) and was repaired with make-valid", what,
                fid_text, name ? " '" : "", name ? name : "", name ? "'" : "",
                reason ? reason : "invalid");
    if (reason)
        GEOSFree_r(h, reason);
    GEOSGeom_destroy_r(h, g);
    (*n_repaired)++;
    return v;
}

GEOSGeometry *ctxprof_geos_from_ogr(ctxprof_ctx *ctx, OGRGeometryH g)
{
    size_t n = (size_t)OGR_G_WkbSize(g);
    unsigned char *wkb = ctxprof_malloc(ctx, n ? n : 1);
    if (!wkb)
        return NULL;
    OGR_G_ExportToWkb(g, wkbNDR, wkb);
    GEOSGeometry *out = GEOSGeomFromWKB_buf_r(ctxprof_geos(ctx), wkb, n);
    ctxprof_free(ctx, wkb);
    return out;
}

/* The polygons of g appended to parts (clones). */
static int add_polygons(ctxprof_ctx *ctx, GEOSContextHandle_t h, const GEOSGeometry *g,
                        GEOSGeometry ***parts, size_t *n, size_t *cap)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON) {
        if (ctxprof_grow(ctx, (void **)parts, cap, *n + 1, sizeof **parts))
            return CTXPROF_E_NOMEM;
        if (!((*parts)[*n] = GEOSGeom_clone_r(h, g)))
            return CTXPROF_E_GEOM;
        (*n)++;
        return 0;
    }
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION)
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            int rc = add_polygons(ctx, h, GEOSGetGeometryN_r(h, g, i), parts, n, cap);
            if (rc)
                return rc;
        }
    return 0;
}

int ctxprof_study_area_read(ctxprof_ctx *ctx, GEOSGeometry **out, const char *uri, const char *crs)
{
    int rc = 0;
    char what[1100], fid[32];
    ctxprof_layer in;
    OGRFeatureH f = NULL;
    GEOSGeometry **parts = NULL;
    size_t n = 0, cap = 0;
    long repaired = 0;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    *out = NULL;
    snprintf(what, sizeof what, "study area (%s)", uri);
    if ((rc = ctxprof_layer_open(ctx, &in, uri, "study area", crs ? crs : "EPSG:27700", 0)))
        return rc;
    const char *path = in.path;
    OGRLayerH layer = in.layer;
    OGRCoordinateTransformationH ct = in.ct;
    while ((f = OGR_L_GetNextFeature(layer))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        snprintf(fid, sizeof fid, "%lld", (long long)OGR_F_GetFID(f));
        if (g && !OGR_G_IsEmpty(g)) {
            OGRGeometryH lin = OGR_G_HasCurveGeometry(g, TRUE) ? OGR_G_GetLinearGeometry(g, 0, NULL)
                                                               : OGR_G_Clone(g);
            OGR_G_FlattenTo2D(lin);
            if (ct && OGR_G_Transform(lin, ct) != OGRERR_NONE) {
                OGR_G_DestroyGeometry(lin);
                rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, OGR_F_GetFID(f), NULL,
                                      "cannot transform the study area to %s", crs);
                goto done;
            }
            GEOSGeometry *gg = ctxprof_geos_from_ogr(ctx, lin);
            OGR_G_DestroyGeometry(lin);
            if (gg)
                gg = ctxprof_geom_repair(ctx, gg, what, fid, NULL, &repaired);
            if (!gg) {
                rc = ctxprof_error_at(ctx, CTXPROF_E_GEOM, path, OGR_F_GetFID(f), NULL,
                                      "cannot read the study area's feature %s", fid);
                ctxprof_error_append_lib(ctx);
                goto done;
            }
            rc = add_polygons(ctx, h, gg, &parts, &n, &cap);
            GEOSGeom_destroy_r(h, gg);
            if (rc)
                goto done;
        }
        OGR_F_Destroy(f);
        f = NULL;
    }
    if (n == 0) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL,
                              "the study area layer has no polygons");
        goto done;
    }
    /* Adjacent parts (areas that tile the study area) are unioned, so that
     * the area is counted once. */
    GEOSGeometry *coll =
        GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    if (coll) {
        n = 0; /* the parts are the collection's now */
        *out = GEOSUnaryUnion_r(h, coll);
        GEOSGeom_destroy_r(h, coll);
    }
    if (!*out) {
        rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "%s: cannot union the study area", uri);
        ctxprof_error_append_lib(ctx);
    }
done:
    for (size_t i = 0; i < n; i++)
        GEOSGeom_destroy_r(h, parts[i]);
    ctxprof_free(ctx, parts);
    if (f)
        OGR_F_Destroy(f);
    ctxprof_layer_close(ctx, &in);
    return rc;
}
