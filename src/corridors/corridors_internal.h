/* Shared by the corridors stage's files; not part of the engine API. */
#ifndef CTXPROF_CORRIDORS_INTERNAL_H
#define CTXPROF_CORRIDORS_INTERNAL_H

#include <igraph/igraph.h>

#include "corridors/corridors.h"

/* The network's graph, edge weights and node positions (borrowed). */
const igraph_t *ctxprof_network_graph(const ctxprof_network *net, const igraph_vector_t **w,
                                      const double **x, const double **y);

#endif
