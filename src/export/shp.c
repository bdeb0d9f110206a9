/* Shapefile export with shapelib (not GDAL's shapefile driver): the
 * GeoPackage is read with OGR, every layer is scanned once to size its DBF
 * fields and its files (so an export that would pass the format's limit is
 * refused before anything is written), then written into a temporary folder
 * and renamed into place. */
#include "export/shp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <shapefil.h>

#define MAX_TEXT 254 /* bytes in a DBF character field */

enum { G_POINT, G_MULTIPOINT, G_LINE, G_POLYGON, G_N };
static const char *const group_suffix[G_N] = {"point", "multipoint", "line", "polygon"};

typedef struct {
    int src;  /* OGR field index */
    int part; /* 0: the value; 1: the time of day of a date-time */
    OGRFieldType otype;
    char name[11];
    char type; /* 'C', 'N', 'D', 'L'; 0: skipped (binary, lists) */
    int width, decimals;
    int sci;     /* reals written %.17g: fixed notation would be too wide */
    int int_len; /* reals: widest "%.0f" */
} fld;

typedef struct {
    int present, z;
    long long n, n_null, vertices, parts;
    char *base;
    SHPHandle shp;
    DBFHandle dbf;
    int rec;
    size_t file_index; /* in the summary */
} group;

typedef struct {
    char *name, *base;
    OGRLayerH lyr;
    int spatial;
    fld *f;
    int nf;
    group g[G_N];
    int first_group;
    long long pending_null; /* null shapes met before the first geometry */
    long long n;
    long reclen;
    DBFHandle table; /* tables: the .dbf */
    size_t file_index;
} plan;

/* ---------------------------------------------------------------- names */

static int taken(char (*out)[11], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (out[i][0] && strcasecmp(out[i], name) == 0)
            return 1;
    return 0;
}

void ctxprof_shp_field_names(const char *const *names, size_t n, char (*out)[11])
{
    /* Clean names first (ASCII letters, digits, '_'), so that the names that
     * already fit keep themselves whatever order the columns come in. */
    for (size_t i = 0; i < n; i++)
        out[i][0] = '\0';
    char(*clean)[64] = calloc(n ? n : 1, sizeof *clean);
    if (!clean)
        return;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        for (const unsigned char *p = (const unsigned char *)names[i]; *p && k < 63; p++)
            clean[i][k++] = (char)((isalnum(*p) && *p < 0x80) || *p == '_' ? *p : '_');
        if (!k)
            clean[i][k++] = 'f';
        clean[i][k] = '\0';
        out[i][0] = '\0';
    }
    for (size_t i = 0; i < n; i++)
        if (strlen(clean[i]) <= 10 && !taken(out, n, clean[i]))
            snprintf(out[i], 11, "%s", clean[i]);
    for (size_t i = 0; i < n; i++) {
        if (out[i][0])
            continue;
        char cand[11];
        snprintf(cand, sizeof cand, "%.10s", clean[i]);
        for (int k = 1; taken(out, n, cand) && k < 100000000; k++) {
            char suffix[12];
            size_t sl = (size_t)snprintf(suffix, sizeof suffix, "_%d", k);
            size_t keep = strlen(clean[i]) < 10 - sl ? strlen(clean[i]) : 10 - sl;
            memcpy(cand, clean[i], keep);
            memcpy(cand + keep, suffix, sl + 1);
        }
        snprintf(out[i], 11, "%s", cand);
    }
    free(clean);
}

/* A file name from a layer name: letters, digits, '_', '-' and '.'. */
static char *file_base(ctxprof_ctx *ctx, const char *layer, const char *suffix)
{
    char *b = suffix ? ctxprof_sprintf(ctx, "%s_%s", layer, suffix) : ctxprof_strdup(ctx, layer);
    if (!b)
        return NULL;
    for (unsigned char *p = (unsigned char *)b; *p; p++)
        if (!(isalnum(*p) && *p < 0x80) && *p != '_' && *p != '-' && *p != '.')
            *p = '_';
    if (b[0] == '.')
        b[0] = '_';
    return b;
}

/* ---------------------------------------------------------- owner-only IO */

/* shapelib opens every file through these hooks: created 0600 whatever the
 * umask, since the export is as identifiable as the profile. */
static SAFile owner_fopen(const char *filename, const char *access)
{
    int plus = strchr(access, '+') != NULL, flags;
    if (access[0] == 'r')
        flags = plus ? O_RDWR : O_RDONLY;
    else if (access[0] == 'w')
        flags = O_CREAT | O_TRUNC | (plus ? O_RDWR : O_WRONLY);
    else
        flags = O_CREAT | O_APPEND | (plus ? O_RDWR : O_WRONLY);
    int fd = open(filename, flags | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    if ((flags & O_CREAT) && fchmod(fd, 0600) != 0) {
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, access);
    if (!f) {
        close(fd);
        return NULL;
    }
    return (SAFile)f;
}

static void quiet_error(const char *message)
{
    (void)message;
}

static SAHooks owner_hooks(void)
{
    SAHooks h;
    SASetupDefaultHooks(&h);
    h.FOpen = owner_fopen;
    h.Error = quiet_error;
    return h;
}

static FILE *owner_file(const char *path)
{
    SAFile f = owner_fopen(path, "wb");
    return (FILE *)f;
}

/* ------------------------------------------------------------- geometry */

static int family_of(OGRwkbGeometryType t)
{
    switch (wkbFlatten(t)) {
    case wkbPoint:
        return G_POINT;
    case wkbMultiPoint:
        return G_MULTIPOINT;
    case wkbLineString:
    case wkbLinearRing:
    case wkbMultiLineString:
    case wkbCircularString:
    case wkbCompoundCurve:
    case wkbMultiCurve:
        return G_LINE;
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
    case wkbTriangle:
    case wkbTIN:
    case wkbPolyhedralSurface:
        return G_POLYGON;
    default:
        return -1;
    }
}

/* The group a geometry goes to; a collection goes with its members of the
 * highest dimension. -1: no geometry (a null shape). */
static int geom_group(OGRGeometryH g)
{
    if (!g || OGR_G_IsEmpty(g))
        return -1;
    int fam = family_of(OGR_G_GetGeometryType(g));
    if (fam >= 0)
        return fam;
    int best = -1;
    for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
        int m = geom_group(OGR_G_GetGeometryRef(g, i));
        if (m == G_POINT && best < 0)
            best = G_MULTIPOINT;
        else if (m > best)
            best = m == G_POINT ? G_MULTIPOINT : m;
    }
    if (best == G_POINT)
        best = G_MULTIPOINT;
    return best;
}

