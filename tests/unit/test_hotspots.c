/* Hotspot polygons and PAI, Gi* with FDR, and evaluation: exact values on
 * small hand-made surfaces and grids. */
#include "test_util.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <unistd.h>

#include "core/context.h"
#include "hotspots/hotspots.h"
#include "hotspots/points.h"
#include "hotspots/stage.h"
#include "write/output.h"

/* 10 x 10 cells of 10 m over (0..100, 0..100): density 1, a 2x2 block of 5
 * (cells rows 2-3, cols 2-3) and one cell of 4 (row 7, col 7). */
static void surface(ctxprof_raster *r)
{
    memset(r, 0, sizeof *r);
    r->cols = r->rows = 10;
    double gt[6] = {0, 10, 0, 100, 0, -10};
    memcpy(r->gt, gt, sizeof gt);
    r->nodata = CTXPROF_KDE_NODATA;
    r->data = malloc(100 * sizeof(float));
    for (int i = 0; i < 100; i++)
        r->data[i] = 1;
    r->data[2 * 10 + 2] = r->data[2 * 10 + 3] = r->data[3 * 10 + 2] = r->data[3 * 10 + 3] = 5;
    r->data[7 * 10 + 7] = 4;
}

/* 20 points: 10 in the block, 2 in the single cell, 8 elsewhere, two of
 * them on the corners so that the bounding box is the whole 100 x 100. */
static void points(double *x, double *y)
{
    int k = 0;
    for (int i = 0; i < 10; i++) {
        x[k] = 21 + i;
        y[k++] = 61 + i; /* rows 2-3 are y 60..80 */
    }
    x[k] = 75;
    y[k++] = 25; /* row 7 col 7: x 70..80, y 20..30 */
    x[k] = 76;
    y[k++] = 26;
    x[k] = 0;
    y[k++] = 0;
    x[k] = 100;
    y[k++] = 100;
    for (int i = 0; i < 6; i++) {
        x[k] = 5 + i;
        y[k++] = 45;
    }
}

static void test_hotspot_polygons_and_pai(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    surface(&r);
    double x[20], y[20];
    points(x, y);
    ctxprof_hotspots h;
    ctxprof_hotspot_options o = CTXPROF_HOTSPOT_OPTIONS_INIT;
    /* 5% of 10,000 m2 = 5 cells: the block and the single cell. */
    assert_int_equal(ctxprof_hotspots_run(ctx, &h, &r, x, y, 20, &o), 0);
    assert_near(h.study_area_m2, 10000, 1e-9);
    assert_near(h.threshold, 4, 0);
    assert_int_equal(h.n_total, 20);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.n_incidents[0], 10);
    assert_near(h.area_m2[0], 400, 1e-9);
    assert_near(OGR_G_Area(h.geom[0]), 400, 1e-6);
    assert_near(h.share_incidents[0], 0.5, 1e-12);
    assert_near(h.share_area[0], 0.04, 1e-12);
    assert_near(h.pai[0], 12.5, 1e-9);
    assert_int_equal(h.n_incidents[1], 2);
    assert_near(h.pai[1], 10, 1e-9);
    OGREnvelope e;
    OGR_G_GetEnvelope(h.geom[0], &e);
    assert_near(e.MinX, 20, 1e-9);
    assert_near(e.MaxX, 40, 1e-9);
    assert_near(e.MinY, 60, 1e-9);
    assert_near(e.MaxY, 80, 1e-9);
    ctxprof_hotspots_free(&h);

    /* 4% (4 cells): the block alone. */
    o.area_share = 0.04;
    assert_int_equal(ctxprof_hotspots_run(ctx, &h, &r, x, y, 20, &o), 0);
    assert_int_equal(h.n, 1);
    assert_near(h.pai[0], 12.5, 1e-9);
    ctxprof_hotspots_free(&h);

    /* A study area polygon: the left half (A = 5,000 m2, 6 points out of it). */
    OGRGeometryH sa = NULL;
    char wkt[] = "POLYGON ((0 0, 50 0, 50 100, 0 100, 0 0))";
    char *p = wkt;
    assert_int_equal(OGR_G_CreateFromWkt(&p, NULL, &sa), OGRERR_NONE);
    o.study_area = sa;
    o.area_share = 0.08; /* 4 cells */
    assert_int_equal(ctxprof_hotspots_run(ctx, &h, &r, x, y, 20, &o), 0);
    assert_near(h.study_area_m2, 5000, 1e-9);
    /* N counts points in cells whose centre is in the study area: (100,100)
     * and the two at (75, 25) are outside, and (0, 0) lies on the grid's
     * bottom edge, in no cell. */
    assert_int_equal(h.n_total, 16);
    assert_int_equal(h.n, 1);
    assert_near(h.pai[0], (10.0 / 16) / (400.0 / 5000), 1e-9);
    ctxprof_hotspots_free(&h);
    o.area_share = 0;
    assert_int_equal(ctxprof_hotspots_run(ctx, &h, &r, x, y, 20, &o), CTXPROF_E_CONFIG);
    OGR_G_DestroyGeometry(sa);
    ctxprof_raster_clear(&r);
    ctxprof_ctx_free(ctx);
}

