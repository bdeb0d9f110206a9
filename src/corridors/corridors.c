/* Corridors: school pairs, shortest routes, buffers and incident counts. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gdal.h>
#include <ogr_api.h>

#include "core/layer.h"
#include "core/polygons.h"
#include "core/uri.h"
#include "corridors/corridors_internal.h"
#include "load/date.h"
#include "snap/contexts_internal.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void ctxprof_corridors_lines_free(ctxprof_ctx *ctx, GEOSGeometry **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lines[i])
            GEOSGeom_destroy_r(ctxprof_geos(ctx), lines[i]);
    ctxprof_free(ctx, lines);
}

int ctxprof_corridors_read_lines(ctxprof_ctx *ctx, GEOSGeometry ***lines_out, size_t *n_out,
                                 const char *uri, const char *crs)
{
    int rc = 0;
    ctxprof_layer rl;
    GEOSGeometry **lines = NULL;
    size_t n = 0, cap = 0;
    long skipped = 0;
    *lines_out = NULL;
    *n_out = 0;
    if ((rc = ctxprof_layer_open(ctx, &rl, uri, "road lines", crs, 1)))
        return rc;
    OGRLayerH l = rl.layer;
    OGRCoordinateTransformationH ct = rl.ct;
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        OGRwkbGeometryType t = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbUnknown;
        GEOSGeometry *gg = NULL;
        if (g && !OGR_G_IsEmpty(g) && (t == wkbLineString || t == wkbMultiLineString)) {
            OGRGeometryH c = OGR_G_Clone(g);
            OGR_G_FlattenTo2D(c);
            if (!ct || OGR_G_Transform(c, ct) == OGRERR_NONE)
                gg = ctxprof_geos_from_ogr(ctx, c);
            OGR_G_DestroyGeometry(c);
        }
        if (!gg) {
            skipped++;
            OGR_F_Destroy(f);
            continue;
        }
        OGR_F_Destroy(f);
        if ((rc = ctxprof_grow(ctx, (void **)&lines, &cap, n + 1, sizeof *lines))) {
            GEOSGeom_destroy_r(ctxprof_geos(ctx), gg);
            goto done;
        }
        lines[n++] = gg;
    }
    if (skipped)
        ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s: %ld road features are not lines and are not used",
                    uri, skipped);
    *lines_out = lines;
    *n_out = n;
    lines = NULL;
done:
    if (lines)
        ctxprof_corridors_lines_free(ctx, lines, n);
    ctxprof_layer_close(ctx, &rl);
    return rc;
}

void ctxprof_corridors_result_free(ctxprof_ctx *ctx, ctxprof_corridors_result *r)
{
    GEOSContextHandle_t gh = ctxprof_geos(ctx);
    for (size_t i = 0; i < r->n; i++) {
        if (r->id_a) {
            ctxprof_free(ctx, r->id_a[i]);
            ctxprof_free(ctx, r->id_b[i]);
            ctxprof_free(ctx, r->name_a[i]);
            ctxprof_free(ctx, r->name_b[i]);
        }
        if (r->route && r->route[i])
            GEOSGeom_destroy_r(gh, r->route[i]);
        if (r->polygon && r->polygon[i])
            GEOSGeom_destroy_r(gh, r->polygon[i]);
    }
    void *arrays[] = {r->id_a,        r->id_b,          r->name_a,          r->name_b, r->length_m,
                      r->network_m,   r->connector_a_m, r->connector_b_m,   r->route,  r->polygon,
                      r->n_incidents, r->n_cat,         r->n_school_travel, r->per_km, r->rank,
                      r->rank_per_km};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        ctxprof_free(ctx, arrays[i]);
    memset(r, 0, sizeof *r);
}

/* The schools taking part: phase in the list (or every school). */
static int phase_listed(const char *phases, const char *phase)
{
    if (!phases || !*phases || strcasecmp(phases, "all") == 0)
        return 1;
    if (!phase)
        return 0;
    size_t pl = strlen(phase);
    const char *s = phases;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t len = strcspn(s, ",");
        size_t l2 = len;
        while (l2 && s[l2 - 1] == ' ')
            l2--;
        if (l2 && l2 == pl && strncasecmp(s, phase, pl) == 0)
            return 1;
        s += len;
    }
    return 0;
}

typedef struct {
    long a, b; /* school indices, a < b */
} pair;

