#define _GNU_SOURCE /* qsort_r */
#include "geocode/gazetteer.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>
#include <cpl_csv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/strmap.h"
#include "core/uri.h"
#include "write/output.h"

#define SAME_STREET_GAP_M 60.0 /* same-name segments closer than this are one street */
#define SAME_PLACE_M      30.0 /* same-name places closer than this are one place */

typedef struct {
    char *name, *norm;
    char district[CTXPROF_PC_LEN];
    GEOSGeometry *geom; /* NULL for a street known only by a point */
    double x, y;
} segment;

typedef struct {
    uint32_t tri;
    int name;
} posting;

struct ctxprof_gazetteer {
    char *crs;
    OGRSpatialReferenceH target;
    ctxprof_gz_postcode *units, *sectors, *districts;
    size_t n_units, cap_units, n_sectors, n_districts;
    ctxprof_strmap unit_map, sector_map, district_map;
    segment *segs;
    size_t n_segs, cap_segs;
    ctxprof_gz_street *streets;
    size_t n_streets, cap_streets;
    ctxprof_gz_place *places;
    size_t n_places, cap_places;
    ctxprof_strmap street_map, place_map;
    /* Fuzzy index: distinct names and their sorted trigram postings. */
    char **names;
    size_t n_names, cap_names;
    ctxprof_strmap name_map;
    posting *postings;
    size_t n_postings;
    ctxprof_gz_source *sources;
    size_t n_sources, cap_sources;
    GEOSContextHandle_t geos;
};

int ctxprof_gazetteer_new(ctxprof_ctx *ctx, ctxprof_gazetteer **out, const char *crs)
{
    *out = NULL;
    ctxprof_gazetteer *gz = ctxprof_calloc(ctx, 1, sizeof *gz);
    if (!gz)
        return CTXPROF_E_NOMEM;
    gz->geos = ctxprof_geos(ctx);
    gz->crs = ctxprof_strdup(ctx, crs ? crs : "EPSG:27700");
    if (!gz->crs || !(gz->target = ctxprof_srs_new(gz->crs))) {
        ctxprof_gazetteer_free(ctx, gz);
        return ctxprof_error(ctx, CTXPROF_E_CRS, "gazetteer CRS '%s' is unknown", crs);
    }
    *out = gz;
    return 0;
}

void ctxprof_gazetteer_free(ctxprof_ctx *ctx, ctxprof_gazetteer *gz)
{
    if (!gz)
        return;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    for (size_t i = 0; i < gz->n_segs; i++) {
        ctxprof_free(ctx, gz->segs[i].name);
        ctxprof_free(ctx, gz->segs[i].norm);
        if (gz->segs[i].geom)
            GEOSGeom_destroy_r(h, gz->segs[i].geom);
    }
    for (size_t i = 0; i < gz->n_streets; i++) {
        ctxprof_free(ctx, gz->streets[i].name);
        ctxprof_free(ctx, gz->streets[i].norm);
        if (gz->streets[i].geom)
            GEOSGeom_destroy_r(h, gz->streets[i].geom);
    }
    for (size_t i = 0; i < gz->n_places; i++) {
        ctxprof_free(ctx, gz->places[i].name);
        ctxprof_free(ctx, gz->places[i].norm);
        ctxprof_free(ctx, gz->places[i].kind);
        ctxprof_free(ctx, gz->places[i].routes);
    }
    for (size_t i = 0; i < gz->n_names; i++)
        ctxprof_free(ctx, gz->names[i]);
    for (size_t i = 0; i < gz->n_sources; i++) {
        ctxprof_free(ctx, gz->sources[i].kind);
        ctxprof_free(ctx, gz->sources[i].path);
        ctxprof_free(ctx, gz->sources[i].licence);
        ctxprof_free(ctx, gz->sources[i].skipped_reason);
    }
    ctxprof_strmap_free(ctx, &gz->unit_map);
    ctxprof_strmap_free(ctx, &gz->sector_map);
    ctxprof_strmap_free(ctx, &gz->district_map);
    ctxprof_strmap_free(ctx, &gz->street_map);
    ctxprof_strmap_free(ctx, &gz->place_map);
    ctxprof_strmap_free(ctx, &gz->name_map);
    ctxprof_free(ctx, gz->units);
    ctxprof_free(ctx, gz->sectors);
    ctxprof_free(ctx, gz->districts);
    ctxprof_free(ctx, gz->segs);
    ctxprof_free(ctx, gz->streets);
    ctxprof_free(ctx, gz->places);
    ctxprof_free(ctx, gz->names);
    ctxprof_free(ctx, gz->postings);
    ctxprof_free(ctx, gz->sources);
    if (gz->target)
        OSRDestroySpatialReference(gz->target);
    ctxprof_free(ctx, gz->crs);
    ctxprof_free(ctx, gz);
}

static char *recoded(ctxprof_ctx *ctx, const char *latin1)
{
    char *r = CPLRecode(latin1, "CP1252", CPL_ENC_UTF8);
    char *out = ctxprof_strdup(ctx, r);
    CPLFree(r);
    return out;
}

/* The licence line of a source: given, else a data licence file beside it
 * or up to two folders up (as Code-Point Open's Doc/licence.txt), else
 * OSM's for OpenStreetMap extracts, else "not stated". */
static char *licence_of(ctxprof_ctx *ctx, const char *path, const char *given)
{
    if (given && *given)
        return ctxprof_strdup(ctx, given);
    if (strstr(path, "osm") || strstr(path, "OSM"))
        return ctxprof_strdup(ctx, "© OpenStreetMap contributors, ODbL 1.0");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (int up = 0; up < 3; up++) { /* Code-Point Open: Data/CSV/x.csv and Doc/licence.txt */
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
        /* Data licences only: a software LICENSE file says nothing about data. */
        static const char *names[] = {"licence.txt", "LICENCE.txt", "Doc/licence.txt",
                                      "DATA-LICENCE.txt"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char f[1100];
            snprintf(f, sizeof f, "%s/%s", dir, names[i]);
            FILE *fp = fopen(f, "r");
            if (!fp)
                continue;
            char line[512], best[512] = "";
            while (fgets(line, sizeof line, fp)) {
                line[strcspn(line, "\r\n")] = '\0';
                /* The attribution line ("Contains OS data ...") if there is one. */
                if (strstr(line, "Contains") || strstr(line, "©") || strstr(line, "Copyright")) {
                    snprintf(best, sizeof best, "%s", line);
                    break;
                }
                if (!*best && line[strspn(line, " \t")])
                    snprintf(best, sizeof best, "%s", line);
            }
            fclose(fp);
            if (*best) /* OS licence files are Latin-1 */
                return CPLIsUTF8(best, -1) ? ctxprof_strdup(ctx, best) : recoded(ctx, best);
        }
    }
    return ctxprof_strdup(ctx, "not stated");
}

