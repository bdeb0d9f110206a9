#include "core/polygons.h"
#include "load/load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/pool.h"
#include "geocode/gazetteer.h"
#include "geocode/geocode.h"
#include "load/codemap.h"
#include "load/csv.h"
#include "load/fields.h"
#include "load/kinds.h"
#include "load/open.h"
#include "load/taxonomy.h"

struct ctxprof_loader {
    const ctxprof_load_options *o;
    OGRSpatialReferenceH target;
    GEOSGeometry *study_area;
    const GEOSPreparedGeometry *study_prep;
    ctxprof_pseudonym *pseudonym;
    ctxprof_gazetteer *gazetteer; /* NULL when the profile names none */
    ctxprof_geocoder *geocoder;
    const ctxprof_kind **kinds; /* per source */
    ctxprof_codemap **codemaps; /* the profile's code map per source, or NULL */
    ctxprof_codemap **kindmaps; /* the kind's built-in code map per source */
    ctxprof_codemap *keywords;  /* keywords looked for in every source's free text */
    uint32_t *kind_cats;        /* categories every row of the source carries */
    ctxprof_datetime period_start, period_end, today;
};

/* A source's resolved columns and coordinate transforms. */
typedef struct {
    ctxprof_columns col;
    OGRLayerH layer;
    ctxprof_geocoder *gc; /* the loading thread's own */
    /* For flag columns without a flag of their own: the masks of a code-map
     * row "flag:<column>" (a yes in the column means those), if any. */
    int flag_by_map[CTXPROF_MAX_COLS];
    uint32_t flag_cats[CTXPROF_MAX_COLS], flag_flags[CTXPROF_MAX_COLS];
    OGRSpatialReferenceH xy_srs;
    int xy_is_bng; /* xy_srs is "EPSG:27700", the geocoder's own grid: its transform serves */
    OGRCoordinateTransformationH xy_ct, wgs_ct, geom_ct;
} source_cols;

/* One row being read, from OGR (feat) or from the fast CSV reader (csv):
 * values converted to UTF-8. */
typedef struct {
    OGRFeatureH feat;
    ctxprof_csv *csv;     /* the fast path's reader, or NULL */
    const char *used;     /* fast path: the columns read (OGR ignores the others) */
    int nfields;          /* fast path: the header's columns */
    const char *encoding; /* NULL for UTF-8 */
    char *buf[4];         /* recoded strings, reused round-robin */
    size_t cap[4];        /* their sizes */
    int nbuf;
    int recoded; /* a value was not UTF-8 and was read as Windows-1252 */
} row_reader;

/* The raw cell, or NULL when unset. A column OGR was told to ignore is
 * unset on both paths. */
static const char *raw_cell(const row_reader *r, int col)
{
    if (r->csv)
        return col >= 0 && col < r->nfields && r->used[col] ? ctxprof_csv_cell(r->csv, col) : NULL;
    if (col < 0 || !OGR_F_IsFieldSetAndNotNull(r->feat, col))
        return NULL;
    return OGR_F_GetFieldAsString(r->feat, col);
}

static int field_count(const row_reader *r)
{
    return r->csv ? r->nfields : OGR_F_GetFieldCount(r->feat);
}

static const char *value(row_reader *r, int col)
{
    const char *v = raw_cell(r, col);
    if (!v)
        return "";
    const char *from = r->encoding;
    if (!from) {
        if (CPLIsUTF8(v, -1))
            return v;
        /* Excel on Windows saves CSV as Windows-1252: read it as that. */
        from = "CP1252";
        r->recoded = 1;
    }
    int slot = r->nbuf++ % 4;
    if (strcasecmp(from, "CP1252") == 0 || strcasecmp(from, "WINDOWS-1252") == 0) {
        /* A table, not an iconv per value; the same bytes as CPLRecode. */
        size_t need = 3 * strlen(v) + 1;
        if (need > r->cap[slot]) {
            CPLFree(r->buf[slot]);
            r->buf[slot] = CPLMalloc(need);
            r->cap[slot] = need;
        }
        if (ctxprof_cp1252_to_utf8(v, r->buf[slot]) == 0)
            return r->buf[slot];
    }
    char *recoded = CPLRecode(v, from, CPL_ENC_UTF8);
    CPLFree(r->buf[slot]);
    r->buf[slot] = recoded;
    r->cap[slot] = strlen(recoded) + 1;
    return r->buf[slot];
}

static int is_blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

static void row_reader_clear(row_reader *r)
{
    if (r->feat)
        OGR_F_Destroy(r->feat);
    r->feat = NULL;
    for (int i = 0; i < 4; i++) {
        CPLFree(r->buf[i]);
        r->buf[i] = NULL;
        r->cap[i] = 0;
    }
}

int ctxprof_rejects_add(ctxprof_ctx *ctx, ctxprof_rejects *rej, uint32_t source, int64_t row,
                        ctxprof_reject_stage stage, const char *field, const char *reason,
                        const char *location_text)
{
    size_t i = rej->n;
    if (i + 1 > rej->cap) {
        size_t cap = rej->cap ? rej->cap * 2 : 256;
#define GROW(a)                                                                                    \
    do {                                                                                           \
        void *p_ = ctxprof_reallocarray(ctx, rej->a, cap, sizeof *rej->a);                         \
        if (!p_)                                                                                   \
            return CTXPROF_E_NOMEM;                                                                \
        rej->a = p_;                                                                               \
    } while (0)
        GROW(source);
        GROW(row);
        GROW(stage);
        GROW(field);
        GROW(reason);
        GROW(location_text);
#undef GROW
        rej->cap = cap;
    }
    rej->source[i] = source;
    rej->row[i] = row;
    rej->stage[i] = (uint8_t)stage;
    rej->field[i] = field ? ctxprof_strdup(ctx, field) : NULL;
    rej->reason[i] = ctxprof_strdup(ctx, reason);
    rej->location_text[i] =
        location_text && *location_text ? ctxprof_strdup(ctx, location_text) : NULL;
    rej->n++;
    return rej->reason[i] ? 0 : CTXPROF_E_NOMEM;
}

void ctxprof_rejects_free(ctxprof_ctx *ctx, ctxprof_rejects *rej)
{
    for (size_t i = 0; i < rej->n; i++) {
        ctxprof_free(ctx, rej->field[i]);
        ctxprof_free(ctx, rej->reason[i]);
        ctxprof_free(ctx, rej->location_text[i]);
    }
    ctxprof_free(ctx, rej->source);
    ctxprof_free(ctx, rej->row);
    ctxprof_free(ctx, rej->stage);
    ctxprof_free(ctx, rej->field);
    ctxprof_free(ctx, rej->reason);
    ctxprof_free(ctx, rej->location_text);
    memset(rej, 0, sizeof *rej);
}

