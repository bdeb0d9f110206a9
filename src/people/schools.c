/* Peer groups' schools and contexts. A group is tied to the schools its
 * members attend, as the sources' attendance records say (field.school:
 * exclusions, missing during the school day, travel cards); a member no
 * record places at a school is tied to the school nearest most of their
 * incidents, marked `nearest`, so that the two are never confused. The
 * catchments, parks and bus segments are where the group's incidents
 * happen. */
#include "people/people_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ctxprof_school_basis_names[4] = {"", "attends", "nearest", "incidents"};

#define TOP_N 3

/* A school name for matching: letters and digits, upper case. */
static void norm_school(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; *in && n + 1 < size; in++)
        if (isalnum((unsigned char)*in))
            out[n++] = (char)toupper((unsigned char)*in);
    out[n] = '\0';
}

typedef struct {
    int32_t v, f; /* member, school feature */
    int64_t day;  /* attendance record's date (INT64_MIN unknown) */
} member_school;

static int cmp_member_school(const void *x, const void *y)
{
    const member_school *a = x, *b = y;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return a->f < b->f ? -1 : a->f > b->f;
}

/* For each member, the school named by most of its rows (ties: the latest
 * record, then the first school in layer order). best[v] = -1 when none. */
static void choose(member_school *ms, size_t n, int32_t *best)
{
    if (n)
        qsort(ms, n, sizeof *ms, cmp_member_school);
    int64_t best_n = 0, best_day = INT64_MIN;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t day = INT64_MIN;
        while (j < n && ms[j].v == ms[i].v && ms[j].f == ms[i].f) {
            if (ms[j].day > day)
                day = ms[j].day;
            j++;
        }
        int32_t v = ms[i].v;
        if (i == 0 || ms[i - 1].v != v) {
            best_n = 0;
            best_day = INT64_MIN;
        }
        int64_t cnt = (int64_t)(j - i);
        if (best[v] < 0 || cnt > best_n || (cnt == best_n && day > best_day)) {
            best[v] = ms[i].f;
            best_n = cnt;
            best_day = day;
        }
        i = j;
    }
}

static int cmp_link(const void *x, const void *y)
{
    const ctxprof_group_context *a = x, *b = y;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->basis != b->basis)
        return a->basis < b->basis ? -1 : 1;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return a->feature < b->feature ? -1 : a->feature > b->feature;
}

/* The link row for (group, type, feature, basis), created with zero counts. */
static int link_row(ctxprof_ctx *ctx, ctxprof_people_result *res, size_t *cap,
                    ctxprof_strmap *index, int g, int type, int f, int basis, int *row)
{
    char key[64];
    snprintf(key, sizeof key, "%d:%d:%d:%d", g, type, f, basis);
    if ((*row = ctxprof_strmap_get(index, key)) >= 0)
        return 0;
    if (ctxprof_grow(ctx, (void **)&res->links, cap, res->n_links + 1, sizeof *res->links) ||
        ctxprof_strmap_put(ctx, index, key, (int)res->n_links))
        return CTXPROF_E_NOMEM;
    res->links[res->n_links] = (ctxprof_group_context){g, (uint8_t)type, f, 0, (uint8_t)basis, 0};
    *row = (int)res->n_links++;
    return 0;
}

/* Sum of the k largest values of v[0..n). */
static int64_t top_sum(const int64_t *v, size_t n, int k)
{
    int64_t top[TOP_N] = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t x = v[i];
        for (int t = 0; t < k && t < TOP_N; t++)
            if (x > top[t]) {
                int64_t s = top[t];
                top[t] = x;
                x = s;
            }
    }
    int64_t s = 0;
    for (int t = 0; t < k && t < TOP_N; t++)
        s += top[t];
    return s;
}