static ctxprof_gz_source *add_source(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *kind,
                                     const char *path, const char *licence)
{
    if (ctxprof_grow(ctx, (void **)&gz->sources, &gz->cap_sources, gz->n_sources + 1,
                     sizeof *gz->sources))
        return NULL;
    ctxprof_gz_source *s = &gz->sources[gz->n_sources++];
    memset(s, 0, sizeof *s);
    s->kind = ctxprof_strdup(ctx, kind);
    s->path = ctxprof_strdup(ctx, path);
    s->licence = licence_of(ctx, path, licence);
    return s->kind && s->path && s->licence ? s : NULL;
}

/* ---- postcodes ------------------------------------------------------------ */

static int add_unit(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *pc, double x, double y,
                    int pq)
{
    int at = ctxprof_strmap_get(&gz->unit_map, pc);
    if (at >= 0) { /* a later file repeats a unit: the last one wins */
        gz->units[at].x = x;
        gz->units[at].y = y;
        gz->units[at].n = pq;
        return 0;
    }
    if (ctxprof_grow(ctx, (void **)&gz->units, &gz->cap_units, gz->n_units + 1, sizeof *gz->units))
        return CTXPROF_E_NOMEM;
    ctxprof_gz_postcode *u = &gz->units[gz->n_units];
    snprintf(u->name, sizeof u->name, "%s", pc);
    u->x = x;
    u->y = y;
    u->n = pq;
    return ctxprof_strmap_put(ctx, &gz->unit_map, pc, (int)gz->n_units++);
}

static int find_header(char **row, const char *const *names)
{
    for (int i = 0; row && row[i]; i++)
        for (const char *const *n = names; *n; n++)
            if (strcasecmp(row[i], *n) == 0)
                return i;
    return -1;
}

int ctxprof_gazetteer_add_postcodes(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *uri,
                                    const char *licence)
{
    int rc = 0;
    char **row = NULL;
    OGRCoordinateTransformationH ct = NULL;
    ctxprof_gz_source *src = add_source(ctx, gz, "postcodes", uri, licence);
    if (!src)
        return CTXPROF_E_NOMEM;
    VSILFILE *fp = VSIFOpenL(uri, "rb");
    if (!fp)
        return ctxprof_error_at(ctx, CTXPROF_E_IO, uri, 0, NULL, "cannot open postcode file");
    row = CSVReadParseLine2L(fp, ',');
    if (row && row[0] && strncmp(row[0], "\xEF\xBB\xBF", 3) == 0)
        memmove(row[0], row[0] + 3, strlen(row[0] + 3) + 1);
    char probe[CTXPROF_PC_LEN];
    int headerless = row && row[0] && ctxprof_postcode_normalise(row[0], probe) == CTXPROF_PC_UNIT;
    /* Code-Point Open: Postcode, Positional_quality_indicator, Eastings,
     * Northings, ... (no header). ONSPD-style files have a header. */
    int c_pc = 0, c_pq = 1, c_e = 2, c_n = 3, c_lat = -1, c_lon = -1, wgs = 0;
    if (!headerless) {
        static const char *const pcs[] = {"pcds", "pcd", "pcd2", "postcode", NULL};
        static const char *const es[] = {"oseast1m", "easting", "eastings", "x", NULL};
        static const char *const ns[] = {"osnrth1m", "northing", "northings", "y", NULL};
        static const char *const qs[] = {"osgrdind", "positional_quality_indicator", "pq",
                                         "quality", NULL};
        static const char *const lats[] = {"lat", "latitude", NULL};
        static const char *const lons[] = {"long", "lon", "longitude", NULL};
        c_pc = find_header(row, pcs);
        c_e = find_header(row, es);
        c_n = find_header(row, ns);
        c_pq = find_header(row, qs);
        c_lat = find_header(row, lats);
        c_lon = find_header(row, lons);
        if (c_pc < 0 || ((c_e < 0 || c_n < 0) && (c_lat < 0 || c_lon < 0))) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, uri, 1, NULL,
                                  "not a postcode file: expected Code-Point Open (no header) or "
                                  "a header with pcds/pcd and oseast1m/osnrth1m or lat/long");
            goto done;
        }
        wgs = c_e < 0;
    }
    OGRSpatialReferenceH from = ctxprof_srs_new(wgs ? "EPSG:4326" : "EPSG:27700");
    ct = OCTNewCoordinateTransformation(from, gz->target);
    OSRDestroySpatialReference(from);
    long line = 1;
    if (!headerless) {
        CSLDestroy(row);
        row = CSVReadParseLine2L(fp, ',');
        line++;
    }
    for (; row; CSLDestroy(row), row = CSVReadParseLine2L(fp, ','), line++) {
        int n = CSLCount(row);
        if (n == 0 || (n == 1 && (!*row[0] || strcmp(row[0], "\x1a") == 0)))
            continue;
        src->rows_read++;
        char pc[CTXPROF_PC_LEN];
        if (c_pc >= n || ctxprof_postcode_normalise(row[c_pc], pc) != CTXPROF_PC_UNIT) {
            src->rows_skipped++;
            continue;
        }
        int pq = c_pq >= 0 && c_pq < n ? atoi(row[c_pq]) : 10;
        double x, y, z = 0;
        if (wgs) {
            x = c_lon < n ? CPLAtof(row[c_lon]) : 0;
            y = c_lat < n ? CPLAtof(row[c_lat]) : 0;
        } else {
            x = c_e < n ? CPLAtof(row[c_e]) : 0;
            y = c_n < n ? CPLAtof(row[c_n]) : 0;
        }
        /* Code-Point Open gives quality 90 and 0,0 for units without coordinates;
         * ONSPD writes 99.999999 latitudes. */
        if ((x == 0 && y == 0) || pq == 90 || (wgs && fabs(y) > 90) ||
            !OCTTransform(ct, 1, &x, &y, &z)) {
            src->rows_skipped++;
            continue;
        }
        if ((rc = add_unit(ctx, gz, pc, x, y, pq)))
            goto done;
        src->rows_used++;
    }
    if (src->rows_skipped && !src->skipped_reason)
        src->skipped_reason =
            ctxprof_strdup(ctx, "no coordinates (positional quality 90) or not a postcode");
    if (src->rows_used == 0)
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, uri, 0, NULL,
                              "no postcode with coordinates found (%ld rows read)", src->rows_read);
