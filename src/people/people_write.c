/* The people layers: overlap, possible_matches, peer_groups,
 * peer_group_members, peer_group_contexts. Only pids leave the stage. */
#include "people/people.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "load/taxonomy.h"

static void silos(uint32_t mask, char *buf, size_t size)
{
    ctxprof_taxonomy_format(mask, ctxprof_category_names, CTXPROF_PEOPLE_N_SILOS, buf, size);
}

static int write_overlap(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *r)
{
    static const ctxprof_column cols[] = {
        {"type", OFTString}, {"combination", OFTString}, {"n_people", OFTInteger64}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "overlap", wkbNone, cols, 3);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    char name[128];
#define ROW(type, comb, n)                                                                         \
    do {                                                                                           \
        OGR_F_SetFID(f, OGRNullFID);                                                               \
        OGR_F_SetFieldString(f, 0, type);                                                          \
        OGR_F_SetFieldString(f, 1, comb);                                                          \
        OGR_F_SetFieldInteger64(f, 2, n);                                                          \
        if ((rc = ctxprof_output_write(ctx, out, layer, f)))                                       \
            goto done;                                                                             \
    } while (0)
    ROW("total", "any", r->n_people);
    ROW("total", "sum_of_lists", r->sum_lists);
    for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++)
        ROW("category", ctxprof_category_names[a], r->by_cat[a]);
    for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++)
        for (int b = a + 1; b < CTXPROF_PEOPLE_N_SILOS; b++) {
            snprintf(name, sizeof name, "%s+%s", ctxprof_category_names[a],
                     ctxprof_category_names[b]);
            ROW("pairwise", name, r->pair[a][b]);
        }
    for (size_t i = 0; i < r->n_combos; i++) {
        silos(r->combos[i].mask, name, sizeof name);
        ROW("exclusive", name, r->combos[i].n_people);
    }
