/* `ctxprof run`: every stage that exists, chained from one profile, in one
 * process, into one GeoPackage with a run_metadata table. */
#ifndef CTXPROF_RUN_H
#define CTXPROF_RUN_H

#include "load/load.h"
#include "profile/profile.h"

typedef struct {
    size_t n_sources;
    ctxprof_source_counts *counts; /* one per profile source */
    ctxprof_source_counts total;
    int demo_key;
    double seconds_load, seconds_snap, seconds_write, seconds_total;
    char overlap[1024]; /* the overlap in plain words, for the summary */
    char output[1024];  /* where the results went, as shown (a password hidden) */
} ctxprof_run_summary;

/* Options of a run into PostGIS (output "PG:..."). */
typedef struct {
    const char *pg_schema;  /* NULL: made from the profile's name (northbrook_sample) */
    const char *raster_dir; /* NULL: the folder of the profile's output GeoPackage */
} ctxprof_run_options;
#define CTXPROF_RUN_OPTIONS_INIT                                                                   \
    {                                                                                              \
        NULL, NULL                                                                                 \
    }

/* Runs profile p into output (the profile's own output when NULL).
 * arguments is the command line as typed, for run_metadata. On success
 * summary is filled (free with ctxprof_run_summary_free). */
int ctxprof_run(ctxprof_ctx *ctx, ctxprof_run_summary *summary, const ctxprof_profile *p,
                const char *output, const char *arguments);
/* The same with options (o may be NULL). */
int ctxprof_run_with(ctxprof_ctx *ctx, ctxprof_run_summary *summary, const ctxprof_profile *p,
                     const char *output, const char *arguments, const ctxprof_run_options *o);
void ctxprof_run_summary_free(ctxprof_ctx *ctx, ctxprof_run_summary *summary);

/* SHA-256 of a file as 64 hex digits (hex needs 65 bytes). */
int ctxprof_file_sha256(ctxprof_ctx *ctx, const char *path, char *hex);

#endif