done:
    CSLDestroy(row);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    VSIFCloseL(fp);
    return rc;
}

/* ---- layers with names ---------------------------------------------------- */

static int find_field(OGRFeatureDefnH defn, const char *const *names)
{
    for (const char *const *n = names; *n; n++)
        for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
            if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), *n) == 0)
                return i;
    return -1;
}

static const char *const NAME_FIELDS[] = {
    "name",  "stop_name", "street",      "street_name",       "road_name", "roadname",
    "name1", "site_name", "school_name", "establishmentname", "NAME",      NULL};
static const char *const X_FIELDS[] = {"easting", "eastings", "location_easting", "x", NULL};
static const char *const Y_FIELDS[] = {"northing", "northings", "location_northing", "y", NULL};

typedef struct {
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRCoordinateTransformationH ct; /* layer CRS (or BNG for x/y tables) -> target */
    int name, x, y;
} named_layer;

static int open_named(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *uri, named_layer *nl)
{
    char *path = NULL, *layer = NULL;
    int rc = ctxprof_split_uri(ctx, uri, &path, &layer);
    memset(nl, 0, sizeof *nl);
    if (rc)
        return rc;
    nl->ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!nl->ds) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot open as a vector layer");
        goto done;
    }
    nl->layer = layer ? GDALDatasetGetLayerByName(nl->ds, layer) : GDALDatasetGetLayer(nl->ds, 0);
    if (!nl->layer) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL, "no layer '%s'",
                              layer ? layer : "(first)");
        goto done;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(nl->layer);
    nl->name = find_field(defn, NAME_FIELDS);
    if (nl->name < 0) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL,
                              "no name field (looked for name, stop_name, street, road_name...)");
        goto done;
    }
    nl->x = find_field(defn, X_FIELDS);
    nl->y = find_field(defn, Y_FIELDS);
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(nl->layer);
    if (OGR_L_GetGeomType(nl->layer) != wkbNone && lsrs) {
        nl->ct = OCTNewCoordinateTransformation(lsrs, gz->target);
    } else if (nl->x >= 0 && nl->y >= 0) {
        OGRSpatialReferenceH bng = ctxprof_srs_new("EPSG:27700");
        nl->ct = OCTNewCoordinateTransformation(bng, gz->target);
        OSRDestroySpatialReference(bng);
    } else {
        rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, 0, NULL,
                              "no geometry with a CRS and no easting/northing columns");
    }
done:
    if (rc && nl->ds) {
        GDALClose(nl->ds);
        nl->ds = NULL;
    }
    ctxprof_free(ctx, path);
    ctxprof_free(ctx, layer);
    return rc;
}

static void close_named(named_layer *nl)
{
    if (nl->ct)
        OCTDestroyCoordinateTransformation(nl->ct);
    if (nl->ds)
        GDALClose(nl->ds);
}

/* The feature's geometry in the target CRS as GEOS, or NULL (then x and y may
 * still come from easting/northing columns; *has_xy says so). */
static GEOSGeometry *feature_geom(ctxprof_gazetteer *gz, named_layer *nl, OGRFeatureH f, double *x,
                                  double *y, int *has_xy)
{
    *has_xy = 0;
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g && !OGR_G_IsEmpty(g)) {
        OGRGeometryH c = OGR_G_Clone(g);
        if (OGR_G_Transform(c, nl->ct) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(c);
            return NULL;
        }
        int n = OGR_G_WkbSize(c);
        unsigned char *wkb = CPLMalloc((size_t)n);
        OGR_G_ExportToWkb(c, wkbNDR, wkb);
        GEOSGeometry *gg = GEOSGeomFromWKB_buf_r(gz->geos, wkb, (size_t)n);
        CPLFree(wkb);
        OGR_G_DestroyGeometry(c);
        return gg;
    }
    if (nl->x >= 0 && nl->y >= 0 && OGR_F_IsFieldSetAndNotNull(f, nl->x) &&
        OGR_F_IsFieldSetAndNotNull(f, nl->y)) {
        double z = 0;
        *x = OGR_F_GetFieldAsDouble(f, nl->x);
        *y = OGR_F_GetFieldAsDouble(f, nl->y);
        *has_xy = (*x != 0 || *y != 0) && OCTTransform(nl->ct, 1, x, y, &z);
    }
    return NULL;
}

static int representative(GEOSContextHandle_t h, const GEOSGeometry *g, double *x, double *y)
{
    int type = GEOSGeomTypeId_r(h, g);
    GEOSGeometry *p = NULL;
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) {
        p = GEOSPointOnSurface_r(h, g);
    } else if (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING) {
        /* On the line, nearest its centroid. */
        GEOSGeometry *c = GEOSGetCentroid_r(h, g);
        GEOSCoordSequence *cs = c ? GEOSNearestPoints_r(h, g, c) : NULL;
        if (c)
            GEOSGeom_destroy_r(h, c);
        if (!cs)
            return -1;
        int ok = GEOSCoordSeq_getXY_r(h, cs, 0, x, y);
        GEOSCoordSeq_destroy_r(h, cs);
        return ok ? 0 : -1;
    } else {
        p = GEOSGetCentroid_r(h, g);
    }
    if (!p)
        return -1;
    int ok = GEOSGeomGetX_r(h, p, x) && GEOSGeomGetY_r(h, p, y);
    GEOSGeom_destroy_r(h, p);
    return ok ? 0 : -1;
}

int ctxprof_gazetteer_add_streets(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *uri,
                                  const char *licence)
{
    named_layer nl;
    ctxprof_gz_source *src = add_source(ctx, gz, "streets", uri, licence);
    if (!src)
        return CTXPROF_E_NOMEM;
    int rc = open_named(ctx, gz, uri, &nl);
    if (rc)
        return rc;
    static const char *const district_fields[] = {"district", "postcode_district", NULL};
    int c_district = find_field(OGR_L_GetLayerDefn(nl.layer), district_fields);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(nl.layer))) {
        src->rows_read++;
        const char *name = OGR_F_GetFieldAsString(f, nl.name);
        char norm[256];
        ctxprof_name_normalise(name, norm, sizeof norm);
        double x = 0, y = 0;
        int has_xy;
        GEOSGeometry *g = *norm ? feature_geom(gz, &nl, f, &x, &y, &has_xy) : NULL;
        if (g) {
            int t = GEOSGeomTypeId_r(gz->geos, g);
            if ((t != GEOS_LINESTRING && t != GEOS_MULTILINESTRING) ||
                representative(gz->geos, g, &x, &y)) {
                GEOSGeom_destroy_r(gz->geos, g);
                g = NULL;
                has_xy = 0;
            } else {
                has_xy = 1;
            }
        }
        if (!*norm || !has_xy) {
            src->rows_skipped++;
            if (g)
                GEOSGeom_destroy_r(gz->geos, g);
            OGR_F_Destroy(f);
            continue;
        }
        if (ctxprof_grow(ctx, (void **)&gz->segs, &gz->cap_segs, gz->n_segs + 1,
                         sizeof *gz->segs)) {
            GEOSGeom_destroy_r(gz->geos, g);
            OGR_F_Destroy(f);
            rc = CTXPROF_E_NOMEM;
            break;
        }
        segment *s = &gz->segs[gz->n_segs++];
        memset(s, 0, sizeof *s);
        s->name = ctxprof_strdup(ctx, name);
        s->norm = ctxprof_strdup(ctx, norm);
        s->geom = g;
        s->x = x;
        s->y = y;
        if (c_district >= 0)
            ctxprof_postcode_normalise(OGR_F_GetFieldAsString(f, c_district), s->district);
        src->rows_used++;
        OGR_F_Destroy(f);
    }
    if (!rc && src->rows_skipped)
        src->skipped_reason = ctxprof_strdup(ctx, "no name, or no line or point geometry");
    close_named(&nl);
    return rc;
}

