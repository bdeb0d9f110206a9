/* People: overlap across the silos, peer groups (igraph), and their layers. */
#include "people/people.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <igraph/igraph.h>

#include "core/strmap.h"
#include "load/taxonomy.h"
#include "people/people_internal.h"

static const char *const SILO_LABEL[CTXPROF_PEOPLE_N_SILOS] = {"CSE", "SYV", "HSB", "TRA",
                                                               "online"};

int ctxprof_people_add_pair(ctxprof_ctx *ctx, ctxprof_people_result *res, const char *pid_a,
                            const char *pid_b)
{
    size_t cap = res->cap_pairs;
    if (ctxprof_grow(ctx, (void **)&res->pair_a, &cap, res->n_pairs + 1, sizeof *res->pair_a))
        return CTXPROF_E_NOMEM;
    cap = res->cap_pairs;
    if (ctxprof_grow(ctx, (void **)&res->pair_b, &cap, res->n_pairs + 1, sizeof *res->pair_b))
        return CTXPROF_E_NOMEM;
    res->cap_pairs = cap;
    snprintf(res->pair_a[res->n_pairs], sizeof res->pair_a[0], "%s", pid_a);
    snprintf(res->pair_b[res->n_pairs], sizeof res->pair_b[0], "%s", pid_b);
    res->n_pairs++;
    return 0;
}

static int cmp_combo(const void *x, const void *y)
{
    const ctxprof_combination *a = x, *b = y;
    if (a->n_people != b->n_people)
        return a->n_people > b->n_people ? -1 : 1;
    int pa = __builtin_popcount(a->mask), pb = __builtin_popcount(b->mask);
    if (pa != pb)
        return pa < pb ? -1 : 1;
    return a->mask < b->mask ? -1 : a->mask > b->mask;
}

