#include "snap/snap.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "load/date.h"
#include "snap/contexts_internal.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double ctxprof_snap_reach(const ctxprof_snap_options *o, int type)
{
    const ctxprof_context_type_def *d = &ctxprof_context_types[type];
    if (d->link != CTXPROF_LINK_WITHIN)
        return 0;
    if (o && o->reach_m && !isnan(o->reach_m[type]))
        return o->reach_m[type];
    return strtod(d->reach_default, NULL);
}

/* The index of one context layer: a tree whose items are feature index + 1
 * (never NULL), inserted with their envelope grown by the search distance so
 * that a query with the incident point alone finds every candidate, and one
 * prepared geometry per feature. */
typedef struct {
    const ctxprof_context_layer *l;
    GEOSSTRtree *tree;
    const GEOSPreparedGeometry **prep;
    double reach; /* envelope growth: 0 for covers, the buffer for distance links */
    /* Covers layers (polygons): a grid over the layer's extent. A cell that
     * no polygon edge touches lies wholly inside or outside each polygon, so
     * every point in it links as its centre: label[cell] (-1: none). Cells
     * an edge touches (edge[cell]) and points off the grid take the tree. */
    double gx0, gy0, gcell;
    long gnx, gny;
    int32_t *label;
    uint8_t *edge;
} layer_index;

static void index_free(GEOSContextHandle_t h, ctxprof_ctx *ctx, layer_index *x)
{
    if (x->tree)
        GEOSSTRtree_destroy_r(h, x->tree);
    for (size_t i = 0; x->prep && i < x->l->n; i++)
        if (x->prep[i])
            GEOSPreparedGeom_destroy_r(h, x->prep[i]);
    ctxprof_free(ctx, x->prep);
    ctxprof_free(ctx, x->label);
    ctxprof_free(ctx, x->edge);
    memset(x, 0, sizeof *x);
}

/* One ring's edges: cells touched are marked, and each crossing of a row
 * of cell centres (half-open in y, so a vertex counts once) is recorded. */
typedef struct {
    double x;
    int32_t f;
    int32_t row;
} crossing;

typedef struct {
    layer_index *x;
    crossing *c;
    size_t n, cap;
    int fail;
} grid_build;

static void grid_ring(ctxprof_ctx *ctx, GEOSContextHandle_t h, grid_build *b,
                      const GEOSGeometry *ring, int32_t f)
{
    layer_index *x = b->x;
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n)) {
        b->fail = 1;
        return;
    }
    double px = 0, py = 0;
    for (unsigned int k = 0; k < n; k++) {
        double qx, qy;
        if (!GEOSCoordSeq_getXY_r(h, cs, k, &qx, &qy)) {
            b->fail = 1;
            return;
        }
        if (k > 0) {
            /* the cells the edge's box touches, grown by a margin */
            double m = x->gcell * 1e-6;
            long c0 = (long)floor((fmin(px, qx) - m - x->gx0) / x->gcell);
            long c1 = (long)floor((fmax(px, qx) + m - x->gx0) / x->gcell);
            long r0 = (long)floor((fmin(py, qy) - m - x->gy0) / x->gcell);
            long r1 = (long)floor((fmax(py, qy) + m - x->gy0) / x->gcell);
            c0 = c0 < 0 ? 0 : c0;
            r0 = r0 < 0 ? 0 : r0;
            c1 = c1 >= x->gnx ? x->gnx - 1 : c1;
            r1 = r1 >= x->gny ? x->gny - 1 : r1;
            if (c0 == c1 || r0 == r1 || px == qx) {
                for (long r = r0; r <= r1; r++)
                    memset(x->edge + (size_t)r * (size_t)x->gnx + (size_t)c0, 1,
                           (size_t)(c1 - c0 + 1));
            } else {
                /* column by column: the rows the edge spans within the
                 * column's strip, grown by the margin */
                double slope = (qy - py) / (qx - px);
                double xmin = fmin(px, qx), xmax = fmax(px, qx);
                for (long c = c0; c <= c1; c++) {
                    double xa = fmax(xmin, x->gx0 + (double)c * x->gcell - m);
                    double xb = fmin(xmax, x->gx0 + (double)(c + 1) * x->gcell + m);
                    double ya = py + (xa - px) * slope, yb = py + (xb - px) * slope;
                    long ra = (long)floor((fmin(ya, yb) - m - x->gy0) / x->gcell);
                    long rb = (long)floor((fmax(ya, yb) + m - x->gy0) / x->gcell);
                    ra = ra < r0 ? r0 : ra;
                    rb = rb > r1 ? r1 : rb;
                    for (long r = ra; r <= rb; r++)
                        x->edge[(size_t)r * (size_t)x->gnx + (size_t)c] = 1;
                }
            }
            /* crossings with the rows' centre lines y in [ymin, ymax) */
            double ylo = fmin(py, qy), yhi = fmax(py, qy);
            if (ylo < yhi) {
                long ra = (long)ceil((ylo - x->gy0) / x->gcell - 0.5) - 1;
                for (long r = ra < 0 ? 0 : ra; r < x->gny; r++) {
                    double yc = x->gy0 + ((double)r + 0.5) * x->gcell;
                    if (yc < ylo)
                        continue;
                    if (yc >= yhi)
                        break;
                    if (b->n == b->cap) {
                        size_t nc = b->cap ? 2 * b->cap : 4096;
                        crossing *p = ctxprof_reallocarray(ctx, b->c, nc, sizeof *p);
                        if (!p) {
                            b->fail = 1;
                            return;
                        }
                        b->c = p;
                        b->cap = nc;
                    }
                    b->c[b->n++] =
                        (crossing){px + (yc - py) * (qx - px) / (qy - py), f, (int32_t)r};
                }
            }
        }
        px = qx;
        py = qy;
    }
}

