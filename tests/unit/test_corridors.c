/* Corridors: network noding and snapping, shortest paths, k nearest schools
 * by network distance with connectors, buffers, incidents counted in every
 * overlapping corridor, and the school-travel windows' edges.
 *
 * The grid: three horizontal and three vertical 200 m lines through
 * x, y = 0, 100, 200 (whole lines, so the 9 nodes come from noding at the
 * crossings), 12 edges of 100 m. Schools (phase Secondary unless said):
 *   S1 (0,-10)   -> node (0,0),     connector 10
 *   S2 (200,-20) -> node (200,0),   connector 20
 *   S3 (0,230)   -> node (0,200),   connector 30
 *   S4 (210,210) -> node (200,200), connector sqrt(200)
 *   S5 (100,100) Primary
 */
#include "test_util.h"

#include <stdint.h>

#include "corridors/corridors.h"
#include "corridors/corridors_internal.h"

static ctxprof_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    ctx = ctxprof_ctx_new();
    if (!ctx)
        return -1;
    ctxprof_set_log(ctx, NULL, NULL, CTXPROF_LOG_ERROR);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctxprof_ctx_free(ctx);
    return 0;
}

static GEOSGeometry *line(double x0, double y0, double x1, double y1)
{
    GEOSContextHandle_t gh = ctxprof_geos(ctx);
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(gh, 2, 2);
    GEOSCoordSeq_setXY_r(gh, cs, 0, x0, y0);
    GEOSCoordSeq_setXY_r(gh, cs, 1, x1, y1);
    return GEOSGeom_createLineString_r(gh, cs);
}

static size_t grid(GEOSGeometry **g)
{
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        g[n++] = line(0, 100 * i, 200, 100 * i);
        g[n++] = line(100 * i, 0, 100 * i, 200);
    }
    return n;
}

static void free_lines(GEOSGeometry **g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        GEOSGeom_destroy_r(ctxprof_geos(ctx), g[i]);
}

/* A schools layer built by hand. */
typedef struct {
    ctxprof_context_layer l;
    char *ids[8], *names[8], *phases[8];
    GEOSGeometry *geom[8];
    ctxprof_context_attr attr;
} schools_fixture;

static void schools_make(schools_fixture *f)
{
    static const double xy[5][2] = {{0, -10}, {200, -20}, {0, 230}, {210, 210}, {100, 100}};
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 5; i++) {
        char b[16];
        snprintf(b, sizeof b, "S%d", i + 1);
        f->ids[i] = strdup(b);
        f->names[i] = NULL;
        f->phases[i] = strdup(i == 4 ? "Primary" : "secondary");
        f->geom[i] = GEOSGeom_createPointFromXY_r(ctxprof_geos(ctx), xy[i][0], xy[i][1]);
    }
    f->attr.name = "phase";
    f->attr.value = f->phases;
    f->l.present = 1;
    f->l.n = 5;
    f->l.id = f->ids;
    f->l.name = f->names;
    f->l.geom = f->geom;
    f->l.attrs = &f->attr;
    f->l.n_attrs = 1;
}

static void schools_free(schools_fixture *f)
{
    for (int i = 0; i < 5; i++) {
        free(f->ids[i]);
        free(f->phases[i]);
        GEOSGeom_destroy_r(ctxprof_geos(ctx), f->geom[i]);
    }
}

static long find(const ctxprof_corridors_result *r, const char *a, const char *b)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->id_a[i], a) == 0 && strcmp(r->id_b[i], b) == 0)
            return (long)i;
    return -1;
}

static void test_grid_noded(void **state)
{
    (void)state;
    GEOSGeometry *g[6];
    size_t n = grid(g);
    ctxprof_network *net = NULL;
    assert_int_equal(ctxprof_network_build(ctx, &net, g, n, 0.0), 0);
    assert_int_equal(ctxprof_network_n_nodes(net), 9);
    assert_int_equal(ctxprof_network_n_edges(net), 12);
    double d;
    long a = ctxprof_network_nearest(net, -3, -4, &d);
    assert_near(d, 5.0, 1e-12);
    long b = ctxprof_network_nearest(net, 200, 200, &d);
    assert_near(d, 0.0, 0);
    GEOSGeometry *path = NULL;
    assert_int_equal(ctxprof_network_route(ctx, net, a, b, &d, &path), 0);
    assert_near(d, 400.0, 1e-9);
    double len;
    GEOSLength_r(ctxprof_geos(ctx), path, &len);
    assert_near(len, 400.0, 1e-9);
    GEOSGeom_destroy_r(ctxprof_geos(ctx), path);
    ctxprof_network_free(ctx, net);
    free_lines(g, n);
}

