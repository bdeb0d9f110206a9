/* Shared by the corridors stage's files; not part of the engine API. */
#ifndef CTXPROF_CORRIDORS_INTERNAL_H
#define CTXPROF_CORRIDORS_INTERNAL_H

#include <igraph/igraph.h>

#include "corridors/corridors.h"

/* The network's graph, edge weights and node positions (borrowed). */
const igraph_t *ctxprof_network_graph(const ctxprof_network *net, const igraph_vector_t **w,
                                      const double **x, const double **y);

/* Network distances between the n_cols nodes col_node (distinct): row c of
 * d (n_cols x n_cols) holds the distances from col_node[c], INFINITY where
 * unreached or beyond cutoff[c]. Equal to igraph_distances_dijkstra_cutoff
 * (IGRAPH_ALL) within the cut-off (tests/unit/test_corridors.c).
 * With stop (k > 0), a search also ends once no school still unreached can
 * be among the k nearest of a school at its source node, ranked by network
 * distance plus the partner's connector (rows are then INFINITY past that):
 * the k-nearest pairing is unchanged. */
typedef struct {
    size_t k;           /* the pairing's k; 0: no early stop */
    size_t n_schools;   /* schools taking part */
    const long *col;    /* each school's column */
    const double *conn; /* each school's connector length */
} ctxprof_school_stop;

int ctxprof_corridors_school_distances(ctxprof_ctx *ctx, const igraph_t *g,
                                       const igraph_vector_t *w, const long *col_node,
                                       size_t n_cols, const double *cutoff, double *d,
                                       const ctxprof_school_stop *stop);

#endif