static int cmp_crossing(const void *a, const void *b)
{
    const crossing *p = a, *q = b;
    if (p->row != q->row)
        return p->row < q->row ? -1 : 1;
    if (p->f != q->f)
        return p->f < q->f ? -1 : 1;
    return p->x < q->x ? -1 : p->x > q->x;
}

/* The grid of a covers layer; without one (not polygons, or too little
 * memory) every point takes the tree, with the same result. */
static int grid_build_layer(ctxprof_ctx *ctx, layer_index *x)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    const ctxprof_context_layer *l = x->l;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < l->n; i++) {
        int t = GEOSGeomTypeId_r(h, l->geom[i]);
        if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON)
            return 0;
        double a, b, c, d;
        if (GEOSGeom_getXMin_r(h, l->geom[i], &a) && GEOSGeom_getYMin_r(h, l->geom[i], &b) &&
            GEOSGeom_getXMax_r(h, l->geom[i], &c) && GEOSGeom_getYMax_r(h, l->geom[i], &d)) {
            x0 = fmin(x0, a);
            y0 = fmin(y0, b);
            x1 = fmax(x1, c);
            y1 = fmax(y1, d);
        }
    }
    if (!(x1 > x0) || !(y1 > y0))
        return 0;
    /* about 1,024 cells per polygon (the cells edges touch are then about
     * a quarter for the London LSOAs), at most 8M cells (40 MB) */
    double cells = fmin(1024.0 * (double)l->n, 8e6);
    x->gcell = sqrt((x1 - x0) * (y1 - y0) / cells);
    x->gx0 = x0;
    x->gy0 = y0;
    x->gnx = (long)ceil((x1 - x0) / x->gcell) + 1;
    x->gny = (long)ceil((y1 - y0) / x->gcell) + 1;
    size_t nc = (size_t)x->gnx * (size_t)x->gny;
    x->label = ctxprof_mallocarray(ctx, nc, sizeof *x->label);
    x->edge = ctxprof_calloc(ctx, nc, 1);
    grid_build b = {x, NULL, 0, 0, 0};
    if (!x->label || !x->edge)
        b.fail = 1;
    for (size_t i = 0; i < l->n && !b.fail; i++) {
        const GEOSGeometry *g = l->geom[i];
        int np = GEOSGeomTypeId_r(h, g) == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, g) : 1;
        for (int p = 0; p < np && !b.fail; p++) {
            const GEOSGeometry *poly = np > 1 || GEOSGeomTypeId_r(h, g) == GEOS_MULTIPOLYGON
                                           ? GEOSGetGeometryN_r(h, g, p)
                                           : g;
            if (!poly || GEOSisEmpty_r(h, poly))
                continue;
            grid_ring(ctx, h, &b, GEOSGetExteriorRing_r(h, poly), (int32_t)i);
            int nh = GEOSGetNumInteriorRings_r(h, poly);
            for (int k = 0; k < nh && !b.fail; k++)
                grid_ring(ctx, h, &b, GEOSGetInteriorRingN_r(h, poly, k), (int32_t)i);
        }
    }
    if (!b.fail) {
        /* centres inside polygon f (even-odd, per row and feature): the
         * lowest such f labels the cell */
        for (size_t c = 0; c < nc; c++)
            x->label[c] = -1;
        qsort(b.c, b.n, sizeof *b.c, cmp_crossing);
        for (size_t k = 0; k + 1 < b.n;) {
            size_t e = k;
            while (e < b.n && b.c[e].row == b.c[k].row && b.c[e].f == b.c[k].f)
                e++;
            int32_t *row = x->label + (size_t)b.c[k].row * (size_t)x->gnx;
            if ((e - k) % 2) /* not paired up: this row takes the tree */
                memset(x->edge + (size_t)b.c[k].row * (size_t)x->gnx, 1, (size_t)x->gnx);
            for (size_t q = k; q + 1 < e; q += 2) {
                /* centres x0 + (c + 0.5) cell within [xa, xb] */
                long ca = (long)ceil((b.c[q].x - x->gx0) / x->gcell - 0.5);
                long cb = (long)floor((b.c[q + 1].x - x->gx0) / x->gcell - 0.5);
                for (long c = ca < 0 ? 0 : ca; c <= cb && c < x->gnx; c++)
                    if (row[c] < 0 || row[c] > b.c[k].f)
                        row[c] = b.c[k].f;
            }
            k = e;
        }
    }
    ctxprof_free(ctx, b.c);
    if (b.fail) { /* no grid: the tree answers every point */
        ctxprof_free(ctx, x->label);
        ctxprof_free(ctx, x->edge);
        x->label = NULL;
        x->edge = NULL;
    }
    return 0;
}

