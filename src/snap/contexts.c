#include "snap/contexts.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/polygons.h"
#include "core/uri.h"
#include "core/layer.h"
#include "snap/contexts_internal.h"

/* Output columns a copied source column must not collide with (GeoPackage
 * column names are case-insensitive). */
int ctxprof_snap_reserved_column(const char *name)
{
    static const char *const fixed[] = {"fid",       "geom",     "id",      "name",
                                        "n_total",   "n_people", "rate",    "rank",
                                        "rate_rank", "area_ha",  "length_m"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcasecmp(name, fixed[i]) == 0)
            return 1;
    if (strncasecmp(name, "n_", 2) == 0) {
        for (int k = 0; k < CTXPROF_N_CATEGORIES; k++)
            if (strcasecmp(name + 2, ctxprof_category_names[k]) == 0)
                return 1;
        for (int k = 0; k < CTXPROF_N_FLAGS; k++)
            if (strcasecmp(name + 2, ctxprof_flag_names[k]) == 0)
                return 1;
    }
    return 0;
}

OGRSpatialReferenceH ctxprof_snap_srs(const char *def)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (OSRSetFromUserInput(s, def) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

int ctxprof_contexts_new(ctxprof_ctx *ctx, ctxprof_contexts **out, const char *crs)
{
    *out = ctxprof_calloc(ctx, 1, sizeof **out);
    if (!*out)
        return CTXPROF_E_NOMEM;
    if (!((*out)->crs = ctxprof_strdup(ctx, crs ? crs : "EPSG:27700")) ||
        !((*out)->layer = ctxprof_calloc(ctx, ctxprof_n_context_types, sizeof *(*out)->layer))) {
        ctxprof_free(ctx, (*out)->crs);
        ctxprof_free(ctx, *out);
        *out = NULL;
        return CTXPROF_E_NOMEM;
    }
    return 0;
}

void ctxprof_context_layer_clear(ctxprof_ctx *ctx, ctxprof_context_layer *l)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    for (size_t i = 0; i < l->n; i++) {
        if (l->id)
            ctxprof_free(ctx, l->id[i]);
        if (l->name)
            ctxprof_free(ctx, l->name[i]);
        if (l->geom && l->geom[i])
            GEOSGeom_destroy_r(h, l->geom[i]);
    }
    for (size_t a = 0; a < l->n_attrs; a++) {
        for (size_t i = 0; i < l->n && l->attrs[a].value; i++)
            ctxprof_free(ctx, l->attrs[a].value[i]);
        ctxprof_free(ctx, l->attrs[a].value);
        ctxprof_free(ctx, l->attrs[a].name);
    }
    ctxprof_free(ctx, l->attrs);
    ctxprof_free(ctx, l->id);
    ctxprof_free(ctx, l->name);
    ctxprof_free(ctx, l->geom);
    ctxprof_free(ctx, l->measure);
    ctxprof_free(ctx, l->source);
    ctxprof_free(ctx, l->id_field);
    ctxprof_free(ctx, l->name_field);
    memset(l, 0, sizeof *l);
}

void ctxprof_contexts_free(ctxprof_ctx *ctx, ctxprof_contexts *c)
{
    if (!c)
        return;
    for (size_t t = 0; c->layer && t < ctxprof_n_context_types; t++)
        ctxprof_context_layer_clear(ctx, &c->layer[t]);
    ctxprof_free(ctx, c->layer);
    if (c->study_area)
        GEOSGeom_destroy_r(ctxprof_geos(ctx), c->study_area);
    ctxprof_free(ctx, c->crs);
    ctxprof_free(ctx, c);
}

/* Grows the per-feature arrays of l (and its attributes) to hold need. */
int ctxprof_context_layer_reserve(ctxprof_ctx *ctx, ctxprof_context_layer *l, size_t need,
                                  size_t *cap)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
#define GROW(arr)                                                                                  \
    do {                                                                                           \
        void *p_ = ctxprof_reallocarray(ctx, (arr), nc, sizeof *(arr));                            \
        if (!p_)                                                                                   \
            return CTXPROF_E_NOMEM;                                                                \
        (arr) = p_;                                                                                \
    } while (0)
    GROW(l->id);
    GROW(l->name);
    GROW(l->geom);
    GROW(l->measure);
    for (size_t a = 0; a < l->n_attrs; a++)
        GROW(l->attrs[a].value);
#undef GROW
    *cap = nc;
    return 0;
}

