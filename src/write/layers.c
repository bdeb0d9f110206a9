#include "write/layers.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/taxonomy.h"

/* The file name (without its folder) of a row of source si, and the row in
 * that file (rows are counted across a source's files). */
static const char *source_file(const ctxprof_write_options *o, uint32_t si, int64_t row,
                               int64_t *file_row)
{
    const ctxprof_source *s = &o->sources[si];
    size_t k = ctxprof_source_locate(s, o->counts ? o->counts[si].file_rows : NULL, row, file_row);
    const char *path = s->paths && k < s->n_paths ? s->paths[k] : s->path;
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int ctxprof_write_incidents(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_write_options *o,
                            const ctxprof_incidents *inc, const ctxprof_extra_column *extra,
                            size_t n_extra)
{
    enum {
        UID,
        SOURCE,
        KIND,
        ROW,
        OCCURRED,
        PRECISION,
        HOUR,
        WEEKDAY,
        CATEGORY,
        CATEGORIES,
        FLAGS,
        PID,
        METHOD,
        SCORE,
        FILE_NAME,
        OUTSIDE,
        N_COLS
    };
    static const ctxprof_column cols[N_COLS] = {
        {"incident_uid", OFTString},   {"source", OFTString},         {"kind", OFTString},
        {"source_row", OFTInteger64},  {"occurred_at", OFTString},    {"date_precision", OFTString},
        {"hour", OFTInteger},          {"weekday", OFTInteger},       {"category", OFTString},
        {"categories", OFTString},     {"flags", OFTString},          {"pid", OFTString},
        {"geocode_method", OFTString}, {"geocode_score", OFTInteger}, {"source_file", OFTString},
        {"outside_m", OFTReal},
    };
    static const char *precisions[] = {"none", "month", "day", "minute"};
    ctxprof_column all[N_COLS + 32];
    if (n_extra > 32)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "too many incident columns");
    memcpy(all, cols, sizeof cols);
    for (size_t k = 0; k < n_extra; k++)
        all[N_COLS + k] = (ctxprof_column){extra[k].name, extra[k].str   ? OFTString
                                                          : extra[k].i64 ? OFTInteger64
                                                                         : OFTReal};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "incidents", wkbPoint, all, N_COLS + n_extra);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    char buf[256];
    for (size_t i = 0; i < inc->n && !rc; i++) {
        const ctxprof_source *s = &o->sources[inc->source[i]];
        const ctxprof_datetime *w = &inc->when[i];
        OGR_F_SetFID(f, OGRNullFID);
        int64_t row;
        const char *file = source_file(o, inc->source[i], inc->row[i], &row);
        if (s->n_paths > 1)
            snprintf(buf, sizeof buf, "%s:%s:%lld", s->name, file, (long long)row);
        else
            snprintf(buf, sizeof buf, "%s:%lld", s->name, (long long)row);
        OGR_F_SetFieldString(f, UID, buf);
        OGR_F_SetFieldString(f, SOURCE, s->name);
        OGR_F_SetFieldString(f, KIND, s->kind);
        OGR_F_SetFieldInteger64(f, ROW, row);
        OGR_F_SetFieldString(f, FILE_NAME, file);
        ctxprof_date_format_iso(w, buf, sizeof buf);
        if (*buf)
            OGR_F_SetFieldString(f, OCCURRED, buf);
        else
            OGR_F_SetFieldNull(f, OCCURRED);
        OGR_F_SetFieldString(f, PRECISION, precisions[w->precision]);
        if (w->precision >= CTXPROF_PREC_MINUTE)
            OGR_F_SetFieldInteger(f, HOUR, w->hour);
        else
            OGR_F_SetFieldNull(f, HOUR);
        if (w->precision >= CTXPROF_PREC_DAY)
            OGR_F_SetFieldInteger(f, WEEKDAY, ctxprof_weekday(w->year, w->month, w->day));
        else
            OGR_F_SetFieldNull(f, WEEKDAY);
        int first = ctxprof_taxonomy_first(inc->cats[i]);
        if (first >= 0)
            OGR_F_SetFieldString(f, CATEGORY, ctxprof_category_names[first]);
        else
            OGR_F_SetFieldNull(f, CATEGORY);
        ctxprof_taxonomy_format(inc->cats[i], ctxprof_category_names, CTXPROF_N_CATEGORIES, buf,
                                sizeof buf);
        OGR_F_SetFieldString(f, CATEGORIES, buf);
        ctxprof_taxonomy_format(inc->flags[i], ctxprof_flag_names, CTXPROF_N_FLAGS, buf,
                                sizeof buf);
        OGR_F_SetFieldString(f, FLAGS, buf);
        if (inc->pid[i][0])
            OGR_F_SetFieldString(f, PID, inc->pid[i]);
        else
            OGR_F_SetFieldNull(f, PID);
        OGR_F_SetFieldString(f, METHOD, ctxprof_gc_method_names[inc->geocode_method[i]]);
        OGR_F_SetFieldInteger(f, SCORE, inc->geocode_score[i]);
        if (inc->outside_m[i] > 0)
            OGR_F_SetFieldDouble(f, OUTSIDE, round(inc->outside_m[i] * 10) / 10);
        else
            OGR_F_SetFieldNull(f, OUTSIDE);
        for (size_t k = 0; k < n_extra; k++) {
            int fi = N_COLS + (int)k;
            const ctxprof_extra_column *e = &extra[k];
            if (e->str && e->str[i])
                OGR_F_SetFieldString(f, fi, e->str[i]);
            else if (e->i64 && e->i64[i] != INT64_MIN)
                OGR_F_SetFieldInteger64(f, fi, e->i64[i]);
            else if (e->dbl && !isnan(e->dbl[i]))
                OGR_F_SetFieldDouble(f, fi, e->dbl[i]);
            else
                OGR_F_SetFieldNull(f, fi);
        }
        OGR_G_SetPoint_2D(pt, 0, inc->x[i], inc->y[i]);
        OGR_F_SetGeometry(f, pt);
        rc = ctxprof_output_write(ctx, out, layer, f);
        if (!rc && (i & 4095) == 0)
            rc = ctxprof_progress(ctx, (double)i / (double)inc->n, "writing incidents");
    }
    OGR_G_DestroyGeometry(pt);
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static int write_reject_table(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_write_options *o,
                              const ctxprof_rejects *rej, ctxprof_reject_stage stage)
{
    static const ctxprof_column cols[] = {
        {"source", OFTString}, {"source_row", OFTInteger64}, {"field", OFTString},
        {"reason", OFTString}, {"location_text", OFTString}, {"source_file", OFTString},
    };
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer,
                                  stage == CTXPROF_STAGE_LOAD ? "load_rejects" : "geocode_rejects",
                                  wkbNone, cols, 6);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < rej->n && !rc; i++) {
        if (rej->stage[i] != stage)
            continue;
        OGR_F_SetFID(f, OGRNullFID);
        int64_t row;
        const char *file = source_file(o, rej->source[i], rej->row[i], &row);
        OGR_F_SetFieldString(f, 0, o->sources[rej->source[i]].name);
        OGR_F_SetFieldInteger64(f, 1, row);
        OGR_F_SetFieldString(f, 5, file);
        if (rej->field[i])
            OGR_F_SetFieldString(f, 2, rej->field[i]);
        else
            OGR_F_SetFieldNull(f, 2);
        OGR_F_SetFieldString(f, 3, rej->reason[i]);
        if (rej->location_text[i])
            OGR_F_SetFieldString(f, 4, rej->location_text[i]);
        else
            OGR_F_SetFieldNull(f, 4);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

int ctxprof_write_rejects(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_write_options *o,
                          const ctxprof_rejects *rej)
{
    int rc = write_reject_table(ctx, out, o, rej, CTXPROF_STAGE_LOAD);
    return rc ? rc : write_reject_table(ctx, out, o, rej, CTXPROF_STAGE_GEOCODE);
}

static int cmp_code_count(const void *a, const void *b)
{
    const ctxprof_code_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->code, y->code);
}