static int cmp_pair(const void *x, const void *y)
{
    const pair *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

static int add_pair(ctxprof_ctx *ctx, pair **pairs, size_t *n, size_t *cap, long a, long b)
{
    int rc = ctxprof_grow(ctx, (void **)pairs, cap, *n + 1, sizeof **pairs);
    if (rc)
        return rc;
    (*pairs)[(*n)++] = (pair){a < b ? a : b, a < b ? b : a};
    return 0;
}

/* Pairs from a CSV: the columns school_a and school_b, or else the first two. */
static int read_pairs_csv(ctxprof_ctx *ctx, const char *csv, const ctxprof_context_layer *schools,
                          pair **pairs, size_t *n, size_t *cap)
{
    int rc = 0;
    const char *const oo[] = {"AUTODETECT_TYPE=NO", NULL};
    const char *const drv[] = {"CSV", NULL};
    GDALDatasetH ds = GDALOpenEx(csv, GDAL_OF_VECTOR | GDAL_OF_READONLY, drv, oo, NULL);
    if (!ds) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, csv, 0, NULL, "cannot read the school pairs");
        ctxprof_error_append_lib(ctx);
        return rc;
    }
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int fa = OGR_FD_GetFieldIndex(d, "school_a"), fb = OGR_FD_GetFieldIndex(d, "school_b");
    if (fa < 0 || fb < 0) {
        if (OGR_FD_GetFieldCount(d) < 2) {
            GDALClose(ds);
            return ctxprof_error_at(ctx, CTXPROF_E_INPUT, csv, 0, NULL,
                                    "needs two columns of school ids (school_a, school_b)");
        }
        fa = 0;
        fb = 1;
    }
    OGRFeatureH f;
    long row = 1;
    while (!rc && (f = OGR_L_GetNextFeature(l))) {
        row++;
        const char *sa = OGR_F_GetFieldAsString(f, fa), *sb = OGR_F_GetFieldAsString(f, fb);
        long a = ctxprof_context_find(schools, sa), b = ctxprof_context_find(schools, sb);
        if (a < 0 || b < 0)
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, csv, row, a < 0 ? "school_a" : "school_b",
                                  "no school with id '%s'", a < 0 ? sa : sb);
        else if (a == b)
            ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s row %ld: a school paired with itself; skipped",
                        csv, row);
        else
            rc = add_pair(ctx, pairs, n, cap, a, b);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return rc;
}

typedef struct {
    size_t *hits;
    size_t n, cap;
    ctxprof_ctx *ctx;
    int failed;
} hit_list;

static void collect_hit(void *item, void *payload)
{
    hit_list *h = payload;
    if (ctxprof_grow(h->ctx, (void **)&h->hits, &h->cap, h->n + 1, sizeof *h->hits)) {
        h->failed = 1;
        return;
    }
    h->hits[h->n++] = (size_t)(uintptr_t)item - 1;
}

/* Counts every incident in each corridor polygon that covers it. */
static int count_incidents(ctxprof_ctx *ctx, ctxprof_corridors_result *r,
                           const ctxprof_incidents *inc, const ctxprof_corridors_options *o)
{
    GEOSContextHandle_t gh = ctxprof_geos(ctx);
    int rc = 0;
    GEOSSTRtree *tree = GEOSSTRtree_create_r(gh, 10);
    const GEOSPreparedGeometry **prep = ctxprof_calloc(ctx, r->n ? r->n : 1, sizeof *prep);
    hit_list h = {NULL, 0, 0, ctx, 0};
    if (!tree || !prep) {
        rc = tree ? CTXPROF_E_NOMEM : ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: no STRtree");
        goto done;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (!(prep[i] = GEOSPrepare_r(gh, r->polygon[i]))) {
            rc =
                ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: cannot prepare corridor %zu", i + 1);
            goto done;
        }
        GEOSSTRtree_insert_r(gh, tree, r->polygon[i], (void *)(uintptr_t)(i + 1));
    }
    for (size_t j = 0; inc && j < inc->n && r->n; j++) {
        if (!isfinite(inc->x[j]) || !isfinite(inc->y[j]))
            continue;
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gh, inc->x[j], inc->y[j]);
        if (!pt) {
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: cannot make a point");
            goto done;
        }
        h.n = 0;
        GEOSSTRtree_query_r(gh, tree, pt, collect_hit, &h);
        int school = -1, counted = 0;
        for (size_t k = 0; k < h.n; k++) {
            size_t c = h.hits[k];
            if (GEOSPreparedIntersects_r(gh, prep[c], pt) != 1)
                continue;
            counted = 1;
            r->n_incidents[c]++;
            for (int b = 0; b < CTXPROF_N_CATEGORIES; b++)
                if (inc->cats[j] & (1u << b))
                    r->n_cat[c * CTXPROF_N_CATEGORIES + (size_t)b]++;
            if (school < 0)
                school = inc->when ? ctxprof_corridors_is_school_travel(o, &inc->when[j]) : 0;
            r->n_school_travel[c] += school;
        }
        r->n_counted += counted;
        GEOSGeom_destroy_r(gh, pt);
        if (h.failed) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        if ((j & 16383) == 16383 &&
            (rc = ctxprof_progress(ctx, 0.8 + 0.2 * (double)j / (double)inc->n,
                                   "counting incidents in corridors")))
            goto done;
    }
