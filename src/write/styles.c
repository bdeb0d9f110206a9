#include "write/styles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---------------------------------------------------------------------------
 * Graduated styles classed from the data they are stored with. */

int ctxprof_jenks(const double *sorted, size_t n, int k, double *uppers)
{
    if (n == 0 || k < 1)
        return 0;
    size_t m = n > CTXPROF_JENKS_MAX ? CTXPROF_JENKS_MAX : n;
    size_t distinct = 1;
    for (size_t i = 1; i < n; i++)
        distinct += sorted[i] != sorted[i - 1];
    if ((size_t)k > distinct)
        k = (int)distinct;
    double *v = malloc(m * sizeof *v);
    size_t *lim = calloc((m + 1) * (size_t)(k + 1), sizeof *lim);
    double *var = malloc((m + 1) * (size_t)(k + 1) * sizeof *var);
    if (!v || !lim || !var) {
        free(v);
        free(lim);
        free(var);
        return 0;
    }
    for (size_t i = 0; i < m; i++)
        v[i] = sorted[m == n ? i : i * (n - 1) / (m - 1)];
        /* lim[l][j]: 1-based first value of the last of j classes of the first
         * l values; var[l][j]: their least sum of squared deviations. */
#define AT(a, l, j) (a)[(size_t)(l) * (size_t)(k + 1) + (size_t)(j)]
    for (int j = 1; j <= k; j++) {
        AT(lim, 1, j) = 1;
        for (size_t l = 2; l <= m; l++)
            AT(var, l, j) = HUGE_VAL;
    }
    for (size_t l = 2; l <= m; l++) {
        double s1 = 0, s2 = 0, w = 0, d = 0;
        for (size_t i = 1; i <= l; i++) {
            size_t first = l - i + 1;
            double x = v[first - 1];
            s1 += x;
            s2 += x * x;
            w++;
            d = s2 - s1 * s1 / w;
            if (first > 1)
                for (int j = 2; j <= k; j++)
                    if (AT(var, l, j) >= d + AT(var, first - 1, j - 1)) {
                        AT(lim, l, j) = first;
                        AT(var, l, j) = d + AT(var, first - 1, j - 1);
                    }
        }
        AT(lim, l, 1) = 1;
        AT(var, l, 1) = d;
    }
    size_t l = m;
    uppers[k - 1] = v[m - 1];
    for (int j = k; j >= 2; j--) {
        size_t first = AT(lim, l, j);
        uppers[j - 2] = v[first - 2];
        l = first - 1;
    }
#undef AT
    free(v);
    free(lim);
    free(var);
    return k;
}

/* The value of attribute name="..." in the element starting at tag (up to
 * its '>'), as [*start, return) or NULL. */
static const char *xml_attr(const char *tag, const char *name, const char **start)
{
    const char *end = strchr(tag, '>');
    size_t len = strlen(name);
    for (const char *p = tag; end && (p = strstr(p, name)) && p < end; p += len)
        if (p[-1] == ' ' && p[len] == '=' && p[len + 1] == '"') {
            *start = p + len + 2;
            return strchr(*start, '"');
        }
    return NULL;
}

static double xml_num(const char *tag, const char *name)
{
    const char *a, *b = xml_attr(tag, name, &a);
    return b ? CPLAtof(a) : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A class bound in a legend: whole numbers from 100, else 1 decimal (2
 * below 1), as the plugin labels its classes. */
static const char *bound_label(double v, double top)
{
    return CPLSPrintf("%.*f", top >= 100 ? 0 : top >= 1 ? 1 : 2, v);
}

/* Upper bound of the top class: open, above any count or rate (as
 * make_styles.py's OPEN_TOP). */
#define OPEN_TOP    1e15
#define MAX_CLASSES 16

/* The ascending non-NULL values of field in l, or 0 of them. */
static size_t layer_values(OGRLayerH l, const char *field, double **out)
{
    *out = NULL;
    int idx = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), field);
    GIntBig total = OGR_L_GetFeatureCount(l, TRUE);
    if (idx < 0 || total <= 0 || !(*out = malloc((size_t)total * sizeof **out)))
        return 0;
    size_t n = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        if (n < (size_t)total && OGR_F_IsFieldSetAndNotNull(f, idx))
            (*out)[n++] = OGR_F_GetFieldAsDouble(f, idx);
        OGR_F_Destroy(f);
    }
    OGR_L_ResetReading(l);
    qsort(*out, n, sizeof **out, cmp_double);
    return n;
}