void ctxprof_incidents_free(ctxprof_ctx *ctx, ctxprof_incidents *inc)
{
    ctxprof_free(ctx, inc->x);
    ctxprof_free(ctx, inc->y);
    ctxprof_free(ctx, inc->when);
    ctxprof_free(ctx, inc->source);
    ctxprof_free(ctx, inc->row);
    ctxprof_free(ctx, inc->cats);
    ctxprof_free(ctx, inc->flags);
    ctxprof_free(ctx, inc->pid);
    ctxprof_free(ctx, inc->geocode_method);
    ctxprof_free(ctx, inc->geocode_score);
    ctxprof_free(ctx, inc->outside_m);
    memset(inc, 0, sizeof *inc);
}

static int incidents_reserve(ctxprof_ctx *ctx, ctxprof_incidents *inc, size_t need)
{
    if (need <= inc->cap)
        return 0;
    size_t cap = inc->cap ? inc->cap : 1024;
    while (cap < need)
        cap *= 2;
#define GROW(a)                                                                                    \
    do {                                                                                           \
        void *p_ = ctxprof_reallocarray(ctx, inc->a, cap, sizeof *inc->a);                         \
        if (!p_)                                                                                   \
            return CTXPROF_E_NOMEM;                                                                \
        inc->a = p_;                                                                               \
    } while (0)
    GROW(x);
    GROW(y);
    GROW(when);
    GROW(source);
    GROW(row);
    GROW(cats);
    GROW(flags);
    GROW(pid);
    GROW(geocode_method);
    GROW(geocode_score);
    GROW(outside_m);
#undef GROW
    inc->cap = cap;
    return 0;
}

static int parse_day(ctxprof_ctx *ctx, const char *file, const char *key, const char *v,
                     ctxprof_datetime *out)
{
    const char *reason;
    if (!v)
        return 0;
    if (ctxprof_date_parse(v, CTXPROF_YMD, out, &reason) || out->precision != CTXPROF_PREC_DAY)
        return ctxprof_error_at(ctx, CTXPROF_E_CONFIG, file, 0, NULL,
                                "[profile] %s '%s' is not a YYYY-MM-DD date", key, v);
    return 0;
}

/* The study area as every stage reads it (core/polygons.h), prepared. */
static int load_study_area(ctxprof_ctx *ctx, ctxprof_loader *ld, const char *uri, const char *crs)
{
    int rc = ctxprof_study_area_read(ctx, &ld->study_area, uri, crs);
    if (!rc && !(ld->study_prep = GEOSPrepare_r(ctxprof_geos(ctx), ld->study_area))) {
        rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "%s: cannot prepare the study area", uri);
        ctxprof_error_append_lib(ctx);
    }
    return rc;
}