static int add_place(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *name, const char *norm,
                     const char *kind, const char *route, double x, double y)
{
    /* The same stop repeats for every route and run: merge, keeping routes. */
    for (int i = ctxprof_strmap_get(&gz->place_map, norm); i >= 0; i = gz->places[i].next) {
        ctxprof_gz_place *p = &gz->places[i];
        if (strcmp(p->kind, kind) != 0 || hypot(p->x - x, p->y - y) > SAME_PLACE_M)
            continue;
        if (route && *route) {
            char probe[64];
            snprintf(probe, sizeof probe, ";%s;", route);
            char *have = p->routes ? ctxprof_sprintf(ctx, ";%s;", p->routes) : NULL;
            if (!have || !strstr(have, probe)) {
                char *r = p->routes ? ctxprof_sprintf(ctx, "%s;%s", p->routes, route)
                                    : ctxprof_strdup(ctx, route);
                ctxprof_free(ctx, p->routes);
                p->routes = r;
            }
            ctxprof_free(ctx, have);
        }
        return 0;
    }
    if (ctxprof_grow(ctx, (void **)&gz->places, &gz->cap_places, gz->n_places + 1,
                     sizeof *gz->places))
        return CTXPROF_E_NOMEM;
    ctxprof_gz_place *p = &gz->places[gz->n_places];
    memset(p, 0, sizeof *p);
    p->name = ctxprof_strdup(ctx, name);
    p->norm = ctxprof_strdup(ctx, norm);
    p->kind = ctxprof_strdup(ctx, kind);
    p->routes = route && *route ? ctxprof_strdup(ctx, route) : NULL;
    p->x = x;
    p->y = y;
    p->next = ctxprof_strmap_get(&gz->place_map, norm);
    if (!p->name || !p->norm || !p->kind)
        return CTXPROF_E_NOMEM;
    return ctxprof_strmap_put(ctx, &gz->place_map, norm, (int)gz->n_places++);
}

int ctxprof_gazetteer_add_places(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *uri,
                                 const char *licence)
{
    named_layer nl;
    ctxprof_gz_source *src = add_source(ctx, gz, "places", uri, licence);
    if (!src)
        return CTXPROF_E_NOMEM;
    int rc = open_named(ctx, gz, uri, &nl);
    if (rc)
        return rc;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(nl.layer);
    static const char *const kind_fields[] = {"kind",     "type",    "amenity", "leisure",
                                              "railway",  "highway", "shop",    "fclass",
                                              "category", "phase",   NULL};
    static const char *const route_fields[] = {"route", "routes", NULL};
    int c_kind = find_field(defn, kind_fields), c_route = find_field(defn, route_fields);
    int stops = find_field(defn, (const char *const[]){"stop_name", NULL}) >= 0;
    const char *layer_kind = stops ? "bus_stop" : OGR_L_GetName(nl.layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(nl.layer)) && !rc) {
        src->rows_read++;
        const char *name = OGR_F_GetFieldAsString(f, nl.name);
        char norm[256];
        ctxprof_name_normalise(name, norm, sizeof norm);
        double x = 0, y = 0;
        int has_xy = 0;
        GEOSGeometry *g = *norm ? feature_geom(gz, &nl, f, &x, &y, &has_xy) : NULL;
        if (g) {
            has_xy = representative(gz->geos, g, &x, &y) == 0;
            GEOSGeom_destroy_r(gz->geos, g);
        }
        if (!*norm || !has_xy || strcmp(name, "\x1a") == 0) {
            src->rows_skipped++;
            OGR_F_Destroy(f);
            continue;
        }
        const char *kind = c_kind >= 0 && OGR_F_IsFieldSetAndNotNull(f, c_kind) &&
                                   *OGR_F_GetFieldAsString(f, c_kind)
                               ? OGR_F_GetFieldAsString(f, c_kind)
                               : layer_kind;
        const char *route = c_route >= 0 ? OGR_F_GetFieldAsString(f, c_route) : NULL;
        rc = add_place(ctx, gz, name, norm, kind, route, x, y);
        src->rows_used++;
        OGR_F_Destroy(f);
    }
    if (!rc && src->rows_skipped)
        src->skipped_reason = ctxprof_strdup(ctx, "no name or no location");
    close_named(&nl);
    return rc;
}

/* ---- finishing: streets, centroids, indexes -------------------------------- */

static int cmp_seg(const void *a, const void *b, void *arg)
{
    const segment *s = arg;
    const segment *x = &s[*(const size_t *)a], *y = &s[*(const size_t *)b];
    int c = strcmp(x->norm, y->norm);
    return c ? c : strcmp(x->district, y->district);
}

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i)
        i = parent[i] = parent[parent[i]];
    return i;
}

/* Nearest postcode unit's district to (x, y): a linear scan per street is
 * enough for gazetteers of 10^5 units and 10^4 streets. */
static void nearest_district(const ctxprof_gazetteer *gz, double x, double y, char *out)
{
    double best = INFINITY;
    out[0] = '\0';
    for (size_t i = 0; i < gz->n_units; i++) {
        double d = (gz->units[i].x - x) * (gz->units[i].x - x) +
                   (gz->units[i].y - y) * (gz->units[i].y - y);
        if (d < best) {
            best = d;
            ctxprof_postcode_district(gz->units[i].name, out);
        }
    }
}

