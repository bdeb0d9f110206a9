/* A source's field map resolved against its file's columns: the profile's
 * field.* keys first, else the source kind's aliases (src/load/kinds.c). */
#ifndef CTXPROF_FIELDS_H
#define CTXPROF_FIELDS_H

#include <ogr_api.h>

#include "core/context.h"
#include "load/kinds.h"
#include "load/source.h"

#define CTXPROF_MAX_COLS 8 /* columns listed in one field.code or field.flags */

typedef struct {
    int col;
    int flag;          /* index into ctxprof_flag_names, or -1: values go through the code map */
    int explicit_flag; /* the profile said Column:flag */
} ctxprof_flag_col;

typedef struct {
    int id, date, time, x, y, lon, lat, postcode, address, location, text;
    int person_id, forename, surname, dob;
    int person2_id, person2_forename, person2_surname, person2_dob;
    int route, stop;
    int code[CTXPROF_MAX_COLS], n_code;
    ctxprof_flag_col flags[CTXPROF_MAX_COLS];
    int n_flags;
    const char *system; /* person_system, else the source's kind */
    int school;         /* the school the person attends (URN, id or name) */
} ctxprof_columns;

/* Resolves every field of source s (of kind, which may be NULL) against
 * defn. A column the profile names but the file lacks is an error naming
 * the file and the key; a kind's alias that is absent is simply unused. */
int ctxprof_columns_resolve(ctxprof_ctx *ctx, ctxprof_columns *c, const ctxprof_source *s,
                            const ctxprof_kind *kind, OGRFeatureDefnH defn);

/* The column's name, for messages. */
const char *ctxprof_column_name(OGRFeatureDefnH defn, int col);

/* Interprets a flag cell: 1 yes (Y, YES, TRUE, 1, X, T), 0 no (N, NO, FALSE,
 * 0, F, blank), -1 anything else. */
int ctxprof_flag_value(const char *v);

#endif