done:
    for (size_t i = 0; prep && i < r->n; i++)
        if (prep[i])
            GEOSPreparedGeom_destroy_r(gh, prep[i]);
    ctxprof_free(ctx, prep);
    if (tree)
        GEOSSTRtree_destroy_r(gh, tree);
    ctxprof_free(ctx, h.hits);
    return rc;
}

/* Ranks, 1 = largest; ties share the best rank. */
static void rank_desc(const double *v, int64_t *rank, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t above = 0;
        for (size_t j = 0; j < n; j++)
            above += v[j] > v[i];
        rank[i] = above + 1;
    }
}

/* The route of one pair: connector a, network path, connector b. */
static GEOSGeometry *route_line(GEOSContextHandle_t gh, double ax, double ay, double bx, double by,
                                const double *nx, const double *ny, const igraph_vector_int_t *path)
{
    igraph_integer_t nv = path ? igraph_vector_int_size(path) : 0;
    unsigned n = (unsigned)nv + 2, k = 0;
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(gh, n, 2);
    if (!cs)
        return NULL;
    GEOSCoordSeq_setXY_r(gh, cs, k++, ax, ay);
    for (igraph_integer_t i = 0; i < nv; i++)
        GEOSCoordSeq_setXY_r(gh, cs, k++, nx[VECTOR(*path)[i]], ny[VECTOR(*path)[i]]);
    GEOSCoordSeq_setXY_r(gh, cs, k++, bx, by);
    return GEOSGeom_createLineString_r(gh, cs);
}

/* Network distances from each school to the others, for the k-nearest
 * pairing: one Dijkstra per distinct school node over a CSR copy of the
 * graph (undirected, the edge weights), with a binary heap, stopping once
 * every school node is settled or the distance passes the cut-off. The
 * distances are those of any exact Dijkstra (each is the minimum over the
 * relaxations d[u] + w in the same floating-point sums); unreached or
 * beyond the cut-off: INFINITY. d is n_cols x n_cols, row = source column. */
typedef struct {
    double d;
    int32_t v;
} heap_item;

static void heap_push(heap_item *h, size_t *n, double d, int32_t v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].d <= d)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = (heap_item){d, v};
}

static heap_item heap_pop(heap_item *h, size_t *n)
{
    heap_item top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1].d < h[c].d)
            c++;
        if (h[c].d >= last.d)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

