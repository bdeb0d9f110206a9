/* The routing network: lines noded with GEOS, vertices as igraph nodes,
 * segments as edges weighted by length. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <igraph/igraph.h>

#include "corridors/corridors_internal.h"

struct ctxprof_network {
    igraph_t g;
    igraph_vector_t w; /* edge weights, metres */
    int has_graph;
    size_t n_nodes, n_edges;
    double *x, *y; /* node positions: the first vertex seen there */
};

size_t ctxprof_network_n_nodes(const ctxprof_network *net)
{
    return net ? net->n_nodes : 0;
}
size_t ctxprof_network_n_edges(const ctxprof_network *net)
{
    return net ? net->n_edges : 0;
}

void ctxprof_network_free(ctxprof_ctx *ctx, ctxprof_network *net)
{
    if (!net)
        return;
    if (net->has_graph) {
        igraph_destroy(&net->g);
        igraph_vector_destroy(&net->w);
    }
    ctxprof_free(ctx, net->x);
    ctxprof_free(ctx, net->y);
    ctxprof_free(ctx, net);
}

/* Vertices to nodes: a hash of grid cells of the tolerance's size; a vertex
 * within tol of a node in its or a neighbouring cell is that node. */
typedef struct {
    double cell, tol;
    size_t nb;     /* buckets, a power of two */
    int64_t *head; /* per bucket: first node, -1 */
    int64_t *next; /* per node */
    size_t cap;
} node_index;

static uint64_t cell_hash(int64_t ix, int64_t iy)
{
    uint64_t h = (uint64_t)ix * 0x9E3779B97F4A7C15ULL ^
                 ((uint64_t)iy + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (h >> 29);
}

static long find_node(const ctxprof_network *net, const node_index *ix, double x, double y)
{
    int64_t cx = (int64_t)floor(x / ix->cell), cy = (int64_t)floor(y / ix->cell);
    long best = -1;
    double bd = INFINITY;
    for (int64_t dx = -1; dx <= 1; dx++)
        for (int64_t dy = -1; dy <= 1; dy++) {
            uint64_t b = cell_hash(cx + dx, cy + dy) & (ix->nb - 1);
            for (int64_t k = ix->head[b]; k >= 0; k = ix->next[k]) {
                double d = hypot(net->x[k] - x, net->y[k] - y);
                if (d <= ix->tol && (d < bd || (d == bd && k < best))) {
                    bd = d;
                    best = (long)k;
                }
            }
        }
    return best;
}

static int add_node(ctxprof_ctx *ctx, ctxprof_network *net, node_index *ix, double x, double y,
                    long *id)
{
    long k = find_node(net, ix, x, y);
    if (k >= 0) {
        *id = k;
        return 0;
    }
    if (net->n_nodes == ix->cap) {
        size_t nc = ix->cap * 2;
        void *a = ctxprof_reallocarray(ctx, net->x, nc, sizeof *net->x);
        if (!a)
            return CTXPROF_E_NOMEM;
        net->x = a;
        if (!(a = ctxprof_reallocarray(ctx, net->y, nc, sizeof *net->y)))
            return CTXPROF_E_NOMEM;
        net->y = a;
        if (!(a = ctxprof_reallocarray(ctx, ix->next, nc, sizeof *ix->next)))
            return CTXPROF_E_NOMEM;
        ix->next = a;
        ix->cap = nc;
    }
    size_t n = net->n_nodes++;
    net->x[n] = x;
    net->y[n] = y;
    uint64_t b =
        cell_hash((int64_t)floor(x / ix->cell), (int64_t)floor(y / ix->cell)) & (ix->nb - 1);
    ix->next[n] = ix->head[b];
    ix->head[b] = (int64_t)n;
    *id = (long)n;
    return 0;
}

int ctxprof_network_build(ctxprof_ctx *ctx, ctxprof_network **out, GEOSGeometry *const *lines,
                          size_t n, double tol)
{
    GEOSContextHandle_t gh = ctxprof_geos(ctx);
    int rc = 0;
    ctxprof_network *net = NULL;
    GEOSGeometry *coll = NULL, *noded = NULL;
    GEOSGeometry **parts = NULL;
    node_index ix = {0};
    igraph_vector_int_t ev;
    igraph_vector_t w;
    int have_ev = 0, have_w = 0;
    *out = NULL;
    if (!isfinite(tol) || tol < 0)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "corridors: snap_tolerance_m must be 0 or more, not %g", tol);
    if (!(net = ctxprof_calloc(ctx, 1, sizeof *net)))
        return CTXPROF_E_NOMEM;

    /* Noding: every line's parts into one collection, noded at every
     * intersection. The collection takes clones: the inputs are borrowed. */
    size_t np = 0, capp = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lines[i] || GEOSisEmpty_r(gh, lines[i]))
            continue;
        int ng = GEOSGetNumGeometries_r(gh, lines[i]);
        for (int j = 0; j < ng; j++) {
            const GEOSGeometry *g = GEOSGetGeometryN_r(gh, lines[i], j);
            int t = GEOSGeomTypeId_r(gh, g);
            if (t != GEOS_LINESTRING && t != GEOS_LINEARRING)
                continue;
            if ((rc = ctxprof_grow(ctx, (void **)&parts, &capp, np + 1, sizeof *parts)))
                goto done;
            if (!(parts[np] = GEOSGeom_clone_r(gh, g))) {
                rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: cannot copy a network line");
                goto done;
            }
            np++;
        }
    }
    ix.tol = tol;
    ix.cell = tol > 0.001 ? tol : 0.001;
    ix.cap = 1024;
    ix.nb = 1;
    while (ix.nb < 4 * np + 1024)
        ix.nb <<= 1;
    net->x = ctxprof_mallocarray(ctx, ix.cap, sizeof *net->x);
    net->y = ctxprof_mallocarray(ctx, ix.cap, sizeof *net->y);
    ix.next = ctxprof_mallocarray(ctx, ix.cap, sizeof *ix.next);
    ix.head = ctxprof_mallocarray(ctx, ix.nb, sizeof *ix.head);
    if (!net->x || !net->y || !ix.next || !ix.head) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t b = 0; b < ix.nb; b++)
        ix.head[b] = -1;
    igraph_vector_int_init(&ev, 0);
    have_ev = 1;
    igraph_vector_init(&w, 0);
    have_w = 1;
    if (np) {
        coll = GEOSGeom_createCollection_r(gh, GEOS_MULTILINESTRING, parts, (unsigned)np);
        if (!coll) {
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: cannot collect the network lines");
            goto done;
        }
        ctxprof_free(ctx, parts); /* the collection owns the clones now */
        parts = NULL;
        np = 0;
        if (!(noded = GEOSNode_r(gh, coll))) {
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: cannot node the network lines");
            ctxprof_error_append_lib(ctx);
            goto done;
        }
        int ng = GEOSGetNumGeometries_r(gh, noded);
        for (int j = 0; j < ng; j++) {
            const GEOSGeometry *g = GEOSGetGeometryN_r(gh, noded, j);
            const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(gh, g);
            unsigned nc = 0;
            if (!cs || !GEOSCoordSeq_getSize_r(gh, cs, &nc) || nc < 2)
                continue;
            double px = 0, py = 0;
            long prev = -1;
            for (unsigned v = 0; v < nc; v++) {
                double x, y;
                long id;
                GEOSCoordSeq_getXY_r(gh, cs, v, &x, &y);
                if ((rc = add_node(ctx, net, &ix, x, y, &id)))
                    goto done;
                if (prev >= 0 && id != prev) {
                    if (igraph_vector_int_push_back(&ev, prev) ||
                        igraph_vector_int_push_back(&ev, id) ||
                        igraph_vector_push_back(&w, hypot(x - px, y - py))) {
                        rc = CTXPROF_E_NOMEM;
                        goto done;
                    }
                }
                if (id != prev) {
                    prev = id;
                    px = x;
                    py = y;
                }
            }
        }
    }
    if (igraph_create(&net->g, &ev, (igraph_integer_t)net->n_nodes, IGRAPH_UNDIRECTED)) {
        rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL, "corridors: igraph cannot make the network");
        goto done;
    }
    net->w = w;
    have_w = 0;
    net->has_graph = 1;
    net->n_edges = (size_t)igraph_ecount(&net->g);
    *out = net;
    net = NULL;