static void test_endpoints_snapped(void **state)
{
    (void)state;
    GEOSGeometry *g[2] = {line(0, 0, 100, 0), line(100.5, 0, 200, 0)};
    ctxprof_network *net = NULL;
    double d;
    /* 0.5 m apart: joined within 1 m, not with 0.4 m */
    assert_int_equal(ctxprof_network_build(ctx, &net, g, 2, 1.0), 0);
    assert_int_equal(ctxprof_network_n_nodes(net), 3);
    assert_int_equal(ctxprof_network_route(ctx, net, ctxprof_network_nearest(net, 0, 0, NULL),
                                           ctxprof_network_nearest(net, 200, 0, NULL), &d, NULL),
                     0);
    assert_near(d, 199.5, 1e-9); /* edges keep their own lengths */
    ctxprof_network_free(ctx, net);
    net = NULL;
    assert_int_equal(ctxprof_network_build(ctx, &net, g, 2, 0.4), 0);
    assert_int_equal(ctxprof_network_n_nodes(net), 4);
    assert_int_equal(ctxprof_network_route(ctx, net, ctxprof_network_nearest(net, 0, 0, NULL),
                                           ctxprof_network_nearest(net, 200, 0, NULL), &d, NULL),
                     0);
    assert_true(isinf(d));
    ctxprof_network_free(ctx, net);
    free_lines(g, 2);
}

static void test_k_nearest_and_connectors(void **state)
{
    (void)state;
    GEOSGeometry *g[6];
    size_t n = grid(g);
    schools_fixture s;
    schools_make(&s);
    ctxprof_corridors_options o = CTXPROF_CORRIDORS_OPTIONS_INIT;
    ctxprof_corridors_result r;
    o.k = 1;
    assert_int_equal(ctxprof_corridors_compute(ctx, &r, g, n, &s.l, NULL, &o), 0);
    /* S1->S2 230, S2->S1, S3->S1 240, S4->S2 20+200+14.14: S5 is Primary */
    assert_int_equal(r.n_schools, 4);
    assert_int_equal(r.n, 3);
    long c12 = find(&r, "S1", "S2"), c13 = find(&r, "S1", "S3"), c24 = find(&r, "S2", "S4");
    assert_true(c12 >= 0 && c13 >= 0 && c24 >= 0);
    assert_near(r.length_m[c12], 230.0, 1e-9);
    assert_near(r.network_m[c12], 200.0, 1e-9);
    assert_near(r.connector_a_m[c12], 10.0, 1e-12);
    assert_near(r.connector_b_m[c12], 20.0, 1e-12);
    assert_near(r.length_m[c13], 240.0, 1e-9);
    assert_near(r.length_m[c24], 220.0 + sqrt(200.0), 1e-9);
    double len;
    GEOSLength_r(ctxprof_geos(ctx), r.route[c24], &len); /* the route line holds the connectors */
    assert_near(len, r.length_m[c24], 1e-9);
    ctxprof_corridors_result_free(ctx, &r);

    /* max_dist_m 235 keeps S1-S2 (230) and S2-S4 (234.14) only */
    o.k = 3;
    o.max_dist_m = 235;
    assert_int_equal(ctxprof_corridors_compute(ctx, &r, g, n, &s.l, NULL, &o), 0);
    assert_int_equal(r.n, 2);
    assert_true(find(&r, "S1", "S2") >= 0 && find(&r, "S2", "S4") >= 0);
    ctxprof_corridors_result_free(ctx, &r);

    /* every phase, k = 0: all pairs within 5 km: C(5,2) */
    o.k = 0;
    o.max_dist_m = 5000;
    o.phases = "all";
    assert_int_equal(ctxprof_corridors_compute(ctx, &r, g, n, &s.l, NULL, &o), 0);
    assert_int_equal(r.n, 10);
    long c35 = find(&r, "S3", "S5");
    assert_near(r.length_m[c35], 30.0 + 200.0 + 0.0, 1e-9);
    ctxprof_corridors_result_free(ctx, &r);
    schools_free(&s);
    free_lines(g, n);
}

