/* Nearest-school catchments: Voronoi cells of the schools, clipped. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "snap/contexts.h"
#include "snap/contexts_internal.h"

typedef struct {
    GEOSContextHandle_t h;
    const GEOSGeometry *cell;
    GEOSGeometry *const *pts;
    long found;
} cell_query;

static void cell_cb(void *item, void *userdata)
{
    cell_query *q = userdata;
    size_t i = (size_t)(uintptr_t)item - 1;
    if ((q->found < 0 || (long)i < q->found) && GEOSIntersects_r(q->h, q->cell, q->pts[i]) == 1)
        q->found = (long)i;
}

int ctxprof_contexts_derive_catchments(ctxprof_ctx *ctx, ctxprof_contexts *c)
{
    int rc = 0;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    const ctxprof_context_layer *s = &c->layer[CTXPROF_CTX_SCHOOLS];
    ctxprof_context_layer *l = &c->layer[CTXPROF_CTX_CATCHMENTS];
    GEOSGeometry **pts = NULL, *mp = NULL, *diagram = NULL, *clip_own = NULL;
    GEOSSTRtree *tree = NULL;
    long *cell_of = NULL; /* school -> its cell's index in the diagram, -1 none */
    size_t cap = 0;
    const GEOSGeometry *clip = c->study_area;
    ctxprof_context_layer_clear(ctx, l);
    if (!s->n)
        return 0;
    if (!(pts = ctxprof_calloc(ctx, s->n, sizeof *pts)) ||
        !(cell_of = ctxprof_mallocarray(ctx, s->n, sizeof *cell_of))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < s->n; i++) {
        cell_of[i] = -1;
        pts[i] = GEOSGeomTypeId_r(h, s->geom[i]) == GEOS_POINT
                     ? GEOSGeom_clone_r(h, s->geom[i])
                     : GEOSPointOnSurface_r(h, s->geom[i]);
        if (!pts[i]) {
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "schools: no point for school %s", s->id[i]);
            goto done;
        }
    }
    if (!clip && c->layer[CTXPROF_CTX_AREAS].present && c->layer[CTXPROF_CTX_AREAS].n) {
        const ctxprof_context_layer *a = &c->layer[CTXPROF_CTX_AREAS];
        GEOSGeometry **cl = ctxprof_mallocarray(ctx, a->n, sizeof *cl);
        if (!cl) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < a->n; i++)
            cl[i] = GEOSGeom_clone_r(h, a->geom[i]);
        GEOSGeometry *coll =
            GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, cl, (unsigned)a->n);
        ctxprof_free(ctx, cl);
        clip = clip_own = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (coll)
            GEOSGeom_destroy_r(h, coll);
    }
    {
        /* The multipoint copies the points; pts stay ours. */
        GEOSGeometry **cp = ctxprof_mallocarray(ctx, s->n, sizeof *cp);
        if (!cp) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < s->n; i++)
            cp[i] = GEOSGeom_clone_r(h, pts[i]);
        mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, cp, (unsigned)s->n);
        ctxprof_free(ctx, cp);
    }
    if (!clip) {
        /* Neither a study area nor areas: the schools' extent grown by 10%. */
        double x0, y0, x1, y1;
        GEOSGeom_getXMin_r(h, mp, &x0);
        GEOSGeom_getYMin_r(h, mp, &y0);
        GEOSGeom_getXMax_r(h, mp, &x1);
        GEOSGeom_getYMax_r(h, mp, &y1);
        double dx = (x1 - x0) * 0.1 + 1.0, dy = (y1 - y0) * 0.1 + 1.0;
        clip = clip_own = GEOSGeom_createRectangle_r(h, x0 - dx, y0 - dy, x1 + dx, y1 + dy);
    }
    if (!mp || !clip || !(diagram = GEOSVoronoiDiagram_r(h, mp, clip, 0.0, 0))) {
        rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "schools: cannot build the Voronoi catchments");
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    /* Cells come back in no particular order: find each cell's school. */
    tree = GEOSSTRtree_create_r(h, 10);
    for (size_t i = 0; i < s->n; i++)
        GEOSSTRtree_insert_r(h, tree, pts[i], (void *)(uintptr_t)(i + 1));
    int ncell = GEOSGetNumGeometries_r(h, diagram);
    for (int k = 0; k < ncell; k++) {
        cell_query q = {h, GEOSGetGeometryN_r(h, diagram, k), pts, -1};
        GEOSSTRtree_query_r(h, tree, q.cell, cell_cb, &q);
        if (q.found >= 0 && cell_of[q.found] < 0)
            cell_of[q.found] = k;
    }
    l->measure_kind = CTXPROF_MEASURE_HECTARES;
    l->geom_dim = 2;
    if (!(l->source = ctxprof_strdup(ctx, "derived from schools (Voronoi, clipped)")) ||
        !(l->attrs = ctxprof_calloc(ctx, 1, sizeof *l->attrs)) ||
        !(l->attrs[0].name = ctxprof_strdup(ctx, "school_id"))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    l->attrs[0].type = OFTString;
    l->n_attrs = 1;
    for (size_t i = 0; i < s->n; i++) {
        if (cell_of[i] < 0) {
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "schools: school %s shares its position with another school and gets "
                        "no catchment of its own",
                        s->id[i]);
            continue;
        }
        GEOSGeometry *g =
            GEOSIntersection_r(h, GEOSGetGeometryN_r(h, diagram, (int)cell_of[i]), clip);
        if (!g) {
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "schools: cannot clip the catchment of %s",
                               s->id[i]);
            ctxprof_error_append_lib(ctx);
            goto done;
        }
        double area = 0;
        GEOSArea_r(h, g, &area);
        if (GEOSisEmpty_r(h, g) == 1 || area <= 0) {
            GEOSGeom_destroy_r(h, g);
            ctxprof_log(ctx, CTXPROF_LOG_INFO,
                        "schools: the catchment of school %s lies outside the study area",
                        s->id[i]);
            continue;
        }
        if ((rc = ctxprof_context_layer_reserve(ctx, l, l->n + 1, &cap))) {
            GEOSGeom_destroy_r(h, g);
            goto done;
        }
        size_t j = l->n++;
        l->geom[j] = g;
        l->measure[j] = area / 10000.0;
        l->id[j] = ctxprof_strdup(ctx, s->id[i]);
        l->name[j] = s->name[i] ? ctxprof_strdup(ctx, s->name[i]) : NULL;
        l->attrs[0].value[j] = ctxprof_strdup(ctx, s->id[i]);
        if (!l->id[j] || (s->name[i] && !l->name[j]) || !l->attrs[0].value[j]) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
    }
    l->present = 1;
    c->catchments_derived = 1;
done:
    if (tree)
        GEOSSTRtree_destroy_r(h, tree);
    for (size_t i = 0; pts && i < s->n; i++)
        if (pts[i])
            GEOSGeom_destroy_r(h, pts[i]);
    ctxprof_free(ctx, pts);
    ctxprof_free(ctx, cell_of);
    if (mp)
        GEOSGeom_destroy_r(h, mp);
    if (diagram)
        GEOSGeom_destroy_r(h, diagram);
    if (clip_own)
        GEOSGeom_destroy_r(h, clip_own);
    if (rc)
        ctxprof_context_layer_clear(ctx, l);
    return rc;
}