char *ctxprof_style_fit(const char *qml, OGRLayerH l)
{
    const char *r = strstr(qml, "<renderer-v2 type=\"graduatedSymbol\"");
    const char *open = r ? strstr(r, "<ranges>") : NULL;
    const char *close = open ? strstr(open, "</ranges>") : NULL;
    const char *a, *b = r ? xml_attr(r, "attr", &a) : NULL;
    if (!close || !b)
        return NULL;
    /* The field: the attribute itself, or the column of an expression
     * such as coalesce("rate", -1). */
    char field[128];
    const char *q = strstr(a, "&quot;");
    if (q && q < b) {
        a = q + 6;
        b = strstr(a, "&quot;");
    }
    if (!b || b <= a || (size_t)(b - a) >= sizeof field)
        return NULL;
    memcpy(field, a, (size_t)(b - a));
    field[b - a] = '\0';
    /* The style's data classes (their symbols) and "no value" classes. */
    char sym[MAX_CLASSES][16];
    int k = 0;
    const char *kept = NULL, *kept_end = NULL;
    for (const char *p = open; (p = strstr(p, "<range ")) && p < close; p++) {
        const char *e = strstr(p, "/>");
        if (xml_num(p, "upper") < 0) {
            kept = kept ? kept : p;
            kept_end = e + 2;
        } else if (k < MAX_CLASSES && (b = xml_attr(p, "symbol", &a)) && b - a < 16) {
            memcpy(sym[k], a, (size_t)(b - a));
            sym[k++][b - a] = '\0';
        }
    }
    /* The unit of the legend: what follows "%2 " in the label format. */
    const char *unit = "";
    size_t unit_len = 0;
    const char *lf = strstr(close, "<labelFormat ");
    if (lf && (b = xml_attr(lf, "format", &a)) && (q = strstr(a, "%2")) && q < b) {
        unit = q + 2 + (q[2] == ' ');
        unit_len = (size_t)(b - unit);
    }
    double *v;
    size_t n = layer_values(l, field, &v);
    double up[MAX_CLASSES];
    int m = k ? ctxprof_jenks(v, n, k, up) : 0;
    if (m == 0) {
        free(v);
        return NULL;
    }
    double low = v[0] < 0 ? v[0] : 0;
    double top = fmax(fabs(up[m - 1]), fabs(low));
    free(v);
    /* (the unit is copied as it stands in the QML, XML-escaped) */
    char *u_xml = CPLStrdup(CPLSPrintf("%.*s", (int)unit_len, unit));
    size_t cap = (size_t)(open - qml) + strlen(close) + 512 * (size_t)(m + 1) +
                 (kept ? (size_t)(kept_end - kept) : 0);
    char *out = CPLMalloc(cap), *w = out;
    memcpy(w, qml, (size_t)(open - qml));
    w += open - qml;
    w += sprintf(w, "<ranges>\n");
    for (int i = 0; i < m; i++) {
        double lo = i ? up[i - 1] : low, hi = i == m - 1 ? OPEN_TOP : up[i];
        /* The colours of the style's classes, spread over the classes found. */
        const char *s = sym[m > 1 ? (i * (k - 1) + (m - 1) / 2) / (m - 1) : k - 1];
        char label[96];
        int len = snprintf(label, sizeof label, "%s", bound_label(lo, top));
        if (i < m - 1)
            snprintf(label + len, sizeof label - (size_t)len, " - %s", bound_label(hi, top));
        w += sprintf(w,
                     "      <range lower=\"%.15f\" symbol=\"%s\" upper=\"%.15f\" "
                     "render=\"true\" label=\"%s%s%s%s\"/>\n",
                     lo, s, hi, label, i == m - 1 ? " or more" : "", *u_xml ? " " : "", u_xml);
    }
    if (kept) {
        w += sprintf(w, "      ");
        memcpy(w, kept, (size_t)(kept_end - kept));
        w += kept_end - kept;
        *w++ = '\n';
    }
    w += sprintf(w, "    ");
    strcpy(w, close);
    CPLFree(u_xml);
    return out;
}