/* The grid's answer for (px, py): 1 with *f set, or 0 to ask the tree. */
static inline int grid_link(const layer_index *x, double px, double py, long *f)
{
    if (!x->label)
        return 0;
    double cx = (px - x->gx0) / x->gcell, cy = (py - x->gy0) / x->gcell;
    if (!(cx >= 0 && cy >= 0 && cx < (double)x->gnx && cy < (double)x->gny))
        return 0;
    size_t c = (size_t)(long)cy * (size_t)x->gnx + (size_t)(long)cx;
    if (x->edge[c])
        return 0;
    *f = x->label[c];
    return 1;
}

static int index_build(ctxprof_ctx *ctx, layer_index *x, const ctxprof_context_layer *l, int type,
                       double reach, int no_grid)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    memset(x, 0, sizeof *x);
    x->l = l;
    x->reach = reach;
    if (!l->present || !l->n)
        return 0;
    if (!(x->prep = ctxprof_calloc(ctx, l->n, sizeof *x->prep)))
        return CTXPROF_E_NOMEM;
    x->tree = GEOSSTRtree_create_r(h, 10);
    if (!x->tree)
        return ctxprof_error(ctx, CTXPROF_E_GEOM, "cannot create a spatial index");
    for (size_t i = 0; i < l->n; i++) {
        if (!(x->prep[i] = GEOSPrepare_r(h, l->geom[i])))
            return ctxprof_error(ctx, CTXPROF_E_GEOM, "%s: cannot prepare feature %s",
                                 ctxprof_context_types[type].layer, l->id[i]);
        double x0, y0, x1, y1;
        if (!GEOSGeom_getXMin_r(h, l->geom[i], &x0) || !GEOSGeom_getYMin_r(h, l->geom[i], &y0) ||
            !GEOSGeom_getXMax_r(h, l->geom[i], &x1) || !GEOSGeom_getYMax_r(h, l->geom[i], &y1))
            continue; /* empty geometry: never a candidate */
        /* The tree copies the envelope at insertion; the rectangle can go. */
        GEOSGeometry *env =
            GEOSGeom_createRectangle_r(h, x0 - reach, y0 - reach, x1 + reach, y1 + reach);
        if (!env)
            return ctxprof_error(ctx, CTXPROF_E_GEOM, "cannot index feature %s", l->id[i]);
        GEOSSTRtree_insert_r(h, x->tree, env, (void *)(uintptr_t)(i + 1));
        GEOSGeom_destroy_r(h, env);
    }
    if (ctxprof_context_types[type].link == CTXPROF_LINK_COVERS && !no_grid)
        return grid_build_layer(ctx, x);
    return 0;
}

/* Query state for one incident. */
typedef struct {
    GEOSContextHandle_t h;
    const layer_index *x;
    const GEOSGeometry *pt;
    long best;
    double best_d;
    double max_d; /* distance links: the largest distance that counts */
} query;

/* Covering polygon: the lowest index whose polygon covers the point. */
static void cb_covers(void *item, void *userdata)
{
    query *q = userdata;
    long i = (long)(uintptr_t)item - 1;
    if ((q->best < 0 || i < q->best) && GEOSPreparedIntersects_r(q->h, q->x->prep[i], q->pt) == 1)
        q->best = i;
}

/* Nearest within max_d; ties to the lowest index. */
static void cb_within(void *item, void *userdata)
{
    query *q = userdata;
    long i = (long)(uintptr_t)item - 1;
    if (GEOSPreparedDistanceWithin_r(q->h, q->x->prep[i], q->pt, q->max_d) != 1)
        return;
    double d;
    if (!GEOSPreparedDistance_r(q->h, q->x->prep[i], q->pt, &d))
        return;
    if (q->best < 0 || d < q->best_d || (d == q->best_d && i < q->best)) {
        q->best = i;
        q->best_d = d;
    }
}

/* nearest_generic's distance: items are feature index + 1, the query point
 * QUERY_ITEM. */
#define QUERY_ITEM UINTPTR_MAX
static int cb_dist(const void *a, const void *b, double *d, void *userdata)
{
    query *q = userdata;
    uintptr_t ia = (uintptr_t)a, ib = (uintptr_t)b;
    if (ia != QUERY_ITEM && ib != QUERY_ITEM)
        return GEOSDistance_r(q->h, q->x->l->geom[ia - 1], q->x->l->geom[ib - 1], d);
    uintptr_t i = ia == QUERY_ITEM ? ib : ia;
    if (i == QUERY_ITEM)
        return (*d = 0.0), 1;
    return GEOSPreparedDistance_r(q->h, q->x->prep[i - 1], q->pt, d);
}

static long link_covers(query *q)
{
    q->best = -1;
    GEOSSTRtree_query_r(q->h, q->x->tree, q->pt, cb_covers, q);
    return q->best;
}

static long link_within(query *q, double max_d)
{
    q->best = -1;
    q->best_d = INFINITY;
    q->max_d = max_d;
    GEOSSTRtree_query_r(q->h, q->x->tree, q->pt, cb_within, q);
    return q->best;
}

/* Nearest feature at any distance (the index's envelopes are not grown);
 * ties go to the lowest index. */
