/* Snap: context layers (make-valid, Voronoi catchments, bus segments from
 * stop sequences) and the links and profiles, with exact values on the
 * small fixture in tests/data/snap (British National Grid around
 * E 500000, N 100000):
 *
 *   areas      A1 = [0,100]x[0,100], A2 = [100,200]x[0,100] (offsets in m)
 *   schools    S1 (50,50) 500 pupils, S2 (150,50) pupils unknown
 *   parks      P1 = [0,40]x[0,40]; P2 a bow-tie around (170,20)
 *   bus        A(0,80) B(100,80) C(200,80) D(200,0); route 1: A-B-C;
 *              route 2 run 1: B-C-C-D, run 2: C-B, run 3: Z alone; route 3:
 *              one row without an easting
 */
#include "test_util.h"

#include <stdint.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>

#include "profile/profile.h"
#include "snap/snap.h"

#define X0 500000.0
#define Y0 100000.0

static ctxprof_ctx *ctx;
static char warnings[8192];

static void capture(ctxprof_log_level level, const char *msg, void *payload)
{
    (void)payload;
    if (level >= CTXPROF_LOG_WARN) {
        strncat(warnings, msg, sizeof warnings - strlen(warnings) - 2);
        strcat(warnings, "\n");
    }
}

static int setup(void **state)
{
    (void)state;
    ctx = ctxprof_ctx_new();
    if (!ctx)
        return -1;
    ctxprof_set_log(ctx, capture, NULL, CTXPROF_LOG_DEBUG);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctxprof_ctx_free(ctx);
    return 0;
}

static ctxprof_contexts *load_fixture(void)
{
    ctxprof_profile *p = NULL;
    ctxprof_contexts *c = NULL;
    warnings[0] = '\0';
    assert_int_equal(ctxprof_profile_load(ctx, &p, test_data("snap/snap.ini")), 0);
    int rc = ctxprof_contexts_load(ctx, &c, ctxprof_profile_contexts_options(p));
    if (rc)
        fail_msg("%s", ctxprof_errmsg(ctx));
    ctxprof_profile_free(ctx, p);
    return c;
}

/* n incidents at offsets (dx, dy) from (X0, Y0). */
static void make_incidents(ctxprof_incidents *inc, size_t n, const double *dx, const double *dy)
{
    memset(inc, 0, sizeof *inc);
    inc->n = inc->cap = n;
    inc->x = calloc(n, sizeof *inc->x);
    inc->y = calloc(n, sizeof *inc->y);
    inc->when = calloc(n, sizeof *inc->when);
    inc->cats = calloc(n, sizeof *inc->cats);
    inc->flags = calloc(n, sizeof *inc->flags);
    inc->pid = calloc(n, sizeof *inc->pid);
    for (size_t i = 0; i < n; i++) {
        inc->x[i] = X0 + dx[i];
        inc->y[i] = Y0 + dy[i];
    }
}

static void free_incidents(ctxprof_incidents *inc)
{
    free(inc->x);
    free(inc->y);
    free(inc->when);
    free(inc->cats);
    free(inc->flags);
    free(inc->pid);
}

static const char *linked_id(const ctxprof_contexts *c, const ctxprof_snap_result *r, int t,
                             size_t i)
{
    int32_t f = r->link[t][i];
    return f < 0 ? NULL : c->layer[t].id[f];
}

static void test_point_in_polygon(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    /* Inside A1; on the shared edge x=100 (first in layer order wins);
     * inside A2; on the outer edge; outside everything. */
    const double dx[] = {50, 100, 150, 200, 300, NAN};
    const double dy[] = {50, 50, 50, 100, 50, NAN};
    ctxprof_incidents inc;
    make_incidents(&inc, 6, dx, dy);
    ctxprof_snap_result r;
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, NULL), 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_AREAS, 0), "A1");
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_AREAS, 1), "A1");
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_AREAS, 2), "A2");
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_AREAS, 3), "A2");
    assert_null(linked_id(c, &r, CTXPROF_CTX_AREAS, 4));
    assert_null(linked_id(c, &r, CTXPROF_CTX_AREAS, 5));
    assert_null(linked_id(c, &r, CTXPROF_CTX_SCHOOLS, 5));
    assert_int_equal(r.n_no_position, 1);
    assert_int_equal(r.n_linked[CTXPROF_CTX_AREAS], 4);
    /* Profiles count what was linked. */
    assert_int_equal(r.profile[CTXPROF_CTX_AREAS].n_total[0], 2);
    assert_int_equal(r.profile[CTXPROF_CTX_AREAS].n_total[1], 2);
    ctxprof_snap_result_free(ctx, &r);
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
}

static void test_nearest_school(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    /* 30 m below S1; 3-4-5 from S2 (50 m); halfway (a tie: S1 first);
     * far outside the study area (still a nearest school). */
    const double dx[] = {50, 180, 100, 1150};
    const double dy[] = {20, 90, 50, 50};
    ctxprof_incidents inc;
    make_incidents(&inc, 4, dx, dy);
    ctxprof_snap_result r;
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, NULL), 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_SCHOOLS, 0), "S1");
    assert_near(r.dist[CTXPROF_CTX_SCHOOLS][0], 30.0, 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_SCHOOLS, 1), "S2");
    assert_near(r.dist[CTXPROF_CTX_SCHOOLS][1], 50.0, 1e-9);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_SCHOOLS, 2), "S1");
    assert_near(r.dist[CTXPROF_CTX_SCHOOLS][2], 50.0, 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_SCHOOLS, 3), "S2");
    assert_near(r.dist[CTXPROF_CTX_SCHOOLS][3], 1000.0, 0);
    ctxprof_snap_result_free(ctx, &r);
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
}