long ctxprof_context_find(const ctxprof_context_layer *l, const char *id)
{
    for (size_t i = 0; id && i < l->n; i++)
        if (l->id[i] && strcmp(l->id[i], id) == 0)
            return (long)i;
    return -1;
}

/* The index of the column to use as id: forced, known names, then ONS-style
 * ...CD or a name ending in _id/_code. -1: use the FID. */
static int find_field(OGRFeatureDefnH defn, const char *const *names)
{
    int n = OGR_FD_GetFieldCount(defn);
    for (int k = 0; names && names[k]; k++)
        for (int i = 0; i < n; i++)
            if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), names[k]) == 0)
                return i;
    return -1;
}

/* Whether column f names the administrative area a feature lies in (its
 * ward, LSOA, borough...), not the feature: WARD_NAME, LSOA11NM, LA_NAME. */
static int is_admin_column(const char *f)
{
    static const char *const areas[] = {
        "ward",         "wd",      "lsoa",     "msoa",   "oa",      "lad",    "la",       "lea",
        "lau",          "borough", "district", "county", "cty",     "region", "rgn",      "parish",
        "constituency", "pcon",    "ccg",      "icb",    "country", "ctry",   "authority"};
    size_t n = strcspn(f, "_0123456789 ");
    for (size_t k = 0; k < sizeof areas / sizeof areas[0]; k++)
        if (strlen(areas[k]) == n && strncasecmp(f, areas[k], n) == 0)
            return 1;
    return 0;
}

static int find_id_field(OGRFeatureDefnH defn, int type, const char *forced)
{
    int n = OGR_FD_GetFieldCount(defn);
    if (forced)
        return OGR_FD_GetFieldIndex(defn, forced);
    int k = find_field(defn, ctxprof_context_types[type].id_candidates);
    if (k >= 0)
        return k;
    int areas = strcmp(ctxprof_context_types[type].key, "areas") == 0;
    for (int i = 0; i < n; i++) {
        const char *f = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        size_t len = strlen(f);
        if (!areas && is_admin_column(f))
            continue;
        if ((len > 2 && strcmp(f + len - 2, "CD") == 0) ||
            (len > 3 && strcasecmp(f + len - 3, "_id") == 0) ||
            (len > 5 && strcasecmp(f + len - 5, "_code") == 0))
            return i;
    }
    return -1;
}

/* The name column: forced; a known name; then one ending in NM, _name or
 * _nam (a shapefile's ten characters) that is not an administrative
 * area's (except for the areas themselves, whose own names those are). */
static int find_name_field(OGRFeatureDefnH defn, int type, int id_field, const char *forced)
{
    int n = OGR_FD_GetFieldCount(defn);
    if (forced)
        return OGR_FD_GetFieldIndex(defn, forced);
    int k = find_field(defn, ctxprof_context_types[type].name_candidates);
    if (k >= 0 && k != id_field)
        return k;
    int areas = strcmp(ctxprof_context_types[type].key, "areas") == 0;
    for (int i = 0; i < n; i++) {
        const char *f = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        size_t len = strlen(f);
        if (i != id_field && (areas || !is_admin_column(f)) &&
            ((len > 2 && strcmp(f + len - 2, "NM") == 0) ||
             (len > 5 && strcasecmp(f + len - 5, "_name") == 0) ||
             (len > 4 && strcasecmp(f + len - 4, "_nam") == 0)))
            return i;
    }
    return -1;
}

static int find_pupils_field(OGRFeatureDefnH defn)
{
    static const char *const names[] = {"pupils", "number_of_pupils", "numberofpupils",
                                        "pupil_count", "nor"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
            if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), names[k]) == 0)
                return i;
    }
    return -1;
}

/* A short label for messages: "parks (northbrook.gpkg|layername=parks)". */
static const char *label(const char *uri, int t, char *buf, size_t size)
{
    snprintf(buf, size, "%s (%s)", ctxprof_context_types[t].layer, uri);
    return buf;
}

static int geom_dim(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(h, g);
    switch (t) {
    case GEOS_POINT:
    case GEOS_MULTIPOINT:
        return 0;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
    case GEOS_MULTILINESTRING:
        return 1;
    case GEOS_POLYGON:
    case GEOS_MULTIPOLYGON:
        return 2;
    default: {
        int d = -1;
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++) {
            int k = geom_dim(h, GEOSGetGeometryN_r(h, g, i));
            d = k > d ? k : d;
        }
        return d;
    }
    }
}

typedef struct {
    const char *id;
    size_t i;
} id_index;