static int add_street(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *name, const char *norm,
                      const char *district, GEOSGeometry *geom, double x, double y, double length)
{
    if (ctxprof_grow(ctx, (void **)&gz->streets, &gz->cap_streets, gz->n_streets + 1,
                     sizeof *gz->streets))
        return CTXPROF_E_NOMEM;
    ctxprof_gz_street *st = &gz->streets[gz->n_streets];
    memset(st, 0, sizeof *st);
    st->name = ctxprof_strdup(ctx, name);
    st->norm = ctxprof_strdup(ctx, norm);
    snprintf(st->district, sizeof st->district, "%s", district);
    st->geom = geom;
    st->x = x;
    st->y = y;
    st->length_m = length;
    st->next = ctxprof_strmap_get(&gz->street_map, norm);
    if (!st->name || !st->norm)
        return CTXPROF_E_NOMEM;
    return ctxprof_strmap_put(ctx, &gz->street_map, norm, (int)gz->n_streets++);
}

static int group_streets(ctxprof_ctx *ctx, ctxprof_gazetteer *gz)
{
    GEOSContextHandle_t h = gz->geos;
    size_t n = gz->n_segs;
    int rc = 0;
    size_t *order = ctxprof_mallocarray(ctx, n ? n : 1, sizeof *order);
    size_t *parent = ctxprof_mallocarray(ctx, n ? n : 1, sizeof *parent);
    if (!order || !parent) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = parent[i] = i;
    qsort_r(order, n, sizeof *order, cmp_seg, gz->segs);
    for (size_t a = 0; a < n && !rc;) {
        size_t b = a;
        while (b < n && cmp_seg(&order[a], &order[b], gz->segs) == 0)
            b++;
        /* Segments of one name (and district) within SAME_STREET_GAP_M of
         * each other are one street. */
        for (size_t i = a; i < b; i++)
            for (size_t j = i + 1; j < b; j++) {
                segment *si = &gz->segs[order[i]], *sj = &gz->segs[order[j]];
                double d;
                if (si->geom && sj->geom) {
                    if (GEOSDistance_r(h, si->geom, sj->geom, &d) != 1)
                        continue;
                } else {
                    d = hypot(si->x - sj->x, si->y - sj->y);
                }
                if (d <= SAME_STREET_GAP_M)
                    parent[uf_find(parent, order[i])] = uf_find(parent, order[j]);
            }
        for (size_t i = a; i < b && !rc; i++) {
            size_t root = uf_find(parent, order[i]);
            if (root != order[i] && uf_find(parent, order[i]) == root && i != a) {
                /* members are collected when their root is reached */
            }
            if (root != order[i])
                continue;
            GEOSGeometry *parts[4096];
            int np = 0;
            double sx = 0, sy = 0;
            int cnt = 0;
            const segment *first = &gz->segs[root];
            for (size_t j = a; j < b; j++) {
                segment *s = &gz->segs[order[j]];
                if (uf_find(parent, order[j]) != root)
                    continue;
                sx += s->x;
                sy += s->y;
                cnt++;
                if (s->geom && np < 4096) {
                    int t = GEOSGeomTypeId_r(h, s->geom);
                    for (int k = 0; k < GEOSGetNumGeometries_r(h, s->geom) && np < 4096; k++)
                        parts[np++] = GEOSGeom_clone_r(h, t == GEOS_MULTILINESTRING
                                                              ? GEOSGetGeometryN_r(h, s->geom, k)
                                                              : s->geom);
                }
            }
            GEOSGeometry *geom =
                np ? GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, parts, (unsigned)np)
                   : NULL;
            double x = sx / cnt, y = sy / cnt, len = 0;
            if (geom) {
                representative(h, geom, &x, &y);
                GEOSLength_r(h, geom, &len);
            }
            char district[CTXPROF_PC_LEN];
            if (first->district[0])
                snprintf(district, sizeof district, "%s", first->district);
            else
                nearest_district(gz, x, y, district);
            rc = add_street(ctx, gz, first->name, first->norm, district, geom, x, y, len);
        }
        a = b;
    }
done:
    ctxprof_free(ctx, order);
    ctxprof_free(ctx, parent);
    return rc;
}

/* Sector and district centroids: the mean of their units. */
static int aggregate(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, int district)
{
    ctxprof_strmap *map = district ? &gz->district_map : &gz->sector_map;
    ctxprof_gz_postcode **arr = district ? &gz->districts : &gz->sectors;
    size_t *cnt = district ? &gz->n_districts : &gz->n_sectors;
    size_t cap = 0;
    for (size_t i = 0; i < gz->n_units; i++) {
        char key[CTXPROF_PC_LEN];
        if (district)
            ctxprof_postcode_district(gz->units[i].name, key);
        else
            ctxprof_postcode_sector(gz->units[i].name, key);
        int at = ctxprof_strmap_get(map, key);
        if (at < 0) {
            if (ctxprof_grow(ctx, (void **)arr, &cap, *cnt + 1, sizeof **arr) ||
                ctxprof_strmap_put(ctx, map, key, (int)*cnt))
                return CTXPROF_E_NOMEM;
            at = (int)(*cnt)++;
            memset(&(*arr)[at], 0, sizeof **arr);
            snprintf((*arr)[at].name, CTXPROF_PC_LEN, "%s", key);
        }
        ctxprof_gz_postcode *a = &(*arr)[at];
        a->x += gz->units[i].x;
        a->y += gz->units[i].y;
        a->n++;
    }
    for (size_t i = 0; i < *cnt; i++) {
        (*arr)[i].x /= (*arr)[i].n;
        (*arr)[i].y /= (*arr)[i].n;
    }
    return 0;
}

static uint32_t tri_key(const char *s)
{
    return ((uint32_t)(unsigned char)s[0] << 16) | ((uint32_t)(unsigned char)s[1] << 8) |
           (uint32_t)(unsigned char)s[2];
}

static int cmp_posting(const void *a, const void *b)
{
    const posting *x = a, *y = b;
    if (x->tri != y->tri)
        return x->tri < y->tri ? -1 : 1;
    return x->name - y->name;
}

/* Trigrams of "  NAME " (padded so short names and word starts count). */
static int trigrams(const char *norm, uint32_t *out, int max)
{
    char buf[300];
    int n = snprintf(buf, sizeof buf, "  %s ", norm), k = 0;
    for (int i = 0; i + 3 <= n && k < max; i++)
        out[k++] = tri_key(buf + i);
    return k;
}