static void test_park_buffer_boundary(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    /* P1 is [0,40]x[0,40]: inside; exactly 25 m east of its edge (counts);
     * a millimetre further (does not); 25 m from its corner diagonally
     * (15,20 -> 25); on the edge. */
    const double dx[] = {20, 65, 65.001, 55, 40};
    const double dy[] = {20, 20, 20, 60, 10};
    ctxprof_incidents inc;
    make_incidents(&inc, 5, dx, dy);
    ctxprof_snap_result r;
    ctxprof_snap_options o = CTXPROF_SNAP_OPTIONS_INIT;
    assert_near(ctxprof_snap_reach(&o, CTXPROF_CTX_PARKS), 25.0, 0);
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, &o), 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_PARKS, 0), "P1");
    assert_near(r.dist[CTXPROF_CTX_PARKS][0], 0.0, 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_PARKS, 1), "P1");
    assert_near(r.dist[CTXPROF_CTX_PARKS][1], 25.0, 0);
    assert_null(linked_id(c, &r, CTXPROF_CTX_PARKS, 2));
    assert_true(isnan(r.dist[CTXPROF_CTX_PARKS][2]));
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_PARKS, 3), "P1");
    assert_near(r.dist[CTXPROF_CTX_PARKS][3], 25.0, 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_PARKS, 4), "P1");
    assert_near(r.dist[CTXPROF_CTX_PARKS][4], 0.0, 0);
    ctxprof_snap_result_free(ctx, &r);
    /* A smaller buffer drops the 25 m points. */
    double reach[16];
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        reach[t] = NAN;
    reach[CTXPROF_CTX_PARKS] = 24.999;
    o.reach_m = reach;
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, &o), 0);
    assert_null(linked_id(c, &r, CTXPROF_CTX_PARKS, 1));
    assert_null(linked_id(c, &r, CTXPROF_CTX_PARKS, 3));
    assert_int_equal(r.n_linked[CTXPROF_CTX_PARKS], 2);
    ctxprof_snap_result_free(ctx, &r);
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
}

static void test_bowtie_repaired(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    const ctxprof_context_layer *parks = &c->layer[CTXPROF_CTX_PARKS];
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    assert_int_equal(parks->n, 2);
    assert_int_equal(parks->n_repaired, 1);
    /* The warning names the layer, the feature (fid, id, name) and the fix. */
    assert_non_null(strstr(warnings, "parks ("));
    assert_non_null(strstr(warnings, "park_id P2"));
    assert_non_null(strstr(warnings, "'Bow Tie Playground'"));
    assert_non_null(strstr(warnings, "Self-intersection"));
    assert_non_null(strstr(warnings, "repaired with make-valid"));
    assert_null(strstr(warnings, "Corner Park"));
    long i = ctxprof_context_find(parks, "P2");
    assert_int_equal(i, 1);
    assert_int_equal(GEOSisValid_r(h, parks->geom[i]), 1);
    /* Two triangles of 20 x 10 / 2 = 100 m2 each. */
    double area;
    GEOSArea_r(h, parks->geom[i], &area);
    assert_near(area, 200.0, 1e-9);
    assert_near(parks->measure[i], 0.02, 1e-12);
    /* A point in either lobe links to it. */
    const double dx[] = {163, 177};
    const double dy[] = {20, 20};
    ctxprof_incidents inc;
    make_incidents(&inc, 2, dx, dy);
    ctxprof_snap_result r;
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, NULL), 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_PARKS, 0), "P2");
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_PARKS, 1), "P2");
    assert_near(r.dist[CTXPROF_CTX_PARKS][0], 0.0, 0);
    ctxprof_snap_result_free(ctx, &r);
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
}

static void test_voronoi_catchments(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    const ctxprof_context_layer *cat = &c->layer[CTXPROF_CTX_CATCHMENTS];
    assert_true(c->catchments_derived);
    assert_true(cat->present);
    assert_int_equal(cat->n, 2);
    /* Each catchment is its school's: the bisector x=100 splits the 200 x
     * 100 m study area in two halves that cover it exactly. */
    double total = 0;
    for (size_t i = 0; i < cat->n; i++) {
        double a;
        GEOSArea_r(h, cat->geom[i], &a);
        assert_near(a, 10000.0, 1e-6);
        assert_near(cat->measure[i], 1.0, 1e-10);
        total += a;
        assert_string_equal(cat->attrs[0].name, "school_id");
        assert_string_equal(cat->attrs[0].value[i], cat->id[i]);
    }
    assert_near(total, 20000.0, 1e-6);
    assert_int_equal(ctxprof_context_find(cat, "S1"), 0);
    assert_int_equal(ctxprof_context_find(cat, "S2"), 1);
    GEOSGeometry *u = GEOSUnion_r(h, cat->geom[0], cat->geom[1]);
    GEOSGeometry *d = GEOSSymDifference_r(h, u, c->study_area);
    double da;
    GEOSArea_r(h, d, &da);
    assert_near(da, 0.0, 1e-6);
    GEOSGeom_destroy_r(h, u);
    GEOSGeom_destroy_r(h, d);
    const double dx[] = {10, 190};
    const double dy[] = {90, 10};
    ctxprof_incidents inc;
    make_incidents(&inc, 2, dx, dy);
    ctxprof_snap_result r;
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, NULL), 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_CATCHMENTS, 0), "S1");
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_CATCHMENTS, 1), "S2");
    ctxprof_snap_result_free(ctx, &r);
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
}