static void test_bh_threshold(void **state)
{
    (void)state;
    double p[] = {0.01, 0.04, 0.03, 0.5};
    /* k/m q = 0.0125, 0.025, 0.0375, 0.05: only the smallest passes. */
    assert_near(ctxprof_bh_threshold(p, 4, 0.05), 0.01, 0);
    /* At q = 0.2: 0.05, 0.1, 0.15, 0.2: the first three pass. */
    assert_near(ctxprof_bh_threshold(p, 4, 0.2), 0.04, 0);
    double none[] = {0.9, 0.8};
    assert_near(ctxprof_bh_threshold(none, 2, 0.05), 0, 0);
}

static void test_gistar_exact(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    OGRGeometryH sa = NULL;
    char wkt[] = "POLYGON ((0 0, 200 0, 200 200, 0 200, 0 0))";
    char *p = wkt;
    assert_int_equal(OGR_G_CreateFromWkt(&p, NULL, &sa), OGRERR_NONE);
    double x[4] = {50, 50, 50, 50}, y[4] = {150, 150, 150, 150};
    ctxprof_gistar g;
    ctxprof_gistar_options o = CTXPROF_GISTAR_OPTIONS_INIT;
    o.study_area = sa;
    o.band = 0; /* the cell alone: Gi* is the z-score (x - mean) / S */
    assert_int_equal(ctxprof_gistar_run(ctx, &g, x, y, 4, &o), 0);
    assert_int_equal(g.n_cells, 4);
    /* Counts 4, 0, 0, 0: mean 1, S = sqrt(16/4 - 1) = sqrt 3. */
    assert_int_equal(g.count[0], 4);
    assert_near(g.z[0], sqrt(3.0), 1e-12);
    assert_near(g.z[1], -1 / sqrt(3.0), 1e-12);
    assert_near(g.p[0], erfc(sqrt(3.0) / sqrt(2.0)), 1e-15);
    for (int k = 0; k < 4; k++)
        assert_int_equal(g.bin[k], 0); /* p = 0.083 > 1/4 * 0.10 */
    ctxprof_gistar_free(&g);
    /* Band 100: itself and its two rook neighbours: W = 3, sum 4:
     * (4 - 1 * 3) / (sqrt 3 * sqrt((4 * 3 - 9) / 3)) = 1 / sqrt 3. */
    o.band = 100;
    assert_int_equal(ctxprof_gistar_run(ctx, &g, x, y, 4, &o), 0);
    assert_near(g.z[0], 1 / sqrt(3.0), 1e-12);
    ctxprof_gistar_free(&g);
    OGR_G_DestroyGeometry(sa);

    /* A strong cluster on a large grid is hot (bin 3) after FDR. */
    enum { N = 600 };
    double cx[N], cy[N];
    for (int i = 0; i < N; i++) {
        cx[i] = i < 300 ? 1050 + (i % 10) : 37.0 * (i % 53) + 11;
        cy[i] = i < 300 ? 1050 + (i % 7) : 41.0 * (i % 47) + 7;
    }
    ctxprof_gistar_options o2 = CTXPROF_GISTAR_OPTIONS_INIT;
    assert_int_equal(ctxprof_gistar_run(ctx, &g, cx, cy, N, &o2), 0);
    int hot = 0;
    for (size_t k = 0; k < g.n_cells; k++)
        if (g.count[k] >= 300) {
            assert_int_equal(g.bin[k], 3);
            hot = 1;
        }
    assert_true(hot);
    ctxprof_gistar_free(&g);
    ctxprof_ctx_free(ctx);
}