static int add_name(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *norm)
{
    if (ctxprof_strmap_get(&gz->name_map, norm) >= 0)
        return 0;
    if (ctxprof_grow(ctx, (void **)&gz->names, &gz->cap_names, gz->n_names + 1,
                     sizeof *gz->names) ||
        !(gz->names[gz->n_names] = ctxprof_strdup(ctx, norm)))
        return CTXPROF_E_NOMEM;
    return ctxprof_strmap_put(ctx, &gz->name_map, norm, (int)gz->n_names++);
}

static int build_index(ctxprof_ctx *ctx, ctxprof_gazetteer *gz)
{
    int rc = 0;
    for (size_t i = 0; i < gz->n_streets && !rc; i++)
        rc = add_name(ctx, gz, gz->streets[i].norm);
    for (size_t i = 0; i < gz->n_places && !rc; i++)
        rc = add_name(ctx, gz, gz->places[i].norm);
    if (rc)
        return rc;
    size_t cap = 0;
    for (size_t i = 0; i < gz->n_names; i++) {
        uint32_t t[300];
        int k = trigrams(gz->names[i], t, 300);
        if (ctxprof_grow(ctx, (void **)&gz->postings, &cap, gz->n_postings + (size_t)k,
                         sizeof *gz->postings))
            return CTXPROF_E_NOMEM;
        for (int j = 0; j < k; j++)
            gz->postings[gz->n_postings++] = (posting){t[j], (int)i};
    }
    if (gz->n_postings)
        qsort(gz->postings, gz->n_postings, sizeof *gz->postings, cmp_posting);
    return 0;
}

int ctxprof_gazetteer_finish(ctxprof_ctx *ctx, ctxprof_gazetteer *gz)
{
    int rc;
    if ((rc = aggregate(ctx, gz, 0)) || (rc = aggregate(ctx, gz, 1)) ||
        (rc = group_streets(ctx, gz)))
        return rc;
    /* The segments now live on in their streets' merged geometries. */
    for (size_t i = 0; i < gz->n_segs; i++) {
        ctxprof_free(ctx, gz->segs[i].name);
        ctxprof_free(ctx, gz->segs[i].norm);
        if (gz->segs[i].geom)
            GEOSGeom_destroy_r(gz->geos, gz->segs[i].geom);
    }
    gz->n_segs = 0;
    return build_index(ctx, gz);
}

/* ---- lookups ---------------------------------------------------------------- */

static const ctxprof_gz_postcode *lookup(const ctxprof_strmap *m, const ctxprof_gz_postcode *arr,
                                         const char *key)
{
    int i = ctxprof_strmap_get(m, key);
    return i >= 0 ? &arr[i] : NULL;
}

const ctxprof_gz_postcode *ctxprof_gz_unit(const ctxprof_gazetteer *gz, const char *pc)
{
    return lookup(&gz->unit_map, gz->units, pc);
}

const ctxprof_gz_postcode *ctxprof_gz_sector(const ctxprof_gazetteer *gz, const char *sector)
{
    return lookup(&gz->sector_map, gz->sectors, sector);
}

const ctxprof_gz_postcode *ctxprof_gz_district(const ctxprof_gazetteer *gz, const char *district)
{
    return lookup(&gz->district_map, gz->districts, district);
}

int ctxprof_gz_street_first(const ctxprof_gazetteer *gz, const char *norm)
{
    return ctxprof_strmap_get(&gz->street_map, norm);
}

int ctxprof_gz_place_first(const ctxprof_gazetteer *gz, const char *norm)
{
    return ctxprof_strmap_get(&gz->place_map, norm);
}

const ctxprof_gz_street *ctxprof_gz_street_at(const ctxprof_gazetteer *gz, int i)
{
    return i >= 0 && (size_t)i < gz->n_streets ? &gz->streets[i] : NULL;
}

const ctxprof_gz_place *ctxprof_gz_place_at(const ctxprof_gazetteer *gz, int i)
{
    return i >= 0 && (size_t)i < gz->n_places ? &gz->places[i] : NULL;
}

int ctxprof_gz_fuzzy(const ctxprof_gazetteer *gz, const char *norm, int max_edits,
                     const char **found, int *edits, int max)
{
    if (!gz->n_names || !*norm)
        return 0;
    uint32_t t[300];
    int k = trigrams(norm, t, 300);
    /* Count shared trigrams per name; a name within max_edits edits shares
     * at least k - 3*max_edits of the query's trigrams. */
    enum { MAXC = 64 };
    int cand[MAXC], shared[MAXC], nc = 0;
    int need = k - 3 * max_edits;
    if (need < 1)
        need = 1;
    /* Small sparse counter: names touched, in a local hash of size 1024. */
    enum { HS = 4096 };
    int keys[HS], counts[HS];
    for (int i = 0; i < HS; i++)
        keys[i] = -1;
    for (int q = 0; q < k; q++) {
        /* binary search for the first posting of t[q] */
        size_t lo = 0, hi = gz->n_postings;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (gz->postings[mid].tri < t[q])
                lo = mid + 1;
            else
                hi = mid;
        }
        int last = -1;
        for (size_t p = lo; p < gz->n_postings && gz->postings[p].tri == t[q]; p++) {
            int name = gz->postings[p].name;
            if (name == last)
                continue; /* a trigram repeated within one name counts once */
            last = name;
            unsigned hslot = (unsigned)name * 2654435761u % HS;
            int probes = 0;
            while (keys[hslot] != -1 && keys[hslot] != name && probes++ < HS)
                hslot = (hslot + 1) % HS;
            if (probes >= HS)
                continue;
            if (keys[hslot] == -1) {
                keys[hslot] = name;
                counts[hslot] = 0;
            }
            counts[hslot]++;
        }
    }
    for (int i = 0; i < HS; i++) {
        if (keys[i] < 0 || counts[i] < need)
            continue;
        int slot = nc < MAXC ? nc++ : -1;
        if (slot < 0) { /* keep the MAXC best by shared trigrams */
            int worst = 0;
            for (int j = 1; j < MAXC; j++)
                if (shared[j] < shared[worst])
                    worst = j;
            if (shared[worst] >= counts[i])
                continue;
            slot = worst;
        }
        cand[slot] = keys[i];
        shared[slot] = counts[i];
    }
    int n = 0;
    for (int e = 0; e <= max_edits && n < max; e++)
        for (int i = 0; i < nc && n < max; i++) {
            int d = ctxprof_edit_distance(norm, gz->names[cand[i]], max_edits);
            if (d == e) {
                found[n] = gz->names[cand[i]];
                edits[n++] = d;
            }
        }
    return n;
}

size_t ctxprof_gz_n_sources(const ctxprof_gazetteer *gz)
{
    return gz->n_sources;
}

const ctxprof_gz_source *ctxprof_gz_source_at(const ctxprof_gazetteer *gz, size_t i)
{
    return i < gz->n_sources ? &gz->sources[i] : NULL;
}

