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

/* How a context's size for its rate is measured. */
typedef enum {
    CTXPROF_MEASURE_HECTARES = 0, /* polygon area / 10,000 m2 */
    CTXPROF_MEASURE_KM,           /* line length / 1,000 m */
    CTXPROF_MEASURE_PUPILS,       /* the school's pupils (NaN when unknown) */
    CTXPROF_MEASURE_NONE          /* no rate */
} ctxprof_measure;

/* How an incident links to a feature of the layer. */
typedef enum {
    CTXPROF_LINK_COVERS = 0, /* the polygon that covers the point; first in layer order */
    CTXPROF_LINK_NEAREST,    /* the nearest feature at any distance; ties: first */
    CTXPROF_LINK_WITHIN      /* the nearest within the type's reach (<=; 0 inside a polygon) */
} ctxprof_link_rule;

/* One kind of context: everything the pipeline needs to know about it. The
 * table ctxprof_context_types (registry.c) is the only list of kinds: the
 * profile schema, snap, the output layers, run_metadata, the summaries,
 * share packages, styles, the plugin (`ctxprof help contexts --json`) and
 * docs/contexts.md all read it. Adding a kind is a row there, a style in
 * styles/ and a section in the docs. */
typedef struct {
    const char *key;   /* [contexts] key; also id_field.KEY, name_field.KEY, id_fields */
    const char *layer; /* output layer */
    const char *title; /* for people: "School catchments" */
    const char *help;  /* the [contexts] key's help text */
    ctxprof_link_rule link;
    const char *reach_key; /* LINK_WITHIN: the [snap] key of the reach in metres */
    const char *reach_default;
    const char *reach_help;
    const char *id_column;   /* the incidents column of the linked feature's id */
    const char *dist_column; /* the incidents column of the distance (NULL: none) */
    ctxprof_measure measure;
    int polygons_only;                  /* 1: the layer must hold polygons */
    int many_layers;                    /* 1: the key takes a comma-separated list of layers */
    const char *const *id_candidates;   /* id columns looked for, in order (NULL-ended) */
    const char *const *name_candidates; /* name columns looked for before the generic rule */
    const char *const *share_keep;      /* descriptive columns share packages keep (NULL-ended) */
    int share_as_table;                 /* 1: share packages hold it without geometry */
} ctxprof_context_type_def;

/* Named kinds, the indexes of their rows in ctxprof_context_types. Code that
 * needs a particular kind (corridors need schools) names it; everything else
 * loops over the table. */
typedef enum {
    CTXPROF_CTX_CATCHMENTS = 0,
    CTXPROF_CTX_SCHOOLS,
    CTXPROF_CTX_PARKS,
    CTXPROF_CTX_BUS_SEGMENTS,
    CTXPROF_CTX_AREAS,
    CTXPROF_CTX_PLACES
} ctxprof_context_type;

extern const ctxprof_context_type_def ctxprof_context_types[];
/* Rows in ctxprof_context_types. */
extern const size_t ctxprof_n_context_types;
/* The row whose key or output layer is name, or -1. */
int ctxprof_context_type_find(const char *name);
/* Writes the registry as JSON (for the plugin and the docs). */
void ctxprof_context_types_json(void *file);

typedef struct {
    char *name;
    int type;     /* OGRFieldType of the source column */
    char **value; /* one per feature; NULL for a null */
} ctxprof_context_attr;

/* One context layer. Everything is owned by the layer (ctxprof_contexts_free). */
typedef struct {
    int present;  /* 0 when the profile gives no such layer */
    char *source; /* where it came from (path, layer) or "derived from schools" */
    size_t n;
    char **id;           /* the feature's id (id column or, without one, the 1-based FID) */
    char **name;         /* may hold NULLs */
    GEOSGeometry **geom; /* profile CRS; valid */
    double *measure;     /* hectares, km or pupils; NaN when unknown */
    ctxprof_measure measure_kind;
    char *id_field, *name_field; /* source columns used (NULL: FID / none) */
    ctxprof_context_attr *attrs; /* the source's other columns, copied to the output */
    size_t n_attrs;
    long n_repaired; /* invalid geometries repaired with make-valid */
    long n_skipped;  /* features without a usable geometry (each warned about) */
    long n_merged;   /* features repeating an earlier one's id and place, merged into it */
    long n_no_id;    /* features whose id column is empty: their id is "fid:N" */
    long n_clipped;  /* features further than clip_margin_m from the study area, left out */
    int geom_dim;    /* 0 points, 1 lines, 2 polygons (the layer's highest) */
} ctxprof_context_layer;