char *ctxprof_style_stretch(const char *qml, double max)
{
    const char *r = strstr(qml, "<rasterrenderer ");
    const char *end = r ? strstr(r, "</colorrampshader>") : NULL;
    if (!end || !(max > 0))
        return NULL;
    /* Every number is replaced by a longer one at most: 64 bytes each. */
    size_t n_items = 0;
    for (const char *p = r; (p = strstr(p, "value=\"")) && p < end; p++)
        n_items++;
    char *out = CPLMalloc(strlen(qml) + 64 * (n_items + 4) + 1), *w = out;
    const char *p = qml;
    int in_item = 0; /* in an <item> of the ramp: its value is scaled */
    while (*p) {
        static const char *const keys[] = {" classificationMax=\"", " maximumValue=\"", " value=\"",
                                           " label=\"High\""};
        int hit = -1;
        if (*p == '<')
            in_item = strncmp(p, "<item ", 6) == 0;
        if (p >= r && p < end)
            for (int i = 0; i < 4 && hit < 0; i++)
                if ((i < 2 || in_item) && strncmp(p, keys[i], strlen(keys[i])) == 0)
                    hit = i;
        if (hit < 0) {
            *w++ = *p++;
            continue;
        }
        size_t len = strlen(keys[hit]);
        memcpy(w, keys[hit], len);
        w += len;
        p += len;
        if (hit == 3) { /* the legend says the top value */
            w += sprintf(w - 1, " (%s)\"", bound_label(max, max)) - 1;
            continue;
        }
        char *num_end;
        double v = CPLStrtod(p, &num_end);
        w += sprintf(w, "%.10g", hit == 2 ? v * max : max);
        p = num_end;
    }
    *w = '\0';
    return out;
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

/* The largest value of each density raster of ds (its tiles' ancillary
 * maxima), as a list of "table=max" (CSLDestroy); NULL when there is none. */
static char **raster_maxima(GDALDatasetH ds)
{
    char **list = NULL;
    CPLPushErrorHandler(CPLQuietErrorHandler); /* no raster tables: no list */
    OGRLayerH res = GDALDatasetExecuteSQL(
        ds,
        "SELECT c.table_name, MAX(a.max) FROM gpkg_contents c JOIN "
        "gpkg_2d_gridded_tile_ancillary a ON a.tpudt_name = c.table_name WHERE c.data_type = "
        "'2d-gridded-coverage' GROUP BY c.table_name",
        NULL, "SQLITE");
    CPLPopErrorHandler();
    CPLErrorReset();
    if (!res)
        return NULL;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(res))) {
        list = CSLSetNameValue(list, OGR_F_GetFieldAsString(f, 0),
                               CPLSPrintf("%.17g", OGR_F_GetFieldAsDouble(f, 1)));
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(ds, res);
    return list;
}

/* The style of a raster table: its own, or the density surface's for a
 * per-category surface (hotspot_density_<category>). */
static const ctxprof_style *raster_style(const char *table)
{
    const ctxprof_style *s = ctxprof_style_find(table);
    if (!s && strncmp(table, "hotspot_density_", 16) == 0)
        s = ctxprof_style_find("hotspot_density");
    return s;
}