typedef struct {
    double *x, *y, *z;
    size_t n, cap;
    int *start;
    size_t np, cap_p;
    long dropped;
} coords;

static int push_vertex(ctxprof_ctx *ctx, coords *c, double x, double y, double z)
{
    size_t cx = c->cap, cy = c->cap, cz = c->cap;
    if (ctxprof_grow(ctx, (void **)&c->x, &cx, c->n + 1, sizeof(double)) ||
        ctxprof_grow(ctx, (void **)&c->y, &cy, c->n + 1, sizeof(double)) ||
        ctxprof_grow(ctx, (void **)&c->z, &cz, c->n + 1, sizeof(double)))
        return CTXPROF_E_NOMEM;
    c->cap = cx;
    c->x[c->n] = x;
    c->y[c->n] = y;
    c->z[c->n] = z;
    c->n++;
    return 0;
}

static int push_part(ctxprof_ctx *ctx, coords *c, OGRGeometryH ring)
{
    if (ctxprof_grow(ctx, (void **)&c->start, &c->cap_p, c->np + 1, sizeof(int)))
        return CTXPROF_E_NOMEM;
    c->start[c->np++] = (int)c->n;
    int n = OGR_G_GetPointCount(ring);
    for (int i = 0; i < n; i++) {
        double x, y, z;
        OGR_G_GetPoint(ring, i, &x, &y, &z);
        int rc = push_vertex(ctx, c, x, y, z);
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends the parts of g that belong to family fam (g is linear). */
static int collect(ctxprof_ctx *ctx, coords *c, OGRGeometryH g, int fam)
{
    if (!g || OGR_G_IsEmpty(g))
        return 0;
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    int rc = 0;
    switch (t) {
    case wkbPoint:
        if (fam != G_POINT && fam != G_MULTIPOINT) {
            c->dropped++;
            return 0;
        }
        return push_vertex(ctx, c, OGR_G_GetX(g, 0), OGR_G_GetY(g, 0), OGR_G_GetZ(g, 0));
    case wkbLineString:
    case wkbLinearRing:
        if (fam != G_LINE) {
            c->dropped++;
            return 0;
        }
        return push_part(ctx, c, g);
    case wkbPolygon:
    case wkbTriangle:
        if (fam != G_POLYGON) {
            c->dropped++;
            return 0;
        }
        for (int i = 0; i < OGR_G_GetGeometryCount(g) && !rc; i++)
            rc = push_part(ctx, c, OGR_G_GetGeometryRef(g, i));
        return rc;
    default:
        for (int i = 0; i < OGR_G_GetGeometryCount(g) && !rc; i++)
            rc = collect(ctx, c, OGR_G_GetGeometryRef(g, i), fam);
        return rc;
    }
}

/* Bytes of one .shp record's content (without its 8-byte header). */
static unsigned long long content_bytes(int fam, int z, long long parts, long long n)
{
    switch (fam) {
    case G_POINT:
        return z ? 36 : 20;
    case G_MULTIPOINT:
        return 40 + 16ULL * (unsigned long long)n + (z ? 32 + 16ULL * (unsigned long long)n : 0);
    default:
        return 44 + 4ULL * (unsigned long long)parts + 16ULL * (unsigned long long)n +
               (z ? 32 + 16ULL * (unsigned long long)n : 0);
    }
}

static int shp_type(int fam, int z)
{
    static const int t2[G_N] = {SHPT_POINT, SHPT_MULTIPOINT, SHPT_ARC, SHPT_POLYGON};
    static const int t3[G_N] = {SHPT_POINTZ, SHPT_MULTIPOINTZ, SHPT_ARCZ, SHPT_POLYGONZ};
    return z ? t3[fam] : t2[fam];
}

/* ---------------------------------------------------------------- values */

/* Fewest decimals that print v so that it reads back exactly. */
static int exact_decimals(double v)
{
    char buf[512];
    for (int d = 0; d <= 40; d++) {
        snprintf(buf, sizeof buf, "%.*f", d, v);
        if (strtod(buf, NULL) == v)
            return d;
    }
    return 99;
}

/* Cuts s to at most MAX_TEXT bytes at a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t len)
{
    if (len <= MAX_TEXT)
        return len;
    size_t n = MAX_TEXT;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static int time_text(char *buf, size_t size, int h, int mi, float sec, int tz)
{
    int isec = (int)sec;
    int ms = (int)lround((sec - (float)isec) * 1000.0f);
    int n = ms ? snprintf(buf, size, "%02d:%02d:%02d.%03d", h, mi, isec, ms)
               : snprintf(buf, size, "%02d:%02d:%02d", h, mi, isec);
    if (tz == 100)
        n += snprintf(buf + n, size - (size_t)n, "Z");
    else if (tz > 1) {
        int off = (tz - 100) * 15;
        n += snprintf(buf + n, size - (size_t)n, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                      abs(off) % 60);
    }
    return n;
}

/* ------------------------------------------------------------------ plan */

static void plan_free(ctxprof_ctx *ctx, plan *p)
{
    ctxprof_free(ctx, p->name);
    ctxprof_free(ctx, p->base);
    ctxprof_free(ctx, p->f);
    for (int k = 0; k < G_N; k++) {
        ctxprof_free(ctx, p->g[k].base);
        if (p->g[k].shp)
            SHPClose(p->g[k].shp);
        if (p->g[k].dbf)
            DBFClose(p->g[k].dbf);
    }
    if (p->table)
        DBFClose(p->table);
}

/* Builds the DBF fields of a layer (names, types) before the scan sizes them. */
static int plan_fields(ctxprof_ctx *ctx, plan *p)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(p->lyr);
    int nsrc = OGR_FD_GetFieldCount(defn);
    p->f = ctxprof_calloc(ctx, (size_t)(2 * nsrc + 1), sizeof *p->f);
    const char **names = ctxprof_calloc(ctx, (size_t)(2 * nsrc + 1), sizeof *names);
    char **owned = ctxprof_calloc(ctx, (size_t)(nsrc + 1), sizeof *owned);
    int rc = 0;
    if (!p->f || !names || !owned) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (int i = 0; i < nsrc; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        OGRFieldType t = OGR_Fld_GetType(fd);
        fld *f = &p->f[p->nf];
        f->src = i;
        f->otype = t;
        switch (t) {
        case OFTString:
        case OFTTime:
            f->type = 'C';
            f->width = 1;
            break;
        case OFTInteger:
            f->type = OGR_Fld_GetSubType(fd) == OFSTBoolean ? 'L' : 'N';
            f->width = 1;
            break;
        case OFTInteger64:
            f->type = 'N';
            f->width = 1;
            break;
        case OFTReal:
            f->type = 'N';
            f->width = 3;
            f->decimals = 1;
            break;
        case OFTDate:
        case OFTDateTime:
            f->type = 'D';
            f->width = 8;
            break;
        default:
            f->type = 0; /* binary and lists: no DBF type */
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "layer %s field %s: a %s column has no DBF type and is not exported",
                        p->name, OGR_Fld_GetNameRef(fd), OGR_GetFieldTypeName(t));
            break;
        }
        names[p->nf++] = OGR_Fld_GetNameRef(fd);
        if (t == OFTDateTime) {
            fld *tf = &p->f[p->nf];
            tf->src = i;
            tf->part = 1;
            tf->otype = t;
            tf->type = 'C';
            tf->width = 8;
            owned[i] = ctxprof_sprintf(ctx, "%s_time", OGR_Fld_GetNameRef(fd));
            if (!owned[i]) {
                rc = CTXPROF_E_NOMEM;
                goto done;
            }
            names[p->nf++] = owned[i];
        }
    }
    {
        /* Skipped columns take no name. */
        const char **kept = ctxprof_calloc(ctx, (size_t)(p->nf + 1), sizeof *kept);
        char(*out)[11] = ctxprof_calloc(ctx, (size_t)(p->nf + 1), sizeof *out);
        if (!kept || !out) {
            ctxprof_free(ctx, kept);
            ctxprof_free(ctx, out);
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        size_t nk = 0;
        for (int j = 0; j < p->nf; j++)
            if (p->f[j].type)
                kept[nk++] = names[j];
        ctxprof_shp_field_names(kept, nk, out);
        nk = 0;
        for (int j = 0; j < p->nf; j++)
            if (p->f[j].type)
                memcpy(p->f[j].name, out[nk++], 11);
        ctxprof_free(ctx, kept);
        ctxprof_free(ctx, out);
    }
done:
    for (int i = 0; i < nsrc && owned; i++)
        ctxprof_free(ctx, owned[i]);
    ctxprof_free(ctx, owned);
    ctxprof_free(ctx, names);
    return rc;
}

/* Pass 1: sizes every field and counts shapes, vertices and parts per group. */
static int plan_scan(ctxprof_ctx *ctx, plan *p)
{
    int rc = 0;
    coords c = {0};
    OGRFeatureH feat;
    OGR_L_ResetReading(p->lyr);
    while (!rc && (feat = OGR_L_GetNextFeature(p->lyr))) {
        p->n++;
        for (int j = 0; j < p->nf; j++) {
            fld *f = &p->f[j];
            if (!f->type || !OGR_F_IsFieldSetAndNotNull(feat, f->src))
                continue;
            switch (f->otype) {
            case OFTString: {
                const char *s = OGR_F_GetFieldAsString(feat, f->src);
                int len = (int)utf8_cut(s, strlen(s));
                if (len > f->width)
                    f->width = len;
                break;
            }
            case OFTTime: {
                int y, mo, d, h, mi, tz;
                float sec;
                char buf[40];
                OGR_F_GetFieldAsDateTimeEx(feat, f->src, &y, &mo, &d, &h, &mi, &sec, &tz);
                int len = time_text(buf, sizeof buf, h, mi, sec, tz);
                if (len > f->width)
                    f->width = len;
                break;
            }
            case OFTInteger:
            case OFTInteger64: {
                char buf[32];
                int len = snprintf(buf, sizeof buf, "%lld",
                                   (long long)OGR_F_GetFieldAsInteger64(feat, f->src));
                if (f->type == 'N' && len > f->width)
                    f->width = len;
                break;
            }
            case OFTReal: {
                double v = OGR_F_GetFieldAsDouble(feat, f->src);
                if (!isfinite(v))
                    break;
                int d = exact_decimals(v);
                char buf[512];
                int il = snprintf(buf, sizeof buf, "%.0f", v);
                if (d > f->decimals)
                    f->decimals = d;
                if (il + (v < 0 && buf[0] != '-') > f->int_len)
                    f->int_len = il + (v < 0 && buf[0] != '-');
                break;
            }
            case OFTDateTime:
                if (f->part == 1) {
                    int y, mo, d, h, mi, tz;
                    float sec;
                    char buf[40];
                    OGR_F_GetFieldAsDateTimeEx(feat, f->src, &y, &mo, &d, &h, &mi, &sec, &tz);
                    int len = time_text(buf, sizeof buf, h, mi, sec, tz);
                    if (len > f->width)
                        f->width = len;
                }
                break;
            default:
                break;
            }
        }
        if (p->spatial) {
            OGRGeometryH g = OGR_F_GetGeometryRef(feat);
            int fam = geom_group(g);
            if (fam < 0) {
                if (p->first_group < 0)
                    p->pending_null++; /* placed once the first group is known */
                else
                    p->g[p->first_group].n_null++;
            } else {
                group *gr = &p->g[fam];
                if (p->first_group < 0)
                    p->first_group = fam;
                gr->present = 1;
                gr->n++;
                if (OGR_G_Is3D(g))
                    gr->z = 1;
                OGRGeometryH lin =
                    OGR_G_HasCurveGeometry(g, TRUE) ? OGR_G_GetLinearGeometry(g, 0, NULL) : NULL;
                c.n = c.np = 0;
                c.dropped = 0;
                rc = collect(ctx, &c, lin ? lin : g, fam);
                if (lin)
                    OGR_G_DestroyGeometry(lin);
                gr->vertices += (long long)c.n;
                gr->parts += (long long)c.np;
            }
        }
        OGR_F_Destroy(feat);
    }
    ctxprof_free(ctx, c.x);
    ctxprof_free(ctx, c.y);
    ctxprof_free(ctx, c.z);
    ctxprof_free(ctx, c.start);
    if (rc)
        return rc;
    if (p->spatial) {
        /* Rows without geometry go, as null shapes, with the first geometry
         * type met (or the layer's declared type when every row is empty). */
        if (p->first_group < 0) {
            int fam = family_of(OGR_L_GetGeomType(p->lyr));
            p->first_group = fam < 0 ? G_POINT : fam;
        }
        p->g[p->first_group].n_null += p->pending_null;
        p->g[p->first_group].present = 1;
    }
    /* Reals: the decimals that print every value exactly. */
    p->reclen = 1;
    for (int j = 0; j < p->nf; j++) {
        fld *f = &p->f[j];
        if (f->otype == OFTReal && f->type) {
            int w = f->int_len + 1 + f->decimals;
            if (f->decimals > 20 || w > 40) {
                f->sci = 1;
                f->width = 24;
                f->decimals = 15;
            } else if (w > f->width)
                f->width = w;
        }
        if (f->type)
            p->reclen += f->width;
    }
    if (p->reclen > 65535)
        return ctxprof_error(ctx, CTXPROF_E_INPUT,
                             "layer %s: a DBF record would be %ld bytes, over the format's "
                             "65535",
                             p->name, p->reclen);
    return 0;
}

static unsigned long long dbf_bytes(const plan *p, long long records)
{
    int nf = 0;
    for (int j = 0; j < p->nf; j++)
        nf += p->f[j].type != 0;
    return 32ULL + 32ULL * (unsigned long long)nf + 1ULL +
           (unsigned long long)records * (unsigned long long)p->reclen + 1ULL;
}

static unsigned long long shp_bytes(const group *g, int fam)
{
    /* Estimated from totals: one header per shape, and each shape's fixed
     * part; vertices and parts add linearly. */
    unsigned long long b = 100 + 12ULL * (unsigned long long)g->n_null;
    if (g->n) {
        unsigned long long fixed = content_bytes(fam, g->z, 0, 0);
        if (fam == G_POINT)
            b += (8 + fixed) * (unsigned long long)g->n;
        else
            b += (8 + fixed) * (unsigned long long)g->n + 4ULL * (unsigned long long)g->parts +
                 (16ULL + (g->z ? 16 : 0)) * (unsigned long long)g->vertices;
    }
    return b;
}

/* --------------------------------------------------------------- writing */

static int add_fields(ctxprof_ctx *ctx, const plan *p, DBFHandle dbf, const char *file)
{
    for (int j = 0; j < p->nf; j++) {
        const fld *f = &p->f[j];
        if (!f->type)
            continue;
        if (DBFAddNativeFieldType(dbf, f->name, f->type, f->width, f->decimals) < 0)
            return ctxprof_error(ctx, CTXPROF_E_IO, "%s.dbf: cannot add field %s (layer %s)", file,
                                 f->name, p->name);
    }
    return 0;
}

static int write_attrs(ctxprof_ctx *ctx, ctxprof_shp_summary *sum, const plan *p, DBFHandle dbf,
                       int rec, OGRFeatureH feat, const char *file)
{
    int iout = 0, ok = 1;
    char buf[600];
    for (int j = 0; j < p->nf; j++) {
        const fld *f = &p->f[j];
        if (!f->type)
            continue;
        int i = iout++;
        if (!OGR_F_IsFieldSetAndNotNull(feat, f->src)) {
            ok &= DBFWriteNULLAttribute(dbf, rec, i);
            continue;
        }
        switch (f->otype) {
        case OFTString: {
            const char *s = OGR_F_GetFieldAsString(feat, f->src);
            size_t len = strlen(s), cut = utf8_cut(s, len);
            if (cut < len) {
                sum->n_truncated++;
                ctxprof_log(ctx, CTXPROF_LOG_WARN,
                            "layer %s fid %lld field %s (%s): text of %zu bytes cut to %zu, "
                            "the most a DBF field holds",
                            p->name, (long long)OGR_F_GetFID(feat),
                            OGR_Fld_GetNameRef(OGR_F_GetFieldDefnRef(feat, f->src)), f->name, len,
                            cut);
            }
            char *t = ctxprof_malloc(ctx, cut + 1);
            if (!t)
                return CTXPROF_E_NOMEM;
            memcpy(t, s, cut);
            t[cut] = '\0';
            ok &=
                cut ? DBFWriteStringAttribute(dbf, rec, i, t) : DBFWriteNULLAttribute(dbf, rec, i);
            ctxprof_free(ctx, t);
            break;
        }
        case OFTInteger:
        case OFTInteger64: {
            long long v = (long long)OGR_F_GetFieldAsInteger64(feat, f->src);
            if (f->type == 'L')
                ok &= DBFWriteLogicalAttribute(dbf, rec, i, v ? 'T' : 'F');
            else {
                snprintf(buf, sizeof buf, "%*lld", f->width, v);
                ok &= DBFWriteAttributeDirectly(dbf, rec, i, buf);
            }
            break;
        }
        case OFTReal: {
            double v = OGR_F_GetFieldAsDouble(feat, f->src);
            if (!isfinite(v)) {
                sum->n_nulled++;
                ok &= DBFWriteNULLAttribute(dbf, rec, i);
                break;
            }
            if (f->sci)
                snprintf(buf, sizeof buf, "%*.17g", f->width, v);
            else
                snprintf(buf, sizeof buf, "%*.*f", f->width, f->decimals, v);
            ok &= DBFWriteAttributeDirectly(dbf, rec, i, buf);
            break;
        }
        case OFTTime:
        case OFTDate:
        case OFTDateTime: {
            int y, mo, d, h, mi, tz;
            float sec;
            OGR_F_GetFieldAsDateTimeEx(feat, f->src, &y, &mo, &d, &h, &mi, &sec, &tz);
            if (f->type == 'C') {
                time_text(buf, sizeof buf, h, mi, sec, tz);
                ok &= DBFWriteStringAttribute(dbf, rec, i, buf);
            } else if (y < 1 || y > 9999) {
                sum->n_nulled++;
                ctxprof_log(ctx, CTXPROF_LOG_WARN,
                            "layer %s fid %lld field %s: year %d does not fit a DBF date; "
                            "written empty",
                            p->name, (long long)OGR_F_GetFID(feat), f->name, y);
                ok &= DBFWriteNULLAttribute(dbf, rec, i);
            } else {
                snprintf(buf, sizeof buf, "%04d%02d%02d", y, mo, d);
                ok &= DBFWriteAttributeDirectly(dbf, rec, i, buf);
            }
            break;
        }
        default:
            break;
        }
    }
    if (!ok)
        return ctxprof_error(ctx, CTXPROF_E_IO, "%s.dbf: cannot write record %d (layer %s)", file,
                             rec, p->name);
    return 0;
}

static int write_shape(ctxprof_ctx *ctx, SHPHandle shp, int type, int fam, OGRGeometryH g,
                       coords *c, const plan *p, long long fid, const char *file)
{
    SHPObject *o;
    if (fam < 0) {
        o = SHPCreateSimpleObject(SHPT_NULL, 0, NULL, NULL, NULL);
    } else {
        OGRGeometryH lin =
            OGR_G_HasCurveGeometry(g, TRUE) ? OGR_G_GetLinearGeometry(g, 0, NULL) : NULL;
        c->n = c->np = 0;
        c->dropped = 0;
        int rc = collect(ctx, c, lin ? lin : g, fam);
        if (lin)
            OGR_G_DestroyGeometry(lin);
        if (rc)
            return rc;
        if (c->dropped)
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "layer %s fid %lld: %ld members of a geometry collection are not %ss "
                        "and are left out of %s.shp",
                        p->name, fid, c->dropped, group_suffix[fam], file);
        int is3d = type == SHPT_POINTZ || type == SHPT_MULTIPOINTZ || type == SHPT_ARCZ ||
                   type == SHPT_POLYGONZ;
        if (fam == G_POINT || fam == G_MULTIPOINT)
            o = SHPCreateSimpleObject(type, (int)c->n, c->x, c->y, is3d ? c->z : NULL);
        else
            o = SHPCreateObject(type, -1, (int)c->np, c->start, NULL, (int)c->n, c->x, c->y,
                                is3d ? c->z : NULL, NULL);
        if (o && fam == G_POLYGON)
            SHPRewindObject(shp, o); /* outer rings clockwise, holes counter-clockwise */
    }
    if (!o)
        return ctxprof_error(ctx, CTXPROF_E_NOMEM, "%s.shp: cannot build shape (layer %s fid %lld)",
                             file, p->name, fid);
    int id = SHPWriteObject(shp, -1, o);
    SHPDestroyObject(o);
    if (id < 0)
        return ctxprof_error(ctx, CTXPROF_E_IO, "%s.shp: cannot write shape (layer %s fid %lld)",
                             file, p->name, fid);
    return 0;
}