int ctxprof_loader_new(ctxprof_ctx *ctx, ctxprof_loader **out, const ctxprof_load_options *o)
{
    int rc = 0;
    *out = NULL;
    ctxprof_loader *ld = ctxprof_calloc(ctx, 1, sizeof *ld);
    if (!ld)
        return CTXPROF_E_NOMEM;
    ld->o = o;
    const char *file = o->file;
    const char *crs = o->crs;
    if (!(ld->target = ctxprof_srs_new(crs))) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, file, 0, NULL, "[profile] crs '%s' is unknown",
                              crs);
        goto done;
    }
    if (!OSRIsProjected(ld->target)) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, file, 0, NULL,
                              "[profile] crs '%s' is not a projected metric CRS", crs);
        goto done;
    }
    if ((rc = parse_day(ctx, file, "period_start", o->period_start, &ld->period_start)) ||
        (rc = parse_day(ctx, file, "period_end", o->period_end, &ld->period_end)))
        goto done;
    const ctxprof_datetime *ps = &ld->period_start, *pe = &ld->period_end;
    if (ps->precision && pe->precision &&
        (pe->year - ps->year) * 400 + (pe->month - ps->month) * 32 + (pe->day - ps->day) < 0) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_CONFIG, file, 0, NULL,
                              "[profile] period_end %s is before period_start %s", o->period_end,
                              o->period_start);
        goto done;
    }
    const char *study = o->study_area;
    if (study && (rc = load_study_area(ctx, ld, study, crs)))
        goto done;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    ld->today =
        (ctxprof_datetime){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0, CTXPROF_PREC_DAY};
    if ((rc = ctxprof_gazetteer_from_options(ctx, &ld->gazetteer, &o->gazetteer)) ||
        (rc = ctxprof_geocoder_new(ctx, &ld->geocoder, crs, ld->gazetteer, ld->study_prep)))
        goto done;
    ctxprof_geocoder_set_checks(ld->geocoder, o->outside_tolerance_m, o->text_check_m);
    /* The key is needed only when a source names people (see setup_columns). */
    const char *key_file = o->key_file;
    const char *key_env = o->key_env;
    if ((key_file || (key_env && getenv(key_env))) &&
        (rc = ctxprof_pseudonym_open(ctx, &ld->pseudonym, key_file, key_env)))
        goto done;
    size_t n = o->n_sources;
    if (!(ld->codemaps = ctxprof_calloc(ctx, n, sizeof *ld->codemaps)) ||
        !(ld->kindmaps = ctxprof_calloc(ctx, n, sizeof *ld->kindmaps)) ||
        !(ld->kinds = ctxprof_calloc(ctx, n, sizeof *ld->kinds)) ||
        !(ld->kind_cats = ctxprof_calloc(ctx, n, sizeof *ld->kind_cats))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if ((rc = ctxprof_codemap_load_text(ctx, &ld->keywords, "keywords", ctxprof_common_keywords)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        const ctxprof_source *s = &o->sources[i];
        const ctxprof_kind *k = ld->kinds[i] = ctxprof_kind_find(s->kind);
        if (!k) {
            char list[1024];
            size_t used = 0;
            for (size_t j = 0; j < ctxprof_kind_count() && used < sizeof list; j++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "",
                                         ctxprof_kind_at(j)->name);
            rc = ctxprof_error(ctx, CTXPROF_E_CONFIG,
                               "%s line %d: [source.%s] kind '%s' is not a source kind (%s)", file,
                               s->line, s->name, s->kind, list);
            goto done;
        }
        char bad[64];
        ctxprof_taxonomy_parse(k->categories, ctxprof_category_names, CTXPROF_N_CATEGORIES,
                               &ld->kind_cats[i], bad, sizeof bad);
        if ((rc = ctxprof_codemap_load_text(ctx, &ld->kindmaps[i], k->name, k->codes)))
            goto done;
        if (s->code_map && (rc = ctxprof_codemap_load(ctx, &ld->codemaps[i], s->code_map)))
            goto done;
    }
done:
    if (rc) {
        ctxprof_loader_free(ctx, ld);
        return rc;
    }
    *out = ld;
    return 0;
}

void ctxprof_loader_free(ctxprof_ctx *ctx, ctxprof_loader *ld)
{
    if (!ld)
        return;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    ctxprof_geocoder_free(ctx, ld->geocoder);
    ctxprof_gazetteer_free(ctx, ld->gazetteer);
    if (ld->study_prep)
        GEOSPreparedGeom_destroy_r(h, ld->study_prep);
    if (ld->study_area)
        GEOSGeom_destroy_r(h, ld->study_area);
    if (ld->target)
        OSRDestroySpatialReference(ld->target);
    for (size_t i = 0; i < ld->o->n_sources; i++) {
        if (ld->codemaps)
            ctxprof_codemap_free(ctx, ld->codemaps[i]);
        if (ld->kindmaps)
            ctxprof_codemap_free(ctx, ld->kindmaps[i]);
    }
    ctxprof_free(ctx, ld->codemaps);
    ctxprof_free(ctx, ld->kindmaps);
    ctxprof_free(ctx, ld->kinds);
    ctxprof_free(ctx, ld->kind_cats);
    ctxprof_codemap_free(ctx, ld->keywords);
    ctxprof_pseudonym_free(ctx, ld->pseudonym);
    ctxprof_free(ctx, ld);
}

const ctxprof_pseudonym *ctxprof_loader_pseudonym(const ctxprof_loader *ld)
{
    return ld->pseudonym;
}

/* The code map a source uses: the profile's, which overrides the kind's
 * built-in map (and the built-in keywords) entirely. */
static const ctxprof_codemap *source_map(const ctxprof_loader *ld, uint32_t si)
{
    return ld->codemaps[si] ? ld->codemaps[si] : ld->kindmaps[si];
}

static int setup_columns(ctxprof_ctx *ctx, const ctxprof_loader *ld, uint32_t si,
                         const ctxprof_source *s, OGRLayerH layer, source_cols *c)
{
    c->layer = layer;
    int rc = ctxprof_columns_resolve(ctx, &c->col, s, ld->kinds[si], OGR_L_GetLayerDefn(layer));
    if (rc)
        return rc;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    if (!ld->pseudonym &&
        (c->col.person_id >= 0 || c->col.forename >= 0 || c->col.surname >= 0 || c->col.dob >= 0)) {
        /* Reopening gives the pseudonym module's own message about the key. */
        ctxprof_pseudonym *ps = NULL;
        rc = ctxprof_pseudonym_open(ctx, &ps, NULL, ld->o->key_env);
        ctxprof_pseudonym_free(ctx, ps);
        if (rc) {
            char why[512]; /* the message is rewritten in the slot it is read from */
            snprintf(why, sizeof why, "%s", ctxprof_errmsg(ctx));
            return ctxprof_error(ctx, rc, "%s: source '%s' names people, and %s", s->path, s->name,
                                 why);
        }
    }
    for (int k = 0; k < c->col.n_flags; k++) {
        char key[300];
        snprintf(key, sizeof key, "flag:%s", ctxprof_column_name(defn, c->col.flags[k].col));
        /* "Column:flag" in the profile wins; then a code-map row
         * "flag:Column"; then the flag guessed from the column's name. */
        c->flag_by_map[k] =
            !c->col.flags[k].explicit_flag &&
            ctxprof_codemap_code(source_map(ld, si), key, &c->flag_cats[k], &c->flag_flags[k]);
    }
    if (ctxprof_source_field(s, "x") || ctxprof_source_field(s, "y") ||
        ctxprof_source_field(s, "lon") || ctxprof_source_field(s, "lat"))
        if ((c->col.x >= 0) != (c->col.y >= 0) || (c->col.lon >= 0) != (c->col.lat >= 0))
            return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                 "%s line %d: [source.%s] needs both field.x and field.y (or "
                                 "field.lon and field.lat)",
                                 ld->o->file, s->line, s->name);
    if (c->col.x >= 0) {
        const char *srs = ctxprof_source_field(s, "srs");
        if (!srs)
            srs = ld->o->crs;
        /* The geocoder makes a transform per row for any other CRS. */
        c->xy_is_bng = strcasecmp(srs, "EPSG:27700") == 0;
        if (!(c->xy_srs = ctxprof_srs_new(srs)))
            return ctxprof_error(ctx, CTXPROF_E_CRS,
                                 "%s line %d: [source.%s] field.srs '%s' is unknown", ld->o->file,
                                 s->line, s->name, srs);
        c->xy_ct = OCTNewCoordinateTransformation(c->xy_srs, ld->target);
    }
    if (c->col.lon >= 0) {
        OGRSpatialReferenceH wgs = ctxprof_srs_new("EPSG:4326");
        c->wgs_ct = OCTNewCoordinateTransformation(wgs, ld->target);
        OSRDestroySpatialReference(wgs);
    }
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(layer);
    if (OGR_L_GetGeomType(layer) != wkbNone && lsrs)
        c->geom_ct = OCTNewCoordinateTransformation(lsrs, ld->target);
    return 0;
}

static void free_columns(source_cols *c)
{
    if (c->xy_srs)
        OSRDestroySpatialReference(c->xy_srs);
    if (c->xy_ct)
        OCTDestroyCoordinateTransformation(c->xy_ct);
    if (c->wgs_ct)
        OCTDestroyCoordinateTransformation(c->wgs_ct);
    if (c->geom_ct)
        OCTDestroyCoordinateTransformation(c->geom_ct);
}

static int parse_number(const char *s, double *v)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!*s)
        return -1;
    *v = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end || !isfinite(*v) ? -1 : 0;
}

static int cmp_day(const ctxprof_datetime *a, const ctxprof_datetime *b)
{
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if (a->month != b->month)
        return a->month < b->month ? -1 : 1;
    int da = a->precision >= CTXPROF_PREC_DAY ? a->day : 1;
    int db = b->precision >= CTXPROF_PREC_DAY ? b->day : 1;
    return da < db ? -1 : da > db;
}

/* Reads the date (and time) of a row. Returns 0, or 1 with *reason set
 * (into buf) when the row is to be rejected. */