#undef ROW
done:
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static int write_matches(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *r)
{
    static const ctxprof_column cols[] = {{"pid_a", OFTString},
                                          {"pid_b", OFTString},
                                          {"reason", OFTString},
                                          {"accepted", OFTInteger},
                                          {"kept_pid", OFTString}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "possible_matches", wkbNone, cols, 5);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < r->n_matches && !rc; i++) {
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, r->matches[i].a);
        OGR_F_SetFieldString(f, 1, r->matches[i].b);
        OGR_F_SetFieldString(f, 2, r->matches[i].reason);
        OGR_F_SetFieldInteger(f, 3, r->matches[i].accepted);
        if (r->matches[i].accepted)
            OGR_F_SetFieldString(f, 4, r->matches[i].kept);
        else
            OGR_F_SetFieldNull(f, 4);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static int write_groups(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *r)
{
    static const ctxprof_column cols[] = {{"group_id", OFTInteger},
                                          {"n_members", OFTInteger64},
                                          {"n_incidents", OFTInteger64},
                                          {"categories", OFTString},
                                          {"n_schools", OFTInteger64},
                                          {"n_contexts", OFTInteger64},
                                          {"louvain_split", OFTInteger},
                                          {"n_schools_attended", OFTInteger64},
                                          {"n_members_attends", OFTInteger64},
                                          {"n_members_nearest", OFTInteger64}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "peer_groups", wkbPoint, cols, 10);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    char buf[128];
    for (size_t i = 0; i < r->n_groups && !rc; i++) {
        const ctxprof_peer_group *g = &r->groups[i];
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldInteger(f, 0, g->id);
        OGR_F_SetFieldInteger64(f, 1, g->n_members);
        OGR_F_SetFieldInteger64(f, 2, g->n_incidents);
        silos(g->cats, buf, sizeof buf);
        OGR_F_SetFieldString(f, 3, buf);
        OGR_F_SetFieldInteger64(f, 4, g->n_schools);
        OGR_F_SetFieldInteger64(f, 5, g->n_contexts);
        OGR_F_SetFieldInteger(f, 6, g->split);
        OGR_F_SetFieldInteger64(f, 7, g->n_schools_attended);
        OGR_F_SetFieldInteger64(f, 8, g->n_members_attends);
        OGR_F_SetFieldInteger64(f, 9, g->n_members_nearest);
        if (isfinite(g->x)) {
            OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(pt, 0, g->x, g->y);
            OGR_F_SetGeometryDirectly(f, pt);
        } else {
            OGR_F_SetGeometryDirectly(f, NULL);
        }
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static int write_members(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *r)
{
    static const ctxprof_column cols[] = {{"pid", OFTString},
                                          {"group_id", OFTInteger},
                                          {"degree", OFTInteger64},
                                          {"betweenness", OFTReal}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "peer_group_members", wkbNone, cols, 4);
    if (rc)
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    /* Group by group, in group order. */
    for (size_t gi = 0; gi < r->n_groups && !rc; gi++)
        for (size_t v = 0; v < r->n_members && !rc; v++) {
            const ctxprof_people_member *m = &r->members[v];
            if (m->group != (int32_t)gi)
                continue;
            OGR_F_SetFID(f, OGRNullFID);
            OGR_F_SetFieldString(f, 0, m->pid);
            OGR_F_SetFieldInteger(f, 1, r->groups[gi].id);
            OGR_F_SetFieldInteger64(f, 2, m->degree);
            OGR_F_SetFieldDouble(f, 3, m->betweenness);
            rc = ctxprof_output_write(ctx, out, layer, f);
        }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

static int write_contexts(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *r,
                          const ctxprof_contexts *c)
{
    static const ctxprof_column cols[] = {
        {"group_id", OFTInteger}, {"context_type", OFTString}, {"context_id", OFTString},
        {"basis", OFTString},     {"n_members", OFTInteger64}, {"n_incidents", OFTInteger64}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "peer_group_contexts", wkbLineString, cols, 6);
    if (rc)
        return rc;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < r->n_links && !rc; i++) {
        const ctxprof_group_context *l = &r->links[i];
        const ctxprof_peer_group *g = &r->groups[l->group];
        const ctxprof_context_layer *cl = &c->layer[l->type];
        if (!cl->present || l->feature < 0 || (size_t)l->feature >= cl->n)
            continue;
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldInteger(f, 0, g->id);
        OGR_F_SetFieldString(f, 1, ctxprof_context_types[l->type].layer);
        OGR_F_SetFieldString(f, 2, cl->id[l->feature]);
        /* No context name: the id joins to the context layer, and a school's
         * name may hold a word that is also someone's name. */
        OGR_F_SetFieldString(f, 3, ctxprof_school_basis_names[l->basis]);
        OGR_F_SetFieldInteger64(f, 4, l->n_members);
        OGR_F_SetFieldInteger64(f, 5, l->n);
        OGRGeometryH line = NULL;
        GEOSGeometry *pt =
            cl->geom[l->feature] ? GEOSPointOnSurface_r(h, cl->geom[l->feature]) : NULL;
        double px, py;
        if (pt && isfinite(g->x) && GEOSGeomGetX_r(h, pt, &px) == 1 &&
            GEOSGeomGetY_r(h, pt, &py) == 1) {
            line = OGR_G_CreateGeometry(wkbLineString);
            OGR_G_AddPoint_2D(line, g->x, g->y);
            OGR_G_AddPoint_2D(line, px, py);
        }
        if (pt)
            GEOSGeom_destroy_r(h, pt);
        OGR_F_SetGeometryDirectly(f, line);
        rc = ctxprof_output_write(ctx, out, layer, f);
    }
    OGR_F_Destroy(f);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

#define META(key, v)                                                                               \
    if ((rc = ctxprof_output_metaf(ctx, out, key, "%lld", (long long)(v))))                        \
        return rc;

int ctxprof_people_write_overlap(ctxprof_ctx *ctx, ctxprof_output *out,
                                 const ctxprof_people_result *res)
{
    int rc;
    if ((rc = write_overlap(ctx, out, res)) || (rc = write_matches(ctx, out, res)))
        return rc;
    META("people.crosswalk_rows", res->crosswalk_rows);
    META("people.crosswalk_ids", res->crosswalk_ids);
    META("people.source_ids", res->source_ids);
    META("people.links_made", res->links_made);
    META("people.ids_linked", res->ids_linked);
    META("people.possible_matches", res->n_matches);
    META("people.matches_accepted", res->matches_accepted);
    META("people.pids_merged", res->pids_merged);
    META("people.distinct_people", res->n_people);
    /* The plain-words summaries go to the command's summary, not
     * run_metadata: their words ("young") can also be surnames, and the
     * output is scanned for every name in the sources. */
    return 0;
}

int ctxprof_people_write_groups(ctxprof_ctx *ctx, ctxprof_output *out,
                                const ctxprof_people_result *res, const ctxprof_contexts *c)
{
    int rc;
    if ((rc = write_groups(ctx, out, res)) || (rc = write_members(ctx, out, res)))
        return rc;
    if (c && (rc = write_contexts(ctx, out, res, c)))
        return rc;
    META("people.association_rows", res->association_rows);
    META("people.association_pairs", res->association_pairs);
    META("people.attendance_records", res->n_attendance);
    META("people.attendance_people", res->attendance_people);
    META("people.attendance_unmatched", res->attendance_unmatched);
    META("people.graph_vertices", res->n_members);
    META("people.graph_edges", res->n_edges);
    META("people.peer_groups", res->n_groups);
    META("people.group_schools", res->n_schools);
    META("people.group_schools_attended", res->n_schools_attended);
    return 0;
}
#undef META

int ctxprof_people_write(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *res,
                         const ctxprof_contexts *c)
{
    int rc = ctxprof_people_write_overlap(ctx, out, res);
    return rc ? rc : ctxprof_people_write_groups(ctx, out, res, c);
}