static void test_bus_segments_merged(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    const ctxprof_context_layer *bus = &c->layer[CTXPROF_CTX_BUS_SEGMENTS];
    const ctxprof_bus_counts *b = &c->bus;
    assert_true(c->bus_from_sequences);
    /* Every record is accounted for; the Ctrl-Z line is not a record. */
    assert_int_equal(b->rows_read, 11);
    assert_int_equal(b->rows_rejected, 1);
    assert_int_equal(b->routes, 2);
    assert_int_equal(b->runs, 4);
    assert_int_equal(b->single_stop_runs, 1);
    assert_int_equal(b->pairs, 6);
    assert_int_equal(b->pairs_zero_length, 1);
    assert_int_equal(b->pairs_merged, 5);
    assert_int_equal(b->segments, 3);
    assert_int_equal(b->rows_read, b->rows_rejected + b->rows_excluded + b->runs + b->pairs);
    assert_non_null(
        strstr(warnings, "bus-sequences.csv row 11: the easting or northing is not a number"));
    assert_int_equal(bus->n, 3);
    /* Ids follow the file; B-C is shared by routes 1 and 2 (both directions). */
    assert_string_equal(bus->id[0], "BS00001");
    assert_string_equal(bus->name[0], "STOP A - STOP B");
    assert_string_equal(bus->id[1], "BS00002");
    assert_string_equal(bus->name[1], "STOP B - STOP C");
    assert_string_equal(bus->name[2], "STOP C - STOP D");
    int routes = -1, n_routes = -1, n_pairs = -1, from_code = -1;
    for (size_t a = 0; a < bus->n_attrs; a++) {
        if (!strcmp(bus->attrs[a].name, "routes"))
            routes = (int)a;
        if (!strcmp(bus->attrs[a].name, "n_routes"))
            n_routes = (int)a;
        if (!strcmp(bus->attrs[a].name, "n_pairs"))
            n_pairs = (int)a;
        if (!strcmp(bus->attrs[a].name, "from_code"))
            from_code = (int)a;
    }
    assert_true(routes >= 0 && n_routes >= 0 && n_pairs >= 0 && from_code >= 0);
    assert_string_equal(bus->attrs[routes].value[0], "1");
    assert_string_equal(bus->attrs[routes].value[1], "1,2");
    assert_string_equal(bus->attrs[n_routes].value[1], "2");
    assert_string_equal(bus->attrs[n_pairs].value[1], "3");
    assert_string_equal(bus->attrs[routes].value[2], "2");
    /* The NaPTAN code with an embedded CRLF is trimmed. */
    assert_string_equal(bus->attrs[from_code].value[1], "490000002B");
    assert_near(bus->measure[1], 0.1, 1e-12);
    int64_t merged = 0;
    for (size_t i = 0; i < bus->n; i++)
        merged += atoi(bus->attrs[n_pairs].value[i]);
    assert_int_equal(merged, b->pairs_merged);
    /* Links: 20 m below B-C; 31 m below it (too far); on the shared stop B
     * (equidistant from A-B and B-C: the first segment wins). */
    const double dx[] = {150, 150, 100};
    const double dy[] = {60, 49, 80};
    ctxprof_incidents inc;
    make_incidents(&inc, 3, dx, dy);
    ctxprof_snap_result r;
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, NULL), 0);
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_BUS_SEGMENTS, 0), "BS00002");
    assert_near(r.dist[CTXPROF_CTX_BUS_SEGMENTS][0], 20.0, 0);
    assert_null(linked_id(c, &r, CTXPROF_CTX_BUS_SEGMENTS, 1));
    assert_string_equal(linked_id(c, &r, CTXPROF_CTX_BUS_SEGMENTS, 2), "BS00001");
    assert_near(r.dist[CTXPROF_CTX_BUS_SEGMENTS][2], 0.0, 0);
    ctxprof_snap_result_free(ctx, &r);
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
}

/* Contexts fit the study area (issue 18): with a study area covering only
 * the fixture's west 60 m, features further than clip_margin_m (50 m) are
 * left out and counted; bus_routes_exclude leaves route 2's stops out. */
static void test_clip_and_route_exclusion(void **state)
{
    (void)state;
    char area[] = "/tmp/ctxprof-clip-XXXXXX.geojson";
    int fd = mkstemps(area, 8);
    assert_true(fd >= 0);
    const char *json =
        "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":"
        "{\"name\":\"urn:ogc:def:crs:EPSG::27700\"}},\"features\":[{\"type\":\"Feature\","
        "\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[500000,"
        "100000],[500060,100000],[500060,100100],[500000,100100],[500000,100000]]]}}]}";
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    ctxprof_profile *p = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, test_data("snap/snap.ini")), 0);
    ctxprof_contexts_options o = *ctxprof_profile_contexts_options(p);
    o.study_area = area;
    o.clip_margin_m = 50;
    o.bus_routes_exclude = "9*, 2";
    ctxprof_contexts *c = NULL;
    assert_int_equal(ctxprof_contexts_load(ctx, &c, &o), 0);
    const ctxprof_context_layer *schools = &c->layer[CTXPROF_CTX_SCHOOLS];
    assert_int_equal(schools->n, 1); /* S2 at x 500150 is 90 m out */
    assert_string_equal(schools->id[0], "S1");
    assert_int_equal(schools->n_clipped, 1);
    assert_int_equal(c->layer[CTXPROF_CTX_PARKS].n, 1); /* P2 (x >= 500140) goes */
    assert_string_equal(c->layer[CTXPROF_CTX_PARKS].id[0], "P1");
    assert_int_equal(c->layer[CTXPROF_CTX_AREAS].n, 2); /* the east square is 40 m out */
    const ctxprof_bus_counts *b = &c->bus;
    assert_int_equal(b->rows_excluded, 7); /* route 2: seven stops */
    assert_int_equal(b->rows_read, b->rows_rejected + b->rows_excluded + b->runs + b->pairs);
    const ctxprof_context_layer *bus = &c->layer[CTXPROF_CTX_BUS_SEGMENTS];
    assert_int_equal(b->segments, 2); /* route 1: A-B, B-C; both within 50 m */
    assert_int_equal(bus->n, 2);
    assert_int_equal(bus->n_clipped, 0);
    ctxprof_contexts_free(ctx, c);
    ctxprof_profile_free(ctx, p);
    unlink(area);
}

