/* Snap: links every incident to its contexts (catchment, nearest school,
 * park, bus route segment, area) and profiles each context (counts by
 * category and flag, distinct people, rate, rank, weekday x hour).
 *
 * One GEOS STRtree and one prepared geometry per context feature are built
 * once per ctxprof_snap_run; the per-incident loop works on plain arrays.
 *
 * Link rules (docs/contexts.md):
 * - catchment, area: the polygon that covers the point (interior or
 *   boundary); on a shared boundary, the first such feature in layer order.
 * - school: the nearest school (distance to the point or to the site
 *   polygon, 0 inside); ties go to the first in layer order.
 * - park: the nearest park within park_buffer_m (distance <= buffer, so a
 *   point exactly park_buffer_m away counts); ties: first in layer order.
 * - bus segment: the nearest segment within bus_max_dist_m (<=); ties: first.
 * Incidents without a position (NaN) link to nothing.
 */
#ifndef CTXPROF_SNAP_H
#define CTXPROF_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "load/load.h"
#include "load/taxonomy.h"
#include "snap/contexts.h"
#include "write/layers.h"
#include "write/output.h"

typedef struct {
    unsigned int version;
    /* The reach in metres of each LINK_WITHIN kind ([snap] park_buffer_m,
     * bus_max_dist_m, place_reach_m...), one per context type in registry
     * order; NULL, or NaN for a kind: the registry's default. */
    const double *reach_m;
    /* ctxprof snap on a GeoPackage copies it and sets the snap columns in
     * place; 1 rewrites every layer feature by feature instead, as for other
     * inputs (same result, much slower; the tests compare the two). */
    int rewrite;
    /* Catchments and areas link through a grid over the polygons (a point in
     * a cell no edge touches links as the cell's centre; others ask the
     * tree); 1 asks the tree for every point (same links; tests compare). */
    int no_grid;
    /* Linking threads: 0 for one per processor (at most 8) when there are
     * 65,536 incidents or more, else at most this many (1: the calling
     * thread alone). The links do not depend on it (tests compare). */
    int threads;
} ctxprof_snap_options;

#define CTXPROF_SNAP_OPTIONS_VERSION 1
#define CTXPROF_SNAP_OPTIONS_INIT                                                                  \
    {                                                                                              \
        CTXPROF_SNAP_OPTIONS_VERSION, NULL, 0, 0, 0                                                \
    }

/* The reach of context type t under o (0 for kinds that do not link within
 * a reach). */
double ctxprof_snap_reach(const ctxprof_snap_options *o, int type);

/* The profile of one context layer: one entry per feature. */
typedef struct {
    size_t n;
    int64_t *n_total;
    int64_t *n_cat;     /* n x CTXPROF_N_CATEGORIES, row-major */
    int64_t *n_flag;    /* n x CTXPROF_N_FLAGS */
    int64_t *n_people;  /* distinct non-empty pid */
    double *rate;       /* n_total per measure (per 1,000 pupils for schools); NaN when unknown */
    int64_t *rank;      /* 1 = most incidents; ties share the best rank */
    int64_t *rate_rank; /* 1 = highest rate; NULL rate: INT64_MIN */
} ctxprof_context_profile;

/* One cell of the temporal table. hour is -1 when only the day is known. */
typedef struct {
    uint8_t type;     /* row of ctxprof_context_types */
    uint32_t feature; /* index in the layer */
    int8_t weekday;   /* 0 = Monday .. 6 */
    int8_t hour;      /* 0..23 or -1 */
    int64_t n;
} ctxprof_temporal_cell;

/* Per-type arrays hold ctxprof_n_context_types entries, in registry order. */
typedef struct {
    size_t n; /* incidents */
    /* Per type and incident: index of the linked feature, -1 for none. */
    int32_t **link;
    /* Per type with a dist_column, per incident: the distance (NaN when not
     * linked); NULL for the other types. */
    double **dist;
    ctxprof_context_profile *profile; /* per type */
    ctxprof_temporal_cell *temporal;
    size_t n_temporal;
    int64_t *n_linked;     /* per type: incidents linked */
    int64_t n_no_position; /* incidents without coordinates */
    double seconds_index, seconds_snap, seconds_profile;

    /* The per-incident id columns for ctxprof_write_incidents (filled by
     * ctxprof_snap_link; they point into the contexts). */
    const char ***col_str;         /* per type */
    ctxprof_extra_column *columns; /* id and distance columns, registry order */
    size_t n_columns;
} ctxprof_snap_result;