static long link_nearest(query *q, double px, double py)
{
    const void *hit =
        GEOSSTRtree_nearest_generic_r(q->h, q->x->tree, (void *)QUERY_ITEM, q->pt, cb_dist, q);
    if (!hit)
        return -1;
    long i = (long)(uintptr_t)hit - 1;
    double d;
    if (!GEOSPreparedDistance_r(q->h, q->x->prep[i], q->pt, &d))
        return -1;
    q->best = i;
    q->best_d = d;
    q->max_d = d;
    /* Every feature as near (a tie) has its envelope within d of the point:
     * the lowest index among them wins. */
    double e = d * (1 + 1e-12) + 1e-9;
    GEOSGeometry *box = GEOSGeom_createRectangle_r(q->h, px - e, py - e, px + e, py + e);
    if (box) {
        GEOSSTRtree_query_r(q->h, q->x->tree, box, cb_within, q);
        GEOSGeom_destroy_r(q->h, box);
    }
    return q->best;
}

/* One linking thread: its context's GEOS handle and, per layer, the shared
 * tree and grid with prepared geometries of its own (a prepared geometry
 * builds its indexes lazily on first use, so threads do not share them). */
typedef struct {
    GEOSContextHandle_t h;
    layer_index *x;        /* one per context type */
    GEOSGeometry ***clone; /* what x[t].prep prepares (workers; per type) */
    int64_t n_no_position;
    size_t bad; /* the incident whose point GEOS could not make */
} linker;

/* Links incidents i0..i1-1: 0, or CTXPROF_E_GEOM with lk->bad set. Each
 * kind links by its registry rule; covers kinds first, as they answer from
 * the grid without making a point. */
static int link_range(linker *lk, ctxprof_snap_result *res, const ctxprof_incidents *inc,
                      const ctxprof_snap_options *opts, size_t i0, size_t i1)
{
    GEOSContextHandle_t h = lk->h;
    const layer_index *x = lk->x;
    const size_t nt = ctxprof_n_context_types;
    for (size_t i = i0; i < i1; i++) {
        for (size_t t = 0; t < nt; t++) {
            res->link[t][i] = -1;
            res->col_str[t][i] = NULL;
            if (res->dist[t])
                res->dist[t][i] = NAN;
        }
        double px = inc->x[i], py = inc->y[i];
        if (!isfinite(px) || !isfinite(py)) {
            lk->n_no_position++;
            continue;
        }
        /* the point, made when a tree is asked */
        GEOSGeometry *pt = NULL;
        query q = {h, NULL, NULL, -1, 0, 0};
        for (int pass = 0; pass < 2; pass++)
            for (size_t t = 0; t < nt; t++) {
                ctxprof_link_rule rule = ctxprof_context_types[t].link;
                if ((pass == 0) != (rule == CTXPROF_LINK_COVERS) || !(q.x = &x[t])->tree)
                    continue;
                long f;
                if (rule == CTXPROF_LINK_COVERS && grid_link(q.x, px, py, &f)) {
                    if (f >= 0)
                        res->link[t][i] = (int32_t)f;
                    continue;
                }
                if (!pt && !(pt = GEOSGeom_createPointFromXY_r(h, px, py))) {
                    lk->bad = i;
                    return CTXPROF_E_GEOM;
                }
                q.pt = pt;
                f = rule == CTXPROF_LINK_COVERS    ? link_covers(&q)
                    : rule == CTXPROF_LINK_NEAREST ? link_nearest(&q, px, py)
                                                   : link_within(&q, x[t].reach);
                if (f < 0)
                    continue;
                res->link[t][i] = (int32_t)f;
                if (res->dist[t])
                    res->dist[t][i] = q.best_d;
            }
        if (pt)
            GEOSGeom_destroy_r(h, pt);
        for (size_t t = 0; t < nt; t++)
            if (res->link[t][i] >= 0)
                res->col_str[t][i] = x[t].l->id[res->link[t][i]];
    }
    (void)opts;
    return 0;
}

static void linker_free(linker *lk)
{
    for (size_t t = 0; lk->x && t < ctxprof_n_context_types; t++) {
        const ctxprof_context_layer *l = lk->x[t].l;
        for (size_t i = 0; l && lk->x[t].prep && i < l->n; i++)
            if (lk->x[t].prep[i])
                GEOSPreparedGeom_destroy_r(lk->h, lk->x[t].prep[i]);
        for (size_t i = 0; l && lk->clone[t] && i < l->n; i++)
            if (lk->clone[t][i])
                GEOSGeom_destroy_r(lk->h, lk->clone[t][i]);
        free(lk->x[t].prep);
        free(lk->clone ? lk->clone[t] : NULL);
    }
    free(lk->x);
    free(lk->clone);
    memset(lk, 0, sizeof *lk);
}

/* A worker's linker: for every layer with a tree, prepared copies of the
 * features, made with h, its own context's handle, on the worker's thread
 * (GEOS handles are per thread). -1 when it cannot be made. */
