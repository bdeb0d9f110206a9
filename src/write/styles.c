#include "write/styles.h"

#include <string.h>
#include <time.h>

#include <cpl_error.h>
#include <cpl_string.h>
#include <ogr_api.h>

/* The owner recorded on ctxprof's rows: how a later write finds its own. */
#define STYLE_OWNER "ctxprof"
#define STYLE_TABLE "layer_styles"

const ctxprof_style *ctxprof_style_find(const char *layer)
{
    for (size_t i = 0; i < ctxprof_styles_builtin_count; i++)
        if (strcmp(ctxprof_styles_builtin[i].layer, layer) == 0)
            return &ctxprof_styles_builtin[i];
    return NULL;
}

/* QGIS's own layer_styles schema, as its OGR provider creates it in a
 * GeoPackage (QgsOgrProviderUtils: the widths are SQLite type hints). */
static const struct {
    const char *name;
    OGRFieldType type;
    int width;
} style_columns[] = {
    {"f_table_catalog", OFTString, 256},
    {"f_table_schema", OFTString, 256},
    {"f_table_name", OFTString, 256},
    {"f_geometry_column", OFTString, 256},
    {"styleName", OFTString, 30},
    {"styleQML", OFTString, 0},
    {"styleSLD", OFTString, 0},
    {"useAsDefault", OFTInteger, 0},
    {"description", OFTString, 0},
    {"owner", OFTString, 30},
    {"ui", OFTString, 30},
    {"update_time", OFTDateTime, 0},
};

static int db_error(ctxprof_ctx *ctx, const char *target, const char *what)
{
    ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot %s the %s table", target, what, STYLE_TABLE);
    ctxprof_error_append_lib(ctx);
    return CTXPROF_E_DB;
}

static OGRLayerH create_table(ctxprof_ctx *ctx, GDALDatasetH ds, const char *target)
{
    char **opts = CSLSetNameValue(NULL, "ASPATIAL_VARIANT", "GPKG_ATTRIBUTES");
    opts = CSLSetNameValue(opts, "FID", "id");
    OGRLayerH t = GDALDatasetCreateLayer(ds, STYLE_TABLE, NULL, wkbNone, opts);
    CSLDestroy(opts);
    if (!t) {
        db_error(ctx, target, "create");
        return NULL;
    }
    for (size_t i = 0; i < sizeof style_columns / sizeof style_columns[0]; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(style_columns[i].name, style_columns[i].type);
        if (style_columns[i].width)
            OGR_Fld_SetWidth(fd, style_columns[i].width);
        if (strcmp(style_columns[i].name, "useAsDefault") == 0)
            OGR_Fld_SetSubType(fd, OFSTBoolean);
        if (strcmp(style_columns[i].name, "update_time") == 0)
            OGR_Fld_SetDefault(fd, "CURRENT_TIMESTAMP");
        OGRErr err = OGR_L_CreateField(t, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) {
            db_error(ctx, target, "create");
            return NULL;
        }
    }
    return t;
}

/* 1 when a row not written by ctxprof is the default style of the layer. */
static int has_other_default(GDALDatasetH ds, const char *layer)
{
    char *quoted = CPLEscapeString(layer, -1, CPLES_SQL);
    char *sql = CPLStrdup(CPLSPrintf("SELECT COUNT(*) FROM " STYLE_TABLE
                                     " WHERE f_table_name = '%s' AND useAsDefault = 1",
                                     quoted));
    CPLFree(quoted);
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, "SQLITE");
    CPLFree(sql);
    int n = 0;
    if (res) {
        OGRFeatureH f = OGR_L_GetNextFeature(res);
        if (f) {
            n = OGR_F_GetFieldAsInteger(f, 0);
            OGR_F_Destroy(f);
        }
        GDALDatasetReleaseResultSet(ds, res);
    }
    return n > 0;
}

int ctxprof_styles_write(ctxprof_ctx *ctx, GDALDatasetH ds, const char *target, int *n_written)
{
    int rc = 0, n = 0, in_transaction = 0;
    OGRFeatureH f = NULL;
    if (n_written)
        *n_written = 0;

    /* The vector layers with a style, found before the table exists. */
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    int n_layers = GDALDatasetGetLayerCount(ds);
    OGRLayerH t = GDALDatasetGetLayerByName(ds, STYLE_TABLE);
    if (t) {
        /* Copied from an earlier output: its ctxprof rows are replaced by
         * this build's styles, anyone else's rows are kept. */
        CPLErrorReset();
        OGRLayerH res = GDALDatasetExecuteSQL(
            ds, "DELETE FROM " STYLE_TABLE " WHERE owner = '" STYLE_OWNER "'", NULL, "SQLITE");
        if (res)
            GDALDatasetReleaseResultSet(ds, res);
        if (CPLGetLastErrorType() >= CE_Failure)
            return db_error(ctx, target, "update");
    }

    for (int i = 0; i < n_layers && !rc; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(l);
        const ctxprof_style *style = ctxprof_style_find(name);
        if (!style || OGR_L_GetGeomType(l) == wkbNone)
            continue;
        int as_default = !(t && has_other_default(ds, name));
        if (!t && !(t = create_table(ctx, ds, target))) {
            rc = CTXPROF_E_DB;
            break;
        }
        if (!in_transaction) {
            if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE) {
                rc = db_error(ctx, target, "write");
                break;
            }
            in_transaction = 1;
        }
        if (!f)
            f = OGR_F_Create(OGR_L_GetLayerDefn(t));
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_table_catalog"), "");
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_table_schema"), "");
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_table_name"), name);
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_geometry_column"),
                             OGR_L_GetGeometryColumn(l));
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "styleName"), name);
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "styleQML"), style->qml);
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "styleSLD"), "");
        OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "useAsDefault"), as_default);
        char *desc = CPLStrdup(CPLSPrintf("ctxprof default style (styles/%s.qml)", name));
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "description"), desc);
        CPLFree(desc);
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "owner"), STYLE_OWNER);
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "ui"), "");
        /* Set, not left to the column default: a table copied from an
         * earlier output has no default. 100 is GDAL's "UTC" time zone. */
        OGR_F_SetFieldDateTimeEx(f, OGR_F_GetFieldIndex(f, "update_time"), utc.tm_year + 1900,
                                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                                 (float)utc.tm_sec, 100);
        if (OGR_L_CreateFeature(t, f) != OGRERR_NONE) {
            rc = db_error(ctx, target, "write");
            break;
        }
        n++;
    }
    OGR_F_Destroy(f);
    if (in_transaction) {
        if (rc)
            GDALDatasetRollbackTransaction(ds);
        else if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
            rc = db_error(ctx, target, "write");
    }
    if (!rc && n_written)
        *n_written = n;
    return rc;
}