static void test_overlapping_corridors_count_each(void **state)
{
    (void)state;
    GEOSGeometry *g[6];
    size_t n = grid(g);
    schools_fixture s;
    schools_make(&s);
    ctxprof_corridors_options o = CTXPROF_CORRIDORS_OPTIONS_INIT;
    o.k = 1;
    /* (5,-5) is within 50 m of S1-S2 and S1-S3; (100,49) of S1-S2 only;
     * (100,51) of none; (100,-50) on the edge of S1-S2's polygon. */
    double x[] = {5, 100, 100, 100, NAN}, y[] = {-5, 49, 51, -50, NAN};
    uint32_t cats[] = {1u << 0, 1u << 1, 1u << 0, 0, 1u << 0};
    ctxprof_datetime when[5] = {
        {2025, 3, 3, 8, 0, 0, CTXPROF_PREC_MINUTE}, /* Monday 08:00: school travel */
        {2025, 3, 8, 8, 0, 0, CTXPROF_PREC_MINUTE}, /* Saturday */
        {2025, 3, 3, 8, 0, 0, CTXPROF_PREC_MINUTE},
        {2025, 3, 3, 12, 0, 0, CTXPROF_PREC_MINUTE}, /* lunchtime */
        {2025, 3, 3, 8, 0, 0, CTXPROF_PREC_MINUTE},  /* no position */
    };
    ctxprof_incidents inc = {0};
    inc.n = 5;
    inc.x = x;
    inc.y = y;
    inc.cats = cats;
    inc.when = when;
    ctxprof_corridors_result r;
    assert_int_equal(ctxprof_corridors_compute(ctx, &r, g, n, &s.l, &inc, &o), 0);
    long c12 = find(&r, "S1", "S2"), c13 = find(&r, "S1", "S3"), c24 = find(&r, "S2", "S4");
    assert_int_equal(r.n_incidents[c12], 3);
    assert_int_equal(r.n_incidents[c13], 1);
    assert_int_equal(r.n_incidents[c24], 0);
    assert_int_equal(r.n_counted, 3);
    assert_int_equal(r.n_cat[c12 * CTXPROF_N_CATEGORIES + 0], 1);
    assert_int_equal(r.n_cat[c12 * CTXPROF_N_CATEGORIES + 1], 1);
    assert_int_equal(r.n_cat[c13 * CTXPROF_N_CATEGORIES + 0], 1);
    assert_int_equal(r.n_school_travel[c12], 1);
    assert_int_equal(r.n_school_travel[c13], 1);
    assert_near(r.per_km[c12], 3 / 0.230, 1e-9);
    /* rank by school travel, then incidents: S1-S2 (1, 3) before S1-S3 (1, 1) */
    assert_int_equal(r.rank[c12], 1);
    assert_int_equal(r.rank[c13], 2);
    assert_int_equal(r.rank[c24], 3);
    double area;
    GEOSArea_r(ctxprof_geos(ctx), r.polygon[c24], &area);
    assert_true(area > 100.0 * 220.0); /* 100 m wide along 234 m, with round ends */
    ctxprof_corridors_result_free(ctx, &r);
    schools_free(&s);
    free_lines(g, n);
}