static int row_date(const ctxprof_loader *ld, const ctxprof_source *s, const source_cols *c,
                    row_reader *r, ctxprof_datetime *when, const char **field, char *buf,
                    size_t size)
{
    static const ctxprof_date_format formats[] = {CTXPROF_DMY, CTXPROF_YMD, CTXPROF_EXCEL,
                                                  CTXPROF_MONTH};
    const char *names[] = {"dmy", "ymd", "excel", "month"};
    ctxprof_date_format fmt = CTXPROF_DMY;
    for (int i = 0; i < 4; i++)
        if (strcmp(s->date_format, names[i]) == 0)
            fmt = formats[i];
    memset(when, 0, sizeof *when);
    if (c->col.date < 0)
        return 0;
    const char *reason;
    /* The fast path reads plain CSV, every column a string. */
    OGRFieldType type =
        r->csv ? OFTString : OGR_Fld_GetType(OGR_F_GetFieldDefnRef(r->feat, c->col.date));
    if ((type == OFTDate || type == OFTDateTime) &&
        OGR_F_IsFieldSetAndNotNull(r->feat, c->col.date)) {
        int y, mo, d, h, mi, tz;
        float sec;
        OGR_F_GetFieldAsDateTimeEx(r->feat, c->col.date, &y, &mo, &d, &h, &mi, &sec, &tz);
        *when = (ctxprof_datetime){
            y, mo, d, h, mi, (int)sec, type == OFTDate ? CTXPROF_PREC_DAY : CTXPROF_PREC_MINUTE};
    } else {
        const char *v = value(r, c->col.date);
        if (is_blank(v))
            return 0; /* undated: kept, counted as a missing date */
        if (ctxprof_date_parse(v, fmt, when, &reason)) {
            *field = "date";
            snprintf(buf, size, "date '%.40s': %s", v, reason);
            return 1;
        }
    }
    if (c->col.time >= 0) {
        const char *t = value(r, c->col.time);
        if (!is_blank(t) && when->precision >= CTXPROF_PREC_DAY &&
            ctxprof_time_parse(t, when, &reason)) {
            *field = "time";
            snprintf(buf, size, "time '%.20s': %s", t, reason);
            return 1;
        }
    }
    *field = "date";
    if (cmp_day(when, &ld->today) > 0) {
        snprintf(buf, size, "date %04d-%02d-%02d is in the future", when->year, when->month,
                 when->precision >= CTXPROF_PREC_DAY ? when->day : 1);
        return 1;
    }
    if (ld->period_start.precision && cmp_day(when, &ld->period_start) < 0 &&
        !(when->precision == CTXPROF_PREC_MONTH && when->year == ld->period_start.year &&
          when->month == ld->period_start.month)) {
        snprintf(buf, size, "date is before the profile period (period_start)");
        return 1;
    }
    if (ld->period_end.precision && cmp_day(when, &ld->period_end) > 0) {
        snprintf(buf, size, "date is after the profile period (period_end)");
        return 1;
    }
    return 0;
}

/* The person's pid, or "" when the row names nobody usable. */
static void row_pid(const ctxprof_loader *ld, const source_cols *c, row_reader *r,
                    char pid[CTXPROF_PID_LEN + 1])
{
    pid[0] = '\0';
    if (c->col.forename >= 0 && c->col.surname >= 0 && c->col.dob >= 0) {
        const char *f = value(r, c->col.forename), *s = value(r, c->col.surname);
        ctxprof_datetime dob;
        const char *reason;
        const char *d = value(r, c->col.dob);
        if (!is_blank(f) && !is_blank(s) &&
            (ctxprof_date_parse(d, CTXPROF_DMY, &dob, &reason) == 0 &&
             dob.precision >= CTXPROF_PREC_DAY)) {
            char iso[32];
            snprintf(iso, sizeof iso, "%04d-%02d-%02d", dob.year, dob.month, dob.day);
            ctxprof_pid_from_name(ld->pseudonym, f, s, iso, pid);
            return;
        }
    }
    if (c->col.person_id >= 0) {
        const char *id = value(r, c->col.person_id);
        if (!is_blank(id))
            ctxprof_pid_from_id(ld->pseudonym, c->col.system, id, pid);
    }
}

/* The row's location text (free text, address, postcode, bus stop) for
 * rejects and the geocoder. */
static void row_location_text(const source_cols *c, row_reader *r, char *buf, size_t size)
{
    const int cols[] = {c->col.location, c->col.address, c->col.postcode};
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < 3; i++) {
        const char *v = value(r, cols[i]);
        if (!is_blank(v) && n < size)
            n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", v);
    }
    const char *stop = value(r, c->col.stop), *route = value(r, c->col.route);
    if (!is_blank(stop) && n < size)
        n += (size_t)snprintf(buf + n, size - n, "%sbus stop %s", n ? ", " : "", stop);
    if (!is_blank(route) && n < size)
        snprintf(buf + n, size - n, "%sroute %s", n ? ", " : "", route);
}

/* snprintf(buf, size, "%s", s) without the formatting machinery. */
static void copy_str(char *buf, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
}

static double number_or_nan(const char *s)
{
    double v;
    return parse_number(s, &v) ? NAN : v;
}

/* Places a row: the layer's own geometry when it lies in the study area,
 * else the geocoding cascade over its coordinate and text fields. */
static int row_place(ctxprof_ctx *ctx, const source_cols *c, row_reader *r, ctxprof_geo_result *res,
                     int *has_location)
{
    OGRGeometryH g = r->csv ? NULL : OGR_F_GetGeometryRef(r->feat);
    double gx = NAN, gy = NAN;
    *has_location = 0;
    if (g && !OGR_G_IsEmpty(g) && c->geom_ct) {
        *has_location = 1;
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_Centroid(g, pt); /* a point's centroid is the point */
        gx = OGR_G_GetX(pt, 0);
        gy = OGR_G_GetY(pt, 0);
        OGR_G_DestroyGeometry(pt);
        double x = gx, y = gy, z = 0;
        if (OCTTransform(c->geom_ct, 1, &x, &y, &z) && ctxprof_geocoder_inside(ctx, c->gc, x, y)) {
            memset(res, 0, sizeof *res);
            res->x = x;
            res->y = y;
            res->method = CTXPROF_GC_GEOMETRY;
            res->score = 100;
            return 1;
        }
    }
    ctxprof_geo_input in = {
        .x = c->col.x >= 0 ? number_or_nan(value(r, c->col.x)) : NAN,
        .y = c->col.y >= 0 ? number_or_nan(value(r, c->col.y)) : NAN,
        .lon = c->col.lon >= 0 ? number_or_nan(value(r, c->col.lon)) : NAN,
        .lat = c->col.lat >= 0 ? number_or_nan(value(r, c->col.lat)) : NAN,
        .xy_srs = c->xy_is_bng ? NULL : c->xy_srs,
    };
    /* A geometry outside the study area: its coordinates go through the
     * cascade, which repairs swapped axes. */
    if (isfinite(gx) && !isfinite(in.x) && !isfinite(in.lon)) {
        OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(c->layer);
        if (lsrs && OSRIsGeographic(lsrs)) {
            in.lon = gx;
            in.lat = gy;
        } else {
            in.x = gx;
            in.y = gy;
            in.xy_srs = lsrs;
        }
    }
    /* The geocoder keeps pointers: copy the texts, value() reuses buffers. */
    char pc[64], addr[512], loc[512], stop[256], route[32];
    copy_str(pc, sizeof pc, value(r, c->col.postcode));
    copy_str(addr, sizeof addr, value(r, c->col.address));
    copy_str(loc, sizeof loc, value(r, c->col.location));
    copy_str(stop, sizeof stop, value(r, c->col.stop));
    copy_str(route, sizeof route, value(r, c->col.route));
    in.postcode = pc;
    in.address = addr;
    in.location = loc;
    in.stop = stop;
    in.route = route;
    *has_location |= isfinite(in.x) || isfinite(in.y) || isfinite(in.lon) || isfinite(in.lat) ||
                     !is_blank(pc) || !is_blank(addr) || !is_blank(loc) || !is_blank(stop);
    return ctxprof_geocode(ctx, c->gc, &in, res);
}

