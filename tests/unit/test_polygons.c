/* One study-area rule for every stage (core/polygons.h): the area that
 * filters the incidents (load), the contexts' study area (snap) and the PAI
 * denominator (hotspots) are the same area, with the same repair. */
#include "test_util.h"

#include <ogr_api.h>

#include "core/polygons.h"
#include "hotspots/hotspots.h"
#include "hotspots/kde.h"
#include "snap/contexts.h"

static ctxprof_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    ctx = ctxprof_ctx_new();
    ctxprof_set_log(ctx, NULL, NULL, CTXPROF_LOG_ERROR);
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ctxprof_ctx_free(ctx);
    return 0;
}

/* Two adjacent 1 km squares (one area of 2 km2 once unioned) and a 1 km
 * bow-tie (invalid as written; make-valid gives two triangles, 0.5 km2), in
 * British National Grid. */
static const char *study_area(void)
{
    return temp_file(
        ".geojson",
        "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": "
        "{\"name\": \"urn:ogc:def:crs:EPSG::27700\"}}, \"features\": ["
        "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": {\"type\": \"Polygon\", "
        "\"coordinates\": [[[530000, 180000], [531000, 180000], [531000, 181000], "
        "[530000, 181000], [530000, 180000]]]}},"
        "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": {\"type\": \"Polygon\", "
        "\"coordinates\": [[[531000, 180000], [532000, 180000], [532000, 181000], "
        "[531000, 181000], [531000, 180000]]]}},"
        "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": {\"type\": \"Polygon\", "
        "\"coordinates\": [[[533000, 180000], [534000, 181000], [534000, 180000], "
        "[533000, 181000], [533000, 180000]]]}}]}");
}

static void test_one_area_everywhere(void **state)
{
    (void)state;
    const char *uri = study_area();
    assert_non_null(uri);
    GEOSContextHandle_t h = ctxprof_geos(ctx);

    /* load */
    GEOSGeometry *g = NULL;
    assert_int_equal(ctxprof_study_area_read(ctx, &g, uri, "EPSG:27700"), 0);
    double a_load = 0;
    assert_true(GEOSArea_r(h, g, &a_load));
    assert_near(a_load, 2.5e6, 1e-6);
    assert_int_equal(GEOSisValid_r(h, g), 1);

    /* snap */
    ctxprof_contexts *c = NULL;
    assert_int_equal(ctxprof_contexts_new(ctx, &c, "EPSG:27700"), 0);
    assert_int_equal(ctxprof_contexts_read_study_area(ctx, c, uri), 0);
    double a_snap = 0;
    assert_true(GEOSArea_r(h, c->study_area, &a_snap));
    assert_near(a_snap, a_load, 0);
    ctxprof_contexts_free(ctx, c);

    /* hotspots: the PAI's A is the same area */
    OGRGeometryH og = NULL;
    assert_int_equal(ctxprof_hotspots_study_area(ctx, &og, uri, "EPSG:27700"), 0);
    assert_near(OGR_G_Area(og), a_load, 1e-6);
    double x[] = {530500, 531500, 531600, 533700, 530400};
    double y[] = {180500, 180500, 180400, 180500, 180600};
    ctxprof_kde_options ko = CTXPROF_KDE_OPTIONS_INIT;
    ko.radius = 300;
    ko.pixel = 25;
    ctxprof_raster d = {0};
    assert_int_equal(ctxprof_kde_run(ctx, &d, x, y, NULL, 5, &ko), 0);
    ctxprof_hotspot_options ho = CTXPROF_HOTSPOT_OPTIONS_INIT;
    ho.study_area = og;
    ctxprof_hotspots hs = {0};
    if (ctxprof_hotspots_run(ctx, &hs, &d, x, y, 5, &ho))
        fail_msg("%s", ctxprof_errmsg(ctx));
    assert_near(hs.study_area_m2, a_load, 1e-6);
    ctxprof_hotspots_free(&hs);
    ctxprof_raster_clear(&d);
    OGR_G_DestroyGeometry(og);
    GEOSGeom_destroy_r(h, g);
}

/* A study area with no CRS is an error for every stage alike. */
static void test_no_crs_is_an_error(void **state)
{
    (void)state;
    const char *csv = temp_file(".csv", "WKT,id\n\"POLYGON ((0 0,1 0,1 1,0 1,0 0))\",1\n");
    GEOSGeometry *g = NULL;
    int rc = ctxprof_study_area_read(ctx, &g, csv, "EPSG:27700");
    assert_int_equal(rc, CTXPROF_E_CRS);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "has no CRS"));
    assert_null(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_area_everywhere),
        cmocka_unit_test(test_no_crs_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