static void test_school_travel_windows(void **state)
{
    (void)state;
    ctxprof_corridors_options o = CTXPROF_CORRIDORS_OPTIONS_INIT;
    assert_int_equal(ctxprof_corridors_parse_windows(ctx, &o, "07:00-09:30, 15:00-18:30"), 0);
    assert_int_equal(o.n_windows, 2);
    struct {
        int y, m, d, h, mi, prec, want;
    } cases[] = {
        {2025, 3, 3, 6, 59, CTXPROF_PREC_MINUTE, 0},  {2025, 3, 3, 7, 0, CTXPROF_PREC_MINUTE, 1},
        {2025, 3, 3, 9, 30, CTXPROF_PREC_MINUTE, 1},  {2025, 3, 3, 9, 31, CTXPROF_PREC_MINUTE, 0},
        {2025, 3, 7, 14, 59, CTXPROF_PREC_MINUTE, 0}, {2025, 3, 7, 15, 0, CTXPROF_PREC_MINUTE, 1},
        {2025, 3, 7, 18, 30, CTXPROF_PREC_MINUTE, 1}, {2025, 3, 7, 18, 31, CTXPROF_PREC_MINUTE, 0},
        {2025, 3, 8, 8, 0, CTXPROF_PREC_MINUTE, 0},  /* Saturday */
        {2025, 3, 9, 16, 0, CTXPROF_PREC_MINUTE, 0}, /* Sunday */
        {2025, 3, 3, 0, 0, CTXPROF_PREC_DAY, 0},     /* time unknown */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ctxprof_datetime d = {cases[i].y,  cases[i].m, cases[i].d,   cases[i].h,
                              cases[i].mi, 0,          cases[i].prec};
        if (ctxprof_corridors_is_school_travel(&o, &d) != cases[i].want)
            fail_msg("case %zu: %04d-%02d-%02d %02d:%02d", i, cases[i].y, cases[i].m, cases[i].d,
                     cases[i].h, cases[i].mi);
    }
    assert_int_equal(ctxprof_corridors_parse_windows(ctx, &o, "7-9"), CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "'7-9'"));
    assert_int_equal(ctxprof_corridors_parse_windows(ctx, &o, "09:30-07:00"), CTXPROF_E_CONFIG);
    assert_int_equal(ctxprof_corridors_parse_windows(ctx, &o, "16:00-25:00"), CTXPROF_E_CONFIG);
}

static void test_pairs_csv(void **state)
{
    (void)state;
    GEOSGeometry *g[6];
    size_t n = grid(g);
    schools_fixture s;
    schools_make(&s);
    ctxprof_corridors_options o = CTXPROF_CORRIDORS_OPTIONS_INIT;
    o.pairs = temp_file(".csv", "school_a,school_b\nS5,S1\nS1,S5\nS3,S4\n");
    ctxprof_corridors_result r;
    assert_int_equal(ctxprof_corridors_compute(ctx, &r, g, n, &s.l, NULL, &o), 0);
    assert_int_equal(r.n, 2); /* S1-S5 once; phases do not apply to listed pairs */
    long c15 = find(&r, "S1", "S5");
    assert_true(c15 >= 0);
    assert_near(r.length_m[c15], 10.0 + 200.0, 1e-9);
    ctxprof_corridors_result_free(ctx, &r);
    o.pairs = temp_file(".csv", "school_a,school_b\nS1,S9\n");
    assert_int_equal(ctxprof_corridors_compute(ctx, &r, g, n, &s.l, NULL, &o), CTXPROF_E_INPUT);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "no school with id 'S9'"));
    schools_free(&s);
    free_lines(g, n);
}

/* The pairing's own Dijkstra gives igraph's distances exactly, within each
 * source's cut-off, on a random network with parallel edges and a part
 * cut off from the rest. */