static int linker_init(linker *lk, const layer_index *shared, GEOSContextHandle_t h)
{
    memset(lk, 0, sizeof *lk);
    lk->h = h;
    if (!(lk->x = calloc(ctxprof_n_context_types, sizeof *lk->x)) ||
        !(lk->clone = calloc(ctxprof_n_context_types, sizeof *lk->clone)))
        return -1;
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        lk->x[t] = shared[t];
        lk->x[t].prep = NULL;
        const ctxprof_context_layer *l = shared[t].l;
        if (!shared[t].tree)
            continue;
        if (!(lk->x[t].prep = calloc(l->n, sizeof *lk->x[t].prep)) ||
            !(lk->clone[t] = calloc(l->n, sizeof *lk->clone[t])))
            return -1;
        for (size_t i = 0; i < l->n; i++)
            if (!(lk->clone[t][i] = GEOSGeom_clone_r(lk->h, l->geom[i])) ||
                !(lk->x[t].prep[i] = GEOSPrepare_r(lk->h, lk->clone[t][i])))
                return -1;
    }
    return 0;
}

/* The linking, as pool tasks: chunks of incidents. */
enum { LINK_CHUNK = 16384 };
typedef struct {
    ctxprof_snap_result *res;
    const ctxprof_incidents *inc;
    const ctxprof_snap_options *opts;
    const layer_index *x;
    const ctxprof_snap_feed *feed;
    atomic_llong n_no_position;
} link_job;

/* Thread 0, the calling thread, links with the caller's prepared geometries
 * (no other thread uses them meanwhile); a worker with copies of its own. */
static int link_thread_init(ctxprof_ctx *ctx, int thread, void *arg, void **state)
{
    link_job *j = arg;
    linker *lk = ctxprof_calloc(ctx, 1, sizeof *lk);
    *state = lk;
    if (!lk)
        return CTXPROF_E_NOMEM;
    if (thread == 0) {
        lk->h = ctxprof_geos(ctx);
        lk->x = (layer_index *)j->x; /* read only: link_range does not write it */
        return 0;
    }
    if (linker_init(lk, j->x, ctxprof_geos(ctx)) != 0) {
        int rc =
            ctxprof_error(ctx, CTXPROF_E_GEOM, "cannot prepare the contexts for a linking thread");
        ctxprof_error_append_lib(ctx);
        return rc;
    }
    return 0;
}

static void link_thread_free(ctxprof_ctx *ctx, int thread, void *arg, void *state)
{
    link_job *j = arg;
    linker *lk = state;
    if (!lk)
        return;
    atomic_fetch_add(&j->n_no_position, (long long)lk->n_no_position);
    if (thread != 0)
        linker_free(lk);
    ctxprof_free(ctx, lk);
}

static int link_task(ctxprof_ctx *ctx, size_t k, void *arg, void *state)
{
    link_job *j = arg;
    linker *lk = state;
    size_t n = j->inc->n, i0 = k * LINK_CHUNK, i1 = i0 + LINK_CHUNK < n ? i0 + LINK_CHUNK : n;
    if (link_range(lk, j->res, j->inc, j->opts, i0, i1)) {
        int rc =
            ctxprof_error(ctx, CTXPROF_E_GEOM, "cannot make a point for incident %zu", lk->bad);
        ctxprof_error_append_lib(ctx);
        return rc;
    }
    if (j->feed) /* alone, in order: 0..i1-1 are linked */
        j->feed->linked(j->feed->arg, i1);
    return 0;
}

/* A query that makes the tree build itself: GEOS builds a tree on its
 * first query, which threads must not race to do. */
static void cb_none(void *item, void *userdata)
{
    (void)item;
    (void)userdata;
}

/* Links every incident, on up to 8 threads for large inputs (each
 * incident's links do not depend on the thread that makes them); with a
 * feed, on the calling thread alone, in order, telling the feed. */
static int link_all(ctxprof_ctx *ctx, ctxprof_snap_result *res, const layer_index *x,
                    const ctxprof_incidents *inc, const ctxprof_snap_options *opts,
                    const ctxprof_snap_feed *feed)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    size_t n = inc->n;
    int nthreads = feed                  ? 1
                   : opts->threads > 0   ? opts->threads
                   : n >= 4 * LINK_CHUNK ? 0 /* one per processor */
                                         : 1;
    GEOSGeometry *probe = GEOSGeom_createPointFromXY_r(h, 0, 0);
    if (!probe)
        return ctxprof_error(ctx, CTXPROF_E_GEOM, "cannot make a point");
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        if (x[t].tree)
            GEOSSTRtree_query_r(h, x[t].tree, probe, cb_none, NULL);
    GEOSGeom_destroy_r(h, probe);

    link_job j = {.res = res, .inc = inc, .opts = opts, .x = x, .feed = feed};
    atomic_init(&j.n_no_position, 0);
    ctxprof_pool_options po = CTXPROF_POOL_OPTIONS_INIT;
    po.threads = nthreads;
    po.max_threads = 8;
    po.progress = "snapping";
    po.thread_init = link_thread_init;
    po.thread_free = link_thread_free;
    int rc = ctxprof_pool_run(ctx, (n + LINK_CHUNK - 1) / LINK_CHUNK, link_task, &j, &po);
    res->n_no_position = (int64_t)atomic_load(&j.n_no_position);
    return rc;
}

