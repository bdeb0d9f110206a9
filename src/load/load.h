/* Load and normalise: every source row becomes an incident or a reject with
 * a reason, and the counts add up (rows read = incidents + rejects +
 * linkage records).
 *
 * Incidents are held as a struct of arrays for the later stages' hot loops.
 */
#ifndef CTXPROF_LOAD_H
#define CTXPROF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "geocode/geocode.h"
#include "load/date.h"
#include "core/pseudonym.h"
#include "geocode/gazetteer.h"
#include "load/source.h"

typedef struct {
    size_t n, cap;
    double *x, *y;                    /* profile CRS */
    ctxprof_datetime *when;           /* precision NONE when unknown */
    uint32_t *source;                 /* index into the profile's sources */
    int64_t *row;                     /* 1-based data row in the source */
    uint32_t *cats, *flags;           /* taxonomy bit masks */
    char (*pid)[CTXPROF_PID_LEN + 1]; /* "" when the source names nobody */
    uint8_t *geocode_method;          /* ctxprof_gc_method */
    uint8_t *geocode_score;           /* 0-100 */
    float *outside_m; /* metres outside the study area, kept by the tolerance; 0 inside */
} ctxprof_incidents;

typedef enum { CTXPROF_STAGE_LOAD = 0, CTXPROF_STAGE_GEOCODE = 1 } ctxprof_reject_stage;

typedef struct {
    size_t n, cap;
    uint32_t *source;
    int64_t *row;
    uint8_t *stage;
    char **field;         /* the profile's field key, e.g. "date"; may be NULL */
    char **reason;        /* never holds an identity value */
    char **location_text; /* geocode rejects: the location as written */
} ctxprof_rejects;

typedef struct {
    char *code;
    int64_t n;
} ctxprof_code_count;

/* Row accounting and data quality of one source: rows_read = incidents +
 * rejects_load + rejects_geocode + linkage + filtered. Rows are numbered
 * 1.. across all of a source's files, in order. */
typedef struct {
    int64_t rows_read, incidents, rejects_load, rejects_geocode, linkage;
    int64_t unmapped_codes;    /* incidents with a code the code maps do not know */
    int64_t missing_dates;     /* incidents without a date */
    int64_t missing_locations; /* rows with neither coordinates nor location text */
    int64_t duplicates;        /* exact duplicate rows (rejected) */
    int64_t bad_flag_values;   /* flag cells that are neither yes nor no */
    int64_t recoded;           /* rows read as Windows-1252 because they were not UTF-8 */
    int64_t no_person;         /* incidents naming nobody (pid NULL) */
    int64_t outside_kept;      /* published points kept outside the study area (tolerance) */
    int64_t text_disagrees;    /* points whose location text places them > text_check_m away */
    int64_t flag_set[8];       /* incidents with each flag (ctxprof_flag_names order) */
    int64_t with_location;     /* rows past loading that carried any location */
    int64_t repaired;          /* coordinates swapped or in the other grid, repaired */
    int64_t by_method[CTXPROF_GC_N_METHODS]; /* incidents placed by each method */
    ctxprof_code_count *unmapped;            /* distinct unmapped codes with counts */
    size_t n_unmapped, cap_unmapped;
    int64_t filtered;          /* rows the source's where filter left out */
    int64_t youth_not_counted; /* all-ages incidents whose youth silos were not counted */
    int64_t *file_rows; /* several files: rows of files 0..k (ctxprof_source_locate), else NULL */
    double seconds;
    int fast_csv; /* read by the loader's own CSV reader, not OGR */
} ctxprof_source_counts;

typedef struct ctxprof_loader ctxprof_loader;

/* What loading needs from a profile ([profile], [gazetteer] and the
 * [source.*] sections), filled by src/profile/. Strings and sources are
 * borrowed: they must outlive the loader. */
typedef struct {
    unsigned int version;
    const char *file;         /* the profile file, named in messages */
    const char *crs;          /* projected metric CRS of all work */
    const char *study_area;   /* dataset uri, or NULL */
    const char *key_file;     /* pseudonym key file, or NULL */
    const char *key_env;      /* environment variable holding the key, or NULL */
    const char *period_start; /* YYYY-MM-DD, checked by ctxprof_loader_new, or NULL */
    const char *period_end;
    int threads;                /* 0: one per core */
    double outside_tolerance_m; /* published points this far outside the study area are kept */
    double text_check_m;        /* location text this far from the coordinates: a finding */
    const ctxprof_source *sources;
    size_t n_sources;
    ctxprof_gazetteer_options gazetteer;
} ctxprof_load_options;

#define CTXPROF_LOAD_OPTIONS_VERSION 1
#define CTXPROF_LOAD_OPTIONS_INIT                                                                  \
    {                                                                                              \
        .version = CTXPROF_LOAD_OPTIONS_VERSION, .crs = "EPSG:27700", .key_env = "CTXPROF_KEY",    \
        .gazetteer = CTXPROF_GAZETTEER_OPTIONS_INIT                                                \
    }

/* Prepares loading with o: study area, CRS transforms, pseudonym key,
 * code maps. o (and what it points to) must outlive the loader. */
int ctxprof_loader_new(ctxprof_ctx *ctx, ctxprof_loader **out, const ctxprof_load_options *o);
void ctxprof_loader_free(ctxprof_ctx *ctx, ctxprof_loader *ld);

/* Loads every source of the profile into inc and rej; counts[i] (one per
 * source) receives the row accounting. Reports progress; cancellable. */
int ctxprof_loader_run(ctxprof_ctx *ctx, ctxprof_loader *ld, ctxprof_incidents *inc,
                       ctxprof_rejects *rej, ctxprof_source_counts *counts);

const ctxprof_pseudonym *ctxprof_loader_pseudonym(const ctxprof_loader *ld);

void ctxprof_incidents_free(ctxprof_ctx *ctx, ctxprof_incidents *inc);
/* Frees what a counts struct owns (its unmapped-code list, file rows). */
void ctxprof_source_counts_clear(ctxprof_ctx *ctx, ctxprof_source_counts *c);
void ctxprof_rejects_free(ctxprof_ctx *ctx, ctxprof_rejects *rej);
/* Appends a reject; strings are copied. */
int ctxprof_rejects_add(ctxprof_ctx *ctx, ctxprof_rejects *rej, uint32_t source, int64_t row,
                        ctxprof_reject_stage stage, const char *field, const char *reason,
                        const char *location_text);

/* The order ctxprof_loader_run starts sources in: order[0..n-1] gets the
 * indexes 0..n-1 by weight[i] (a source's bytes), largest first, equal
 * weights in profile order. Uses nothing but its arguments (two loaders on
 * two threads sort at once). */
void ctxprof_loader_order(size_t *order, const double *weight, size_t n);

#endif