int ctxprof_corridors_school_distances(ctxprof_ctx *ctx, const igraph_t *g,
                                       const igraph_vector_t *w, const long *col_node,
                                       size_t n_cols, const double *cutoff, double *d,
                                       const ctxprof_school_stop *stop)
{
    igraph_integer_t nv = igraph_vcount(g), ne = igraph_ecount(g);
    int rc = 0;
    size_t *off = ctxprof_calloc(ctx, (size_t)nv + 1, sizeof *off);
    int32_t *adj = ctxprof_mallocarray(ctx, (size_t)(2 * ne + 1), sizeof *adj);
    double *wt = ctxprof_mallocarray(ctx, (size_t)(2 * ne + 1), sizeof *wt);
    double *dist = ctxprof_mallocarray(ctx, (size_t)(nv ? nv : 1), sizeof *dist);
    int32_t *col_of = ctxprof_mallocarray(ctx, (size_t)(nv ? nv : 1), sizeof *col_of);
    heap_item *heap = ctxprof_mallocarray(ctx, (size_t)(2 * ne + 2), sizeof *heap);
    int32_t *touched = ctxprof_mallocarray(ctx, (size_t)(nv ? nv : 1), sizeof *touched);
    /* stop: the schools of each column (CSR), their smallest connector, and
     * the best keys (distance + partner's connector) seen in a search */
    size_t ns = stop && stop->k ? stop->n_schools : 0;
    size_t *s_off = ns ? ctxprof_calloc(ctx, n_cols + 1, sizeof *s_off) : NULL;
    size_t *s_idx = ns ? ctxprof_mallocarray(ctx, ns, sizeof *s_idx) : NULL;
    double *best = ns ? ctxprof_mallocarray(ctx, ns + 1, sizeof *best) : NULL;
    double min_conn = INFINITY;
    igraph_vector_int_t el;
    int have_el = 0;
    if (!off || !adj || !wt || !dist || !col_of || !heap || !touched ||
        (ns && (!s_off || !s_idx || !best))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < ns; i++) {
        s_off[stop->col[i] + 1]++;
        min_conn = fmin(min_conn, stop->conn[i]);
    }
    for (size_t c = 0; c < n_cols && ns; c++)
        s_off[c + 1] += s_off[c];
    if (ns) {
        size_t *pos = ctxprof_mallocarray(ctx, n_cols + 1, sizeof *pos);
        if (!pos) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        memcpy(pos, s_off, (n_cols + 1) * sizeof *pos);
        for (size_t i = 0; i < ns; i++)
            s_idx[pos[stop->col[i]]++] = i;
        ctxprof_free(ctx, pos);
    }
    if (igraph_vector_int_init(&el, 0) || (have_el = 1, igraph_get_edgelist(g, &el, 0))) {
        rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL, "corridors: cannot read the network's edges");
        goto done;
    }
    for (igraph_integer_t e = 0; e < ne; e++) {
        off[VECTOR(el)[2 * e] + 1]++;
        off[VECTOR(el)[2 * e + 1] + 1]++;
    }
    for (igraph_integer_t v = 0; v < nv; v++)
        off[v + 1] += off[v];
    {
        size_t *pos = ctxprof_mallocarray(ctx, (size_t)(nv ? nv : 1), sizeof *pos);
        if (!pos) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        memcpy(pos, off, (size_t)nv * sizeof *pos);
        /* in edge order, as igraph's incidence lists are */
        for (igraph_integer_t e = 0; e < ne; e++) {
            igraph_integer_t a = VECTOR(el)[2 * e], b = VECTOR(el)[2 * e + 1];
            double we = VECTOR(*w)[e];
            adj[pos[a]] = (int32_t)b;
            wt[pos[a]++] = we;
            adj[pos[b]] = (int32_t)a;
            wt[pos[b]++] = we;
        }
        ctxprof_free(ctx, pos);
    }
    for (igraph_integer_t v = 0; v < nv; v++) {
        dist[v] = INFINITY;
        col_of[v] = -1;
    }
    for (size_t c = 0; c < n_cols; c++)
        col_of[col_node[c]] = (int32_t)c;
    for (size_t c = 0; c < n_cols && !rc; c++) {
        double *row = d + c * n_cols;
        for (size_t j = 0; j < n_cols; j++)
            row[j] = INFINITY;
        size_t nh = 0, nt = 0, settled = 0, nb = 0;
        /* the (k + schools at the source)-th best key ends the search */
        size_t keep = ns ? stop->k + (s_off[c + 1] - s_off[c]) : 0;
        double bound = INFINITY;
        int32_t src = (int32_t)col_node[c];
        dist[src] = 0;
        touched[nt++] = src;
        heap_push(heap, &nh, 0, src);
        while (nh) {
            heap_item it = heap_pop(heap, &nh);
            if (it.d > dist[it.v])
                continue; /* stale */
            if (it.d > cutoff[c] || it.d > bound)
                break;
            if (col_of[it.v] >= 0 && !isfinite(row[col_of[it.v]])) {
                int32_t cv = col_of[it.v];
                row[cv] = it.d;
                if (++settled == n_cols)
                    break;
                for (size_t q = ns ? s_off[cv] : 0; q < (ns ? s_off[cv + 1] : 0); q++) {
                    double key = it.d + stop->conn[s_idx[q]];
                    if (nb == keep && key >= best[nb - 1])
                        continue;
                    size_t p = nb < keep ? nb++ : nb - 1;
                    while (p > 0 && best[p - 1] > key)
                        best[p] = best[p - 1], p--;
                    best[p] = key;
                }
                /* a school reached later has distance > bound, so a key
                 * > best[keep - 1]: it cannot be among the k nearest */
                if (ns && nb == keep)
                    bound = best[keep - 1] - min_conn;
            }
            for (size_t k = off[it.v]; k < off[it.v + 1]; k++) {
                double nd = it.d + wt[k];
                int32_t u = adj[k];
                if (nd < dist[u]) {
                    if (!isfinite(dist[u]))
                        touched[nt++] = u;
                    dist[u] = nd;
                    heap_push(heap, &nh, nd, u);
                }
            }
        }
        for (size_t t = 0; t < nt; t++)
            dist[touched[t]] = INFINITY;
        if ((c & 15) == 15)
            rc = ctxprof_progress(ctx, 0.3 + 0.15 * (double)c / (double)n_cols, "pairing schools");
    }