/* Approximate bytes of a CSV row: its cells and their separators. */
static double row_bytes(const row_reader *r)
{
    double n = 2;
    for (int i = 0; i < field_count(r); i++) {
        const char *v = raw_cell(r, i);
        n += 1 + (v ? (double)strlen(v) : 0);
    }
    return n;
}

/* Columns the source does not use are not read (GDAL skips their strings),
 * unless a where filter may test them. Duplicates are judged on the columns
 * used either way. Returns them (CPLFree); the fast path reads them alone. */
static char *ignore_unused(OGRLayerH layer, const source_cols *c, int keep_all)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int n = OGR_FD_GetFieldCount(defn);
    char *used = CPLCalloc((size_t)n + 1, 1);
    used[0] = 1; /* a DOS end-of-file line (Ctrl-Z) shows in the first column */
    const int cols[] = {c->col.id,
                        c->col.date,
                        c->col.time,
                        c->col.x,
                        c->col.y,
                        c->col.lon,
                        c->col.lat,
                        c->col.postcode,
                        c->col.address,
                        c->col.location,
                        c->col.text,
                        c->col.person_id,
                        c->col.forename,
                        c->col.surname,
                        c->col.dob,
                        c->col.person2_id,
                        c->col.person2_forename,
                        c->col.person2_surname,
                        c->col.person2_dob,
                        c->col.route,
                        c->col.stop};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (cols[i] >= 0)
            used[cols[i]] = 1;
    for (int k = 0; k < c->col.n_code; k++)
        used[c->col.code[k]] = 1;
    for (int k = 0; k < c->col.n_flags; k++)
        used[c->col.flags[k].col] = 1;
    if (keep_all) /* a where filter may test any column: OGR reads them all */
        return used;
    char **ignored = NULL;
    for (int i = 0; i < n; i++)
        if (!used[i])
            ignored = CSLAddString(ignored, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    if (ignored)
        OGR_L_SetIgnoredFields(layer, (const char **)ignored);
    CSLDestroy(ignored);
    return used;
}

static int is_ctrl_z_row(const row_reader *r)
{
    int n = field_count(r);
    const char *v = n ? raw_cell(r, 0) : NULL;
    if (!v || strcmp(v, "\x1a") != 0)
        return 0;
    for (int i = 1; i < n; i++)
        if ((v = raw_cell(r, i)) && *v)
            return 0;
    return 1;
}

/* Exact duplicate rows: a 64-bit FNV-1a hash of every cell, in an
 * open-addressing table from hash to the first row that had it. */
typedef struct {
    uint64_t *keys;
    int64_t *rows;
    size_t cap, n;
} dup_table;

static uint64_t row_hash(const row_reader *r)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < field_count(r); i++) {
        if (!r->used[i]) /* judged on the columns the source reads, filtered or not */
            continue;
        const char *cell = raw_cell(r, i);
        const unsigned char *v = (const unsigned char *)(cell ? cell : "");
        for (; *v; v++)
            h = (h ^ *v) * 1099511628211ULL;
        h = (h ^ 0x1f) * 1099511628211ULL; /* cell separator */
    }
    OGRGeometryH g = r->csv ? NULL : OGR_F_GetGeometryRef(r->feat);
    if (g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
        double xy[2] = {OGR_G_GetX(g, 0), OGR_G_GetY(g, 0)};
        const unsigned char *b = (const unsigned char *)xy;
        for (size_t k = 0; k < sizeof xy; k++)
            h = (h ^ b[k]) * 1099511628211ULL;
    }
    return h ? h : 1;
}