void ctxprof_gz_counts(const ctxprof_gazetteer *gz, size_t *units, size_t *sectors,
                       size_t *districts, size_t *streets, size_t *places)
{
    *units = gz->n_units;
    *sectors = gz->n_sectors;
    *districts = gz->n_districts;
    *streets = gz->n_streets;
    *places = gz->n_places;
}

/* ---- GeoPackage ------------------------------------------------------------- */

static int write_points(ctxprof_ctx *ctx, ctxprof_output *out, const char *layer_name,
                        const char *key, const char *count, const ctxprof_gz_postcode *arr,
                        size_t n)
{
    const ctxprof_column cols[] = {{key, OFTString}, {count, OFTInteger}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, layer_name, wkbPoint, cols, 2);
    OGRFeatureH f = rc ? NULL : OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    for (size_t i = 0; i < n && !rc; i++) {
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, arr[i].name);
        OGR_F_SetFieldInteger(f, 1, arr[i].n);
        OGR_G_SetPoint_2D(pt, 0, arr[i].x, arr[i].y);
        OGR_F_SetGeometry(f, pt);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_G_DestroyGeometry(pt);
    if (f)
        OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static OGRGeometryH to_ogr(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    size_t n;
    unsigned char *wkb = GEOSGeomToWKB_buf_r(h, g, &n);
    OGRGeometryH og = NULL;
    if (wkb)
        OGR_G_CreateFromWkb(wkb, NULL, &og, (int)n);
    GEOSFree_r(h, wkb);
    return og;
}

int ctxprof_gazetteer_write(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *path)
{
    ctxprof_output *out = NULL;
    int rc = ctxprof_output_open(ctx, &out, path, gz->crs);
    if (rc)
        return rc;
    ctxprof_output_set_shareable(out); /* public reference data, no people */
    OGRLayerH layer;
    OGRFeatureH f = NULL;
    if ((rc = write_points(ctx, out, "postcode_units", "postcode", "quality", gz->units,
                           gz->n_units)) ||
        (rc = write_points(ctx, out, "postcode_sectors", "sector", "n_units", gz->sectors,
                           gz->n_sectors)) ||
        (rc = write_points(ctx, out, "postcode_districts", "district", "n_units", gz->districts,
                           gz->n_districts)))
        goto done;
    static const ctxprof_column scols[] = {{"name", OFTString},     {"norm", OFTString},
                                           {"district", OFTString}, {"rep_x", OFTReal},
                                           {"rep_y", OFTReal},      {"length_m", OFTReal}};
    if ((rc = ctxprof_output_layer(ctx, out, &layer, "streets", wkbMultiLineString, scols, 6)))
        goto done;
    f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < gz->n_streets && !rc; i++) {
        const ctxprof_gz_street *s = &gz->streets[i];
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, s->name);
        OGR_F_SetFieldString(f, 1, s->norm);
        OGR_F_SetFieldString(f, 2, s->district);
        OGR_F_SetFieldDouble(f, 3, s->x);
        OGR_F_SetFieldDouble(f, 4, s->y);
        OGR_F_SetFieldDouble(f, 5, s->length_m);
        OGRGeometryH g = s->geom ? to_ogr(gz->geos, s->geom) : NULL;
        OGR_F_SetGeometryDirectly(f, g);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    f = NULL;
    if (rc || (rc = ctxprof_output_end_layer(ctx, out)))
        goto done;
    static const ctxprof_column pcols[] = {
        {"name", OFTString}, {"norm", OFTString}, {"kind", OFTString}, {"routes", OFTString}};
    if ((rc = ctxprof_output_layer(ctx, out, &layer, "places", wkbPoint, pcols, 4)))
        goto done;
    f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    for (size_t i = 0; i < gz->n_places && !rc; i++) {
        const ctxprof_gz_place *p = &gz->places[i];
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, p->name);
        OGR_F_SetFieldString(f, 1, p->norm);
        OGR_F_SetFieldString(f, 2, p->kind);
        if (p->routes)
            OGR_F_SetFieldString(f, 3, p->routes);
        else
            OGR_F_SetFieldNull(f, 3);
        OGR_G_SetPoint_2D(pt, 0, p->x, p->y);
        OGR_F_SetGeometry(f, pt);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_G_DestroyGeometry(pt);
    OGR_F_Destroy(f);
    f = NULL;
    if (rc || (rc = ctxprof_output_end_layer(ctx, out)))
        goto done;
    static const ctxprof_column ccols[] = {
        {"kind", OFTString},          {"path", OFTString},         {"licence", OFTString},
        {"rows_read", OFTInteger64},  {"rows_used", OFTInteger64}, {"rows_skipped", OFTInteger64},
        {"skipped_reason", OFTString}};
    if ((rc = ctxprof_output_layer(ctx, out, &layer, "gazetteer_sources", wkbNone, ccols, 7)))
        goto done;
    f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < gz->n_sources && !rc; i++) {
        const ctxprof_gz_source *s = &gz->sources[i];
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, s->kind);
        OGR_F_SetFieldString(f, 1, s->path);
        OGR_F_SetFieldString(f, 2, s->licence);
        OGR_F_SetFieldInteger64(f, 3, s->rows_read);
        OGR_F_SetFieldInteger64(f, 4, s->rows_used);
        OGR_F_SetFieldInteger64(f, 5, s->rows_skipped);
        if (s->skipped_reason)
            OGR_F_SetFieldString(f, 6, s->skipped_reason);
        else
            OGR_F_SetFieldNull(f, 6);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    f = NULL;
    if (rc || (rc = ctxprof_output_end_layer(ctx, out)))
        goto done;
    rc = ctxprof_output_meta(ctx, out, "version", CTXPROF_VERSION);
    if (!rc)
        rc = ctxprof_output_meta(ctx, out, "content", "ctxprof gazetteer");
    if (!rc)
        rc = ctxprof_output_finish(ctx, out);
done:
    ctxprof_output_close(ctx, out);
    return rc;
}