done:
    if (have_el)
        igraph_vector_int_destroy(&el);
    ctxprof_free(ctx, off);
    ctxprof_free(ctx, adj);
    ctxprof_free(ctx, wt);
    ctxprof_free(ctx, dist);
    ctxprof_free(ctx, col_of);
    ctxprof_free(ctx, heap);
    ctxprof_free(ctx, touched);
    ctxprof_free(ctx, s_off);
    ctxprof_free(ctx, s_idx);
    ctxprof_free(ctx, best);
    return rc;
}

int ctxprof_corridors_compute(ctxprof_ctx *ctx, ctxprof_corridors_result *r,
                              GEOSGeometry *const *lines, size_t n_lines,
                              const ctxprof_context_layer *schools, const ctxprof_incidents *inc,
                              const ctxprof_corridors_options *o)
{
    GEOSContextHandle_t gh = ctxprof_geos(ctx);
    int rc = 0;
    ctxprof_network *net = NULL;
    long *node = NULL, *sel = NULL, *tcol = NULL;
    double *conn = NULL, *sx = NULL, *sy = NULL;
    pair *pairs = NULL;
    size_t n_pairs = 0, cap_pairs = 0, n_sel = 0;
    igraph_vector_int_list_t paths, epaths;
    igraph_vector_int_t targets;
    int have_paths = 0, have_targets = 0;
    memset(r, 0, sizeof *r);
    igraph_set_error_handler(igraph_error_handler_ignore);
    igraph_set_warning_handler(
        igraph_warning_handler_ignore); /* unreachable pairs are warned about here */
    double t0 = now_s();
    if (!schools || !schools->present || schools->n == 0) {
        ctxprof_log(ctx, CTXPROF_LOG_INFO, "corridors: no schools, so no corridors");
        return 0;
    }
    if ((rc = ctxprof_network_build(ctx, &net, lines, n_lines, o->snap_tolerance_m)))
        goto done;
    r->n_lines = n_lines;
    r->n_nodes = ctxprof_network_n_nodes(net);
    r->n_edges = ctxprof_network_n_edges(net);
    double t1 = now_s();
    r->seconds_network = t1 - t0;
    if ((rc = ctxprof_progress(ctx, 0.3, "corridor network built")))
        goto done;

    size_t ns = schools->n;
    node = ctxprof_mallocarray(ctx, ns, sizeof *node);
    sel = ctxprof_mallocarray(ctx, ns, sizeof *sel);
    conn = ctxprof_mallocarray(ctx, ns, sizeof *conn);
    sx = ctxprof_mallocarray(ctx, ns, sizeof *sx);
    sy = ctxprof_mallocarray(ctx, ns, sizeof *sy);
    if (!node || !sel || !conn || !sx || !sy) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    const char **phase = NULL;
    for (size_t a = 0; a < schools->n_attrs; a++)
        if (strcasecmp(schools->attrs[a].name, "phase") == 0)
            phase = (const char **)schools->attrs[a].value;
    if (!phase && o->phases && *o->phases && strcasecmp(o->phases, "all") != 0 && !o->pairs)
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "corridors: the schools have no phase column; every school is paired");
    for (size_t i = 0; i < ns; i++) {
        /* A school's position: its point, or a point on its site polygon. */
        GEOSGeometry *pt = NULL;
        const GEOSGeometry *g = schools->geom[i];
        if (GEOSGeomTypeId_r(gh, g) != GEOS_POINT)
            g = pt = GEOSPointOnSurface_r(gh, g);
        if (!g || GEOSGeomGetX_r(gh, g, &sx[i]) != 1 || GEOSGeomGetY_r(gh, g, &sy[i]) != 1) {
            if (pt)
                GEOSGeom_destroy_r(gh, pt);
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "corridors: school '%s' has no position",
                               schools->id[i]);
            goto done;
        }
        if (pt)
            GEOSGeom_destroy_r(gh, pt);
        node[i] = ctxprof_network_nearest(net, sx[i], sy[i], &conn[i]);
        if (!o->pairs && (!phase || phase_listed(o->phases, phase[i])) && node[i] >= 0)
            sel[n_sel++] = (long)i;
    }
    if (r->n_nodes == 0) {
        ctxprof_log(ctx, CTXPROF_LOG_INFO, "corridors: the network is empty, so no corridors");
        goto done;
    }
    const igraph_vector_t *w;
    const double *nx, *ny;
    const igraph_t *g = ctxprof_network_graph(net, &w, &nx, &ny);

    if (o->pairs) {
        if ((rc = read_pairs_csv(ctx, o->pairs, schools, &pairs, &n_pairs, &cap_pairs)))
            goto done;
        char *used = ctxprof_calloc(ctx, ns, 1);
        if (!used) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < n_pairs; i++)
            used[pairs[i].a] = used[pairs[i].b] = 1;
        for (size_t i = 0; i < ns; i++)
            n_sel += used[i];
        ctxprof_free(ctx, used);
    } else if (n_sel > 1) {
        /* Network distances between the chosen schools' nodes, one Dijkstra
         * per school, cut off at max_dist_m. */
        /* igraph refuses repeated targets: schools sharing a node share a column. */
        igraph_vector_int_init(&targets, 0);
        have_targets = 1;
        long *col = ctxprof_mallocarray(ctx, n_sel, sizeof *col);
        if (!col) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < n_sel; i++) {
            col[i] = -1;
            for (size_t j = 0; j < i && col[i] < 0; j++)
                if (node[sel[j]] == node[sel[i]])
                    col[i] = col[j];
            if (col[i] < 0) {
                col[i] = (long)igraph_vector_int_size(&targets);
                igraph_vector_int_push_back(&targets, node[sel[i]]);
            }
        }
        size_t n_cols = (size_t)igraph_vector_int_size(&targets);
        double *cand = ctxprof_mallocarray(ctx, n_sel, sizeof *cand);
        long *cidx = ctxprof_mallocarray(ctx, n_sel, sizeof *cidx);
        long *col_node = ctxprof_mallocarray(ctx, n_cols, sizeof *col_node);
        double *cut = ctxprof_mallocarray(ctx, n_cols, sizeof *cut);
        double *dmat = ctxprof_mallocarray(ctx, ctxprof_size_mul(n_cols, n_cols), sizeof *dmat);
        if (!cand || !cidx || !col_node || !cut || !dmat) {
            ctxprof_free(ctx, cand);
            ctxprof_free(ctx, cidx);
            ctxprof_free(ctx, col);
            ctxprof_free(ctx, col_node);
            ctxprof_free(ctx, cut);
            ctxprof_free(ctx, dmat);
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        /* A source need not search past max_dist_m less its shortest
         * connector: no partner farther than that can be within max_dist_m. */
        for (size_t c = 0; c < n_cols; c++) {
            col_node[c] = (long)VECTOR(targets)[c];
            cut[c] = -INFINITY;
        }
        for (size_t i = 0; i < n_sel; i++)
            cut[col[i]] = fmax(cut[col[i]], o->max_dist_m - conn[sel[i]]);
        ctxprof_school_stop stop = {o->k > 0 ? (size_t)o->k : 0, n_sel, col, NULL};
        double *sconn = ctxprof_mallocarray(ctx, n_sel, sizeof *sconn);
        if (!sconn)
            rc = CTXPROF_E_NOMEM;
        for (size_t i = 0; i < n_sel && sconn; i++)
            sconn[i] = conn[sel[i]];
        stop.conn = sconn;
        if (!rc)
            rc = ctxprof_corridors_school_distances(ctx, g, w, col_node, n_cols, cut, dmat, &stop);
        ctxprof_free(ctx, sconn);
        ctxprof_free(ctx, col_node);
        ctxprof_free(ctx, cut);
        for (size_t i = 0; i < n_sel && !rc; i++) {
            long si = sel[i];
            size_t nc = 0;
            for (size_t j = 0; j < n_sel; j++) {
                long sj = sel[j];
                double d = dmat[(size_t)col[i] * n_cols + (size_t)col[j]];
                if (sj == si || !isfinite(d))
                    continue;
                d += conn[si] + conn[sj];
                if (d > o->max_dist_m)
                    continue;
                /* insertion into the sorted candidates (ties: layer order) */
                size_t p = nc++;
                while (p > 0 && cand[p - 1] > d)
                    cand[p] = cand[p - 1], cidx[p] = cidx[p - 1], p--;
                cand[p] = d;
                cidx[p] = sj;
            }
            size_t take = o->k > 0 && (size_t)o->k < nc ? (size_t)o->k : nc;
            for (size_t j = 0; j < take && !rc; j++)
                rc = add_pair(ctx, &pairs, &n_pairs, &cap_pairs, si, cidx[j]);
            if (!rc && (i & 15) == 15)
                rc =
                    ctxprof_progress(ctx, 0.3 + 0.2 * (double)i / (double)n_sel, "pairing schools");
        }
        ctxprof_free(ctx, cand);
        ctxprof_free(ctx, cidx);
        ctxprof_free(ctx, col);
        ctxprof_free(ctx, dmat);
        if (rc)
            goto done;
    }
    r->n_schools = n_sel;
    /* Unique pairs, a < b. */
    if (n_pairs)
        qsort(pairs, n_pairs, sizeof *pairs, cmp_pair);
    size_t u = 0;
    for (size_t i = 0; i < n_pairs; i++)
        if (u == 0 || cmp_pair(&pairs[u - 1], &pairs[i]))
            pairs[u++] = pairs[i];
    n_pairs = u;
    double t2 = now_s();
    r->seconds_pairs = t2 - t1;

    size_t m = n_pairs ? n_pairs : 1;