static void test_profiles_and_temporal(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    /* Three incidents in P1 (two people, one twice), one near S2. */
    const double dx[] = {10, 20, 30, 150};
    const double dy[] = {10, 20, 30, 60};
    ctxprof_incidents inc;
    make_incidents(&inc, 4, dx, dy);
    inc.cats[0] = 1u << 0;           /* cse */
    inc.cats[1] = 1u << 0 | 1u << 1; /* cse+syv */
    inc.cats[2] = 1u << 1;           /* syv */
    inc.flags[1] = 1u << 0;          /* youth */
    strcpy(inc.pid[0], "aaaaaaaaaaaaaaaa");
    strcpy(inc.pid[1], "bbbbbbbbbbbbbbbb");
    strcpy(inc.pid[2], "aaaaaaaaaaaaaaaa");
    /* 2025-03-14 is a Friday (weekday 4). */
    inc.when[0] = (ctxprof_datetime){2025, 3, 14, 16, 20, 0, CTXPROF_PREC_MINUTE};
    inc.when[1] = (ctxprof_datetime){2025, 3, 14, 16, 45, 0, CTXPROF_PREC_MINUTE};
    inc.when[2] = (ctxprof_datetime){2025, 3, 14, 0, 0, 0, CTXPROF_PREC_DAY};
    inc.when[3] = (ctxprof_datetime){2025, 3, 0, 0, 0, 0, CTXPROF_PREC_MONTH};
    ctxprof_snap_result r;
    assert_int_equal(ctxprof_snap_run(ctx, &r, c, &inc, NULL), 0);
    const ctxprof_context_profile *pk = &r.profile[CTXPROF_CTX_PARKS];
    assert_int_equal(pk->n_total[0], 3);
    assert_int_equal(pk->n_cat[0 * CTXPROF_N_CATEGORIES + 0], 2);
    assert_int_equal(pk->n_cat[0 * CTXPROF_N_CATEGORIES + 1], 2);
    assert_int_equal(pk->n_flag[0 * CTXPROF_N_FLAGS + 0], 1);
    assert_int_equal(pk->n_people[0], 2);
    /* 3 incidents over 0.16 ha. */
    assert_near(pk->rate[0], 3 / 0.16, 1e-9);
    assert_int_equal(pk->rank[0], 1);
    assert_int_equal(pk->n_total[1], 0);
    assert_near(pk->rate[1], 0.0, 0);
    assert_int_equal(pk->rank[1], 2);
    /* Schools: S1 has 500 pupils (3 per 0.5 thousand = 6); S2's are unknown. */
    const ctxprof_context_profile *sc = &r.profile[CTXPROF_CTX_SCHOOLS];
    assert_int_equal(sc->n_total[0], 3);
    assert_near(sc->rate[0], 6.0, 1e-12);
    assert_int_equal(sc->n_total[1], 1);
    assert_true(isnan(sc->rate[1]));
    assert_int_equal(sc->rate_rank[1], INT64_MIN);
    assert_int_equal(sc->n_people[1], 0);
    /* Areas: ties share a rank. A1 3, A2 1. */
    assert_int_equal(r.profile[CTXPROF_CTX_AREAS].rank[0], 1);
    assert_int_equal(r.profile[CTXPROF_CTX_AREAS].rank[1], 2);
    /* Temporal: per context, Friday 16:00 x2 and Friday (hour unknown) x1;
     * the month-only incident has no cell. */
    int64_t park_cells = 0, fri16 = 0, fri_unknown = 0;
    for (size_t k = 0; k < r.n_temporal; k++) {
        const ctxprof_temporal_cell *tc = &r.temporal[k];
        if (tc->type != CTXPROF_CTX_PARKS)
            continue;
        park_cells++;
        assert_int_equal(tc->feature, 0);
        assert_int_equal(tc->weekday, 4);
        if (tc->hour == 16)
            fri16 = tc->n;
        if (tc->hour == -1)
            fri_unknown = tc->n;
    }
    assert_int_equal(park_cells, 2);
    assert_int_equal(fri16, 2);
    assert_int_equal(fri_unknown, 1);
    /* The incident columns, in order, with the ids as strings. */
    const ctxprof_extra_column *cols;
    size_t n_cols;
    assert_int_equal(ctxprof_snap_columns(ctx, &r, c, &cols, &n_cols), 0);
    assert_int_equal(n_cols, 10);
    static const char *const names[] = {
        "catchment_id",   "school_id",          "school_dist_m", "park_id",  "park_dist_m",
        "bus_segment_id", "bus_segment_dist_m", "area_code",     "place_id", "place_dist_m"};
    for (size_t k = 0; k < 10; k++)
        assert_string_equal(cols[k].name, names[k]);
    assert_string_equal(cols[0].str[3], "S2");
    assert_string_equal(cols[3].str[0], "P1");
    assert_null(cols[3].str[3]);
    assert_string_equal(cols[7].str[3], "A2");
    assert_near(cols[2].dbl[3], 10.0, 0);
    ctxprof_snap_result_free(ctx, &r);
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
}