void ctxprof_snap_result_free(ctxprof_ctx *ctx, ctxprof_snap_result *res)
{
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        if (res->link)
            ctxprof_free(ctx, res->link[t]);
        if (res->dist)
            ctxprof_free(ctx, res->dist[t]);
        if (res->col_str)
            ctxprof_free(ctx, res->col_str[t]);
        if (!res->profile)
            continue;
        ctxprof_context_profile *p = &res->profile[t];
        ctxprof_free(ctx, p->n_total);
        ctxprof_free(ctx, p->n_cat);
        ctxprof_free(ctx, p->n_flag);
        ctxprof_free(ctx, p->n_people);
        ctxprof_free(ctx, p->rate);
        ctxprof_free(ctx, p->rank);
        ctxprof_free(ctx, p->rate_rank);
    }
    ctxprof_free(ctx, res->link);
    ctxprof_free(ctx, res->dist);
    ctxprof_free(ctx, res->col_str);
    ctxprof_free(ctx, res->profile);
    ctxprof_free(ctx, res->n_linked);
    ctxprof_free(ctx, res->columns);
    ctxprof_free(ctx, res->temporal);
    memset(res, 0, sizeof *res);
}

/* Incidents by pid, for interning. */
typedef struct {
    const char *pid;
    size_t i;
} pid_ref;

/* Sort helpers for ranks: a value with its feature index. */
typedef struct {
    double v;
    size_t i;
} ranked;

static int cmp_ranked_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Competition ranks (1, 2, 2, 4) of v, highest first; NaN gets INT64_MIN. */
static int rank_of(ctxprof_ctx *ctx, const double *v, size_t n, int64_t *rank)
{
    ranked *r = ctxprof_mallocarray(ctx, n ? n : 1, sizeof *r);
    if (!r)
        return CTXPROF_E_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        rank[i] = INT64_MIN;
        if (!isnan(v[i]))
            r[m++] = (ranked){v[i], i};
    }
    qsort(r, m, sizeof *r, cmp_ranked_desc);
    for (size_t k = 0; k < m; k++)
        rank[r[k].i] = k && r[k].v == r[k - 1].v ? rank[r[k - 1].i] : (int64_t)k + 1;
    ctxprof_free(ctx, r);
    return 0;
}

static int profile_layer(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                         const ctxprof_incidents *inc, const uint32_t *pid_id, uint32_t n_pids,
                         int t)
{
    const ctxprof_context_layer *l = &c->layer[t];
    ctxprof_context_profile *p = &res->profile[t];
    size_t n = l->n ? l->n : 1;
    const int32_t *link = res->link[t];
    p->n = l->n;
    if (!(p->n_total = ctxprof_calloc(ctx, n, sizeof *p->n_total)) ||
        !(p->n_cat = ctxprof_calloc(ctx, n, CTXPROF_N_CATEGORIES * sizeof *p->n_cat)) ||
        !(p->n_flag = ctxprof_calloc(ctx, n, CTXPROF_N_FLAGS * sizeof *p->n_flag)) ||
        !(p->n_people = ctxprof_calloc(ctx, n, sizeof *p->n_people)) ||
        !(p->rate = ctxprof_calloc(ctx, n, sizeof *p->rate)) ||
        !(p->rank = ctxprof_calloc(ctx, n, sizeof *p->rank)) ||
        !(p->rate_rank = ctxprof_calloc(ctx, n, sizeof *p->rate_rank)))
        return CTXPROF_E_NOMEM;
    for (size_t i = 0; i < inc->n; i++) {
        long f = link[i];
        if (f < 0)
            continue;
        p->n_total[f]++;
        for (uint32_t m = inc->cats[i], k = 0; m && k < CTXPROF_N_CATEGORIES; k++, m >>= 1)
            p->n_cat[(size_t)f * CTXPROF_N_CATEGORIES + k] += m & 1;
        for (uint32_t m = inc->flags[i], k = 0; m && k < CTXPROF_N_FLAGS; k++, m >>= 1)
            p->n_flag[(size_t)f * CTXPROF_N_FLAGS + k] += m & 1;
    }
    /* Distinct people per feature: the incidents with a pid grouped by
     * feature (a counting sort), each pid stamped with the last feature
     * that counted it. */
    size_t *start = ctxprof_calloc(ctx, n + 1, sizeof *start);
    uint32_t *by_f = ctxprof_mallocarray(ctx, inc->n ? inc->n : 1, sizeof *by_f);
    uint32_t *stamp = ctxprof_mallocarray(ctx, n_pids ? n_pids : 1, sizeof *stamp);
    if (!start || !by_f || !stamp) {
        ctxprof_free(ctx, start);
        ctxprof_free(ctx, by_f);
        ctxprof_free(ctx, stamp);
        return CTXPROF_E_NOMEM;
    }
    for (size_t i = 0; i < inc->n; i++)
        if (link[i] >= 0 && pid_id[i] != UINT32_MAX)
            start[(size_t)link[i] + 1]++;
    for (size_t f = 0; f < l->n; f++)
        start[f + 1] += start[f];
    for (size_t i = 0; i < inc->n; i++)
        if (link[i] >= 0 && pid_id[i] != UINT32_MAX)
            by_f[start[link[i]]++] = pid_id[i];
    for (uint32_t k = 0; k < n_pids; k++)
        stamp[k] = UINT32_MAX;
    for (size_t f = 0, k = 0; f < l->n; f++) /* start[f] is now the end of f's run */
        for (; k < start[f]; k++)
            if (stamp[by_f[k]] != (uint32_t)f) {
                stamp[by_f[k]] = (uint32_t)f;
                p->n_people[f]++;
            }
    ctxprof_free(ctx, start);
    ctxprof_free(ctx, by_f);
    ctxprof_free(ctx, stamp);
    double *tot = ctxprof_mallocarray(ctx, n, sizeof *tot);
    if (!tot)
        return CTXPROF_E_NOMEM;
    for (size_t f = 0; f < l->n; f++) {
        double m = l->measure[f];
        double per = l->measure_kind == CTXPROF_MEASURE_PUPILS ? m / 1000.0 : m;
        p->rate[f] = isnan(per) || per <= 0 ? NAN : (double)p->n_total[f] / per;
        tot[f] = (double)p->n_total[f];
    }
    int rc = rank_of(ctx, tot, l->n, p->rank);
    if (!rc)
        rc = rank_of(ctx, p->rate, l->n, p->rate_rank);
    ctxprof_free(ctx, tot);
    return rc;
}