/* Returns the earlier row with the same hash, or 0 after recording row. */
static int64_t dup_check(ctxprof_ctx *ctx, dup_table *t, uint64_t h, int64_t row)
{
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        uint64_t *keys = ctxprof_calloc(ctx, cap, sizeof *keys);
        int64_t *rows = ctxprof_calloc(ctx, cap, sizeof *rows);
        if (!keys || !rows) {
            ctxprof_free(ctx, keys);
            ctxprof_free(ctx, rows);
            return -1;
        }
        for (size_t i = 0; i < t->cap; i++)
            if (t->keys[i]) {
                size_t j = t->keys[i] & (cap - 1);
                while (keys[j])
                    j = (j + 1) & (cap - 1);
                keys[j] = t->keys[i];
                rows[j] = t->rows[i];
            }
        ctxprof_free(ctx, t->keys);
        ctxprof_free(ctx, t->rows);
        t->keys = keys;
        t->rows = rows;
        t->cap = cap;
    }
    size_t j = h & (t->cap - 1);
    while (t->keys[j]) {
        if (t->keys[j] == h)
            return t->rows[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->keys[j] = h;
    t->rows[j] = row;
    t->n++;
    return 0;
}

static int count_unmapped(ctxprof_ctx *ctx, ctxprof_source_counts *cnt, const char *code)
{
    char key[48];
    snprintf(key, sizeof key, "%s", code); /* long "codes" are cut: never free text */
    for (size_t i = 0; i < cnt->n_unmapped; i++)
        if (strcmp(cnt->unmapped[i].code, key) == 0) {
            cnt->unmapped[i].n++;
            return 0;
        }
    if (cnt->n_unmapped >= 1000) /* a column of free text, not codes: stop listing */
        return 0;
    if (ctxprof_grow(ctx, (void **)&cnt->unmapped, &cnt->cap_unmapped, cnt->n_unmapped + 1,
                     sizeof *cnt->unmapped))
        return CTXPROF_E_NOMEM;
    ctxprof_code_count *e = &cnt->unmapped[cnt->n_unmapped];
    if (!(e->code = ctxprof_strdup(ctx, key)))
        return CTXPROF_E_NOMEM;
    e->n = 1;
    cnt->n_unmapped++;
    return 0;
}

void ctxprof_source_counts_clear(ctxprof_ctx *ctx, ctxprof_source_counts *c)
{
    for (size_t i = 0; i < c->n_unmapped; i++)
        ctxprof_free(ctx, c->unmapped[i].code);
    ctxprof_free(ctx, c->unmapped);
    c->unmapped = NULL;
    c->n_unmapped = c->cap_unmapped = 0;
    ctxprof_free(ctx, c->file_rows);
    c->file_rows = NULL;
}

/* Categories and flags of a row: codes through the source's code map;
 * keywords in the free text; flag columns; the kind's own categories. */
static int classify(ctxprof_ctx *ctx, const ctxprof_loader *ld, uint32_t si, const source_cols *c,
                    row_reader *r, uint32_t *cats, uint32_t *flags, ctxprof_source_counts *cnt)
{
    const ctxprof_codemap *map = source_map(ld, si);
    int unmapped = 0, rc = 0;
    *cats = ld->kind_cats[si];
    *flags = 0;
    for (int k = 0; k < c->col.n_code; k++) {
        const char *code = value(r, c->col.code[k]);
        if (is_blank(code) || ctxprof_codemap_code(map, code, cats, flags))
            continue;
        unmapped = 1;
        if ((rc = count_unmapped(ctx, cnt, code)))
            return rc;
    }
    if (c->col.text >= 0) {
        const char *text = value(r, c->col.text);
        ctxprof_codemap_text(map, text, cats, flags);
        if (!ld->codemaps[si]) /* the built-in keywords go with the built-in map */
            ctxprof_codemap_text(ld->keywords, text, cats, flags);
    }
    for (int k = 0; k < c->col.n_flags; k++) {
        const char *v = value(r, c->col.flags[k].col);
        if (c->col.flags[k].flag < 0 && !c->flag_by_map[k]) { /* a column of flag codes */
            if (!is_blank(v) && !ctxprof_codemap_code(map, v, cats, flags)) {
                unmapped = 1;
                if ((rc = count_unmapped(ctx, cnt, v)))
                    return rc;
            }
            continue;
        }
        int yes = ctxprof_flag_value(v);
        if (yes == 1 && c->flag_by_map[k]) {
            *cats |= c->flag_cats[k];
            *flags |= c->flag_flags[k];
        } else if (yes == 1) {
            *flags |= 1u << c->col.flags[k].flag;
        } else if (yes < 0) {
            cnt->bad_flag_values++;
        }
    }
    cnt->unmapped_codes += unmapped;
    const ctxprof_source *s = &ld->o->sources[si];
    if (s->all_ages && !s->count_as_youth && (*cats & CTXPROF_YOUTH_SILOS)) {
        *cats &= ~CTXPROF_YOUTH_SILOS; /* no age, no youth label */
        cnt->youth_not_counted++;
    }
    return 0;
}

/* Reads the next row into r: 1, 0 at the end, or a negative error. */
/* A reader that fails mid-file (a line over GDAL's size limit, a file cut
 * short) ends like the end of the file would: the error state tells the two
 * apart, so later rows are not silently lost. row is the next row's number. */
static int next_row(ctxprof_ctx *ctx, row_reader *r, OGRLayerH layer, const char *path, int64_t row)
{
    if (r->csv)
        return ctxprof_csv_next(ctx, r->csv);
    if (r->feat)
        OGR_F_Destroy(r->feat);
    CPLErrorReset();
    r->feat = OGR_L_GetNextFeature(layer);
    if (!r->feat && CPLGetLastErrorType() >= CE_Failure) {
        int rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, (long)row, NULL,
                                  "the row cannot be read, so neither it nor any later row was "
                                  "loaded");
        ctxprof_error_append_lib(ctx);
        return rc;
    }
    return r->feat != NULL;
}

/* Loads file f of source si (s: that file's part), its rows numbered on
 * from the rows of the files before it. */
