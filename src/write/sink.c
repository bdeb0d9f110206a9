/* The sinks, listed once, and the GDAL vector writing they share. */
#include "write/sink.h"

#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <ogr_srs_api.h>

/* The first that accepts a target is its sink: the file sink, which takes
 * any path, last. Adding a kind of output is a row here. */
static const ctxprof_sink_ops *const sinks[] = {&ctxprof_sink_pg, &ctxprof_sink_gpkg};

const ctxprof_sink_ops *ctxprof_sink_for(const char *target)
{
    if (!target)
        return NULL;
    for (size_t i = 0; i < sizeof sinks / sizeof *sinks; i++)
        if (!sinks[i]->accepts || sinks[i]->accepts(target))
            return sinks[i];
    return NULL;
}

int ctxprof_sink_gdal_commit(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    if (!sink->in_transaction)
        return 0;
    sink->in_transaction = 0;
    if (GDALDatasetCommitTransaction(sink->ds) != OGRERR_NONE) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot commit layer", sink->display);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_DB;
    }
    return 0;
}

int ctxprof_sink_gdal_create_layer(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH *layer,
                                   const char *name, OGRwkbGeometryType geom,
                                   OGRSpatialReferenceH srs, const ctxprof_column *cols,
                                   size_t n_cols, char **opts)
{
    *layer = GDALDatasetCreateLayer(sink->ds, name, srs, geom, opts);
    if (!*layer) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot create layer %s", sink->display, name);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_DB;
    }
    for (size_t i = 0; i < n_cols; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(cols[i].name, cols[i].type);
        OGRErr err = OGR_L_CreateField(*layer, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) {
            ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot add field %s to layer %s", sink->display,
                          cols[i].name, name);
            ctxprof_error_append_lib(ctx);
            return CTXPROF_E_DB;
        }
    }
    if (GDALDatasetStartTransaction(sink->ds, FALSE) != OGRERR_NONE) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot start a transaction", sink->display);
        return CTXPROF_E_DB;
    }
    sink->in_transaction = 1;
    return 0;
}

int ctxprof_sink_gdal_write(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH layer, OGRFeatureH feat)
{
    if (OGR_L_CreateFeature(layer, feat) != OGRERR_NONE) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot write a feature to layer %s", sink->display,
                      OGR_L_GetName(layer));
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_DB;
    }
    return 0;
}

int ctxprof_sink_gdal_drop_layer(ctxprof_ctx *ctx, ctxprof_sink *sink, const char *name)
{
    for (int i = 0; i < GDALDatasetGetLayerCount(sink->ds); i++)
        if (strcmp(OGR_L_GetName(GDALDatasetGetLayer(sink->ds, i)), name) == 0) {
            if (GDALDatasetDeleteLayer(sink->ds, i) != OGRERR_NONE) {
                ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot drop layer %s", sink->display, name);
                ctxprof_error_append_lib(ctx);
                return CTXPROF_E_DB;
            }
            return 0;
        }
    return 0;
}

int ctxprof_sink_gdal_close(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    CPLErrorReset();
    GDALClose(sink->ds);
    sink->ds = NULL;
    if (CPLGetLastErrorType() >= CE_Failure) {
        ctxprof_error(ctx, CTXPROF_E_IO, "%s: closing the output failed", sink->display);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_IO;
    }
    return 0;
}

void ctxprof_sink_gdal_discard(ctxprof_sink *sink)
{
    if (!sink->ds)
        return;
    if (sink->in_transaction)
        GDALDatasetRollbackTransaction(sink->ds);
    sink->in_transaction = 0;
    GDALClose(sink->ds);
    sink->ds = NULL;
}

int ctxprof_sink_write_band(ctxprof_ctx *ctx, const char *driver, char **co, const char *path,
                            const char *display, const char *name, const float *data, int cols,
                            int rows, const double gt[6], OGRSpatialReferenceH srs, double nodata)
{
    GDALDriverH drv = GDALGetDriverByName(driver);
    GDALDatasetH ds = drv ? GDALCreate(drv, path, cols, rows, 1, GDT_Float32, co) : NULL;
    if (!ds) {
        ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create raster %s", display, name);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_IO;
    }
    double g[6];
    memcpy(g, gt, sizeof g);
    GDALSetGeoTransform(ds, g);
    char *wkt = NULL;
    if (OSRExportToWkt(srs, &wkt) == OGRERR_NONE)
        GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, nodata);
    CPLErrorReset();
    CPLErr err =
        GDALRasterIO(band, GF_Write, 0, 0, cols, rows, (void *)data, cols, rows, GDT_Float32, 0, 0);
    GDALClose(ds);
    if (err != CE_None || CPLGetLastErrorType() >= CE_Failure) {
        ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write raster %s", display, name);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_IO;
    }
    return 0;
}
