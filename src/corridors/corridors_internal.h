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
 * (IGRAPH_ALL) within the cut-off; faster as it stops once every node is
 * settled (tests/unit/test_corridors.c). */
int ctxprof_corridors_school_distances(ctxprof_ctx *ctx, const igraph_t *g,
                                       const igraph_vector_t *w, const long *col_node,
                                       size_t n_cols, const double *cutoff, double *d);

#endif