static int csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        return fputc('"', f) == EOF;
    }
    return fputs(s, f) == EOF;
}

static int write_mapping(ctxprof_ctx *ctx, const plan *p, const char *tmpdir)
{
    char *path = ctxprof_sprintf(ctx, "%s/%s.fields.csv", tmpdir, p->base);
    if (!path)
        return CTXPROF_E_NOMEM;
    FILE *f = owner_file(path);
    if (!f) {
        int rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create: %s", path, strerror(errno));
        ctxprof_free(ctx, path);
        return rc;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(p->lyr);
    fputs("gpkg_name,shp_name,type\n", f);
    for (int j = 0; j < p->nf; j++) {
        const fld *fl = &p->f[j];
        const char *src = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, fl->src));
        char name[300], type[40];
        snprintf(name, sizeof name, fl->part ? "%s (time of day)" : "%s", src);
        if (!fl->type)
            snprintf(type, sizeof type, "not exported");
        else if (fl->type == 'N')
            snprintf(type, sizeof type, "N(%d,%d)", fl->width, fl->decimals);
        else if (fl->type == 'C')
            snprintf(type, sizeof type, "C(%d)", fl->width);
        else
            snprintf(type, sizeof type, "%c", fl->type);
        csv_field(f, name);
        fputc(',', f);
        csv_field(f, fl->type ? fl->name : "");
        fprintf(f, ",%s\n", type);
    }
    int bad = ferror(f) | (fclose(f) != 0);
    int rc = bad ? ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write", path) : 0;
    ctxprof_free(ctx, path);
    return rc;
}