static void test_real_bus_sequences(void **state)
{
    (void)state;
    /* The real TfL file: UTF-8 BOM, CRLF, 187 quoted fields with an
     * embedded CRLF, a trailing Ctrl-Z line. Every record is accounted for. */
    const char *path = test_data("snap/../../../../shared/data/real/bus/bus-sequences.csv");
    if (access(path, R_OK) != 0) {
        print_message("real data not found (%s): skipped\n", path);
        skip();
    }
    ctxprof_profile *p = NULL;
    ctxprof_contexts *c = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, test_data("snap/real_bus.ini")), 0);
    int rc = ctxprof_contexts_load(ctx, &c, ctxprof_profile_contexts_options(p));
    if (rc)
        fail_msg("%s", ctxprof_errmsg(ctx));
    const ctxprof_bus_counts *b = &c->bus;
    assert_int_equal(b->rows_read, 57227);
    assert_int_equal(b->rows_rejected, 0);
    assert_int_equal(b->routes, 767);
    assert_int_equal(b->runs, 1615);
    assert_int_equal(b->single_stop_runs, 70);
    assert_int_equal(b->pairs, 57227 - 1615);
    assert_int_equal(b->pairs_zero_length, 22);
    assert_int_equal(b->pairs_merged, 55590);
    assert_int_equal(b->rows_read, b->rows_rejected + b->rows_excluded + b->runs + b->pairs);
    const ctxprof_context_layer *bus = &c->layer[CTXPROF_CTX_BUS_SEGMENTS];
    assert_int_equal((int64_t)bus->n, b->segments);
    /* Shared stop pairs are merged: fewer segments than pairs, and the
     * segments' pair counts add up to the pairs. */
    assert_true(b->segments < b->pairs_merged);
    int n_pairs = -1;
    for (size_t a = 0; a < bus->n_attrs; a++)
        if (!strcmp(bus->attrs[a].name, "n_pairs"))
            n_pairs = (int)a;
    int64_t merged = 0;
    double km = 0;
    for (size_t i = 0; i < bus->n; i++) {
        merged += atoi(bus->attrs[n_pairs].value[i]);
        km += bus->measure[i];
        assert_null(strpbrk(
            bus->attrs[n_pairs + 3].value[i] ? bus->attrs[n_pairs + 3].value[i] : "", "\r\n"));
    }
    assert_int_equal(merged, b->pairs_merged);
    assert_true(km > 1000 && km < 20000);
    ctxprof_contexts_free(ctx, c);
    ctxprof_profile_free(ctx, p);
}

/* A small profile GeoPackage as ctxprof run would leave it, with what a
 * second snap must replace: stale snap columns and layers, snap metadata,
 * and a gap in the fids. */