#define ALLOC(f) (r->f = ctxprof_calloc(ctx, m, sizeof *r->f))
    if (!ALLOC(id_a) || !ALLOC(id_b) || !ALLOC(name_a) || !ALLOC(name_b) || !ALLOC(length_m) ||
        !ALLOC(network_m) || !ALLOC(connector_a_m) || !ALLOC(connector_b_m) || !ALLOC(route) ||
        !ALLOC(polygon) || !ALLOC(n_incidents) || !ALLOC(n_school_travel) || !ALLOC(per_km) ||
        !ALLOC(rank) || !ALLOC(rank_per_km) ||
        !(r->n_cat = ctxprof_calloc(ctx, m, CTXPROF_N_CATEGORIES * sizeof *r->n_cat))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
#undef ALLOC
    /* Routes: one Dijkstra per first school to all its partners. */
    if (!(tcol = ctxprof_mallocarray(ctx, m, sizeof *tcol))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    igraph_vector_int_list_init(&paths, 0);
    igraph_vector_int_list_init(&epaths, 0);
    have_paths = 1;
    if (!have_targets) {
        igraph_vector_int_init(&targets, 0);
        have_targets = 1;
    }
    for (size_t i = 0; i < n_pairs;) {
        size_t j = i;
        while (j < n_pairs && pairs[j].a == pairs[i].a)
            j++;
        long a = pairs[i].a;
        /* distinct target nodes; tcol[q - i] is pair q's path */
        igraph_vector_int_clear(&targets);
        for (size_t q = i; q < j; q++) {
            igraph_integer_t t = 0, nt = igraph_vector_int_size(&targets);
            while (t < nt && VECTOR(targets)[t] != node[pairs[q].b])
                t++;
            if (t == nt)
                igraph_vector_int_push_back(&targets, node[pairs[q].b]);
            tcol[q - i] = (long)t;
        }
        if (igraph_get_shortest_paths_dijkstra(g, &paths, &epaths, node[a],
                                               igraph_vss_vector(&targets), w, IGRAPH_ALL, NULL,
                                               NULL) != IGRAPH_SUCCESS) {
            rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL, "corridors: igraph shortest paths failed");
            goto done;
        }
        for (size_t q = i; q < j; q++) {
            long b = pairs[q].b;
            igraph_vector_int_t *pv = igraph_vector_int_list_get_ptr(&paths, tcol[q - i]);
            igraph_integer_t nv = igraph_vector_int_size(pv);
            if (node[a] != node[b] && nv < 2) {
                ctxprof_log(ctx, CTXPROF_LOG_WARN,
                            "corridors: no route between schools '%s' and '%s' (network not "
                            "connected); pair skipped",
                            schools->id[a], schools->id[b]);
                r->n_unreachable++;
                continue;
            }
            igraph_vector_int_t *pe = igraph_vector_int_list_get_ptr(&epaths, tcol[q - i]);
            double d = 0;
            for (igraph_integer_t e = 0; e < igraph_vector_int_size(pe); e++)
                d += VECTOR(*w)[VECTOR(*pe)[e]];
            size_t c = r->n;
            r->network_m[c] = d;
            r->connector_a_m[c] = conn[a];
            r->connector_b_m[c] = conn[b];
            r->length_m[c] = conn[a] + d + conn[b];
            if (!(r->id_a[c] = ctxprof_strdup(ctx, schools->id[a])) ||
                !(r->id_b[c] = ctxprof_strdup(ctx, schools->id[b])) ||
                (schools->name && schools->name[a] &&
                 !(r->name_a[c] = ctxprof_strdup(ctx, schools->name[a]))) ||
                (schools->name && schools->name[b] &&
                 !(r->name_b[c] = ctxprof_strdup(ctx, schools->name[b])))) {
                rc = CTXPROF_E_NOMEM;
                r->n++;
                goto done;
            }
            r->route[c] =
                route_line(gh, sx[a], sy[a], sx[b], sy[b], nx, ny, node[a] == node[b] ? NULL : pv);
            r->polygon[c] =
                r->route[c] ? GEOSBuffer_r(gh, r->route[c], o->corridor_width_m / 2, 8) : NULL;
            r->n++;
            if (!r->route[c] || !r->polygon[c]) {
                rc = ctxprof_error(ctx, CTXPROF_E_GEOM,
                                   "corridors: cannot make the corridor of schools '%s' and '%s'",
                                   schools->id[a], schools->id[b]);
                goto done;
            }
        }
        i = j;
        if ((rc = ctxprof_progress(ctx, 0.5 + 0.3 * (double)i / (double)n_pairs, "routing")))
            goto done;
    }
    double t3 = now_s();
    r->seconds_routes = t3 - t2;
    if ((rc = count_incidents(ctx, r, inc, o)))
        goto done;
    for (size_t c = 0; c < r->n; c++)
        r->per_km[c] =
            r->length_m[c] > 0 ? (double)r->n_incidents[c] / (r->length_m[c] / 1000.0) : 0.0;
    double *v = ctxprof_mallocarray(ctx, r->n ? r->n : 1, sizeof *v);
    if (!v) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    /* School travel first, then all incidents: n_incidents is below 2^53. */
    for (size_t c = 0; c < r->n; c++)
        v[c] = o->rank_by == CTXPROF_RANK_PER_KM ? r->per_km[c]
               : o->rank_by == CTXPROF_RANK_INCIDENTS
                   ? (double)r->n_incidents[c]
                   : (double)r->n_school_travel[c] * 1e7 + (double)r->n_incidents[c];
    rank_desc(v, r->rank, r->n);
    rank_desc(r->per_km, r->rank_per_km, r->n);
    ctxprof_free(ctx, v);
    r->seconds_count = now_s() - t3;
done:
    if (have_paths) {
        igraph_vector_int_list_destroy(&paths);
        igraph_vector_int_list_destroy(&epaths);
    }
    if (have_targets)
        igraph_vector_int_destroy(&targets);
    ctxprof_network_free(ctx, net);
    ctxprof_free(ctx, node);
    ctxprof_free(ctx, sel);
    ctxprof_free(ctx, tcol);
    ctxprof_free(ctx, conn);
    ctxprof_free(ctx, sx);
    ctxprof_free(ctx, sy);
    ctxprof_free(ctx, pairs);
    if (rc)
        ctxprof_corridors_result_free(ctx, r);
    return rc;
}