static int write_prj(ctxprof_ctx *ctx, const plan *p, const char *tmpdir, const char *base)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(p->lyr);
    if (!srs) {
        ctxprof_log(ctx, CTXPROF_LOG_WARN, "layer %s has no CRS: %s.shp has no .prj", p->name,
                    base);
        return 0;
    }
    OGRSpatialReferenceH esri = OSRClone(srs);
    char *wkt = NULL;
    const char *opts[] = {"FORMAT=WKT1_ESRI", NULL};
    int rc = 0;
    if (!esri || OSRExportToWktEx(esri, &wkt, opts) != OGRERR_NONE || !wkt) {
        rc = ctxprof_error(ctx, CTXPROF_E_CRS, "layer %s: its CRS has no ESRI WKT", p->name);
        goto done;
    }
    char *path = ctxprof_sprintf(ctx, "%s/%s.prj", tmpdir, base);
    if (!path) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    FILE *f = owner_file(path);
    if (!f || fputs(wkt, f) == EOF || ferror(f))
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write", path);
    if (f && fclose(f) != 0 && !rc)
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write", path);
    ctxprof_free(ctx, path);
done:
    CPLFree(wkt);
    if (esri)
        OSRDestroySpatialReference(esri);
    return rc;
}

static int add_file(ctxprof_ctx *ctx, ctxprof_shp_summary *sum, const char *layer, const char *base,
                    const char *shape, size_t *index)
{
    if (ctxprof_grow(ctx, (void **)&sum->files, &sum->cap_files, sum->n_files + 1,
                     sizeof *sum->files))
        return CTXPROF_E_NOMEM;
    ctxprof_shp_file *f = &sum->files[sum->n_files];
    memset(f, 0, sizeof *f);
    f->layer = ctxprof_strdup(ctx, layer);
    f->file = ctxprof_strdup(ctx, base);
    f->shape = shape;
    *index = sum->n_files++;
    return f->layer && f->file ? 0 : CTXPROF_E_NOMEM;
}

