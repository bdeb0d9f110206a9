/* Context layers: the places incidents are linked to (docs/contexts.md).
 *
 * Five kinds, each one ctxprof_context_layer held in the profile CRS with
 * valid geometries: school catchments, schools, parks (and other public
 * space), bus route segments and areas (LSOA or ward). They come from the
 * profile's [contexts] section; catchments are derived from the schools
 * (Voronoi cells clipped to the study area) when none are given, and bus
 * segments are built from TfL stop sequences when no segment layer is given.
 *
 * Invalid polygons are repaired with GEOS make-valid and a warning that
 * names the layer and the feature. Nothing is dropped silently: a feature
 * without a geometry is skipped with a warning and counted.
 */
#ifndef CTXPROF_CONTEXTS_H
#define CTXPROF_CONTEXTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "profile/profile.h"

typedef enum {
    CTXPROF_CTX_CATCHMENTS = 0,
    CTXPROF_CTX_SCHOOLS,
    CTXPROF_CTX_PARKS,
    CTXPROF_CTX_BUS_SEGMENTS,
    CTXPROF_CTX_AREAS,
    CTXPROF_CTX_N
} ctxprof_context_type;

/* Output layer names, in ctxprof_context_type order: school_catchments,
 * schools, parks, bus_segments, areas. */
extern const char *const ctxprof_context_layer_names[CTXPROF_CTX_N];

/* How a context's size for its rate is measured. */
typedef enum {
    CTXPROF_MEASURE_HECTARES = 0, /* polygon area / 10,000 m2 */
    CTXPROF_MEASURE_KM,           /* line length / 1,000 m */
    CTXPROF_MEASURE_PUPILS        /* the school's pupils (NaN when unknown) */
} ctxprof_measure;

typedef struct {
    char *name;
    int type;  /* OGRFieldType of the source column */
    char **value; /* one per feature; NULL for a null */
} ctxprof_context_attr;

/* One context layer. Everything is owned by the layer (ctxprof_contexts_free). */
typedef struct {
    int present;          /* 0 when the profile gives no such layer */
    char *source;         /* where it came from (path, layer) or "derived from schools" */
    size_t n;
    char **id;            /* the feature's id (id column or, without one, the 1-based FID) */
    char **name;          /* may hold NULLs */
    GEOSGeometry **geom;  /* profile CRS; valid */
    double *measure;      /* hectares, km or pupils; NaN when unknown */
    ctxprof_measure measure_kind;
    char *id_field, *name_field; /* source columns used (NULL: FID / none) */
    ctxprof_context_attr *attrs; /* the source's other columns, copied to the output */
    size_t n_attrs;
    long n_repaired;      /* invalid geometries repaired with make-valid */
    long n_skipped;       /* features without a usable geometry (each warned about) */
    int geom_dim;         /* 0 points, 1 lines, 2 polygons (the layer's highest) */
} ctxprof_context_layer;

/* Row accounting of bus segments built from stop sequences: every record
 * read is rejected (with a warning) or in a route run, and
 * rows_read = rows_rejected + runs + pairs; pairs = pairs_zero_length +
 * pairs_merged, pairs_merged is spread over the segments. */
typedef struct {
    int64_t rows_read;        /* records (a trailing Ctrl-Z line is not one) */
    int64_t rows_rejected;    /* no route, run, sequence or coordinates */
    int64_t runs;             /* distinct (route, run) */
    int64_t single_stop_runs; /* runs with one stop, hence no segment */
    int64_t pairs;            /* consecutive stop pairs: rows in runs - runs */
    int64_t pairs_zero_length; /* both stops at the same point: no line */
    int64_t pairs_merged;     /* pairs that became or joined a segment */
    int64_t segments;         /* distinct stop pairs after merging */
    int64_t routes;           /* distinct routes */
} ctxprof_bus_counts;

typedef struct {
    ctxprof_context_layer layer[CTXPROF_CTX_N];
    GEOSGeometry *study_area; /* union of the study area, or NULL */
    int catchments_derived;   /* 1 when catchments are Voronoi cells of the schools */
    int bus_from_sequences;   /* 1 when bus segments were built from stop sequences */
    ctxprof_bus_counts bus;
    char *crs;                /* the profile CRS definition */
} ctxprof_contexts;

/* Loads every context layer the profile's [contexts] section names, in the
 * profile CRS. Layers not given are left absent (present = 0), except
 * catchments, derived from schools when schools are given. On success *out
 * owns everything (free with ctxprof_contexts_free). */
int ctxprof_contexts_load(ctxprof_ctx *ctx, ctxprof_contexts **out, const ctxprof_profile *p);
void ctxprof_contexts_free(ctxprof_ctx *ctx, ctxprof_contexts *c);

/* An empty set of contexts in CRS crs (for tests and callers that build
 * layers themselves). */
int ctxprof_contexts_new(ctxprof_ctx *ctx, ctxprof_contexts **out, const char *crs);

/* Reads one context layer from uri ("file|layername=x") into c->layer[type].
 * id_field forces the id column (NULL: found by name, see docs/contexts.md). */
int ctxprof_contexts_read_layer(ctxprof_ctx *ctx, ctxprof_contexts *c, ctxprof_context_type type,
                                const char *uri, const char *id_field);

/* Reads the study area polygons from uri and unions them into c->study_area. */
int ctxprof_contexts_read_study_area(ctxprof_ctx *ctx, ctxprof_contexts *c, const char *uri);

/* Catchments as the Voronoi cells of the schools (site polygons by their
 * point on surface), clipped to the study area (or, without one, to the
 * union of the areas, or else to the schools' extent grown by 10%). Each
 * catchment's id is its school's id. */
int ctxprof_contexts_derive_catchments(ctxprof_ctx *ctx, ctxprof_contexts *c);

/* Bus route segments from a TfL-style stop sequence file (Route, Run,
 * Sequence, Stop_Name, Location_Easting, Location_Northing in EPSG:27700;
 * Naptan_Atco optional): one LineString per consecutive stop pair of each
 * route run, in sequence order; the same pair of stop positions used by
 * several routes or runs (in either direction) is one segment with the list
 * of routes. Fills c->layer[CTXPROF_CTX_BUS_SEGMENTS] and c->bus. */
int ctxprof_contexts_build_bus(ctxprof_ctx *ctx, ctxprof_contexts *c, const char *uri);

/* Index of the layer feature with this id, or -1. */
long ctxprof_context_find(const ctxprof_context_layer *l, const char *id);

#endif