static int cmp_id_index(const void *a, const void *b)
{
    const id_index *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Features that repeat an earlier one's id at the same place (a file that
 * lists a school twice) are one feature: the later ones are dropped, with
 * a warning. Repeated ids at different places make incident links
 * ambiguous: they are kept and warned about. */
/* Removes the features of l with drop[i] set, keeping the order of the
 * others; returns how many went. */
static size_t drop_features(ctxprof_ctx *ctx, ctxprof_context_layer *l, const char *drop)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (drop[i]) {
            ctxprof_free(ctx, l->id[i]);
            ctxprof_free(ctx, l->name[i]);
            GEOSGeom_destroy_r(h, l->geom[i]);
            for (size_t a = 0; a < l->n_attrs; a++)
                ctxprof_free(ctx, l->attrs[a].value[i]);
            continue;
        }
        l->id[n] = l->id[i];
        l->name[n] = l->name[i];
        l->geom[n] = l->geom[i];
        l->measure[n] = l->measure[i];
        for (size_t a = 0; a < l->n_attrs; a++)
            l->attrs[a].value[n] = l->attrs[a].value[i];
        n++;
    }
    size_t gone = l->n - n;
    l->n = n;
    return gone;
}

static int merge_repeats(ctxprof_ctx *ctx, ctxprof_context_layer *l, const char *lbl, int type)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    id_index *order = ctxprof_mallocarray(ctx, l->n ? l->n : 1, sizeof *order);
    char *drop = ctxprof_calloc(ctx, l->n ? l->n : 1, 1);
    if (!order || !drop) {
        ctxprof_free(ctx, order);
        ctxprof_free(ctx, drop);
        return CTXPROF_E_NOMEM;
    }
    for (size_t i = 0; i < l->n; i++)
        order[i] = (id_index){l->id[i], i};
    qsort(order, l->n, sizeof *order, cmp_id_index);
    long merged = 0, clashes = 0;
    const char *merged_eg = NULL, *clash_eg = NULL;
    for (size_t k = 1, first = 0; k < l->n; k++) {
        size_t i = order[k].i, f = order[first].i;
        if (strcmp(l->id[i], l->id[f]) != 0) {
            first = k;
            continue;
        }
        if (GEOSEqualsExact_r(h, l->geom[i], l->geom[f], 1.0) == 1) {
            drop[i] = 1;
            merged++;
            merged_eg = l->id[i];
        } else {
            clashes++;
            clash_eg = l->id[i];
        }
    }
    if (merged)
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "%s: %ld features repeat the id and the place of an earlier one (e.g. '%s') "
                    "and are merged into it",
                    lbl, merged, merged_eg);
    if (clashes)
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "%s: %ld features repeat an id already used at another place (e.g. '%s'); "
                    "set [contexts] id_field.%s to a unique column",
                    lbl, clashes, clash_eg, ctxprof_context_types[type].key);
    l->n_merged += (long)drop_features(ctx, l, drop);
    ctxprof_free(ctx, order);
    ctxprof_free(ctx, drop);
    return 0;
}