static const char *shape_name(int fam, int z)
{
    static const char *const n2[G_N] = {"point", "multipoint", "line", "polygon"};
    static const char *const n3[G_N] = {"pointz", "multipointz", "linez", "polygonz"};
    return z ? n3[fam] : n2[fam];
}

/* Pass 2: writes a planned layer into tmpdir. */
static int plan_write(ctxprof_ctx *ctx, ctxprof_shp_summary *sum, plan *p, const char *tmpdir)
{
    int rc = 0;
    SAHooks hooks = owner_hooks();
    char *path = NULL;
    coords c = {0};
    if (!p->spatial) {
        if ((rc = add_file(ctx, sum, p->name, p->base, "table", &p->file_index)))
            return rc;
        path = ctxprof_sprintf(ctx, "%s/%s.dbf", tmpdir, p->base);
        if (!path)
            return CTXPROF_E_NOMEM;
        p->table = DBFCreateLL(path, "UTF-8", &hooks);
        if (!p->table) {
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create", path);
            goto done;
        }
        if ((rc = add_fields(ctx, p, p->table, p->base)))
            goto done;
    } else {
        for (int k = 0; k < G_N; k++) {
            group *g = &p->g[k];
            if (!g->present)
                continue;
            if ((rc = add_file(ctx, sum, p->name, g->base, shape_name(k, g->z), &g->file_index)))
                goto done;
            ctxprof_free(ctx, path);
            path = ctxprof_sprintf(ctx, "%s/%s", tmpdir, g->base);
            if (!path) {
                rc = CTXPROF_E_NOMEM;
                goto done;
            }
            g->shp = SHPCreateLL(path, shp_type(k, g->z), &hooks);
            g->dbf = DBFCreateLL(path, "UTF-8", &hooks);
            if (!g->shp || !g->dbf) {
                rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s.shp: cannot create", path);
                goto done;
            }
            if ((rc = add_fields(ctx, p, g->dbf, g->base)) ||
                (rc = write_prj(ctx, p, tmpdir, g->base)))
                goto done;
        }
    }
    if ((rc = write_mapping(ctx, p, tmpdir)))
        goto done;
    OGRFeatureH feat;
    int table_rec = 0;
    OGR_L_ResetReading(p->lyr);
    while (!rc && (feat = OGR_L_GetNextFeature(p->lyr))) {
        if (!p->spatial) {
            rc = write_attrs(ctx, sum, p, p->table, table_rec++, feat, p->base);
        } else {
            OGRGeometryH geom = OGR_F_GetGeometryRef(feat);
            int fam = geom_group(geom);
            group *g = &p->g[fam < 0 ? p->first_group : fam];
            int gi = (int)(g - p->g);
            rc = write_shape(ctx, g->shp, shp_type(gi, g->z), fam, geom, &c, p,
                             (long long)OGR_F_GetFID(feat), g->base);
            if (!rc)
                rc = write_attrs(ctx, sum, p, g->dbf, g->rec++, feat, g->base);
        }
        OGR_F_Destroy(feat);
    }
    if (rc)
        goto done;
    /* Close and record the sizes as written. */
    if (!p->spatial) {
        DBFClose(p->table);
        p->table = NULL;
        sum->files[p->file_index].records = table_rec;
        sum->files[p->file_index].dbf_bytes = dbf_bytes(p, table_rec);
    }
    for (int k = 0; k < G_N && p->spatial; k++) {
        group *g = &p->g[k];
        if (!g->present)
            continue;
        SHPClose(g->shp);
        DBFClose(g->dbf);
        g->shp = NULL;
        g->dbf = NULL;
        ctxprof_shp_file *f = &sum->files[g->file_index];
        f->records = g->rec;
        f->dbf_bytes = dbf_bytes(p, g->rec);
        ctxprof_free(ctx, path);
        path = ctxprof_sprintf(ctx, "%s/%s.shp", tmpdir, g->base);
        struct stat st;
        if (path && stat(path, &st) == 0)
            f->shp_bytes = (unsigned long long)st.st_size;
    }
    for (size_t i = 0; i < sum->n_files; i++)
        if (strcmp(sum->files[i].layer, p->name) == 0) {
            int nf = 0;
            for (int j = 0; j < p->nf; j++)
                nf += p->f[j].type != 0;
            sum->files[i].fields = nf;
        }
done:
    ctxprof_free(ctx, path);
    ctxprof_free(ctx, c.x);
    ctxprof_free(ctx, c.y);
    ctxprof_free(ctx, c.z);
    ctxprof_free(ctx, c.start);
    return rc;
}