static void make_snap_input(const char *path)
{
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    VSIUnlink(path);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "incidents", srs, wkbPoint, NULL);
    static const char *const fields[] = {"incident_uid", "categories", "pid", "occurred_at",
                                         "area_code"};
    for (int k = 0; k < 5; k++) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[k], OFTString);
        OGR_L_CreateField(l, fd, TRUE);
        OGR_Fld_Destroy(fd);
    }
    const double dx[] = {50, 100, 150, 300, 20, 190, NAN, 60};
    const double dy[] = {50, 50, 50, 50, 20, 78, NAN, 82};
    static const char *const cats[] = {"syv", "cse", "syv;hsb", "", "cse", "syv", "syv", "hsb"};
    for (int i = 0; i < 8; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        char uid[16], pid[16], when[48];
        snprintf(uid, sizeof uid, "u%d", i);
        snprintf(pid, sizeof pid, "p%d", i % 3);
        snprintf(when, sizeof when, "2024-03-%02d %02d:15", 4 + i, 8 + i);
        OGR_F_SetFieldString(f, 0, uid);
        OGR_F_SetFieldString(f, 1, cats[i]);
        OGR_F_SetFieldString(f, 2, pid);
        OGR_F_SetFieldString(f, 3, when);
        OGR_F_SetFieldString(f, 4, "STALE");
        if (!isnan(dx[i])) {
            OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(g, 0, X0 + dx[i], Y0 + dy[i]);
            OGR_F_SetGeometryDirectly(f, g);
        }
        assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    assert_int_equal(OGR_L_DeleteFeature(l, 3), OGRERR_NONE); /* a gap in the fids */
    OGRLayerH other = GDALDatasetCreateLayer(ds, "people_links", NULL, wkbNone, NULL);
    OGRFieldDefnH fd = OGR_Fld_Create("note", OFTString);
    OGR_L_CreateField(other, fd, TRUE);
    OGR_Fld_Destroy(fd);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(other));
    OGR_F_SetFieldString(f, 0, "kept");
    assert_int_equal(OGR_L_CreateFeature(other, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    OGRLayerH stale = GDALDatasetCreateLayer(ds, "areas", srs, wkbPoint, NULL);
    f = OGR_F_Create(OGR_L_GetLayerDefn(stale));
    assert_int_equal(OGR_L_CreateFeature(stale, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    /* An earlier run's temporal table, with a column the new one lacks. */
    OGRLayerH old_t = GDALDatasetCreateLayer(ds, "temporal", NULL, wkbNone, NULL);
    fd = OGR_Fld_Create("stale", OFTString);
    OGR_L_CreateField(old_t, fd, TRUE);
    OGR_Fld_Destroy(fd);
    for (int k = 0; k < 3; k++) {
        f = OGR_F_Create(OGR_L_GetLayerDefn(old_t));
        OGR_F_SetFieldString(f, 0, "old");
        assert_int_equal(OGR_L_CreateFeature(old_t, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    OGRLayerH meta = GDALDatasetCreateLayer(ds, "run_metadata", NULL, wkbNone, NULL);
    for (int k = 0; k < 2; k++) {
        fd = OGR_Fld_Create(k ? "value" : "key", OFTString);
        OGR_L_CreateField(meta, fd, TRUE);
        OGR_Fld_Destroy(fd);
    }
    static const char *const kv[][2] = {{"run.kept", "1"}, {"snap.old", "dropped"}};
    for (int k = 0; k < 2; k++) {
        f = OGR_F_Create(OGR_L_GetLayerDefn(meta));
        OGR_F_SetFieldString(f, 0, kv[k][0]);
        OGR_F_SetFieldString(f, 1, kv[k][1]);
        assert_int_equal(OGR_L_CreateFeature(meta, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    OSRDestroySpatialReference(srs);
    GDALClose(ds);
}

static int64_t sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* ctxprof snap's two ways of writing (a copy of a GeoPackage updated in
 * place, and every layer rewritten feature by feature) give the same
 * incidents (every column, geometry included), layers and metadata. */
static void test_snap_gpkg_paths_equal(void **state)
{
    (void)state;
    char in[64], fast[64], slow[64];
    snprintf(in, sizeof in, "/tmp/ctxprof-snap-in-%ld.gpkg", (long)getpid());
    snprintf(fast, sizeof fast, "/tmp/ctxprof-snap-fast-%ld.gpkg", (long)getpid());
    snprintf(slow, sizeof slow, "/tmp/ctxprof-snap-slow-%ld.gpkg", (long)getpid());
    make_snap_input(in);
    /* The SQLite reader gives what the OGR reader gives, in EPSG:27700 and
     * transformed to WGS 84. */
    GDALDatasetH ids = GDALOpenEx(in, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ids);
    OGRLayerH il = GDALDatasetGetLayerByName(ids, "incidents");
    static const char *const crss[] = {"EPSG:27700", "EPSG:4326"};
    for (int k = 0; k < 2; k++) {
        ctxprof_incidents a, b;
        int64_t *fids = NULL;
        assert_int_equal(ctxprof_snap_read_incidents(ctx, &a, il, in, crss[k]), 0);
        assert_int_equal(ctxprof_snap_read_incidents_gpkg(ctx, &b, il, in, crss[k], &fids), 0);
        assert_int_equal(a.n, 7);
        assert_int_equal(b.n, a.n);
        assert_int_equal(fids[2], 4); /* fid 3 was deleted */
        assert_memory_equal(a.x, b.x, a.n * sizeof *a.x);
        assert_memory_equal(a.y, b.y, a.n * sizeof *a.y);
        assert_memory_equal(a.cats, b.cats, a.n * sizeof *a.cats);
        assert_memory_equal(a.flags, b.flags, a.n * sizeof *a.flags);
        assert_memory_equal(a.pid, b.pid, a.n * sizeof *a.pid);
        assert_memory_equal(a.when, b.when, a.n * sizeof *a.when);
        assert_true(isnan(b.x[5])); /* the incident without a position */
        assert_true(b.when[0].precision >= CTXPROF_PREC_MINUTE);
        assert_true(b.cats[0] != 0 && b.cats[2] == 0 && b.pid[1][0]);
        ctxprof_incidents_free(ctx, &a);
        ctxprof_incidents_free(ctx, &b);
        free(fids);
    }
    GDALClose(ids);

    ctxprof_profile *p = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, test_data("snap/snap.ini")), 0);
    ctxprof_snap_options o = CTXPROF_SNAP_OPTIONS_INIT;
    ctxprof_snap_summary sum;
    for (int rewrite = 0; rewrite < 2; rewrite++) {
        o.rewrite = rewrite;
        if (ctxprof_snap_gpkg(ctx, &sum, ctxprof_profile_contexts_options(p), &o, in,
                              rewrite ? slow : fast, "test", NULL))
            fail_msg("%s", ctxprof_errmsg(ctx));
        assert_int_equal(sum.n_incidents, 7);
        assert_int_equal(sum.n_layers_copied, 1);
        ctxprof_snap_summary_free(ctx, &sum);
    }
    ctxprof_profile_free(ctx, p);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(fast, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char sql[4096];
    snprintf(sql, sizeof sql, "ATTACH DATABASE '%s' AS s", slow);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    /* The same columns (order aside) and rows, fid aside (the rewrite
     * numbers the features afresh). */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('incidents')"), 16);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('incidents') WHERE name "
                                 "NOT IN (SELECT name FROM s.pragma_table_info('incidents'))"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM s.pragma_table_info('incidents')"), 16);
    char cols[1024] = "";
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM pragma_table_info('incidents') "
                                        "WHERE name <> 'fid'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*cols)
            strcat(cols, ", ");
        strcat(cols, "\"");
        strcat(cols, (const char *)sqlite3_column_text(st, 0));
        strcat(cols, "\"");
    }
    sqlite3_finalize(st);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM incidents"), 7);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM s.incidents"), 7);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT %s FROM incidents EXCEPT SELECT %s FROM s.incidents)",
             cols, cols);
    assert_int_equal(sql_int(db, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT %s FROM s.incidents EXCEPT SELECT %s FROM incidents)",
             cols, cols);
    assert_int_equal(sql_int(db, sql), 0);
    /* The links are there and the stale ones are gone. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM incidents WHERE area_code = 'STALE'"), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM incidents WHERE area_code = 'A1'"), 4);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM incidents WHERE school_id IS NOT NULL"), 6);
    /* The spatial index still holds every located incident. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM rtree_incidents_geom"), 6);
    /* The same layers, with the same numbers of rows. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT table_name FROM gpkg_contents "
                                 "EXCEPT SELECT table_name FROM s.gpkg_contents)"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_contents"),
                     sql_int(db, "SELECT count(*) FROM s.gpkg_contents"));
    static const char *const tables[] = {"areas",        "schools",           "parks",
                                         "bus_segments", "school_catchments", "temporal",
                                         "people_links"};
    for (size_t k = 0; k < sizeof tables / sizeof *tables; k++) {
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT count(*) FROM \"%s\") - "
                 "(SELECT count(*) FROM s.\"%s\")",
                 tables[k], tables[k]);
        assert_int_equal(sql_int(db, sql), 0);
    }
    assert_int_equal(sql_int(db, "SELECT count(*) FROM areas"), 2);
    /* The temporal table (written by SQL on the copy, through OGR on the
     * rewrite): the same rows, fids, schema, triggers and feature count. */
    assert_true(sql_int(db, "SELECT count(*) FROM temporal") > 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT * FROM temporal EXCEPT "
                                 "SELECT * FROM s.temporal)"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT * FROM s.temporal EXCEPT "
                                 "SELECT * FROM temporal)"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT type, name, sql FROM "
                                 "sqlite_master WHERE tbl_name = 'temporal' EXCEPT SELECT type, "
                                 "name, sql FROM s.sqlite_master WHERE tbl_name = 'temporal')"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'temporal'"),
                     sql_int(db, "SELECT count(*) FROM s.sqlite_master "
                                 "WHERE tbl_name = 'temporal'"));
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT table_name, data_type, "
                                 "identifier, description, srs_id FROM gpkg_contents EXCEPT "
                                 "SELECT table_name, data_type, identifier, description, srs_id "
                                 "FROM s.gpkg_contents)"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT * FROM gpkg_ogr_contents "
                                 "EXCEPT SELECT * FROM s.gpkg_ogr_contents)"),
                     0);
    assert_int_equal(sql_int(db, "SELECT feature_count FROM gpkg_ogr_contents "
                                 "WHERE table_name = 'temporal'"),
                     sql_int(db, "SELECT count(*) FROM temporal"));
    assert_int_equal(sql_int(db, "SELECT count(*) FROM temporal WHERE context_type IS NULL OR "
                                 "context_type NOT IN ('areas', 'schools', 'parks', "
                                 "'bus_segments', 'school_catchments')"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT key FROM run_metadata EXCEPT "
                                 "SELECT key FROM s.run_metadata)"),
                     0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM run_metadata WHERE key = 'run.kept'"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM run_metadata WHERE key = 'snap.old'"), 0);
    assert_int_equal(sql_int(db, "SELECT feature_count FROM gpkg_ogr_contents "
                                 "WHERE table_name = 'incidents'"),
                     7);
    sqlite3_close(db);
    /* GDAL reads the fast output as a valid GeoPackage. */
    GDALDatasetH ds = GDALOpenEx(fast, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "incidents");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), 7);
    OGR_L_SetSpatialFilterRect(l, X0, Y0, X0 + 100, Y0 + 100);
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), 4);
    GDALClose(ds);
    unlink(in);
    unlink(fast);
    unlink(slow);
}