static int load_file(ctxprof_ctx *ctx, ctxprof_loader *ld, ctxprof_geocoder *gc, uint32_t si,
                     const ctxprof_source *s, size_t f, dup_table *dups, ctxprof_incidents *inc,
                     ctxprof_rejects *rej, ctxprof_source_counts *cnt)
{
    const ctxprof_source *whole = &ld->o->sources[si];
    const double n_files = (double)ctxprof_source_n_files(whole);
    const int64_t base = cnt->rows_read;
    int64_t seen = 0; /* features the layer gave, the where filter applied */
    int rc = 0;
    source_cols c;
    memset(&c, 0, sizeof c);
    c.gc = gc;
    row_reader r = {0};
    if (strcasecmp(s->encoding, "UTF-8") != 0 && strcasecmp(s->encoding, "UTF8") != 0)
        r.encoding = s->encoding;
    ctxprof_opened src;
    if ((rc = ctxprof_source_open(ctx, &src, s)))
        return rc;
    OGRLayerH layer = src.layer;
    ctxprof_csv csv;
    int fast = ctxprof_source_fast_csv(ctx, s, &src, &csv);
    ctxprof_log(ctx, CTXPROF_LOG_DEBUG, "source %s: read %s", s->name,
                fast ? "by the fast CSV reader" : "through OGR");
    char *used = NULL;
    int got = 0;
    /* No counting pass over text files: their size and the bytes read so
     * far estimate progress (ctxprof_source_progress). */
    int64_t total = fast ? -1 : OGR_L_GetFeatureCount(layer, FALSE);
    struct stat st;
    double file_bytes = stat(s->path, &st) == 0 ? (double)st.st_size : 0, bytes_read = 0;
    cnt->fast_csv = fast;
    if (fast) {
        r.csv = &csv;
        r.nfields = OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(layer));
    }
    if (ld->kinds[si]->linkage) {
        /* Association and crosswalk records link people; the people stage
         * reads them. They are counted here so that every row is accounted. */
        used = CPLMalloc((size_t)r.nfields + 1);
        memset(used, 1, (size_t)r.nfields + 1);
        r.used = used;
        OGR_L_ResetReading(layer);
        while ((got = next_row(ctx, &r, layer, s->path, cnt->rows_read - base + 1)) > 0 && ++seen)
            if (!is_ctrl_z_row(&r)) {
                cnt->rows_read++;
                cnt->linkage++;
            }
        rc = got;
        goto done;
    }
    if ((rc = setup_columns(ctx, ld, si, s, layer, &c)))
        goto done;
    used = ignore_unused(layer, &c, s->where != NULL);
    r.used = used;
    OGR_L_ResetReading(layer);
    int64_t row = base;
    char reason_buf[256], loc[512];
    while ((got = next_row(ctx, &r, layer, s->path, row - base + 1)) > 0) {
        seen++;
        r.recoded = 0;
        if (is_ctrl_z_row(&r)) /* DOS end-of-file marker, not a record */
            continue;
        row++;
        if (src.n_unfiltered >= 0) /* filtered: the row's own number in the file */
            row = base + (OGR_F_GetFID(r.feat) - src.fid_first + 1);
        cnt->rows_read++;
        const char *field = NULL;
        ctxprof_datetime when;
        /* Identical rows with the same record reference are one record
         * exported twice. Without a reference (police.uk ASB, say) identical
         * rows can be separate events, so they are kept. */
        int64_t first = c.col.id >= 0 && !is_blank(value(&r, c.col.id))
                            ? dup_check(ctx, dups, row_hash(&r), row)
                            : 0;
        if (first < 0) {
            rc = CTXPROF_E_NOMEM;
            goto next;
        }
        if (first > 0) {
            int64_t first_row;
            size_t ff = ctxprof_source_locate(whole, cnt->file_rows, first, &first_row);
            const char *slash = ff != f ? strrchr(whole->paths[ff], '/') : NULL;
            snprintf(reason_buf, sizeof reason_buf,
                     "duplicate of row %lld%s%s (same reference and values)", (long long)first_row,
                     ff != f ? " of " : "", ff != f ? (slash ? slash + 1 : whole->paths[ff]) : "");
            rc = ctxprof_rejects_add(ctx, rej, si, row, CTXPROF_STAGE_LOAD, NULL, reason_buf, NULL);
            cnt->rejects_load++;
            cnt->duplicates++;
            goto next;
        }
        if (row_date(ld, s, &c, &r, &when, &field, reason_buf, sizeof reason_buf)) {
            rc =
                ctxprof_rejects_add(ctx, rej, si, row, CTXPROF_STAGE_LOAD, field, reason_buf, NULL);
            cnt->rejects_load++;
            goto next;
        }
        ctxprof_geo_result place;
        int has_location;
        int placed = row_place(ctx, &c, &r, &place, &has_location);
        cnt->with_location += has_location;
        if (!placed) {
            row_location_text(&c, &r, loc, sizeof loc);
            if (!has_location)
                cnt->missing_locations++;
            rc = ctxprof_rejects_add(ctx, rej, si, row, CTXPROF_STAGE_GEOCODE, NULL,
                                     has_location ? place.reason : "no location given", loc);
            cnt->rejects_geocode++;
            goto next;
        }
        if ((rc = incidents_reserve(ctx, inc, inc->n + 1)))
            goto next;
        size_t i = inc->n;
        if ((rc = classify(ctx, ld, si, &c, &r, &inc->cats[i], &inc->flags[i], cnt)))
            goto next;
        inc->n++;
        inc->x[i] = place.x;
        inc->y[i] = place.y;
        inc->when[i] = when;
        inc->source[i] = si;
        inc->row[i] = row;
        inc->geocode_method[i] = (uint8_t)place.method;
        inc->geocode_score[i] = (uint8_t)place.score;
        inc->outside_m[i] = (float)place.outside_m;
        cnt->by_method[place.method]++;
        cnt->repaired += place.repaired;
        cnt->outside_kept += place.outside_m > 0;
        cnt->text_disagrees += place.text_off_m > 0;
        row_pid(ld, &c, &r, inc->pid[i]);
        cnt->incidents++;
        cnt->missing_dates += when.precision == CTXPROF_PREC_NONE;
        cnt->no_person += inc->pid[i][0] == '\0';
        for (int k = 0; k < CTXPROF_N_FLAGS; k++)
            cnt->flag_set[k] += (inc->flags[i] >> k) & 1;
    next:
        cnt->recoded += r.recoded;
        if (rc)
            goto done;
        if (total <= 0 && !fast)
            bytes_read += row_bytes(&r);
        if ((row & 1023) == 0 &&
            (rc = ctxprof_progress(
                 ctx,
                 ((double)f + (fast             ? fmin(0.99, ctxprof_csv_progress(&csv))
                               : total > 0      ? (double)(row - base) / (double)total
                               : file_bytes > 0 ? fmin(0.99, bytes_read / file_bytes)
                                                : 0)) /
                     n_files,
                 whole->name)))
            goto done;
    }
    rc = got;
done:
    if (!rc && src.n_unfiltered >= 0) {
        cnt->filtered += src.n_unfiltered - seen;
        cnt->rows_read += src.n_unfiltered - seen;
    }
    row_reader_clear(&r);
    CPLFree(used);
    if (fast)
        ctxprof_csv_close(ctx, &csv);
    free_columns(&c);
    ctxprof_source_close(ctx, &src);
    return rc;
}