done:
    if (have_ev)
        igraph_vector_int_destroy(&ev);
    if (have_w)
        igraph_vector_destroy(&w);
    for (size_t i = 0; i < np; i++)
        GEOSGeom_destroy_r(gh, parts[i]);
    ctxprof_free(ctx, parts);
    if (coll)
        GEOSGeom_destroy_r(gh, coll);
    if (noded)
        GEOSGeom_destroy_r(gh, noded);
    ctxprof_free(ctx, ix.head);
    ctxprof_free(ctx, ix.next);
    ctxprof_network_free(ctx, net);
    return rc;
}

long ctxprof_network_nearest(const ctxprof_network *net, double x, double y, double *dist)
{
    long best = -1;
    double bd = INFINITY;
    for (size_t i = 0; net && i < net->n_nodes; i++) {
        double d = hypot(net->x[i] - x, net->y[i] - y);
        if (d < bd) {
            bd = d;
            best = (long)i;
        }
    }
    if (dist)
        *dist = bd;
    return best;
}

const igraph_t *ctxprof_network_graph(const ctxprof_network *net, const igraph_vector_t **w,
                                      const double **x, const double **y)
{
    *w = &net->w;
    *x = net->x;
    *y = net->y;
    return &net->g;
}

int ctxprof_network_route(ctxprof_ctx *ctx, const ctxprof_network *net, long a, long b,
                          double *dist, GEOSGeometry **path)
{
    GEOSContextHandle_t gh = ctxprof_geos(ctx);
    int rc = 0;
    if (path)
        *path = NULL;
    *dist = INFINITY;
    if (a < 0 || b < 0 || (size_t)a >= net->n_nodes || (size_t)b >= net->n_nodes)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "corridors: node out of range");
    if (a == b) {
        *dist = 0;
        return 0;
    }
    igraph_vector_int_t vs, es;
    igraph_set_warning_handler(igraph_warning_handler_ignore); /* unreachable: INFINITY */
    igraph_vector_int_init(&vs, 0);
    igraph_vector_int_init(&es, 0);
    if (igraph_get_shortest_path_dijkstra(&net->g, &vs, &es, a, b, &net->w, IGRAPH_ALL)) {
        rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL, "corridors: shortest path failed");
        goto done;
    }
    igraph_integer_t nv = igraph_vector_int_size(&vs);
    if (nv < 2)
        goto done; /* not connected */
    double d = 0;
    for (igraph_integer_t i = 0; i < igraph_vector_int_size(&es); i++)
        d += VECTOR(net->w)[VECTOR(es)[i]];
    *dist = d;
    if (path) {
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(gh, (unsigned)nv, 2);
        for (igraph_integer_t i = 0; cs && i < nv; i++)
            GEOSCoordSeq_setXY_r(gh, cs, (unsigned)i, net->x[VECTOR(vs)[i]], net->y[VECTOR(vs)[i]]);
        if (!cs || !(*path = GEOSGeom_createLineString_r(gh, cs)))
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: cannot make a route line");
    }
done:
    igraph_vector_int_destroy(&vs);
    igraph_vector_int_destroy(&es);
    return rc;
}