static int temporal_table(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                          const ctxprof_incidents *inc, const int8_t *wday, const int8_t *hour)
{
    enum { CELLS = 7 * 25 };
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        const ctxprof_context_layer *l = &c->layer[t];
        if (!l->present || !l->n)
            continue;
        int64_t *cnt = ctxprof_calloc(ctx, l->n, CELLS * sizeof *cnt);
        if (!cnt)
            return CTXPROF_E_NOMEM;
        size_t nz = 0;
        for (size_t i = 0; i < inc->n; i++) {
            long f = res->link[t][i];
            if (f < 0 || wday[i] < 0)
                continue;
            int64_t *cell = &cnt[(size_t)f * CELLS + (size_t)wday[i] * 25 + (size_t)(hour[i] + 1)];
            nz += *cell == 0;
            (*cell)++;
        }
        size_t need = res->n_temporal + nz;
        ctxprof_temporal_cell *tc =
            ctxprof_reallocarray(ctx, res->temporal, need ? need : 1, sizeof *tc);
        if (!tc) {
            ctxprof_free(ctx, cnt);
            return CTXPROF_E_NOMEM;
        }
        res->temporal = tc;
        for (size_t f = 0; f < l->n; f++)
            for (int w = 0; w < 7; w++)
                for (int hh = -1; hh < 24; hh++) {
                    int64_t v = cnt[f * CELLS + (size_t)w * 25 + (size_t)(hh + 1)];
                    if (v)
                        res->temporal[res->n_temporal++] = (ctxprof_temporal_cell){
                            (uint8_t)t, (uint32_t)f, (int8_t)w, (int8_t)hh, v};
                }
        ctxprof_free(ctx, cnt);
    }
    return 0;
}

int ctxprof_snap_result_init(ctxprof_ctx *ctx, ctxprof_snap_result *res, size_t n)
{
    const size_t nt = ctxprof_n_context_types;
    memset(res, 0, sizeof *res);
    res->n = n;
    size_t m = n ? n : 1;
    int ok = (res->link = ctxprof_calloc(ctx, nt, sizeof *res->link)) &&
             (res->dist = ctxprof_calloc(ctx, nt, sizeof *res->dist)) &&
             (res->col_str = ctxprof_calloc(ctx, nt, sizeof *res->col_str)) &&
             (res->profile = ctxprof_calloc(ctx, nt, sizeof *res->profile)) &&
             (res->n_linked = ctxprof_calloc(ctx, nt, sizeof *res->n_linked)) &&
             (res->columns = ctxprof_calloc(ctx, 2 * nt, sizeof *res->columns));
    for (size_t t = 0; ok && t < nt; t++)
        ok = (res->link[t] = ctxprof_calloc(ctx, m, sizeof *res->link[t])) &&
             (res->col_str[t] = ctxprof_calloc(ctx, m, sizeof *res->col_str[t])) &&
             (!ctxprof_context_types[t].dist_column ||
              (res->dist[t] = ctxprof_calloc(ctx, m, sizeof *res->dist[t])));
    if (ok)
        return 0;
    ctxprof_snap_result_free(ctx, res);
    return CTXPROF_E_NOMEM;
}

int ctxprof_snap_link(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                      const ctxprof_incidents *inc, const ctxprof_snap_options *opts,
                      const ctxprof_snap_feed *feed)
{
    int rc = 0;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    ctxprof_snap_options def = CTXPROF_SNAP_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        if (!(ctxprof_snap_reach(opts, (int)t) >= 0))
            return ctxprof_error(ctx, CTXPROF_E_CONFIG, "[snap] %s must be 0 or more",
                                 ctxprof_context_types[t].reach_key);
    size_t n = inc->n;
    if (!res->link && (rc = ctxprof_snap_result_init(ctx, res, n)))
        return rc;
    layer_index *x = ctxprof_calloc(ctx, ctxprof_n_context_types, sizeof *x);
    if (!x)
        return CTXPROF_E_NOMEM;
    if (res->n != n)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "snap: %zu incidents, arrays for %zu", n,
                             res->n);
    double t0 = now_s();
    ctxprof_progress_push(ctx, 0.0, 0.05);
    for (size_t t = 0; t < ctxprof_n_context_types && !rc; t++)
        rc = index_build(ctx, &x[t], &c->layer[t], (int)t, ctxprof_snap_reach(opts, (int)t),
                         opts->no_grid);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    double t1 = now_s();
    res->seconds_index = t1 - t0;

    ctxprof_progress_push(ctx, 0.05, 1.0);
    rc = link_all(ctx, res, x, inc, opts, feed);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        for (size_t i = 0; i < n; i++)
            res->n_linked[t] += res->link[t][i] >= 0;
    res->seconds_snap = now_s() - t1;