int ctxprof_people_group_contexts(ctxprof_ctx *ctx, ctxprof_people_result *res,
                                  const ctxprof_incidents *inc, const ctxprof_snap_result *snap,
                                  const ctxprof_contexts *c, const ctxprof_strmap *vid,
                                  int min_group_size)
{
    int rc = 0;
    size_t nv = res->n_members, ng = res->n_groups, cap_links = 0;
    const ctxprof_context_layer *sl =
        c && c->layer[CTXPROF_CTX_SCHOOLS].present ? &c->layer[CTXPROF_CTX_SCHOOLS] : NULL;
    size_t nsch = sl ? sl->n : 0;
    double *sx = ctxprof_calloc(ctx, ng + 1, sizeof *sx),
           *sy = ctxprof_calloc(ctx, ng + 1, sizeof *sy);
    int64_t *npos = ctxprof_calloc(ctx, ng + 1, sizeof *npos);
    int64_t *g_inc = ctxprof_calloc(ctx, ng + 1, sizeof *g_inc);
    int64_t *s_inc = ctxprof_calloc(ctx, nsch + 1, sizeof *s_inc);
    int32_t *attends = ctxprof_calloc(ctx, nv + 1, sizeof *attends);
    int32_t *nearest = ctxprof_calloc(ctx, nv + 1, sizeof *nearest);
    member_school *att = NULL, *near = NULL;
    size_t n_att = 0, cap_att = 0, n_near = 0, cap_near = 0;
    ctxprof_strmap index = {0}, seen = {0}, names = {0};
    if (!sx || !sy || !npos || !g_inc || !s_inc || !attends || !nearest) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t v = 0; v < nv; v++) {
        res->members[v].n_incidents = 0;
        res->members[v].school = -1;
        res->members[v].school_basis = CTXPROF_SCHOOL_NONE;
        attends[v] = nearest[v] = -1;
    }

    /* Incidents: per member and per group; the contexts where they happen. */
    /* (places of concern are left to the people issue: counted by group
     * with the overlap inside each context) */
    static const int where[] = {CTXPROF_CTX_CATCHMENTS, CTXPROF_CTX_PARKS,
                                CTXPROF_CTX_BUS_SEGMENTS};
    int have_links = snap && inc && snap->n == inc->n;
    for (size_t i = 0; inc && i < inc->n && !rc; i++) {
        if (!inc->pid[i][0])
            continue;
        int v = ctxprof_strmap_get(vid, inc->pid[i]);
        if (v < 0)
            continue;
        res->members[v].n_incidents++;
        int g = res->members[v].group;
        if (g < 0)
            continue;
        ctxprof_peer_group *gr = &res->groups[g];
        gr->n_incidents++;
        gr->cats |= inc->cats[i] & ((1u << CTXPROF_PEOPLE_N_SILOS) - 1);
        if (isfinite(inc->x[i]) && isfinite(inc->y[i])) {
            sx[g] += inc->x[i];
            sy[g] += inc->y[i];
            npos[g]++;
        }
        if (!have_links)
            continue;
        if (sl && snap->link[CTXPROF_CTX_SCHOOLS] && snap->link[CTXPROF_CTX_SCHOOLS][i] >= 0) {
            if ((rc = ctxprof_grow(ctx, (void **)&near, &cap_near, n_near + 1, sizeof *near)))
                break;
            near[n_near++] = (member_school){v, snap->link[CTXPROF_CTX_SCHOOLS][i], INT64_MIN};
        }
        for (size_t t = 0; t < sizeof where / sizeof where[0] && !rc; t++) {
            int type = where[t];
            if (!snap->link[type] || snap->link[type][i] < 0)
                continue;
            int row, f = snap->link[type][i];
            if ((rc = link_row(ctx, res, &cap_links, &index, g, type, f, CTXPROF_SCHOOL_INCIDENTS,
                               &row)))
                break;
            res->links[row].n++;
            char key[64];
            snprintf(key, sizeof key, "%d:%d:%d", type, f, v);
            if (ctxprof_strmap_get(&seen, key) < 0) {
                res->links[row].n_members++;
                rc = ctxprof_strmap_put(ctx, &seen, key, 1);
            }
        }
    }
    if (rc)
        goto done;

    /* Attendance records: the school by its id (URN), else by its name. */
    for (size_t f = 0; sl && f < sl->n && !rc; f++) {
        char key[256];
        if (!sl->name[f])
            continue;
        norm_school(sl->name[f], key, sizeof key);
        if (!key[0])
            continue;
        int k = ctxprof_strmap_get(&names, key);
        rc = ctxprof_strmap_put(ctx, &names, key, k == -1 ? (int)f : -2); /* -2: two schools */
    }
    res->attendance_unmatched = 0;
    for (size_t i = 0; i < res->n_attendance && !rc; i++) {
        const ctxprof_attendance *a = &res->attendance[i];
        long f = sl ? ctxprof_context_find(sl, a->school) : -1;
        if (f < 0 && sl) {
            char key[256];
            norm_school(a->school, key, sizeof key);
            int k = key[0] ? ctxprof_strmap_get(&names, key) : -1;
            f = k >= 0 ? k : -1;
        }
        if (f < 0) {
            res->attendance_unmatched++;
            continue;
        }
        int v = ctxprof_strmap_get(vid, a->pid);
        if (v < 0 || res->members[v].group < 0)
            continue;
        if ((rc = ctxprof_grow(ctx, (void **)&att, &cap_att, n_att + 1, sizeof *att)))
            break;
        att[n_att++] = (member_school){v, (int32_t)f, a->day};
    }
    if (rc)
        goto done;
    if (res->attendance_unmatched)
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "people: %lld school attendance record%s name%s a school that is not in the "
                    "schools layer%s: %s not used (people.attendance_unmatched)",
                    (long long)res->attendance_unmatched, res->attendance_unmatched == 1 ? "" : "s",
                    res->attendance_unmatched == 1 ? "s" : "", sl ? "" : " (no [contexts] schools)",
                    res->attendance_unmatched == 1 ? "it is" : "they are");
    choose(att, n_att, attends);
    choose(near, n_near, nearest);

    /* Each member's school, and the school rows of peer_group_contexts. */
    for (size_t v = 0; v < nv && !rc; v++) {
        ctxprof_people_member *m = &res->members[v];
        if (m->group < 0)
            continue;
        ctxprof_peer_group *gr = &res->groups[m->group];
        if (attends[v] >= 0) {
            m->school = attends[v];
            m->school_basis = CTXPROF_SCHOOL_ATTENDS;
            gr->n_members_attends++;
        } else if (nearest[v] >= 0) {
            m->school = nearest[v];
            m->school_basis = CTXPROF_SCHOOL_NEAREST;
            gr->n_members_nearest++;
        } else {
            continue;
        }
        int row;
        if ((rc = link_row(ctx, res, &cap_links, &index, m->group, CTXPROF_CTX_SCHOOLS, m->school,
                           m->school_basis, &row)))
            break;
        res->links[row].n_members++;
        res->links[row].n += m->n_incidents;
        s_inc[m->school] += m->n_incidents;
    }
    if (rc)
        goto done;

    /* Distinct schools per group and overall; contexts per group. */
    ctxprof_strmap_free(ctx, &seen);
    res->n_schools = res->n_schools_attended = 0;
    for (size_t l = 0; l < res->n_links && !rc; l++) {
        const ctxprof_group_context *k = &res->links[l];
        ctxprof_peer_group *gr = &res->groups[k->group];
        if (k->type != CTXPROF_CTX_SCHOOLS) {
            gr->n_contexts++;
            continue;
        }
        char key[64];
        snprintf(key, sizeof key, "g%d:%d", k->group, k->feature);
        if (ctxprof_strmap_get(&seen, key) < 0) {
            gr->n_schools++;
            gr->n_contexts++;
            rc = ctxprof_strmap_put(ctx, &seen, key, 1);
        }
        snprintf(key, sizeof key, "s%d", k->feature);
        if (!rc && ctxprof_strmap_get(&seen, key) < 0) {
            res->n_schools++;
            rc = ctxprof_strmap_put(ctx, &seen, key, 1);
        }
        if (k->basis != CTXPROF_SCHOOL_ATTENDS)
            continue;
        snprintf(key, sizeof key, "g%d:a%d", k->group, k->feature);
        if (!rc && ctxprof_strmap_get(&seen, key) < 0) {
            gr->n_schools_attended++;
            rc = ctxprof_strmap_put(ctx, &seen, key, 1);
        }
        snprintf(key, sizeof key, "a%d", k->feature);
        if (!rc && ctxprof_strmap_get(&seen, key) < 0) {
            res->n_schools_attended++;
            rc = ctxprof_strmap_put(ctx, &seen, key, 1);
        }
    }
    if (rc)
        goto done;
    for (size_t g = 0; g < ng; g++) {
        res->groups[g].x = npos[g] ? sx[g] / (double)npos[g] : NAN;
        res->groups[g].y = npos[g] ? sy[g] / (double)npos[g] : NAN;
    }
    if (res->n_links)
        qsort(res->links, res->n_links, sizeof *res->links, cmp_link);

    /* How concentrated: the top groups and the top schools by incidents. */
    int64_t attends_n = 0, nearest_n = 0, nearest_only = 0;
    res->group_people = res->group_incidents = 0;
    for (size_t g = 0; g < ng; g++) {
        res->group_people += res->groups[g].n_members;
        res->group_incidents += res->groups[g].n_incidents;
        g_inc[g] = res->groups[g].n_incidents;
        attends_n += res->groups[g].n_members_attends;
        nearest_n += res->groups[g].n_members_nearest;
    }
    nearest_only = res->n_schools - res->n_schools_attended;
    res->top_n = TOP_N;
    double total = (double)res->group_incidents;
    res->top_groups_share = total > 0 ? (double)top_sum(g_inc, ng, TOP_N) / total : 0.0;
    res->top_schools_share = total > 0 ? (double)top_sum(s_inc, nsch, TOP_N) / total : 0.0;
    int kg = ng < TOP_N ? (int)ng : TOP_N;
    int ks = res->n_schools < TOP_N ? (int)res->n_schools : TOP_N;
    ctxprof_free(ctx, res->group_summary);
    if (!nv)
        res->group_summary = ctxprof_strdup(ctx, "No peer groups: no association record names "
                                                 "two young people");
    else if (!ng)
        res->group_summary = ctxprof_sprintf(
            ctx,
            "No peer groups of %d or more young people: the %zu people in association "
            "records form only smaller groups",
            min_group_size, nv);
    else
        res->group_summary = ctxprof_sprintf(
            ctx,
            "%zu peer group%s of %d or more young people (%lld people) across %lld school%s: "
            "%lld member%s attend%s %lld of them; %lld with no school on record %s placed at the "
            "school nearest their incidents (%lld more school%s)\n"
            "Concentration: the %d group%s with the most incidents hold%s %.0f%% of the groups' "
            "%lld incidents; members at the %d school%s with the most hold %.0f%%",
            ng, ng == 1 ? "" : "s", min_group_size, (long long)res->group_people,
            (long long)res->n_schools, res->n_schools == 1 ? "" : "s", (long long)attends_n,
            attends_n == 1 ? "" : "s", attends_n == 1 ? "s" : "",
            (long long)res->n_schools_attended, (long long)nearest_n, nearest_n == 1 ? "is" : "are",
            (long long)nearest_only, nearest_only == 1 ? "" : "s", kg, kg == 1 ? "" : "s",
            kg == 1 ? "s" : "", 100.0 * res->top_groups_share, (long long)res->group_incidents, ks,
            ks == 1 ? "" : "s", 100.0 * res->top_schools_share);
    if (!res->group_summary)
        rc = CTXPROF_E_NOMEM;
done:
    ctxprof_free(ctx, sx);
    ctxprof_free(ctx, sy);
    ctxprof_free(ctx, npos);
    ctxprof_free(ctx, g_inc);
    ctxprof_free(ctx, s_inc);
    ctxprof_free(ctx, attends);
    ctxprof_free(ctx, nearest);
    ctxprof_free(ctx, att);
    ctxprof_free(ctx, near);
    ctxprof_strmap_free(ctx, &index);
    ctxprof_strmap_free(ctx, &seen);
    ctxprof_strmap_free(ctx, &names);
    return rc;
}