int ctxprof_contexts_read_layer(ctxprof_ctx *ctx, ctxprof_contexts *c, int type, const char *uri,
                                const char *id_field, const char *name_field, int append)
{
    int rc = 0;
    char lbl[1200], fidbuf[64], kind_layer[64];
    ctxprof_layer in = {0};
    OGRFeatureH f = NULL;
    int *attr_src = NULL;
    size_t cap = 0;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    ctxprof_context_layer *l = &c->layer[type];
    append = append && l->present;
    if (!append)
        ctxprof_context_layer_clear(ctx, l);
    cap = l->n;
    char *srcs = append ? ctxprof_sprintf(ctx, "%s,%s", l->source, uri) : ctxprof_strdup(ctx, uri);
    if (!srcs)
        return CTXPROF_E_NOMEM;
    ctxprof_free(ctx, l->source);
    l->source = srcs;
    label(uri, type, lbl, sizeof lbl);
    snprintf(kind_layer, sizeof kind_layer, "%s layer", ctxprof_context_types[type].layer);
    if ((rc = ctxprof_layer_open(ctx, &in, uri, kind_layer, c->crs, 0)))
        goto done;
    const char *path = in.path;
    OGRLayerH layer = in.layer;
    OGRCoordinateTransformationH ct = in.ct;

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int idf = find_id_field(defn, type, id_field);
    if (id_field && idf < 0) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, id_field,
                              "the %s layer has no column '%s' (id_fields)",
                              ctxprof_context_types[type].layer, id_field);
        goto done;
    }
    int namef = find_name_field(defn, type, idf, name_field);
    if (name_field && namef < 0) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, name_field,
                              "the %s layer has no column '%s' (name_field.%s)",
                              ctxprof_context_types[type].layer, name_field,
                              ctxprof_context_types[type].key);
        goto done;
    }
    int pupf = ctxprof_context_types[type].measure == CTXPROF_MEASURE_PUPILS
                   ? find_pupils_field(defn)
                   : -1;
    int nf = OGR_FD_GetFieldCount(defn);
    if (!append && idf >= 0 &&
        !(l->id_field = ctxprof_strdup(ctx, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, idf))))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if (!append && namef >= 0 &&
        !(l->name_field =
              ctxprof_strdup(ctx, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, namef))))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    attr_src = ctxprof_calloc(ctx, (size_t)nf + l->n_attrs + 1, sizeof *attr_src);
    if (!attr_src) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    /* A layer added to a kind's earlier ones fills the columns they have
     * (by name; NULL where it has none). */
    for (size_t a = 0; append && a < l->n_attrs; a++) {
        attr_src[a] = OGR_FD_GetFieldIndex(defn, l->attrs[a].name);
        if (attr_src[a] == idf || attr_src[a] == namef)
            attr_src[a] = -1;
    }
    /* Every other column of the first layer is copied to the output layer. */
    if (!append && !(l->attrs = ctxprof_calloc(ctx, (size_t)nf + 1, sizeof *l->attrs))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (int i = 0; i < nf && !append; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        const char *fname = OGR_Fld_GetNameRef(fd);
        if (i == idf || i == namef || ctxprof_snap_reserved_column(fname))
            continue;
        ctxprof_context_attr *a = &l->attrs[l->n_attrs];
        OGRFieldType ft = OGR_Fld_GetType(fd);
        a->type = (ft == OFTInteger || ft == OFTInteger64 || ft == OFTReal || ft == OFTString ||
                   ft == OFTDate || ft == OFTDateTime)
                      ? (int)ft
                      : (int)OFTString;
        if (!(a->name = ctxprof_strdup(ctx, fname))) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        attr_src[l->n_attrs++] = i;
    }
    l->measure_kind = ctxprof_context_types[type].measure;
    if (!append)
        l->geom_dim = -1;
    OGR_L_ResetReading(layer);
    while ((f = OGR_L_GetNextFeature(layer))) {
        GIntBig fid = OGR_F_GetFID(f);
        const char *nm = namef >= 0 && OGR_F_IsFieldSetAndNotNull(f, namef)
                             ? OGR_F_GetFieldAsString(f, namef)
                             : NULL;
        snprintf(fidbuf, sizeof fidbuf, "%lld", (long long)fid);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (!g || OGR_G_IsEmpty(g)) {
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "%s: feature %s%s%s%s has no geometry and is skipped", lbl, fidbuf,
                        nm ? " '" : "", nm ? nm : "", nm ? "'" : "");
            l->n_skipped++;
            OGR_F_Destroy(f);
            f = NULL;
            continue;
        }
        OGRGeometryH lin =
            OGR_G_HasCurveGeometry(g, TRUE) ? OGR_G_GetLinearGeometry(g, 0, NULL) : OGR_G_Clone(g);
        OGR_G_FlattenTo2D(lin);
        if (ct && OGR_G_Transform(lin, ct) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(lin);
            rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, (long)fid, NULL,
                                  "cannot transform feature %s of the %s layer to %s", fidbuf,
                                  ctxprof_context_types[type].layer, c->crs);
            goto done;
        }
        GEOSGeometry *gg = ctxprof_geos_from_ogr(ctx, lin);
        OGR_G_DestroyGeometry(lin);
        if (!gg) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_GEOM, path, (long)fid, NULL,
                                  "cannot read the geometry of feature %s", fidbuf);
            ctxprof_error_append_lib(ctx);
            goto done;
        }
        char what[1300];
        snprintf(what, sizeof what, "%s", lbl);
        if (idf >= 0 && OGR_F_IsFieldSetAndNotNull(f, idf)) {
            snprintf(fidbuf + strlen(fidbuf), sizeof fidbuf - strlen(fidbuf), " (%s %s)",
                     OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, idf)),
                     OGR_F_GetFieldAsString(f, idf));
        }
        if (!(gg = ctxprof_geom_repair(ctx, gg, what, fidbuf, nm, &l->n_repaired))) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_GEOM, path, (long)fid, NULL,
                                  "make-valid failed on feature %lld of the %s layer",
                                  (long long)fid, ctxprof_context_types[type].layer);
            ctxprof_error_append_lib(ctx);
            goto done;
        }
        if ((rc = ctxprof_context_layer_reserve(ctx, l, l->n + 1, &cap))) {
            GEOSGeom_destroy_r(h, gg);
            goto done;
        }
        size_t i = l->n++;
        l->geom[i] = gg;
        l->id[i] = NULL;
        l->name[i] = NULL;
        for (size_t a = 0; a < l->n_attrs; a++)
            l->attrs[a].value[i] = NULL;
        int d = geom_dim(h, gg);
        l->geom_dim = d > l->geom_dim ? d : l->geom_dim;
        const char *idv =
            idf >= 0 && OGR_F_IsFieldSetAndNotNull(f, idf) ? OGR_F_GetFieldAsString(f, idf) : NULL;
        if (idv && idv[strspn(idv, " ")])
            l->id[i] = ctxprof_strdup(ctx, idv);
        else if (idf >= 0) { /* counted and named: never passed off as the column's */
            l->n_no_id++;
            l->id[i] = ctxprof_sprintf(ctx, "fid:%lld", (long long)fid);
        } else
            l->id[i] = ctxprof_sprintf(ctx, "%lld", (long long)fid);
        if (nm)
            l->name[i] = ctxprof_strdup(ctx, nm);
        for (size_t a = 0; a < l->n_attrs; a++)
            if (attr_src[a] >= 0 && OGR_F_IsFieldSetAndNotNull(f, attr_src[a]) &&
                !(l->attrs[a].value[i] =
                      ctxprof_strdup(ctx, OGR_F_GetFieldAsString(f, attr_src[a])))) {
                rc = CTXPROF_E_NOMEM;
                goto done;
            }
        if (!l->id[i] || (nm && !l->name[i])) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        double m = NAN;
        if (l->measure_kind == CTXPROF_MEASURE_PUPILS) {
            if (pupf >= 0 && OGR_F_IsFieldSetAndNotNull(f, pupf)) {
                char *end;
                const char *s = OGR_F_GetFieldAsString(f, pupf);
                double v = strtod(s, &end);
                if (end != s && v > 0)
                    m = v;
            }
        } else if (l->measure_kind == CTXPROF_MEASURE_KM) {
            double len = 0;
            if (GEOSLength_r(h, gg, &len))
                m = len / 1000.0;
        } else if (l->measure_kind == CTXPROF_MEASURE_HECTARES) {
            double area = 0;
            if (GEOSArea_r(h, gg, &area))
                m = area / 10000.0;
        }
        l->measure[i] = m;
        OGR_F_Destroy(f);
        f = NULL;
    }
    if (l->n == 0)
        ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s: the layer has no features with a geometry", lbl);
    if (l->n_no_id)
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "%s: %ld features have no %s; they are given the ids fid:N (N their feature "
                    "id)",
                    lbl, l->n_no_id, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, idf)));
    if (ctxprof_context_types[type].polygons_only && l->n && l->geom_dim != 2) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, NULL,
                              "the %s layer has no polygons: [contexts] %s needs polygons",
                              ctxprof_context_types[type].layer, ctxprof_context_types[type].key);
        goto done;
    }
    if ((rc = merge_repeats(ctx, l, lbl, type)))
        goto done;
    l->present = 1;