void ctxprof_format_unmapped(ctxprof_source_counts *c, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    if (c->n_unmapped) /* qsort wants a non-null array */
        qsort(c->unmapped, c->n_unmapped, sizeof *c->unmapped, cmp_code_count);
    for (size_t i = 0; i < c->n_unmapped && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s (%lld)", i ? "; " : "",
                                 c->unmapped[i].code, (long long)c->unmapped[i].n);
}

int ctxprof_write_data_quality(ctxprof_ctx *ctx, ctxprof_output *out,
                               const ctxprof_write_options *o, const ctxprof_source_counts *counts)
{
    enum {
        SOURCE,
        KIND,
        ROWS,
        INCIDENTS,
        REJ_LOAD,
        REJ_GEO,
        LINKAGE,
        DUPS,
        NO_DATE,
        NO_LOC,
        NO_PERSON,
        BAD_FLAGS,
        RECODED,
        UNMAPPED_ROWS,
        UNMAPPED,
        FILTERED,
        FILES,
        NOT_YOUTH,
        OUTSIDE_KEPT,
        TEXT_DISAGREES,
        FIRST_SHARE
    };
    ctxprof_column cols[FIRST_SHARE + CTXPROF_N_FLAGS] = {
        {"source", OFTString},           {"kind", OFTString},
        {"rows_read", OFTInteger64},     {"incidents", OFTInteger64},
        {"rejects_load", OFTInteger64},  {"rejects_geocode", OFTInteger64},
        {"linkage", OFTInteger64},       {"duplicates", OFTInteger64},
        {"missing_dates", OFTInteger64}, {"missing_locations", OFTInteger64},
        {"no_person", OFTInteger64},     {"bad_flag_values", OFTInteger64},
        {"recoded_rows", OFTInteger64},  {"unmapped_code_rows", OFTInteger64},
        {"unmapped_codes", OFTString},   {"filtered", OFTInteger64},
        {"files", OFTInteger64},         {"youth_not_counted", OFTInteger64},
        {"outside_kept", OFTInteger64},  {"text_disagrees", OFTInteger64},
    };
    char names[CTXPROF_N_FLAGS][32];
    for (int k = 0; k < CTXPROF_N_FLAGS; k++) {
        snprintf(names[k], sizeof names[k], "share_%s", ctxprof_flag_names[k]);
        cols[FIRST_SHARE + k] = (ctxprof_column){names[k], OFTReal};
    }
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "data_quality", wkbNone, cols,
                                  FIRST_SHARE + CTXPROF_N_FLAGS);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    char buf[4096];
    for (size_t i = 0; i < o->n_sources && !rc; i++) {
        const ctxprof_source *s = &o->sources[i];
        ctxprof_source_counts *c = (ctxprof_source_counts *)&counts[i];
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, SOURCE, s->name);
        OGR_F_SetFieldString(f, KIND, s->kind);
        const int64_t v[] = {c->rows_read,       c->incidents,         c->rejects_load,
                             c->rejects_geocode, c->linkage,           c->duplicates,
                             c->missing_dates,   c->missing_locations, c->no_person,
                             c->bad_flag_values, c->recoded,           c->unmapped_codes};
        for (int k = 0; k < 12; k++)
            OGR_F_SetFieldInteger64(f, ROWS + k, v[k]);
        ctxprof_format_unmapped(c, buf, sizeof buf);
        OGR_F_SetFieldString(f, UNMAPPED, buf);
        OGR_F_SetFieldInteger64(f, FILTERED, c->filtered);
        OGR_F_SetFieldInteger64(f, FILES, (GIntBig)ctxprof_source_n_files(s));
        OGR_F_SetFieldInteger64(f, NOT_YOUTH, c->youth_not_counted);
        OGR_F_SetFieldInteger64(f, OUTSIDE_KEPT, c->outside_kept);
        OGR_F_SetFieldInteger64(f, TEXT_DISAGREES, c->text_disagrees);
        for (int k = 0; k < CTXPROF_N_FLAGS; k++) {
            if (c->incidents)
                OGR_F_SetFieldDouble(f, FIRST_SHARE + k,
                                     (double)c->flag_set[k] / (double)c->incidents);
            else
                OGR_F_SetFieldNull(f, FIRST_SHARE + k);
        }
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}