/* The point-in-polygon grid links every point as the tree alone does: the
 * real 4,835 London LSOAs, 200,000 random points over their extent and
 * every vertex of the first 500 (points on shared boundaries). */
static void test_grid_equals_tree(void **state)
{
    (void)state;
    const char *lsoa = test_data("snap/../../../../shared/data/real/boundaries/"
                                 "london-2011-lsoa-gen20.shp");
    if (access(lsoa, R_OK) != 0) {
        print_message("real data not found (%s): skipped\n", lsoa);
        skip();
    }
    char ini[1200], *abs = realpath(lsoa, NULL);
    assert_non_null(abs);
    snprintf(ini, sizeof ini, "[profile]\nname = grid\ncrs = EPSG:27700\n[contexts]\nareas = %s\n",
             abs);
    free(abs);
    ctxprof_profile *p = NULL;
    ctxprof_contexts *c = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, temp_file(".ini", ini)), 0);
    if (ctxprof_contexts_load(ctx, &c, ctxprof_profile_contexts_options(p)))
        fail_msg("%s", ctxprof_errmsg(ctx));
    const ctxprof_context_layer *l = &c->layer[CTXPROF_CTX_AREAS];
    assert_int_equal(l->n, 4835);
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    size_t n = 200000, cap = n + 200000;
    ctxprof_incidents inc;
    double *zero = calloc(cap, sizeof *zero);
    make_incidents(&inc, cap, zero, zero); /* positions set below */
    free(zero);
    uint64_t seed = 42;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        inc.x[i] = 503000 + (double)(seed >> 11) / 9007199254740992.0 * 59000;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        inc.y[i] = 155000 + (double)(seed >> 11) / 9007199254740992.0 * 47000;
    }
    for (size_t f = 0; f < 500 && n < cap; f++) {
        GEOSGeometry *pts = GEOSGeom_extractUniquePoints_r(h, l->geom[f]);
        int np = pts ? GEOSGetNumGeometries_r(h, pts) : 0;
        for (int k = 0; k < np && n < cap; k++) {
            const GEOSGeometry *pt = GEOSGetGeometryN_r(h, pts, k);
            GEOSGeomGetX_r(h, pt, &inc.x[n]);
            GEOSGeomGetY_r(h, pt, &inc.y[n]);
            n++;
        }
        GEOSGeom_destroy_r(h, pts);
    }
    inc.n = n;
    ctxprof_snap_options o = CTXPROF_SNAP_OPTIONS_INIT;
    ctxprof_snap_result a, b;
    assert_int_equal(ctxprof_snap_run(ctx, &a, c, &inc, &o), 0);
    o.no_grid = 1;
    assert_int_equal(ctxprof_snap_run(ctx, &b, c, &inc, &o), 0);
    size_t linked = 0;
    for (size_t i = 0; i < n; i++) {
        if (a.link[CTXPROF_CTX_AREAS][i] != b.link[CTXPROF_CTX_AREAS][i])
            fail_msg("point %zu (%.17g, %.17g): grid %d, tree %d", i, inc.x[i], inc.y[i],
                     a.link[CTXPROF_CTX_AREAS][i], b.link[CTXPROF_CTX_AREAS][i]);
        linked += a.link[CTXPROF_CTX_AREAS][i] >= 0;
    }
    assert_true(n > 200000 + 10000);
    assert_true(linked > n / 2 && linked < n);
    ctxprof_snap_result_free(ctx, &a);
    ctxprof_snap_result_free(ctx, &b);
    inc.n = cap;
    free_incidents(&inc);
    ctxprof_contexts_free(ctx, c);
    ctxprof_profile_free(ctx, p);
}

/* Linking on several threads gives what one thread gives: every link,
 * distance and profile, on 100,000 incidents over the fixture (some
 * without a position), with more threads than chunks at the end. */