/* -------------------------------------------------------------- folders */

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int mkdirs(ctxprof_ctx *ctx, const char *dir)
{
    char *d = ctxprof_strdup(ctx, dir);
    if (!d)
        return CTXPROF_E_NOMEM;
    int rc = 0;
    for (char *p = d + 1;; p++) {
        if (*p == '/' || !*p) {
            char was = *p;
            *p = '\0';
            if (mkdir(d, 0700) != 0 && errno != EEXIST) {
                rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create folder: %s", d,
                                   strerror(errno));
                break;
            }
            *p = was;
            if (!was)
                break;
        }
    }
    struct stat st;
    if (!rc && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: not a folder", dir);
    ctxprof_free(ctx, d);
    return rc;
}

static int is_internal(const char *name)
{
    static const char *const exact[] = {"run_metadata", "layer_styles", NULL};
    static const char *const prefix[] = {"gpkg_", "rtree_", "sqlite_", "ctxprof_", NULL};
    for (const char *const *e = exact; *e; e++)
        if (strcasecmp(name, *e) == 0)
            return 1;
    for (const char *const *e = prefix; *e; e++)
        if (strncasecmp(name, *e, strlen(*e)) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ main */

int ctxprof_shp_export(ctxprof_ctx *ctx, ctxprof_shp_summary *sum, const char *gpkg,
                       const char *dir, const ctxprof_shp_options *o)
{
    ctxprof_shp_options def = CTXPROF_SHP_OPTIONS_INIT;
    if (!o)
        o = &def;
    unsigned long long limit = o->limit_bytes ? o->limit_bytes : CTXPROF_SHP_LIMIT_DEFAULT;
    memset(sum, 0, sizeof *sum);
    int rc = 0;
    plan *plans = NULL;
    size_t n_plans = 0;
    char *tmpdir = NULL;
    GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot open as a GeoPackage", gpkg);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    int nl = GDALDatasetGetLayerCount(ds);
    plans = ctxprof_calloc(ctx, (size_t)(nl + 1), sizeof *plans);
    if (!plans) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if (o->layers) {
        for (size_t i = 0; i < o->n_layers; i++) {
            OGRLayerH l = GDALDatasetGetLayerByName(ds, o->layers[i]);
            if (!l) {
                char list[2048] = "";
                for (int k = 0; k < nl; k++) {
                    const char *nm = OGR_L_GetName(GDALDatasetGetLayer(ds, k));
                    if (!is_internal(nm) && strlen(list) + strlen(nm) + 3 < sizeof list) {
                        strcat(list, *list ? ", " : "");
                        strcat(list, nm);
                    }
                }
                rc = ctxprof_error(ctx, CTXPROF_E_INPUT, "%s has no layer '%s' (its layers: %s)",
                                   gpkg, o->layers[i], list);
                goto done;
            }
            for (size_t k = 0; k < n_plans; k++)
                if (plans[k].lyr == l)
                    l = NULL;
            if (l && n_plans < (size_t)nl)
                plans[n_plans++].lyr = l;
        }
    } else {
        for (int k = 0; k < nl; k++) {
            OGRLayerH l = GDALDatasetGetLayer(ds, k);
            if (!is_internal(OGR_L_GetName(l)))
                plans[n_plans++].lyr = l;
        }
    }
    /* Pass 1: plan every layer, then check every size before writing. */
    for (size_t i = 0; i < n_plans && !rc; i++) {
        plan *p = &plans[i];
        p->first_group = -1;
        p->name = ctxprof_strdup(ctx, OGR_L_GetName(p->lyr));
        p->base = p->name ? file_base(ctx, p->name, NULL) : NULL;
        if (!p->base) {
            rc = CTXPROF_E_NOMEM;
            break;
        }
        p->spatial = OGR_L_GetGeomType(p->lyr) != wkbNone;
        if ((rc = ctxprof_progress(ctx, 0.5 * (double)i / (double)n_plans, p->name)) ||
            (rc = plan_fields(ctx, p)) || (rc = plan_scan(ctx, p)))
            break;
        int n_groups = 0;
        for (int k = 0; k < G_N; k++)
            n_groups += p->g[k].present;
        for (int k = 0; k < G_N && !rc; k++) {
            group *g = &p->g[k];
            if (!g->present)
                continue;
            g->base = file_base(ctx, p->name, n_groups > 1 ? group_suffix[k] : NULL);
            if (!g->base) {
                rc = CTXPROF_E_NOMEM;
                break;
            }
            unsigned long long sb = shp_bytes(g, k), db = dbf_bytes(p, g->n + g->n_null);
            if (sb > limit || db > limit)
                rc = ctxprof_error(ctx, CTXPROF_E_INPUT,
                                   "layer %s: %s.%s would be %llu bytes, over the shapefile "
                                   "format's limit of %llu bytes; nothing was written "
                                   "(export fewer layers with --layers, or use the GeoPackage)",
                                   p->name, g->base, sb > limit ? "shp" : "dbf",
                                   sb > limit ? sb : db, limit);
        }
        if (!rc && !p->spatial) {
            unsigned long long db = dbf_bytes(p, p->n);
            if (db > limit)
                rc = ctxprof_error(ctx, CTXPROF_E_INPUT,
                                   "layer %s: %s.dbf would be %llu bytes, over the shapefile "
                                   "format's limit of %llu bytes; nothing was written "
                                   "(export fewer layers with --layers, or use the GeoPackage)",
                                   p->name, p->base, db, limit);
        }
    }
    if (rc)
        goto done;
    /* Two layers must not write the same file. */
    for (size_t i = 0; i < n_plans; i++)
        for (int k = -1; k < G_N; k++) {
            const char *a = k < 0 ? plans[i].base : plans[i].g[k].base;
            if (!a || (k < 0 && plans[i].spatial))
                continue;
            for (size_t j = i + 1; j < n_plans; j++)
                for (int m = -1; m < G_N; m++) {
                    const char *b = m < 0 ? plans[j].base : plans[j].g[m].base;
                    if (b && !(m < 0 && plans[j].spatial) && strcasecmp(a, b) == 0) {
                        rc = ctxprof_error(ctx, CTXPROF_E_INPUT,
                                           "layers %s and %s would both be written as %s; "
                                           "export them separately (--layers)",
                                           plans[i].name, plans[j].name, a);
                        goto done;
                    }
                }
        }
    if ((rc = mkdirs(ctx, dir)))
        goto done;
    tmpdir = ctxprof_sprintf(ctx, "%s/.ctxprof-export-XXXXXX", dir);
    if (!tmpdir) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if (!mkdtemp(tmpdir)) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create a temporary folder: %s", dir,
                           strerror(errno));
        ctxprof_free(ctx, tmpdir);
        tmpdir = NULL;
        goto done;
    }
    for (size_t i = 0; i < n_plans && !rc; i++) {
        if (!(rc = ctxprof_progress(ctx, 0.5 + 0.5 * (double)i / (double)n_plans, plans[i].name)))
            rc = plan_write(ctx, sum, &plans[i], tmpdir);
    }
    if (rc)
        goto done;
    /* Every file written: move them into place. */
    {
        DIR *d = opendir(tmpdir);
        struct dirent *e;
        while (d && !rc && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char *from = ctxprof_sprintf(ctx, "%s/%s", tmpdir, e->d_name);
            char *to = ctxprof_sprintf(ctx, "%s/%s", dir, e->d_name);
            if (!from || !to)
                rc = CTXPROF_E_NOMEM;
            else if (chmod(from, 0600) != 0 || rename(from, to) != 0)
                rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot move into place: %s", to,
                                   strerror(errno));
            ctxprof_free(ctx, from);
            ctxprof_free(ctx, to);
        }
        if (d)
            closedir(d);
    }
    if (!rc)
        rc = ctxprof_progress(ctx, 1.0, "done");
done:
    if (tmpdir) {
        remove_tree(tmpdir);
        ctxprof_free(ctx, tmpdir);
    }
    for (size_t i = 0; i < n_plans; i++)
        plan_free(ctx, &plans[i]);
    ctxprof_free(ctx, plans);
    if (ds)
        GDALClose(ds);
    return rc;
}

void ctxprof_shp_summary_free(ctxprof_ctx *ctx, ctxprof_shp_summary *sum)
{
    if (!sum)
        return;
    for (size_t i = 0; i < sum->n_files; i++) {
        ctxprof_free(ctx, sum->files[i].layer);
        ctxprof_free(ctx, sum->files[i].file);
    }
    ctxprof_free(ctx, sum->files);
    memset(sum, 0, sizeof *sum);
}