int ctxprof_people_overlap(ctxprof_ctx *ctx, ctxprof_people_result *res,
                           const ctxprof_incidents *inc)
{
    int rc = 0;
    ctxprof_strmap idx = {0};
    uint32_t *mask = NULL;
    size_t n = 0, cap = 0;
    const uint32_t silos = (1u << CTXPROF_PEOPLE_N_SILOS) - 1;
    for (size_t i = 0; i < inc->n; i++) {
        if (!inc->pid[i][0])
            continue;
        int k = ctxprof_strmap_get(&idx, inc->pid[i]);
        if (k < 0) {
            if ((rc = ctxprof_grow(ctx, (void **)&mask, &cap, n + 1, sizeof *mask)) ||
                (rc = ctxprof_strmap_put(ctx, &idx, inc->pid[i], (int)n)))
                goto done;
            mask[n] = 0;
            k = (int)n++;
        }
        mask[k] |= inc->cats[i] & silos;
    }
    int64_t by_mask[1u << CTXPROF_PEOPLE_N_SILOS] = {0};
    for (size_t k = 0; k < n; k++)
        by_mask[mask[k]]++;
    res->n_people_all = (int64_t)n;
    res->n_people = (int64_t)n - by_mask[0];
    memset(res->by_cat, 0, sizeof res->by_cat);
    memset(res->pair, 0, sizeof res->pair);
    res->sum_lists = 0;
    ctxprof_free(ctx, res->combos);
    res->n_combos = 0;
    if (!(res->combos = ctxprof_calloc(ctx, 1u << CTXPROF_PEOPLE_N_SILOS, sizeof *res->combos))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (uint32_t m = 1; m <= silos; m++) {
        if (!by_mask[m])
            continue;
        res->combos[res->n_combos++] = (ctxprof_combination){m, by_mask[m]};
        for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++) {
            if (!(m & (1u << a)))
                continue;
            res->by_cat[a] += by_mask[m];
            res->sum_lists += by_mask[m];
            for (int b = 0; b < CTXPROF_PEOPLE_N_SILOS; b++)
                if (m & (1u << b))
                    res->pair[a][b] += by_mask[m];
        }
    }
    if (res->n_combos) /* qsort and memcpy want non-null arrays, even when empty */
        qsort(res->combos, res->n_combos, sizeof *res->combos, cmp_combo);

    /* Plain words: every list together, then the two biggest lists. */
    char buf[1024];
    size_t len = 0;
    int64_t on_more = 0;
    for (uint32_t m = 1; m <= silos; m++)
        if (__builtin_popcount(m) > 1)
            on_more += by_mask[m];
    len += (size_t)snprintf(buf + len, sizeof buf - len,
                            "%lld entr%s across the CSE, SYV, HSB, TRA and online lists %s %lld "
                            "young %s; %lld %s on more than one list",
                            (long long)res->sum_lists, res->sum_lists == 1 ? "y" : "ies",
                            res->sum_lists == 1 ? "is" : "are", (long long)res->n_people,
                            res->n_people == 1 ? "person" : "people", (long long)on_more,
                            on_more == 1 ? "is" : "are");
    int first = -1, second = -1;
    for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++) {
        if (first < 0 || res->by_cat[a] > res->by_cat[first]) {
            second = first;
            first = a;
        } else if (second < 0 || res->by_cat[a] > res->by_cat[second]) {
            second = a;
        }
    }
    if (first >= 0 && second >= 0 && res->by_cat[second] > 0) {
        int a = first < second ? first : second, b = first < second ? second : first;
        int64_t both = res->pair[a][b];
        snprintf(buf + len, sizeof buf - len,
                 "\n%lld entries across %s and %s lists are %lld young %s; %lld %s on both",
                 (long long)(res->by_cat[a] + res->by_cat[b]), SILO_LABEL[a], SILO_LABEL[b],
                 (long long)(res->by_cat[a] + res->by_cat[b] - both),
                 res->by_cat[a] + res->by_cat[b] - both == 1 ? "person" : "people", (long long)both,
                 both == 1 ? "is" : "are");
    }
    len = strlen(buf);
    if (res->n_matches && !res->matches_accepted)
        snprintf(buf + len, sizeof buf - len,
                 "\n%zu possible match%s of near-duplicate identities %s listed in "
                 "possible_matches and counted apart",
                 res->n_matches, res->n_matches == 1 ? "" : "es",
                 res->n_matches == 1 ? "is" : "are");
    else if (res->n_matches)
        snprintf(buf + len, sizeof buf - len,
                 "\n%zu possible match%s of near-duplicate identities %s listed in "
                 "possible_matches; %lld accepted as the same person ([people] accept_matches)",
                 res->n_matches, res->n_matches == 1 ? "" : "es",
                 res->n_matches == 1 ? "is" : "are", (long long)res->matches_accepted);
    ctxprof_free(ctx, res->summary);
    if (!(res->summary = ctxprof_strdup(ctx, buf)))
        rc = CTXPROF_E_NOMEM;
done:
    ctxprof_free(ctx, mask);
    ctxprof_strmap_free(ctx, &idx);
    return rc;
}

typedef struct {
    int u, v;
} edge;

static int cmp_edge(const void *x, const void *y)
{
    const edge *a = x, *b = y;
    if (a->u != b->u)
        return a->u < b->u ? -1 : 1;
    return a->v < b->v ? -1 : a->v > b->v;
}

typedef struct {
    int comp, comm; /* comm -1: the whole component */
    int64_t n;
    const char *min_pid; /* for a stable order */
} group_key;

static int cmp_group_key(const void *x, const void *y)
{
    const group_key *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return strcmp(a->min_pid, b->min_pid);
}

static int graph_error(ctxprof_ctx *ctx, igraph_error_t e, const char *what)
{
    return ctxprof_error(ctx, e == IGRAPH_ENOMEM ? CTXPROF_E_NOMEM : CTXPROF_E_INTERNAL,
                         "people: igraph %s failed: %s", what, igraph_strerror(e));
}