done:
    if (f)
        OGR_F_Destroy(f);
    ctxprof_free(ctx, attr_src);
    ctxprof_layer_close(ctx, &in);
    if (rc)
        ctxprof_context_layer_clear(ctx, l);
    return rc;
}

int ctxprof_snap_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ctxprof_contexts_read_study_area(ctxprof_ctx *ctx, ctxprof_contexts *c, const char *uri)
{
    GEOSGeometry *g = NULL;
    int rc = ctxprof_study_area_read(ctx, &g, uri, c->crs);
    if (rc)
        return rc;
    if (c->study_area)
        GEOSGeom_destroy_r(ctxprof_geos(ctx), c->study_area);
    c->study_area = g;
    return 0;
}

/* Reads each layer of a comma-separated list into one kind. */
static int read_layers(ctxprof_ctx *ctx, ctxprof_contexts *c, int t, const char *list,
                       const char *id_field, const char *name_field)
{
    int rc = 0;
    size_t n;
    for (const char *p = list, *item; !rc && (item = ctxprof_list_next(&p, &n));) {
        char *uri = ctxprof_sprintf(ctx, "%.*s", (int)n, item);
        rc = uri ? ctxprof_contexts_read_layer(ctx, c, t, uri, id_field, name_field, 1)
                 : CTXPROF_E_NOMEM;
        ctxprof_free(ctx, uri);
    }
    return rc;
}