static int load_source(ctxprof_ctx *ctx, ctxprof_loader *ld, ctxprof_geocoder *gc, uint32_t si,
                       ctxprof_incidents *inc, ctxprof_rejects *rej, ctxprof_source_counts *cnt)
{
    const ctxprof_source *s = &ld->o->sources[si];
    dup_table dups = {0};
    int rc = 0;
    if (s->n_paths > 1 && !(cnt->file_rows = ctxprof_calloc(ctx, s->n_paths, sizeof(int64_t))))
        return CTXPROF_E_NOMEM;
    for (size_t f = 0; f < ctxprof_source_n_files(s) && !rc; f++) {
        ctxprof_source part = ctxprof_source_part(s, f);
        if (cnt->file_rows)
            cnt->file_rows[f] = INT64_MAX; /* rows so far are in the files up to f */
        rc = load_file(ctx, ld, gc, si, &part, f, &dups, inc, rej, cnt);
        if (cnt->file_rows)
            cnt->file_rows[f] = cnt->rows_read;
    }
    ctxprof_free(ctx, dups.keys);
    ctxprof_free(ctx, dups.rows);
    return rc;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Moves src's incidents to the end of dst. */
static int incidents_append(ctxprof_ctx *ctx, ctxprof_incidents *dst, ctxprof_incidents *src)
{
    if (!src->n) { /* memcpy wants non-null arrays even for 0 bytes */
        ctxprof_incidents_free(ctx, src);
        return 0;
    }
    if (!dst->cap) { /* nothing there yet: src's arrays become dst's */
        *dst = *src;
        memset(src, 0, sizeof *src);
        return 0;
    }
    if (incidents_reserve(ctx, dst, dst->n + src->n))
        return CTXPROF_E_NOMEM;
    size_t o = dst->n, n = src->n;
#define COPY(a) memcpy(dst->a + o, src->a, n * sizeof *src->a)
    COPY(x);
    COPY(y);
    COPY(when);
    COPY(source);
    COPY(row);
    COPY(cats);
    COPY(flags);
    COPY(pid);
    COPY(geocode_method);
    COPY(geocode_score);
    COPY(outside_m);
#undef COPY
    dst->n += n;
    ctxprof_incidents_free(ctx, src);
    return 0;
}

/* Moves src's rejects (and their strings) to the end of dst. */
static int rejects_append(ctxprof_ctx *ctx, ctxprof_rejects *dst, ctxprof_rejects *src)
{
    if (!dst->cap) {
        ctxprof_rejects_free(ctx, dst);
        *dst = *src;
        memset(src, 0, sizeof *src);
        return 0;
    }
    for (size_t i = 0; i < src->n; i++) {
        int rc = ctxprof_rejects_add(ctx, dst, src->source[i], src->row[i],
                                     (ctxprof_reject_stage)src->stage[i], src->field[i],
                                     src->reason[i], src->location_text[i]);
        if (rc)
            return rc;
    }
    ctxprof_rejects_free(ctx, src);
    return 0;
}

/* Loading sources on the core pool: each thread has its own context (GEOS
 * handle, error slot) and geocoder (CRS transforms, prepared study area),
 * the calling thread the loader's own; the profile, code maps, gazetteer and
 * key are shared read-only. Each source loads into its own buffers, merged
 * in profile order, so the output does not depend on the number of
 * threads. Sources start largest first, for balance: with several failing,
 * the error is that of the first in that order, for any number of threads. */
typedef struct {
    ctxprof_loader *ld;
    const size_t *order;        /* sources, largest first */
    ctxprof_incidents *inc;     /* per source */
    ctxprof_rejects *rej;       /* per source */
    ctxprof_source_counts *cnt; /* per source */
} load_job;

typedef struct {
    ctxprof_geocoder *gc;
    GEOSGeometry *area;
    const GEOSPreparedGeometry *prep;
    int own; /* a worker's: gc, area and prep are its own */
} load_thread;

static int load_thread_init(ctxprof_ctx *ctx, int thread, void *arg, void **state)
{
    load_job *j = arg;
    load_thread *lt = ctxprof_calloc(ctx, 1, sizeof *lt);
    *state = lt;
    if (!lt)
        return CTXPROF_E_NOMEM;
    if (thread == 0) {
        lt->gc = j->ld->geocoder;
        return 0;
    }
    lt->own = 1;
    if (j->ld->study_area) {
        GEOSContextHandle_t h = ctxprof_geos(ctx);
        lt->area = GEOSGeom_clone_r(h, j->ld->study_area);
        lt->prep = lt->area ? GEOSPrepare_r(h, lt->area) : NULL;
        if (!lt->prep) {
            int rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "cannot prepare the study area");
            ctxprof_error_append_lib(ctx);
            return rc;
        }
    }
    int rc = ctxprof_geocoder_new(ctx, &lt->gc, j->ld->o->crs, j->ld->gazetteer, lt->prep);
    if (!rc)
        ctxprof_geocoder_set_checks(lt->gc, j->ld->o->outside_tolerance_m, j->ld->o->text_check_m);
    return rc;
}

static void load_thread_free(ctxprof_ctx *ctx, int thread, void *arg, void *state)
{
    (void)thread;
    (void)arg;
    load_thread *lt = state;
    if (!lt)
        return;
    if (lt->own) {
        ctxprof_geocoder_free(ctx, lt->gc);
        if (lt->prep)
            GEOSPreparedGeom_destroy_r(ctxprof_geos(ctx), lt->prep);
        if (lt->area)
            GEOSGeom_destroy_r(ctxprof_geos(ctx), lt->area);
    }
    ctxprof_free(ctx, lt);
}

static int load_task(ctxprof_ctx *ctx, size_t k, void *arg, void *state)
{
    load_job *j = arg;
    load_thread *lt = state;
    size_t si = j->order[k];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = load_source(ctx, j->ld, lt->gc, (uint32_t)si, &j->inc[si], &j->rej[si], &j->cnt[si]);
    j->cnt[si].seconds = seconds_since(&t0);
    return rc;
}

void ctxprof_loader_order(size_t *order, const double *weight, size_t n)
{
    /* An insertion sort: stable, no state beyond the call (a profile has
     * tens of sources, not thousands). */
    for (size_t i = 0; i < n; i++) {
        size_t k = i;
        for (; k > 0 && weight[order[k - 1]] < weight[i]; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
}

int ctxprof_loader_run(ctxprof_ctx *ctx, ctxprof_loader *ld, ctxprof_incidents *inc,
                       ctxprof_rejects *rej, ctxprof_source_counts *counts)
{
    size_t n = ld->o->n_sources;
    int rc = 0;
    load_job j = {.ld = ld, .cnt = counts};
    size_t *order = ctxprof_calloc(ctx, n, sizeof *order);
    double *weight = ctxprof_calloc(ctx, n, sizeof *weight);
    double *share = ctxprof_calloc(ctx, n, sizeof *share); /* by task */
    j.inc = ctxprof_calloc(ctx, n, sizeof *j.inc);
    j.rej = ctxprof_calloc(ctx, n, sizeof *j.rej);
    if (!order || !weight || !share || !j.inc || !j.rej) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        const char *path = ld->o->sources[i].path;
        weight[i] = stat(path, &st) == 0 ? (double)st.st_size + 1 : 1;
    }
    ctxprof_loader_order(order, weight, n);
    for (size_t k = 0; k < n; k++)
        share[k] = weight[order[k]];
    j.order = order;
    ctxprof_pool_options po = CTXPROF_POOL_OPTIONS_INIT;
    int threads = ld->o->threads;
    po.threads = threads > 0 ? threads : 0;
    po.progress = "loading";
    po.weights = share;
    po.thread_init = load_thread_init;
    po.thread_free = load_thread_free;
    if ((rc = ctxprof_pool_run(ctx, n, load_task, &j, &po)))
        goto done;
    for (size_t i = 0; i < n && !rc; i++)
        if ((rc = incidents_append(ctx, inc, &j.inc[i])) ||
            (rc = rejects_append(ctx, rej, &j.rej[i])))
            break;
    if (!rc)
        rc = ctxprof_progress(ctx, 1.0, "loaded");
done:
    for (size_t i = 0; j.inc && i < n; i++)
        ctxprof_incidents_free(ctx, &j.inc[i]);
    for (size_t i = 0; j.rej && i < n; i++)
        ctxprof_rejects_free(ctx, &j.rej[i]);
    ctxprof_free(ctx, order);
    ctxprof_free(ctx, weight);
    ctxprof_free(ctx, share);
    ctxprof_free(ctx, j.inc);
    ctxprof_free(ctx, j.rej);
    return rc;
}