int ctxprof_people_groups(ctxprof_ctx *ctx, ctxprof_people_result *res,
                          const ctxprof_incidents *inc, const ctxprof_snap_result *snap,
                          const ctxprof_contexts *c, const ctxprof_people_options *opts)
{
    ctxprof_people_options o = CTXPROF_PEOPLE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    int rc = 0;
    ctxprof_strmap vid = {0}, keys = {0};
    edge *e = NULL;
    size_t ne = 0, nv = 0;
    group_key *gk = NULL;
    size_t ngk = 0, cap_gk = 0, cap_members = 0;
    igraph_t g;
    int have_graph = 0;
    igraph_vector_int_t ev, memb, csize, louv, deg;
    igraph_vector_t w, bw;
    int have_vec = 0;
    igraph_error_handler_t *old = igraph_set_error_handler(igraph_error_handler_ignore);

    /* Vertices in order of first appearance; edges deduplicated and weighted
     * by how many records name the pair. */
    if (!(e = ctxprof_calloc(ctx, res->n_pairs ? res->n_pairs : 1, sizeof *e))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < res->n_pairs; i++) {
        const char *pp[2] = {res->pair_a[i], res->pair_b[i]};
        int id[2];
        for (int k = 0; k < 2; k++) {
            id[k] = ctxprof_strmap_get(&vid, pp[k]);
            if (id[k] < 0) {
                if ((rc = ctxprof_grow(ctx, (void **)&res->members, &cap_members, nv + 1,
                                       sizeof *res->members)) ||
                    (rc = ctxprof_strmap_put(ctx, &vid, pp[k], (int)nv)))
                    goto done;
                memset(&res->members[nv], 0, sizeof res->members[nv]);
                snprintf(res->members[nv].pid, sizeof res->members[nv].pid, "%s", pp[k]);
                id[k] = (int)nv++;
            }
        }
        if (id[0] == id[1])
            continue;
        e[ne++] = (edge){id[0] < id[1] ? id[0] : id[1], id[0] < id[1] ? id[1] : id[0]};
    }
    res->n_members = nv;
    if (ne)
        qsort(e, ne, sizeof *e, cmp_edge);
    size_t nu = 0;
    double *weight = ctxprof_calloc(ctx, ne ? ne : 1, sizeof *weight);
    if (!weight) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < ne; i++) {
        if (nu && e[nu - 1].u == e[i].u && e[nu - 1].v == e[i].v) {
            weight[nu - 1] += 1;
        } else {
            e[nu] = e[i];
            weight[nu++] = 1;
        }
    }
    res->n_edges = (int64_t)nu;

    igraph_error_t ie;
    igraph_vector_int_init(&ev, (igraph_integer_t)(2 * nu));
    igraph_vector_int_init(&memb, 0);
    igraph_vector_int_init(&csize, 0);
    igraph_vector_int_init(&louv, 0);
    igraph_vector_int_init(&deg, 0);
    igraph_vector_init(&w, (igraph_integer_t)nu);
    igraph_vector_init(&bw, 0);
    have_vec = 1;
    for (size_t i = 0; i < nu; i++) {
        VECTOR(ev)[2 * i] = e[i].u;
        VECTOR(ev)[2 * i + 1] = e[i].v;
        VECTOR(w)[i] = weight[i];
    }
    ctxprof_free(ctx, weight);
    if ((ie = igraph_create(&g, &ev, (igraph_integer_t)nv, IGRAPH_UNDIRECTED))) {
        rc = graph_error(ctx, ie, "graph");
        goto done;
    }
    have_graph = 1;
    igraph_integer_t ncomp = 0;
    /* Louvain orders vertices at random: a fixed seed makes runs repeatable. */
    igraph_rng_seed(igraph_rng_default(), 20080101);
    if ((ie = igraph_connected_components(&g, &memb, &csize, &ncomp, IGRAPH_WEAK))) {
        rc = graph_error(ctx, ie, "components");
        goto done;
    }
    if ((ie = igraph_community_multilevel(&g, &w, o.resolution, &louv, NULL, NULL))) {
        rc = graph_error(ctx, ie, "Louvain communities");
        goto done;
    }
    if ((ie = igraph_degree(&g, &deg, igraph_vss_all(), IGRAPH_ALL, IGRAPH_NO_LOOPS))) {
        rc = graph_error(ctx, ie, "degree");
        goto done;
    }
    if ((ie = igraph_betweenness(&g, &bw, igraph_vss_all(), IGRAPH_UNDIRECTED, NULL))) {
        rc = graph_error(ctx, ie, "betweenness");
        goto done;
    }

    /* Groups: components of min_group_size or more; components larger than
     * community_min_size split into their Louvain communities. */
    for (size_t v = 0; v < nv; v++) {
        ctxprof_people_member *m = &res->members[v];
        m->component = (int32_t)VECTOR(memb)[v];
        m->degree = VECTOR(deg)[v];
        m->betweenness = VECTOR(bw)[v];
        m->group = -1;
        igraph_integer_t size = VECTOR(csize)[m->component];
        if (size < o.min_group_size)
            continue;
        int comm = size > o.community_min_size ? (int)VECTOR(louv)[v] : -1;
        char key[48];
        snprintf(key, sizeof key, "%d:%d", m->component, comm);
        int k = ctxprof_strmap_get(&keys, key);
        if (k < 0) {
            if ((rc = ctxprof_grow(ctx, (void **)&gk, &cap_gk, ngk + 1, sizeof *gk)) ||
                (rc = ctxprof_strmap_put(ctx, &keys, key, (int)ngk)))
                goto done;
            gk[ngk] = (group_key){m->component, comm, 0, m->pid};
            k = (int)ngk++;
        }
        gk[k].n++;
        if (strcmp(m->pid, gk[k].min_pid) < 0)
            gk[k].min_pid = m->pid;
        m->group = k; /* key index for now */
    }
    /* Order groups (largest first) and renumber members. */
    int *order = ctxprof_calloc(ctx, ngk ? ngk : 1, sizeof *order);
    group_key *sorted = ctxprof_calloc(ctx, ngk ? ngk : 1, sizeof *sorted);
    if (!order || !sorted) {
        ctxprof_free(ctx, order);
        ctxprof_free(ctx, sorted);
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if (ngk) {
        memcpy(sorted, gk, ngk * sizeof *gk);
        qsort(sorted, ngk, sizeof *sorted, cmp_group_key);
    }
    for (size_t i = 0; i < ngk; i++) {
        char key[48];
        snprintf(key, sizeof key, "%d:%d", sorted[i].comp, sorted[i].comm);
        order[ctxprof_strmap_get(&keys, key)] = (int)i;
    }
    res->n_groups = ngk;
    res->groups = ctxprof_calloc(ctx, ngk ? ngk : 1, sizeof *res->groups);
    if (!res->groups) {
        ctxprof_free(ctx, order);
        ctxprof_free(ctx, sorted);
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < ngk; i++) {
        res->groups[i].id = (int32_t)i + 1;
        res->groups[i].n_members = sorted[i].n;
        res->groups[i].split = sorted[i].comm >= 0;
    }
    for (size_t v = 0; v < nv; v++)
        if (res->members[v].group >= 0)
            res->members[v].group = order[res->members[v].group];
    ctxprof_free(ctx, order);
    ctxprof_free(ctx, sorted);

    /* The groups' incidents, schools and contexts (schools.c). */
    rc = ctxprof_people_group_contexts(ctx, res, inc, snap, c, &vid, o.min_group_size);
done:
    igraph_set_error_handler(old);
    if (have_graph)
        igraph_destroy(&g);
    if (have_vec) {
        igraph_vector_int_destroy(&ev);
        igraph_vector_int_destroy(&memb);
        igraph_vector_int_destroy(&csize);
        igraph_vector_int_destroy(&louv);
        igraph_vector_int_destroy(&deg);
        igraph_vector_destroy(&w);
        igraph_vector_destroy(&bw);
    }
    ctxprof_free(ctx, gk);
    ctxprof_free(ctx, e);
    ctxprof_strmap_free(ctx, &vid);
    ctxprof_strmap_free(ctx, &keys);
    return rc;
}

void ctxprof_people_result_free(ctxprof_ctx *ctx, ctxprof_people_result *res)
{
    if (!res)
        return;
    ctxprof_free(ctx, res->matches);
    ctxprof_free(ctx, res->pair_a);
    ctxprof_free(ctx, res->pair_b);
    ctxprof_free(ctx, res->combos);
    ctxprof_free(ctx, res->summary);
    ctxprof_free(ctx, res->members);
    ctxprof_free(ctx, res->groups);
    ctxprof_free(ctx, res->links);
    ctxprof_free(ctx, res->group_summary);
    for (size_t i = 0; i < res->n_attendance; i++)
        ctxprof_free(ctx, res->attendance[i].school);
    ctxprof_free(ctx, res->attendance);
    memset(res, 0, sizeof *res);
}
