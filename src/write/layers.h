/* Writes the engine's in-memory tables as output layers (the output
 * contract, docs/output.md). */
#ifndef CTXPROF_LAYERS_H
#define CTXPROF_LAYERS_H

#include "load/load.h"
#include "load/source.h"
#include "write/output.h"

/* What the incident layers need from a profile: its sources (the
 * incidents' and rejects' source indexes point into them) and the files
 * their rows came from. */
typedef struct {
    unsigned int version;
    const ctxprof_source *sources;
    size_t n_sources;
    /* the loader's counts, one per source (their file_rows place a row in
     * its file), or NULL when every source is one file */
    const ctxprof_source_counts *counts;
} ctxprof_write_options;

#define CTXPROF_WRITE_OPTIONS_VERSION 1
#define CTXPROF_WRITE_OPTIONS_INIT                                                                 \
    {                                                                                              \
        .version = CTXPROF_WRITE_OPTIONS_VERSION                                                   \
    }

/* A column that a stage adds to the incidents layer: one value per
 * incident, in one of three arrays (the others NULL). Nulls: a NULL string,
 * INT64_MIN, NaN. all_null: every value is null (known before they are
 * filled in: e.g. links to a context layer the profile does not have). */
typedef struct {
    const char *name;
    const char *const *str;
    const int64_t *i64;
    const double *dbl;
    int all_null;
} ctxprof_extra_column;

/* `incidents` (Point): one feature per incident, with the stages' extra
 * columns after the loader's. */
int ctxprof_write_incidents(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_write_options *o,
                            const ctxprof_incidents *inc, const ctxprof_extra_column *extra,
                            size_t n_extra);
/* `load_rejects` and `geocode_rejects` (tables): one row per reject. */
int ctxprof_write_rejects(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_write_options *o,
                          const ctxprof_rejects *rej);

/* `data_quality` (table): one row per source with its row accounting and the
 * evidence of inconsistent codes and flags. */
int ctxprof_write_data_quality(ctxprof_ctx *ctx, ctxprof_output *out,
                               const ctxprof_write_options *o, const ctxprof_source_counts *counts);
/* The unmapped codes of a source as "CODE (N); CODE (N)", most frequent
 * first (sorts counts->unmapped). */
void ctxprof_format_unmapped(ctxprof_source_counts *counts, char *buf, size_t size);

#endif
