/* Corridors: the routes between schools and the incidents along them
 * (docs/corridors.md).
 *
 * A routing network is built once per run from line geometries (bus route
 * segments and, optionally, road lines): the lines are noded at every
 * intersection (GEOSNode), every vertex becomes a graph node (vertices
 * closer than snap_tolerance_m are one node, so line ends that nearly meet
 * are joined), and every segment between consecutive vertices an igraph
 * edge weighted by its length in metres.
 *
 * Each school is connected to its nearest network node; the connector
 * (a straight line) is part of the route and of its length. Pairs are each
 * school's k nearest schools by network distance within max_dist_m (k = 0:
 * every pair within max_dist_m), among the schools whose phase is listed,
 * or the pairs of a CSV file. Each pair's shortest path (Dijkstra) is a
 * corridor_routes LineString; its buffer (corridor_width_m wide, i.e.
 * width/2 either side) is a corridors polygon. An incident inside (or on the
 * edge of) several corridor polygons counts in each.
 */
#ifndef CTXPROF_CORRIDORS_H
#define CTXPROF_CORRIDORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "load/load.h"
#include "load/taxonomy.h"
#include "snap/contexts.h"
#include "write/output.h"

#define CTXPROF_CORRIDORS_MAX_WINDOWS 8

typedef struct {
    unsigned int version;
    int k;                   /* nearest schools per school; 0: all pairs within max_dist_m */
    double max_dist_m;       /* longest school-to-school route (connectors included) */
    double corridor_width_m; /* full width of the corridor polygon */
    double snap_tolerance_m; /* vertices closer than this are one node */
    const char *phases;      /* comma list matched case-insensitively against the
                                schools' phase column; NULL, "" or "all": every school */
    const char *pairs;       /* CSV of school id pairs (school_a, school_b), or NULL */
    int n_windows;           /* school-travel windows, minutes of the day, both ends included */
    int window_start[CTXPROF_CORRIDORS_MAX_WINDOWS];
    int window_end[CTXPROF_CORRIDORS_MAX_WINDOWS];
    int use_bus;       /* network from the bus segments */
    int use_roads;     /* network from the profile's [contexts] roads */
    int rank_by;       /* a ctxprof_corridors_rank */
    const char *roads; /* the profile's [contexts] roads (dataset uri), or NULL */
} ctxprof_corridors_options;

typedef enum {
    CTXPROF_RANK_SCHOOL_TRAVEL = 0, /* n_school_travel, ties by n_incidents */
    CTXPROF_RANK_INCIDENTS,         /* n_incidents */
    CTXPROF_RANK_PER_KM             /* per_km */
} ctxprof_corridors_rank;

#define CTXPROF_CORRIDORS_OPTIONS_VERSION 1
#define CTXPROF_CORRIDORS_OPTIONS_INIT                                                             \
    {                                                                                              \
        .version = CTXPROF_CORRIDORS_OPTIONS_VERSION, .k = 3, .max_dist_m = 5000.0,                \
        .corridor_width_m = 100.0, .snap_tolerance_m = 1.0, .phases = "Secondary", .pairs = NULL,  \
        .n_windows = 2, .window_start = {420, 900}, .window_end = {570, 1110}, .use_bus = 1,       \
        .use_roads = 1, .rank_by = 0                                                               \
    }

/* rank_by from its name (NULL: n_school_travel): 0, or CTXPROF_E_CONFIG. */
int ctxprof_corridors_parse_rank(ctxprof_ctx *ctx, ctxprof_corridors_options *o, const char *rb);
/* use_roads and use_bus from a network list ("roads", "bus_segments" or
 * both; NULL or empty: roads when roads is given, else bus segments);
 * sets o->roads. 0, or CTXPROF_E_CONFIG. */
int ctxprof_corridors_parse_network(ctxprof_ctx *ctx, ctxprof_corridors_options *o, const char *net,
                                    const char *roads);
/* Parses "07:00-09:30,15:00-18:30" into o's windows. */
int ctxprof_corridors_parse_windows(ctxprof_ctx *ctx, ctxprof_corridors_options *o,
                                    const char *list);
/* 1 when an incident at d counts as school travel: a weekday (Mon-Fri), a
 * time known to the minute, within a window (both ends included). */
int ctxprof_corridors_is_school_travel(const ctxprof_corridors_options *o,
                                       const ctxprof_datetime *d);

/* The routing network. */
typedef struct ctxprof_network ctxprof_network;

/* Builds the network from n line geometries (LineString or MultiLineString,
 * borrowed). On success *out owns the network (ctxprof_network_free). */
int ctxprof_network_build(ctxprof_ctx *ctx, ctxprof_network **out, GEOSGeometry *const *lines,
                          size_t n, double snap_tolerance_m);