int ctxprof_gazetteer_open(ctxprof_ctx *ctx, ctxprof_gazetteer **out, const char *path,
                           const char *crs)
{
    ctxprof_gazetteer *gz = NULL;
    int rc = ctxprof_gazetteer_new(ctx, &gz, crs);
    if (rc)
        return rc;
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGRCoordinateTransformationH ct = NULL;
    if (!ds) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot open the gazetteer");
        goto done;
    }
    static const char *const needed[] = {"postcode_units", "postcode_sectors", "postcode_districts",
                                         "streets",        "places",           "gazetteer_sources"};
    for (size_t i = 0; i < 6; i++)
        if (!GDALDatasetGetLayerByName(ds, needed[i])) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL,
                                  "not a ctxprof gazetteer: no layer %s (build one with "
                                  "`ctxprof gazetteer build`)",
                                  needed[i]);
            goto done;
        }
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "postcode_units");
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(l);
    if (lsrs && !OSRIsSame(lsrs, gz->target))
        ct = OCTNewCoordinateTransformation(lsrs, gz->target);
    OGRFeatureH f;
    /* Units, sectors and districts. */
    for (int which = 0; which < 3 && !rc; which++) {
        l = GDALDatasetGetLayerByName(ds, needed[which]);
        ctxprof_strmap *map = which == 0   ? &gz->unit_map
                              : which == 1 ? &gz->sector_map
                                           : &gz->district_map;
        ctxprof_gz_postcode **arr = which == 0   ? &gz->units
                                    : which == 1 ? &gz->sectors
                                                 : &gz->districts;
        size_t *n = which == 0 ? &gz->n_units : which == 1 ? &gz->n_sectors : &gz->n_districts;
        size_t cap = 0;
        OGR_L_ResetReading(l);
        while (!rc && (f = OGR_L_GetNextFeature(l))) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (g) {
                double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0), z = 0;
                if (ct)
                    OCTTransform(ct, 1, &x, &y, &z);
                if (ctxprof_grow(ctx, (void **)arr, &cap, *n + 1, sizeof **arr)) {
                    rc = CTXPROF_E_NOMEM;
                } else {
                    ctxprof_gz_postcode *p = &(*arr)[*n];
                    snprintf(p->name, sizeof p->name, "%s", OGR_F_GetFieldAsString(f, 0));
                    p->n = OGR_F_GetFieldAsInteger(f, 1);
                    p->x = x;
                    p->y = y;
                    rc = ctxprof_strmap_put(ctx, map, p->name, (int)(*n)++);
                }
            }
            OGR_F_Destroy(f);
        }
        if (which == 0)
            gz->cap_units = cap;
    }
    l = GDALDatasetGetLayerByName(ds, "streets");
    while (!rc && (f = OGR_L_GetNextFeature(l))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        GEOSGeometry *geom = NULL;
        double x = OGR_F_GetFieldAsDouble(f, 3), y = OGR_F_GetFieldAsDouble(f, 4), z = 0;
        if (g) {
            OGRGeometryH c = OGR_G_Clone(g);
            if (ct)
                OGR_G_Transform(c, ct);
            int n = OGR_G_WkbSize(c);
            unsigned char *wkb = CPLMalloc((size_t)n);
            OGR_G_ExportToWkb(c, wkbNDR, wkb);
            geom = GEOSGeomFromWKB_buf_r(gz->geos, wkb, (size_t)n);
            CPLFree(wkb);
            OGR_G_DestroyGeometry(c);
        }
        if (ct)
            OCTTransform(ct, 1, &x, &y, &z);
        rc = add_street(ctx, gz, OGR_F_GetFieldAsString(f, 0), OGR_F_GetFieldAsString(f, 1),
                        OGR_F_GetFieldAsString(f, 2), geom, x, y, OGR_F_GetFieldAsDouble(f, 5));
        OGR_F_Destroy(f);
    }
    l = GDALDatasetGetLayerByName(ds, "places");
    while (!rc && (f = OGR_L_GetNextFeature(l))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g) {
            double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0), z = 0;
            if (ct)
                OCTTransform(ct, 1, &x, &y, &z);
            rc = add_place(ctx, gz, OGR_F_GetFieldAsString(f, 0), OGR_F_GetFieldAsString(f, 1),
                           OGR_F_GetFieldAsString(f, 2),
                           OGR_F_IsFieldSetAndNotNull(f, 3) ? OGR_F_GetFieldAsString(f, 3) : NULL,
                           x, y);
        }
        OGR_F_Destroy(f);
    }
    l = GDALDatasetGetLayerByName(ds, "gazetteer_sources");
    while (!rc && (f = OGR_L_GetNextFeature(l))) {
        ctxprof_gz_source *s =
            add_source(ctx, gz, OGR_F_GetFieldAsString(f, 0), OGR_F_GetFieldAsString(f, 1),
                       OGR_F_GetFieldAsString(f, 2));
        if (!s) {
            rc = CTXPROF_E_NOMEM;
        } else {
            s->rows_read = OGR_F_GetFieldAsInteger64(f, 3);
            s->rows_used = OGR_F_GetFieldAsInteger64(f, 4);
            s->rows_skipped = OGR_F_GetFieldAsInteger64(f, 5);
        }
        OGR_F_Destroy(f);
    }
    if (!rc)
        rc = build_index(ctx, gz);
done:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (ds)
        GDALClose(ds);
    if (rc) {
        ctxprof_gazetteer_free(ctx, gz);
        return rc;
    }
    *out = gz;
    return 0;
}

/* ---- from a profile ------------------------------------------------------------- */

/* Adds every comma-separated source of one [gazetteer] list. */
static int add_list(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *list, const char *licence,
                    int (*add)(ctxprof_ctx *, ctxprof_gazetteer *, const char *, const char *))
{
    if (!list)
        return 0;
    char **items = CSLTokenizeString2(list, ",", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
    int rc = 0;
    for (int i = 0; items && items[i] && !rc; i++)
        rc = add(ctx, gz, items[i], licence);
    CSLDestroy(items);
    return rc;
}

int ctxprof_gazetteer_from_options(ctxprof_ctx *ctx, ctxprof_gazetteer **out,
                                   const ctxprof_gazetteer_options *o)
{
    *out = NULL;
    const char *crs = o->crs;
    if (o->gazetteer)
        return ctxprof_gazetteer_open(ctx, out, o->gazetteer, crs);
    if (!o->postcodes && !o->streets && !o->places)
        return 0;
    ctxprof_gazetteer *gz;
    int rc = ctxprof_gazetteer_new(ctx, &gz, crs);
    if (rc)
        return rc;
    if ((rc = add_list(ctx, gz, o->postcodes, o->postcodes_licence,
                       ctxprof_gazetteer_add_postcodes)) ||
        (rc = add_list(ctx, gz, o->streets, o->streets_licence, ctxprof_gazetteer_add_streets)) ||
        (rc = add_list(ctx, gz, o->places, o->places_licence, ctxprof_gazetteer_add_places)) ||
        (rc = ctxprof_gazetteer_finish(ctx, gz))) {
        ctxprof_gazetteer_free(ctx, gz);
        return rc;
    }
    *out = gz;
    return 0;
}