done:
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        index_free(h, ctx, &x[t]);
    ctxprof_free(ctx, x);
    return rc;
}

int ctxprof_snap_profile(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                         const ctxprof_incidents *inc)
{
    int rc = 0;
    uint32_t *pid_id = NULL;
    pid_ref *order = NULL;
    int8_t *wday = NULL, *hour = NULL;
    size_t n = inc->n;
    double t2 = now_s();
    /* People: pids interned to small integers (UINT32_MAX for none). */
    if (!(pid_id = ctxprof_mallocarray(ctx, n ? n : 1, sizeof *pid_id)) ||
        !(order = ctxprof_mallocarray(ctx, n ? n : 1, sizeof *order)) ||
        !(wday = ctxprof_mallocarray(ctx, n ? n : 1, sizeof *wday)) ||
        !(hour = ctxprof_mallocarray(ctx, n ? n : 1, sizeof *hour))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        pid_id[i] = UINT32_MAX;
        if (inc->pid && inc->pid[i][0])
            order[m++] = (pid_ref){inc->pid[i], i};
        const ctxprof_datetime *w = inc->when ? &inc->when[i] : NULL;
        wday[i] = w && w->precision >= CTXPROF_PREC_DAY
                      ? (int8_t)ctxprof_weekday(w->year, w->month, w->day)
                      : -1;
        hour[i] = w && w->precision >= CTXPROF_PREC_MINUTE ? (int8_t)w->hour : -1;
    }
    /* Interned with an open-addressing hash table (slot: 1 + the first
     * incident with that pid), numbered in order of first appearance. */
    uint32_t next = 0;
    size_t cap = 16;
    while (cap < 2 * m)
        cap *= 2;
    size_t *slot = ctxprof_calloc(ctx, cap, sizeof *slot);
    if (!slot) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < m; k++) {
        const char *s = order[k].pid;
        uint64_t hsh = 1469598103934665603ull;
        for (const unsigned char *u = (const unsigned char *)s; *u; u++)
            hsh = (hsh ^ *u) * 1099511628211ull;
        size_t j = (size_t)(hsh ^ (hsh >> 29)) & (cap - 1);
        while (slot[j] && strcmp(inc->pid[slot[j] - 1], s) != 0)
            j = (j + 1) & (cap - 1);
        if (slot[j])
            pid_id[order[k].i] = pid_id[slot[j] - 1];
        else {
            slot[j] = order[k].i + 1;
            pid_id[order[k].i] = next++;
        }
    }
    ctxprof_free(ctx, slot);
    for (size_t t = 0; t < ctxprof_n_context_types && !rc; t++)
        if (c->layer[t].present)
            rc = profile_layer(ctx, res, c, inc, pid_id, next, (int)t);
    if (!rc)
        rc = temporal_table(ctx, res, c, inc, wday, hour);
    res->seconds_profile = now_s() - t2;
done:
    ctxprof_free(ctx, pid_id);
    ctxprof_free(ctx, order);
    ctxprof_free(ctx, wday);
    ctxprof_free(ctx, hour);
    return rc;
}

int ctxprof_snap_run(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                     const ctxprof_incidents *inc, const ctxprof_snap_options *opts)
{
    memset(res, 0, sizeof *res);
    ctxprof_progress_push(ctx, 0.0, 0.9);
    int rc = ctxprof_snap_link(ctx, res, c, inc, opts, NULL);
    ctxprof_progress_pop(ctx);
    if (!rc)
        rc = ctxprof_snap_profile(ctx, res, c, inc);
    if (!rc)
        rc = ctxprof_progress(ctx, 1.0, "snapped");
    if (rc)
        ctxprof_snap_result_free(ctx, res);
    return rc;
}

int ctxprof_snap_columns(ctxprof_ctx *ctx, ctxprof_snap_result *res, const ctxprof_contexts *c,
                         const ctxprof_extra_column **cols, size_t *n_cols)
{
    (void)ctx;
    size_t k = 0;
    ctxprof_extra_column *e = res->columns;
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        const ctxprof_context_type_def *d = &ctxprof_context_types[t];
        int none = !c->layer[t].present;
        e[k++] = (ctxprof_extra_column){d->id_column, res->col_str[t], NULL, NULL, none};
        if (d->dist_column)
            e[k++] = (ctxprof_extra_column){d->dist_column, NULL, NULL, res->dist[t], none};
    }
    res->n_columns = k;
    *cols = res->columns;
    *n_cols = k;
    return 0;
}