void ctxprof_network_free(ctxprof_ctx *ctx, ctxprof_network *net);
size_t ctxprof_network_n_nodes(const ctxprof_network *net);
size_t ctxprof_network_n_edges(const ctxprof_network *net);
/* Nearest node to (x, y) (ties: the lowest index) and its distance, or -1. */
long ctxprof_network_nearest(const ctxprof_network *net, double x, double y, double *dist);
/* Shortest network distance between nodes a and b (INFINITY when not
 * connected); the path as a new LineString in *path when path is not NULL
 * (NULL when a == b). */
int ctxprof_network_route(ctxprof_ctx *ctx, const ctxprof_network *net, long a, long b,
                          double *dist, GEOSGeometry **path);

/* The corridors of one run; everything is owned by the result. */
typedef struct {
    size_t n;                /* corridors, in rank order of the pairs' creation */
    char **id_a, **id_b;     /* school ids (school_a < school_b in layer order) */
    char **name_a, **name_b; /* may hold NULLs */
    double *length_m;        /* connector_a + network + connector_b */
    double *network_m, *connector_a_m, *connector_b_m;
    GEOSGeometry **route;   /* school a -> node -> ... -> node -> school b */
    GEOSGeometry **polygon; /* route buffered by corridor_width_m / 2 */
    int64_t *n_incidents;
    int64_t *n_cat; /* n x CTXPROF_N_CATEGORIES, row-major */
    int64_t *n_school_travel;
    double *per_km;       /* n_incidents per km of length_m */
    int64_t *rank;        /* 1 = first by rank_by; ties share the best rank */
    int64_t *rank_per_km; /* 1 = highest per_km */
    size_t n_schools;     /* schools taking part (phase filter / CSV) */
    size_t n_nodes, n_edges, n_lines;
    size_t n_unreachable; /* CSV pairs without a route (each warned about) */
    int64_t n_counted;    /* incidents inside at least one corridor */
    double seconds_network, seconds_pairs, seconds_routes, seconds_count;
} ctxprof_corridors_result;

/* The whole stage on lines already in the profile CRS: network, pairs,
 * routes, polygons, counts. schools is the schools layer (its `phase`
 * attribute used for the phase filter). inc may be NULL (no counts). */
int ctxprof_corridors_compute(ctxprof_ctx *ctx, ctxprof_corridors_result *res,
                              GEOSGeometry *const *lines, size_t n_lines,
                              const ctxprof_context_layer *schools, const ctxprof_incidents *inc,
                              const ctxprof_corridors_options *o);

/* The stage in a run: network from the contexts' bus segments and o->roads
 * (read and transformed to the profile CRS), schools from the contexts. */
int ctxprof_corridors_run(ctxprof_ctx *ctx, ctxprof_corridors_result *res,
                          const ctxprof_contexts *c, const ctxprof_incidents *inc,
                          const ctxprof_corridors_options *o);
void ctxprof_corridors_result_free(ctxprof_ctx *ctx, ctxprof_corridors_result *res);

/* Reads the road lines of uri ("file|layername=x") in CRS crs; *lines
 * (n of them) are owned by the caller: free with ctxprof_corridors_lines_free. */
int ctxprof_corridors_read_lines(ctxprof_ctx *ctx, GEOSGeometry ***lines, size_t *n,
                                 const char *uri, const char *crs);
void ctxprof_corridors_lines_free(ctxprof_ctx *ctx, GEOSGeometry **lines, size_t n);

/* Writes corridor_routes (LineString) and corridors (Polygon) and
 * run_metadata rows corridors.* */
int ctxprof_corridors_write(ctxprof_ctx *ctx, ctxprof_output *out,
                            const ctxprof_corridors_result *res,
                            const ctxprof_corridors_options *o);

/* `ctxprof corridors`: reads the incidents of a profile GeoPackage (in),
 * computes the corridors with o over the contexts of co, and writes a new GeoPackage (out; may
 * equal in) with every layer of in except earlier corridors, plus the
 * corridor layers, through ctxprof_output (temporary file, renamed). */
typedef struct {
    int64_t n_incidents;
    int64_t n_layers_copied;
    ctxprof_corridors_result result;
    double seconds_read, seconds_contexts, seconds_write, seconds_total;
} ctxprof_corridors_summary;

int ctxprof_corridors_gpkg(ctxprof_ctx *ctx, ctxprof_corridors_summary *sum,
                           const ctxprof_contexts_options *co, const ctxprof_corridors_options *o,
                           const char *in, const char *out, const char *arguments);
void ctxprof_corridors_summary_free(ctxprof_ctx *ctx, ctxprof_corridors_summary *sum);

#endif