static void test_evaluate_pai_rri(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    surface(&r);
    double x[20], y[20];
    points(x, y);
    /* Test period: 5 in the block, 5 elsewhere. */
    double tx[10], ty[10];
    for (int i = 0; i < 10; i++) {
        tx[i] = i < 5 ? 25 + i : 5 + i;
        ty[i] = i < 5 ? 65 : 45;
    }
    double cov[2] = {0.04, 0.05};
    ctxprof_eval ev[2];
    assert_int_equal(ctxprof_hotspots_evaluate(ctx, ev, cov, 2, &r, x, y, 20, tx, ty, 10, NULL), 0);
    assert_near(ev[0].area_m2, 400, 1e-9);
    assert_int_equal(ev[0].n_train, 10);
    assert_int_equal(ev[0].n_test, 5);
    assert_near(ev[0].pai_train, 0.5 / 0.04, 1e-9);
    assert_near(ev[0].pai_test, 0.5 / 0.04, 1e-9);
    assert_near(ev[0].rri, (5.0 / 10) / (10.0 / 20), 1e-12);
    assert_int_equal(ev[1].n_train, 12);
    assert_int_equal(ev[1].n_test, 5);
    assert_near(ev[1].pai_test, 0.5 / 0.05, 1e-9);
    assert_near(ev[1].rri, (5.0 / 12) / (10.0 / 20), 1e-12);
    ctxprof_raster_clear(&r);
    ctxprof_ctx_free(ctx);
}

/* A large GeoPackage of points is read on two threads straight through
 * SQLite: the same points, in the same order, and the same accounting as
 * the sequential OGR reader (which a filter forces), with NULL and empty
 * geometries and a gap in the fids; a multipoint sends it back to OGR. */
static void compare_readers(ctxprof_ctx *ctx, const char *path)
{
    ctxprof_points par = {0}, seq = {0};
    ctxprof_points_options o = CTXPROF_POINTS_OPTIONS_INIT;
    assert_int_equal(ctxprof_points_read(ctx, &par, path, &o), 0);
    o.where = "1 = 1";
    assert_int_equal(ctxprof_points_read(ctx, &seq, path, &o), 0);
    assert_int_equal(par.n, seq.n);
    assert_int_equal(par.features, seq.features);
    assert_int_equal(par.no_geometry, seq.no_geometry);
    assert_memory_equal(par.x, seq.x, par.n * sizeof *par.x);
    assert_memory_equal(par.y, seq.y, par.n * sizeof *par.y);
    ctxprof_points_free(&par);
    ctxprof_points_free(&seq);
}

static void test_points_gpkg_parallel(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/ctxprof-points-%ld.gpkg", (long)getpid());
    GDALAllRegister();
    VSIUnlink(path);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "points", srs, wkbPoint, NULL);
    OSRDestroySpatialReference(srs);
    assert_int_equal(GDALDatasetStartTransaction(ds, FALSE), OGRERR_NONE);
    for (int i = 0; i < 210000; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        if (i % 1000 != 7) { /* every thousandth without a geometry */
            OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
            if (i % 1001 != 3) /* and another an empty point */
                OGR_G_SetPoint_2D(g, 0, 530000 + (i * 7919LL) % 20000 + 0.25,
                                  180000 + (i * 104729LL) % 15000 + 0.5);
            OGR_F_SetGeometryDirectly(f, g);
        }
        assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    for (GIntBig fid = 100000; fid < 100500; fid++) /* a gap across the middle */
        assert_int_equal(OGR_L_DeleteFeature(l, fid), OGRERR_NONE);
    assert_int_equal(GDALDatasetCommitTransaction(ds), OGRERR_NONE);
    GDALClose(ds);
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    compare_readers(ctx, path);

    ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPoint);
    for (int k = 0; k < 2; k++) {
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, 531000 + k, 181000 + k);
        OGR_G_AddGeometryDirectly(mp, g);
    }
    OGR_F_SetGeometryDirectly(f, mp);
    assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);
    compare_readers(ctx, path);
    ctxprof_ctx_free(ctx);
    unlink(path);
}

/* [hotspots] categories: a density surface and hotspots of each listed
 * category's own incidents, with every incident's radius; a category
 * without incidents is left out and said so in run_metadata. Two clusters:
 * 40 syv incidents on (1000..1060, 1000..1040), 60 asb on (3000..3060, ...);
 * with no study area A is the points' extent, so 30% of it is two polygons
 * of every incident (66 of them), one 25 m cell of each category's own. */
