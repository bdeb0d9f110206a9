#include "core/layer.h"

#include <string.h>
#include <strings.h>

#include <cpl_string.h>
#include <ogr_api.h>

#include "core/uri.h"

int ctxprof_split_uri_subset(ctxprof_ctx *ctx, const char *uri, char **path, char **layer,
                             char **subset)
{
    *subset = NULL;
    const char *bar = uri ? strstr(uri, "|subset=") : NULL;
    size_t skip = strlen("|subset=");
    if (!bar && uri && (bar = strstr(uri, "|where=")))
        skip = strlen("|where=");
    char *head = bar ? ctxprof_sprintf(ctx, "%.*s", (int)(bar - uri), uri) : NULL;
    if (bar && (!head || !(*subset = ctxprof_strdup(ctx, bar + skip)))) {
        ctxprof_free(ctx, head);
        return CTXPROF_E_NOMEM;
    }
    int rc = ctxprof_split_uri(ctx, bar ? head : uri, path, layer);
    ctxprof_free(ctx, head);
    if (rc) {
        ctxprof_free(ctx, *subset);
        *subset = NULL;
    }
    return rc;
}

/* Coordinate columns a CSV of points may have, with their CRS. */
static const struct {
    const char *x, *y, *crs;
} XY_COLUMNS[] = {
    {"EASTING", "NORTHING", "EPSG:27700"},
    {"X", "Y", "EPSG:27700"},
    {"longitude", "latitude", "EPSG:4326"},
    {"lon", "lat", "EPSG:4326"},
    {"lng", "lat", "EPSG:4326"},
};

static int has_field(OGRFeatureDefnH defn, const char *name)
{
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
        if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), name) == 0)
            return 1;
    return 0;
}

/* Reopens a geometry-less CSV as points from its coordinate columns. */
static int open_xy(ctxprof_ctx *ctx, ctxprof_layer *l, const char *lname, const char *what)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l->layer);
    for (size_t k = 0; k < sizeof XY_COLUMNS / sizeof XY_COLUMNS[0]; k++) {
        if (!has_field(defn, XY_COLUMNS[k].x) || !has_field(defn, XY_COLUMNS[k].y))
            continue;
        char **oo = NULL;
        oo = CSLSetNameValue(oo, "X_POSSIBLE_NAMES", XY_COLUMNS[k].x);
        oo = CSLSetNameValue(oo, "Y_POSSIBLE_NAMES", XY_COLUMNS[k].y);
        oo = CSLSetNameValue(oo, "KEEP_GEOM_COLUMNS", "YES");
        GDALClose(l->ds);
        l->ds = GDALOpenEx(l->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                           (const char *const *)oo, NULL);
        CSLDestroy(oo);
        l->layer = !l->ds  ? NULL
                   : lname ? GDALDatasetGetLayerByName(l->ds, lname)
                           : GDALDatasetGetLayer(l->ds, 0);
        if (!l->layer)
            return ctxprof_error_at(ctx, CTXPROF_E_IO, l->path, 0, NULL,
                                    "cannot reopen the %s as points", what);
        l->xy_crs = XY_COLUMNS[k].crs;
        return 0;
    }
    return ctxprof_error_at(ctx, CTXPROF_E_INPUT, l->path, 0, NULL,
                            "the %s is a table without geometry and without coordinate columns "
                            "(EASTING/NORTHING, X/Y or longitude/latitude)",
                            what);
}

int ctxprof_layer_open(ctxprof_ctx *ctx, ctxprof_layer *l, const char *uri, const char *what,
                       const char *target_crs, int no_crs_ok)
{
    memset(l, 0, sizeof *l);
    char *lname = NULL;
    OGRSpatialReferenceH target = NULL, src = NULL;
    int rc = ctxprof_split_uri_subset(ctx, uri, &l->path, &lname, &l->subset);
    if (rc)
        return rc;
    l->ds = GDALOpenEx(l->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!l->ds) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, l->path, 0, NULL, "cannot open the %s", what);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    l->layer = lname ? GDALDatasetGetLayerByName(l->ds, lname) : GDALDatasetGetLayer(l->ds, 0);
    if (!l->layer) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, l->path, 0, NULL, "no layer '%s'",
                              lname ? lname : "(the file has no layers)");
        goto done;
    }
    GDALDriverH drv = GDALGetDatasetDriver(l->ds);
    if (drv && strcmp(GDALGetDriverShortName(drv), "CSV") == 0 &&
        OGR_L_GetGeomType(l->layer) == wkbNone && (rc = open_xy(ctx, l, lname, what)))
        goto done;
    if (l->subset) {
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(l->layer, l->subset) != OGRERR_NONE) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_CONFIG, l->path, 0, NULL,
                                  "the %s's subset '%s' is not valid OGR SQL for this layer", what,
                                  l->subset);
            ctxprof_error_append_lib(ctx);
            goto done;
        }
    }
    if (!target_crs)
        goto done;
    if (!(target = ctxprof_srs_new(target_crs))) {
        rc = ctxprof_error(ctx, CTXPROF_E_CRS, "the profile CRS '%s' is unknown", target_crs);
        goto done;
    }
    OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(l->layer);
    if (ls) {
        src = OSRClone(ls);
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    } else if (l->xy_crs)
        src = ctxprof_srs_new(l->xy_crs);
    else if (!no_crs_ok) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, l->path, 0, NULL,
                              "the %s has no CRS: give it a .prj or a CRS", what);
        goto done;
    }
    if (src && !OSRIsSame(src, target) && !(l->ct = OCTNewCoordinateTransformation(src, target)))
        rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, l->path, 0, NULL, "cannot transform the %s to %s",
                              what, target_crs);
done:
    if (src)
        OSRDestroySpatialReference(src);
    if (target)
        OSRDestroySpatialReference(target);
    ctxprof_free(ctx, lname);
    if (rc)
        ctxprof_layer_close(ctx, l);
    return rc;
}

void ctxprof_layer_close(ctxprof_ctx *ctx, ctxprof_layer *l)
{
    if (l->ct)
        OCTDestroyCoordinateTransformation(l->ct);
    if (l->ds)
        GDALClose(l->ds);
    ctxprof_free(ctx, l->path);
    ctxprof_free(ctx, l->subset);
    memset(l, 0, sizeof *l);
}