/* Links the n incidents of inc to the contexts c and profiles every
 * context: ctxprof_snap_link, then ctxprof_snap_profile. Reports progress;
 * cancellable. On success *res owns its arrays (free with
 * ctxprof_snap_result_free); on failure they are freed. */
int ctxprof_snap_run(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                     const ctxprof_incidents *inc, const ctxprof_snap_options *opts);
void ctxprof_snap_result_free(ctxprof_ctx *ctx, ctxprof_snap_result *res);

/* The per-incident arrays of res (links, distances, id columns) for n
 * incidents, not yet filled. */
int ctxprof_snap_result_init(ctxprof_ctx *ctx, ctxprof_snap_result *res, size_t n);

/* Tells a consumer on another thread how far linking has come: linked(arg,
 * upto) once incidents 0..upto-1 all have their links and columns. */
typedef struct {
    void (*linked)(void *arg, size_t upto);
    void *arg;
} ctxprof_snap_feed;

/* The links of every incident of inc (res zeroed, or from
 * ctxprof_snap_result_init for inc->n). With a feed, the calling thread
 * links alone and in order, telling the feed after each chunk; without,
 * threads as opts->threads says. On failure res keeps its arrays (free
 * them with ctxprof_snap_result_free once no other thread reads them). */
int ctxprof_snap_link(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                      const ctxprof_incidents *inc, const ctxprof_snap_options *opts,
                      const ctxprof_snap_feed *feed);
/* The profile of every context present and the temporal table, from the
 * links of ctxprof_snap_link. No progress is reported, so it may run on a
 * thread of its own (with its own context). */
int ctxprof_snap_profile(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                         const ctxprof_incidents *inc);

/* The per-incident columns (each type's id_column and dist_column, in
 * registry order: catchment_id, school_id, school_dist_m, ...) for
 * ctxprof_write_incidents, filled by ctxprof_snap_link (they may be
 * described before, once ctxprof_snap_result_init has made the arrays). The
 * array and the strings belong to res and c: keep both alive until the
 * incidents are written. */
int ctxprof_snap_columns(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                         const ctxprof_extra_column **cols, size_t *n_cols);

/* Writes the context layers present (school_catchments, schools, parks,
 * bus_segments, areas) with their profiles, the temporal table, and
 * run_metadata rows snap.* (links, bus row accounting, timings). */
int ctxprof_snap_write_layers(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_contexts *c,
                              const ctxprof_snap_result *res, const ctxprof_snap_options *opts);

/* Reads the incidents layer of a run output (path names it in messages)
 * into plain arrays in the CRS crs: position, categories, flags, pid and
 * time. Free with ctxprof_incidents_free. */
int ctxprof_snap_read_incidents(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                                const char *path, const char *crs);
/* The same for a GeoPackage layer whose categories, flags, pid and
 * occurred_at are text (as ctxprof writes them), read straight through
 * SQLite (several times faster than OGR features); with fids, also each
 * incident's feature id (*fids, to free). ctxprof snap uses it when it can;
 * tests/unit/test_snap.c checks both readers give the same arrays. */
int ctxprof_snap_read_incidents_gpkg(ctxprof_ctx *ctx, ctxprof_incidents *inc, OGRLayerH layer,
                                     const char *path, const char *crs, int64_t **fids);

/* `ctxprof snap`: reads the incidents layer of an existing profile
 * GeoPackage (in), snaps it to the contexts co names and writes a new
 * GeoPackage (out; may equal in) holding every vector layer and table of in,
 * the incidents with the snap columns (replacing any earlier ones) and the
 * context layers, through ctxprof_output (temporary file, renamed). */
typedef struct {
    int64_t n_incidents;
    int64_t n_layers_copied;
    ctxprof_snap_result result;
    ctxprof_contexts *contexts;
    double seconds_read, seconds_contexts, seconds_write, seconds_total;
} ctxprof_snap_summary;

/* co: the contexts (and the CRS); opts NULL: the defaults. arguments and
 * profile_path are for run_metadata. */
int ctxprof_snap_gpkg(ctxprof_ctx *ctx, ctxprof_snap_summary *sum,
                      const ctxprof_contexts_options *co, const ctxprof_snap_options *opts,
                      const char *in, const char *out, const char *arguments,
                      const char *profile_path);
void ctxprof_snap_summary_free(ctxprof_ctx *ctx, ctxprof_snap_summary *sum);

#endif