static void test_stage_categories(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/ctxprof-hotcat-%ld.gpkg", (long)getpid());
    VSIUnlink(path);
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_output *out = NULL;
    assert_int_equal(ctxprof_output_open(ctx, &out, path, "EPSG:27700"), 0);
    double x[100], y[100];
    uint32_t cats[100];
    for (int i = 0; i < 100; i++) {
        int syv = i < 40;
        x[i] = (syv ? 1000 : 3000) + (i % 7) * 10.0;
        y[i] = 1000 + (i % 5) * 10.0;
        cats[i] = 1u << (syv ? 1 : 7); /* syv, asb (load/taxonomy.c) */
    }
    ctxprof_hotspots_stage_options o = CTXPROF_HOTSPOTS_STAGE_OPTIONS_INIT;
    o.file = "test.ini";
    o.radius_m = 200;
    o.area_share = 0.3;
    o.categories = "syv, asb, cse";
    assert_int_equal(ctxprof_hotspots_stage(ctx, out, &o, x, y, cats, 100), 0);
    assert_int_equal(ctxprof_output_finish(ctx, out), 0);
    ctxprof_output_close(ctx, out);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    /* hotspots: n_incidents and where, per category */
    OGRLayerH res = GDALDatasetExecuteSQL(
        ds,
        "SELECT category, SUM(n_incidents), MIN(ST_MinX(geom)), MAX(ST_MaxX(geom)), "
        "MIN(rank), COUNT(*) FROM hotspots GROUP BY category ORDER BY category",
        NULL, "SQLITE");
    assert_non_null(res);
    static const struct {
        const char *cat;
        long n;
        double x0, x1;
    } want[] = {{"all", 66, 1000, 3050}, {"asb", 6, 3025, 3050}, {"syv", 4, 1025, 1050}};
    for (size_t k = 0; k < 3; k++) {
        OGRFeatureH f = OGR_L_GetNextFeature(res);
        assert_non_null(f);
        assert_string_equal(OGR_F_GetFieldAsString(f, 0), want[k].cat);
        assert_int_equal(OGR_F_GetFieldAsInteger64(f, 1), want[k].n);
        assert_true(OGR_F_GetFieldAsDouble(f, 2) == want[k].x0);
        assert_true(OGR_F_GetFieldAsDouble(f, 3) == want[k].x1);
        assert_int_equal(OGR_F_GetFieldAsInteger(f, 4), 1);
        OGR_F_Destroy(f);
    }
    assert_null(OGR_L_GetNextFeature(res));
    GDALDatasetReleaseResultSet(ds, res);
    res = GDALDatasetExecuteSQL(ds,
                                "SELECT group_concat(table_name, ' ') FROM (SELECT table_name "
                                "FROM gpkg_contents WHERE data_type = '2d-gridded-coverage' "
                                "ORDER BY table_name)",
                                NULL, "SQLITE");
    OGRFeatureH f = OGR_L_GetNextFeature(res);
    assert_string_equal(OGR_F_GetFieldAsString(f, 0),
                        "hotspot_density hotspot_density_asb hotspot_density_syv");
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, res);
    res = GDALDatasetExecuteSQL(ds,
                                "SELECT group_concat(key || '=' || value, ' ') FROM (SELECT key, "
                                "value FROM run_metadata WHERE key LIKE 'hotspots.%' ORDER BY key)",
                                NULL, "SQLITE");
    f = OGR_L_GetNextFeature(res);
    assert_string_equal(OGR_F_GetFieldAsString(f, 0),
                        "hotspots.asb.n_incidents=60 hotspots.cse.skipped=no incidents "
                        "hotspots.syv.n_incidents=40");
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, res);
    GDALClose(ds);
    /* An unknown category is an error naming the profile and the word. */
    assert_int_equal(ctxprof_output_open(ctx, &out, path, "EPSG:27700"), 0);
    o.categories = "syv, gangs";
    assert_int_equal(ctxprof_hotspots_stage(ctx, out, &o, x, y, cats, 100), CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "test.ini: [hotspots] categories: 'gangs'"));
    ctxprof_output_close(ctx, out);
    VSIUnlink(path);
    ctxprof_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotspot_polygons_and_pai),
        cmocka_unit_test(test_bh_threshold),
        cmocka_unit_test(test_gistar_exact),
        cmocka_unit_test(test_evaluate_pai_rri),
        cmocka_unit_test(test_points_gpkg_parallel),
        cmocka_unit_test(test_stage_categories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