int ctxprof_styles_write(ctxprof_ctx *ctx, GDALDatasetH ds, const char *target, int *n_written)
{
    int rc = 0, n = 0, in_transaction = 0;
    OGRFeatureH f = NULL;
    if (n_written)
        *n_written = 0;

    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    int n_layers = GDALDatasetGetLayerCount(ds);
    /* The rasters' ranges, read before the table is written. */
    char **rasters = raster_maxima(ds);
    int n_rasters = CSLCount(rasters);
    OGRLayerH t = GDALDatasetGetLayerByName(ds, STYLE_TABLE);
    if (t) {
        /* Copied from an earlier output: its ctxprof rows are replaced by
         * this build's styles, anyone else's rows are kept. */
        CPLErrorReset();
        OGRLayerH res = GDALDatasetExecuteSQL(
            ds, "DELETE FROM " STYLE_TABLE " WHERE owner = '" STYLE_OWNER "'", NULL, "SQLITE");
        if (res)
            GDALDatasetReleaseResultSet(ds, res);
        if (CPLGetLastErrorType() >= CE_Failure) {
            CSLDestroy(rasters);
            return db_error(ctx, target, "update");
        }
    }

    /* The vector layers with a style, then the rasters. */
    for (int i = 0; i < n_layers + n_rasters && !rc; i++) {
        OGRLayerH l = i < n_layers ? GDALDatasetGetLayer(ds, i) : NULL;
        char *raster = NULL;
        const char *name, *max = NULL;
        if (l)
            name = OGR_L_GetName(l);
        else {
            max = CPLParseNameValue(rasters[i - n_layers], &raster);
            name = raster;
        }
        const ctxprof_style *style = l ? ctxprof_style_find(name) : raster_style(name);
        if (!style || (l && OGR_L_GetGeomType(l) == wkbNone)) {
            CPLFree(raster);
            continue;
        }
        char *fitted =
            l ? ctxprof_style_fit(style->qml, l) : ctxprof_style_stretch(style->qml, CPLAtof(max));
        int as_default = !(t && has_other_default(ds, name));
        if (!t && !(t = create_table(ctx, ds, target)))
            rc = CTXPROF_E_DB;
        else if (!in_transaction) {
            if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE)
                rc = db_error(ctx, target, "write");
            in_transaction = !rc;
        }
        if (!rc) {
            if (!f)
                f = OGR_F_Create(OGR_L_GetLayerDefn(t));
            OGR_F_SetFID(f, OGRNullFID);
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_table_catalog"), "");
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_table_schema"), "");
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_table_name"), name);
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "f_geometry_column"),
                                 l ? OGR_L_GetGeometryColumn(l) : "");
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "styleName"), name);
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "styleQML"),
                                 fitted ? fitted : style->qml);
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "styleSLD"), "");
            OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "useAsDefault"), as_default);
            char *desc =
                CPLStrdup(CPLSPrintf("ctxprof default style (styles/%s.qml%s)", style->layer,
                                     !fitted ? ""
                                     : l     ? ", classed from this layer's values"
                                             : ", stretched to 0 - its maximum"));
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "description"), desc);
            CPLFree(desc);
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "owner"), STYLE_OWNER);
            OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "ui"), "");
            /* Set, not left to the column default: a table copied from an
             * earlier output has no default. 100 is GDAL's "UTC" time zone. */
            OGR_F_SetFieldDateTimeEx(f, OGR_F_GetFieldIndex(f, "update_time"), utc.tm_year + 1900,
                                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                                     (float)utc.tm_sec, 100);
            if (OGR_L_CreateFeature(t, f) != OGRERR_NONE)
                rc = db_error(ctx, target, "write");
            else
                n++;
        }
        CPLFree(fitted);
        CPLFree(raster);
    }
    CSLDestroy(rasters);
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