/* Leaves out the features of every layer that lie further than margin_m
 * from the study area (they can link no incident of the profile, and a
 * London-wide layer would swamp a borough's tables and maps). */
static int clip_to_study_area(ctxprof_ctx *ctx, ctxprof_contexts *c, double margin_m)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    GEOSGeometry *zone = margin_m > 0 ? GEOSBuffer_r(h, c->study_area, margin_m, 8)
                                      : GEOSGeom_clone_r(h, c->study_area);
    const GEOSPreparedGeometry *pz = zone ? GEOSPrepare_r(h, zone) : NULL;
    int rc = 0;
    for (size_t t = 0; pz && !rc && t < ctxprof_n_context_types; t++) {
        ctxprof_context_layer *l = &c->layer[t];
        char *drop = l->present && l->n ? ctxprof_calloc(ctx, l->n, 1) : NULL;
        if (l->present && l->n && !drop) {
            rc = CTXPROF_E_NOMEM;
            break;
        }
        for (size_t i = 0; drop && i < l->n; i++)
            drop[i] = GEOSPreparedIntersects_r(h, pz, l->geom[i]) != 1;
        if (drop && (l->n_clipped = (long)drop_features(ctx, l, drop)))
            ctxprof_log(ctx, CTXPROF_LOG_INFO,
                        "%s: %ld features lie further than %g m from the study area and are left "
                        "out (%zu kept; [contexts] clip_margin_m)",
                        ctxprof_context_types[t].layer, l->n_clipped, margin_m, l->n);
        ctxprof_free(ctx, drop);
    }
    if (!pz && !rc) {
        rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "cannot buffer the study area by %g m", margin_m);
        ctxprof_error_append_lib(ctx);
    }
    if (pz)
        GEOSPreparedGeom_destroy_r(h, pz);
    if (zone)
        GEOSGeom_destroy_r(h, zone);
    return rc;
}

int ctxprof_contexts_load(ctxprof_ctx *ctx, ctxprof_contexts **out,
                          const ctxprof_contexts_options *o)
{
    int rc;
    ctxprof_contexts *c = NULL;
    *out = NULL;
    if (!o || o->version != CTXPROF_CONTEXTS_OPTIONS_VERSION)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "contexts: options of another version");
    if ((rc = ctxprof_contexts_new(ctx, &c, o->crs)))
        return rc;
    ctxprof_progress_push(ctx, 0.0, 1.0);
    if (o->study_area && (rc = ctxprof_contexts_read_study_area(ctx, c, o->study_area)))
        goto done;
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        const char *uri = o->uri ? o->uri[t] : NULL;
        const char *idf = o->id_field ? o->id_field[t] : NULL;
        const char *nmf = o->name_field ? o->name_field[t] : NULL;
        if (uri && ctxprof_context_types[t].many_layers)
            rc = read_layers(ctx, c, (int)t, uri, idf, nmf);
        else if (uri)
            rc = ctxprof_contexts_read_layer(ctx, c, (int)t, uri, idf, nmf, 0);
        if (rc || (rc = ctxprof_progress(ctx, 0.1 + 0.1 * (double)t, "loading contexts")))
            goto done;
    }
    const char *seq = o->bus_sequences;
    if (seq && !c->layer[CTXPROF_CTX_BUS_SEGMENTS].present) {
        if ((rc = ctxprof_contexts_build_bus(ctx, c, seq, o->bus_routes_exclude)))
            goto done;
    } else if (seq) {
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "[contexts] bus_segments is given, so bus_sequences is not used");
    }
    if (c->study_area && o->clip_margin_m >= 0 &&
        (rc = clip_to_study_area(ctx, c, o->clip_margin_m)))
        goto done;
    if (!c->layer[CTXPROF_CTX_CATCHMENTS].present && c->layer[CTXPROF_CTX_SCHOOLS].present &&
        c->layer[CTXPROF_CTX_SCHOOLS].n && (rc = ctxprof_contexts_derive_catchments(ctx, c)))
        goto done;
    rc = ctxprof_progress(ctx, 1.0, "contexts loaded");
done:
    ctxprof_progress_pop(ctx);
    if (rc)
        ctxprof_contexts_free(ctx, c);
    else
        *out = c;
    return rc;
}