int ctxprof_corridors_run(ctxprof_ctx *ctx, ctxprof_corridors_result *res,
                          const ctxprof_contexts *c, const ctxprof_incidents *inc,
                          const ctxprof_corridors_options *o)
{
    int rc = 0;
    GEOSGeometry **roads = NULL, **lines = NULL;
    size_t n_roads = 0, n = 0;
    memset(res, 0, sizeof *res);
    const char *uri = o->roads;
    if (o->use_roads && uri &&
        (rc = ctxprof_corridors_read_lines(ctx, &roads, &n_roads, uri, c->crs)))
        return rc;
    const ctxprof_context_layer *bus = &c->layer[CTXPROF_CTX_BUS_SEGMENTS];
    size_t n_bus = o->use_bus && bus->present ? bus->n : 0;
    if (!(lines = ctxprof_mallocarray(ctx, n_roads + n_bus + 1, sizeof *lines))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n_bus; i++)
        lines[n++] = bus->geom[i];
    for (size_t i = 0; i < n_roads; i++)
        lines[n++] = roads[i];
    if (n == 0)
        ctxprof_log(ctx,
                    c->layer[CTXPROF_CTX_SCHOOLS].present ? CTXPROF_LOG_WARN : CTXPROF_LOG_INFO,
                    "corridors: no network lines (give [contexts] roads or bus segments)");
    rc = ctxprof_corridors_compute(ctx, res, lines, n, &c->layer[CTXPROF_CTX_SCHOOLS], inc, o);
done:
    ctxprof_free(ctx, lines);
    ctxprof_corridors_lines_free(ctx, roads, n_roads);
    return rc;
}