/* Row accounting of bus segments built from stop sequences: every record
 * read is rejected (with a warning) or in a route run, and
 * rows_read = rows_rejected + rows_excluded + runs + pairs; pairs = pairs_zero_length +
 * pairs_merged, pairs_merged is spread over the segments. */
typedef struct {
    int64_t rows_read;         /* records (a trailing Ctrl-Z line is not one) */
    int64_t rows_rejected;     /* no route, run, sequence or coordinates */
    int64_t rows_excluded;     /* on a route bus_routes_exclude names */
    int64_t runs;              /* distinct (route, run) */
    int64_t single_stop_runs;  /* runs with one stop, hence no segment */
    int64_t pairs;             /* consecutive stop pairs: rows in runs - runs */
    int64_t pairs_zero_length; /* both stops at the same point: no line */
    int64_t pairs_merged;      /* pairs that became or joined a segment */
    int64_t segments;          /* distinct stop pairs after merging */
    int64_t routes;            /* distinct routes */
} ctxprof_bus_counts;

typedef struct {
    ctxprof_context_layer *layer; /* ctxprof_n_context_types, in registry order */
    GEOSGeometry *study_area;     /* union of the study area, or NULL */
    int catchments_derived;       /* 1 when catchments are Voronoi cells of the schools */
    int bus_from_sequences;       /* 1 when bus segments were built from stop sequences */
    ctxprof_bus_counts bus;
    char *crs; /* the profile CRS definition */
} ctxprof_contexts;

/* What ctxprof_contexts_load reads. The per-type arrays have
 * ctxprof_n_context_types entries in registry order (or are NULL). */
typedef struct {
    unsigned int version;
    const char *crs;                /* the profile CRS (NULL: EPSG:27700) */
    const char *study_area;         /* polygon layer uri, or NULL */
    const char *const *uri;         /* the [contexts] value per type (a list for many_layers) */
    const char *const *id_field;    /* forced id column per type, or NULL: found by name */
    const char *const *name_field;  /* forced name column per type, or NULL */
    const char *bus_sequences;      /* TfL stop sequences (when no bus segment layer) */
    const char *bus_routes_exclude; /* comma-separated route patterns (fnmatch) left out */
    double clip_margin_m; /* features further from the study area are left out; < 0: none */
} ctxprof_contexts_options;
#define CTXPROF_CONTEXTS_OPTIONS_VERSION 1
#define CTXPROF_CONTEXTS_OPTIONS_INIT                                                              \
    {                                                                                              \
        .version = CTXPROF_CONTEXTS_OPTIONS_VERSION, .clip_margin_m = 500                          \
    }

/* Loads every context layer o names, in its CRS. Layers not given are left
 * absent (present = 0), except catchments, derived from schools when
 * schools are given. On success *out owns everything (free with
 * ctxprof_contexts_free). */
int ctxprof_contexts_load(ctxprof_ctx *ctx, ctxprof_contexts **out,
                          const ctxprof_contexts_options *o);
void ctxprof_contexts_free(ctxprof_ctx *ctx, ctxprof_contexts *c);

/* An empty set of contexts in CRS crs (for tests and callers that build
 * layers themselves). */
int ctxprof_contexts_new(ctxprof_ctx *ctx, ctxprof_contexts **out, const char *crs);

/* Reads one context layer from uri ("file|layername=x") into c->layer[type];
 * with append, adds its features to those already there (a many_layers
 * type). id_field and name_field force the columns (NULL: found by name,
 * see docs/contexts.md). */
int ctxprof_contexts_read_layer(ctxprof_ctx *ctx, ctxprof_contexts *c, int type, const char *uri,
                                const char *id_field, const char *name_field, int append);

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
int ctxprof_contexts_build_bus(ctxprof_ctx *ctx, ctxprof_contexts *c, const char *uri,
                               const char *exclude);

/* Index of the layer feature with this id, or -1. */
long ctxprof_context_find(const ctxprof_context_layer *l, const char *id);

#endif