static void test_threads_equal(void **state)
{
    (void)state;
    ctxprof_contexts *c = load_fixture();
    size_t n = 100000;
    double *dx = malloc(n * sizeof *dx), *dy = malloc(n * sizeof *dy);
    uint64_t seed = 7;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        dx[i] = -100 + (double)(seed >> 11) / 9007199254740992.0 * 400;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        dy[i] = -100 + (double)(seed >> 11) / 9007199254740992.0 * 300;
    }
    ctxprof_incidents inc;
    make_incidents(&inc, n, dx, dy);
    for (size_t i = 0; i < n; i += 97)
        inc.x[i] = NAN;
    for (size_t i = 0; i < n; i++) {
        inc.cats[i] = 1u << (i % 5);
        snprintf(inc.pid[i], sizeof inc.pid[i], "%016zx", i % 5000);
        inc.when[i] = (ctxprof_datetime){2025, 3, 1 + (int)(i % 28),  (int)(i % 24),
                                         0,    0, CTXPROF_PREC_MINUTE};
    }
    ctxprof_snap_options o = CTXPROF_SNAP_OPTIONS_INIT;
    ctxprof_snap_result one, many;
    o.threads = 1;
    assert_int_equal(ctxprof_snap_run(ctx, &one, c, &inc, &o), 0);
    o.threads = 5;
    assert_int_equal(ctxprof_snap_run(ctx, &many, c, &inc, &o), 0);
    assert_int_equal(one.n_no_position, (n + 96) / 97);
    assert_int_equal(many.n_no_position, one.n_no_position);
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        if (!c->layer[t].present)
            continue;
        assert_memory_equal(one.link[t], many.link[t], n * sizeof *one.link[t]);
        if (one.dist[t])
            assert_memory_equal(one.dist[t], many.dist[t], n * sizeof(double));
        assert_int_equal(one.n_linked[t], many.n_linked[t]);
        assert_true(one.n_linked[t] > 0);
        const ctxprof_context_profile *a = &one.profile[t], *b = &many.profile[t];
        assert_memory_equal(a->n_total, b->n_total, a->n * sizeof *a->n_total);
        assert_memory_equal(a->n_people, b->n_people, a->n * sizeof *a->n_people);
    }
    assert_int_equal(one.n_temporal, many.n_temporal);
    for (size_t k = 0; k < one.n_temporal; k++) {
        const ctxprof_temporal_cell *a = &one.temporal[k], *b = &many.temporal[k];
        assert_true(a->type == b->type && a->feature == b->feature && a->weekday == b->weekday &&
                    a->hour == b->hour && a->n == b->n);
    }
    ctxprof_snap_result_free(ctx, &one);
    ctxprof_snap_result_free(ctx, &many);
    free_incidents(&inc);
    free(dx);
    free(dy);
    ctxprof_contexts_free(ctx, c);
}

static int cancel_on_write(double complete, const char *msg, void *payload)
{
    (void)complete;
    int *seen = payload;
    if (msg && strcmp(msg, "writing incidents") == 0) {
        (*seen)++;
        return 0; /* cancel */
    }
    return 1;
}

/* The in-place update of a GeoPackage's incidents reports progress and
 * stops when cancelled, leaving no output. */
static void test_snap_gpkg_update_cancel(void **state)
{
    (void)state;
    char in[64], out[64];
    snprintf(in, sizeof in, "/tmp/ctxprof-snap-cin-%ld.gpkg", (long)getpid());
    snprintf(out, sizeof out, "/tmp/ctxprof-snap-cout-%ld.gpkg", (long)getpid());
    GDALAllRegister();
    VSIUnlink(in);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), in, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "incidents", srs, wkbPoint, NULL);
    OSRDestroySpatialReference(srs);
    assert_int_equal(GDALDatasetStartTransaction(ds, FALSE), OGRERR_NONE);
    for (int i = 0; i < 10000; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, X0 + i % 200, Y0 + (i / 200) % 100);
        OGR_F_SetGeometryDirectly(f, g);
        assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    assert_int_equal(GDALDatasetCommitTransaction(ds), OGRERR_NONE);
    GDALClose(ds);
    ctxprof_profile *p = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, test_data("snap/snap.ini")), 0);
    int seen = 0;
    ctxprof_set_progress(ctx, cancel_on_write, &seen);
    ctxprof_snap_summary sum;
    int rc = ctxprof_snap_gpkg(ctx, &sum, ctxprof_profile_contexts_options(p), NULL, in, out,
                               "test", NULL);
    ctxprof_set_progress(ctx, NULL, NULL);
    assert_int_equal(rc, CTXPROF_E_CANCELLED);
    assert_int_equal(seen, 1);
    assert_int_equal(access(out, F_OK), -1);
    /* nor the copy made on the second thread, nor the temporary output */
    char left[128];
    snprintf(left, sizeof left, "/tmp/.ctxprof-snap-cout-%ld.gpkg.copy-%ld.gpkg", (long)getpid(),
             (long)getpid());
    assert_int_equal(access(left, F_OK), -1);
    snprintf(left, sizeof left, "/tmp/.ctxprof-snap-cout-%ld.gpkg.tmp-%ld.gpkg", (long)getpid(),
             (long)getpid());
    assert_int_equal(access(left, F_OK), -1);
    /* and without a cancel it goes through */
    assert_int_equal(ctxprof_snap_gpkg(ctx, &sum, ctxprof_profile_contexts_options(p), NULL, in,
                                       out, "test", NULL),
                     0);
    assert_int_equal(sum.n_incidents, 10000);
    ctxprof_snap_summary_free(ctx, &sum);
    ctxprof_profile_free(ctx, p);
    unlink(in);
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_in_polygon),
        cmocka_unit_test(test_nearest_school),
        cmocka_unit_test(test_park_buffer_boundary),
        cmocka_unit_test(test_bowtie_repaired),
        cmocka_unit_test(test_voronoi_catchments),
        cmocka_unit_test(test_bus_segments_merged),
        cmocka_unit_test(test_clip_and_route_exclusion),
        cmocka_unit_test(test_profiles_and_temporal),
        cmocka_unit_test(test_real_bus_sequences),
        cmocka_unit_test(test_snap_gpkg_paths_equal),
        cmocka_unit_test(test_grid_equals_tree),
        cmocka_unit_test(test_threads_equal),
        cmocka_unit_test(test_snap_gpkg_update_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