static void test_school_distances_equal_igraph(void **state)
{
    (void)state;
    enum { NV = 2000, NE = 5000, NT = 40 };
    igraph_t g;
    igraph_vector_int_t edges;
    igraph_vector_t w;
    igraph_vector_int_init(&edges, 2 * NE);
    igraph_vector_init(&w, NE);
    uint64_t seed = 12345;
#define RND() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (seed >> 33))
    for (int e = 0; e < NE; e++) {
        long a = (long)(RND() % (NV - 100)), b = (long)(RND() % (NV - 100));
        if (e < 50) { /* a separate component among the last 100 nodes */
            a = NV - 100 + (long)(RND() % 100);
            b = NV - 100 + (long)(RND() % 100);
        }
        VECTOR(edges)[2 * e] = a;
        VECTOR(edges)[2 * e + 1] = b;
        VECTOR(w)[e] = 1.0 + (double)(RND() % 100000) / 997.0;
    }
#undef RND
    assert_int_equal(igraph_create(&g, &edges, NV, IGRAPH_UNDIRECTED), IGRAPH_SUCCESS);
    long nodes[NT];
    igraph_vector_int_t t;
    igraph_vector_int_init(&t, NT);
    for (int i = 0; i < NT; i++) {
        nodes[i] = i < NT - 2 ? (long)(i * 47) : NV - 1 - i; /* the last two apart */
        VECTOR(t)[i] = nodes[i];
    }
    double cut[NT], d[NT * NT];
    for (int i = 0; i < NT; i++)
        cut[i] = i % 3 == 0 ? INFINITY : 60.0 + i;
    assert_int_equal(ctxprof_corridors_school_distances(ctx, &g, &w, nodes, NT, cut, d, NULL), 0);
    igraph_matrix_t m;
    igraph_matrix_init(&m, 0, 0);
    assert_int_equal(igraph_distances_dijkstra(&g, &m, igraph_vss_vector(&t), igraph_vss_vector(&t),
                                               &w, IGRAPH_ALL),
                     IGRAPH_SUCCESS);
    int finite = 0, beyond = 0;
    for (int i = 0; i < NT; i++)
        for (int j = 0; j < NT; j++) {
            double want = MATRIX(m, i, j);
            if (want > cut[i]) {
                assert_true(isinf(d[i * NT + j]));
                beyond += isfinite(want);
            } else {
                if (d[i * NT + j] != want)
                    fail_msg("distance %d -> %d: %.17g, igraph %.17g", i, j, d[i * NT + j], want);
                finite++;
            }
        }
    assert_true(finite > NT * NT / 4);
    assert_true(beyond > 0);

    /* With the k-nearest stop, every school's k nearest (by distance plus
     * connectors, within max_dist, ties in school order) are the same. Two
     * more schools share the nodes of columns 0 and 5. */
    enum { NS = NT + 2, K = 3 };
    long col[NS];
    double conn[NS], maxd = 150.0, full[NT * NT], part[NT * NT], cut2[NT];
    for (int i = 0; i < NS; i++) {
        col[i] = i < NT ? i : (i == NT ? 0 : 5);
        conn[i] = (double)((i * 37) % 23);
    }
    for (int c = 0; c < NT; c++)
        cut2[c] = -INFINITY;
    for (int i = 0; i < NS; i++)
        cut2[col[i]] = fmax(cut2[col[i]], maxd - conn[i]);
    ctxprof_school_stop stop = {K, NS, col, conn};
    assert_int_equal(ctxprof_corridors_school_distances(ctx, &g, &w, nodes, NT, cut2, full, NULL),
                     0);
    assert_int_equal(ctxprof_corridors_school_distances(ctx, &g, &w, nodes, NT, cut2, part, &stop),
                     0);
    int cut_short = 0, pairs = 0;
    for (int i = 0; i < NS; i++) {
        int pick[2][K], np[2] = {0, 0};
        for (int v = 0; v < 2; v++) {
            const double *dm = v ? part : full;
            double cd[NS];
            int ci[NS], nc = 0;
            for (int j = 0; j < NS; j++) {
                double dd = dm[col[i] * NT + col[j]];
                if (j == i || !isfinite(dd))
                    continue;
                dd += conn[i] + conn[j];
                if (dd > maxd)
                    continue;
                int p = nc++;
                while (p > 0 && cd[p - 1] > dd)
                    cd[p] = cd[p - 1], ci[p] = ci[p - 1], p--;
                cd[p] = dd;
                ci[p] = j;
            }
            for (int q = 0; q < nc && q < K; q++)
                pick[v][np[v]++] = ci[q];
        }
        assert_int_equal(np[0], np[1]);
        for (int q = 0; q < np[0]; q++)
            assert_int_equal(pick[0][q], pick[1][q]);
        pairs += np[0];
    }
    for (int c = 0; c < NT * NT; c++)
        cut_short += isfinite(full[c]) && !isfinite(part[c]);
    assert_true(pairs > NS);
    assert_true(cut_short > 0); /* the stop did stop searches early */
    igraph_matrix_destroy(&m);
    igraph_vector_int_destroy(&t);
    igraph_vector_int_destroy(&edges);
    igraph_vector_destroy(&w);
    igraph_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_noded),
        cmocka_unit_test(test_endpoints_snapped),
        cmocka_unit_test(test_k_nearest_and_connectors),
        cmocka_unit_test(test_overlapping_corridors_count_each),
        cmocka_unit_test(test_school_travel_windows),
        cmocka_unit_test(test_pairs_csv),
        cmocka_unit_test(test_school_distances_equal_igraph),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
