/* Kernel density: exact values for one point, kernel integrals, cells at the
 * radius, the default bandwidth rule, QGIS 3.22's quirks in --qgis-compat
 * mode, threads, cancellation, errors and writing. */
#include "test_util.h"

#include <gdal.h>
#include <unistd.h>

#include "core/context.h"
#include "hotspots/kde.h"

#define PI 3.14159265358979323846

static float cell(const ctxprof_raster *r, int row, int col)
{
    return r->data[(size_t)row * r->cols + col];
}

/* One point at a cell centre, on a 1000 m square of 10 m cells. */
static int one_point(ctxprof_ctx *ctx, ctxprof_raster *r, ctxprof_kernel k, int scaled,
                     double radius, double pixel)
{
    double x = 505, y = 505;
    ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
    o.kernel = k;
    o.scaled = scaled;
    o.radius = radius;
    o.pixel = pixel;
    o.has_extent = 1;
    o.extent[0] = 0;
    o.extent[1] = 0;
    o.extent[2] = 1000;
    o.extent[3] = 1000;
    return ctxprof_kde_run(ctx, r, &x, &y, NULL, 1, &o);
}

static void test_single_point_exact_values(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    assert_int_equal(one_point(ctx, &r, CTXPROF_KERNEL_QUARTIC, 0, 100, 10), 0);
    assert_int_equal(r.cols, 100);
    assert_int_equal(r.rows, 100);
    assert_near(r.gt[0], 0, 0);
    assert_near(r.gt[3], 1000, 0);
    assert_near(r.gt[5], -10, 0);
    /* (505, 505) is the centre of row 49, column 50. */
    assert_near(cell(&r, 49, 50), 1.0, 0);
    assert_near(cell(&r, 49, 51), 0.9801f, 0); /* d = 10: (1 - 0.01)^2 */
    assert_near(cell(&r, 48, 51), 0.9604f, 0); /* d^2 = 200: (1 - 0.02)^2 */
    assert_near(cell(&r, 43, 58), 0.0f, 0);    /* d = 100 (60, 80): the edge */
    assert_near(cell(&r, 49, 60), 0.0f, 0);    /* d = 100 along the row */
    assert_near(cell(&r, 49, 61), 0.0f, 0);    /* beyond: zero, not NoData */
    assert_near(cell(&r, 0, 0), 0.0f, 0);
    assert_int_equal(r.n_stamped, 1);
    ctxprof_raster_clear(&r);

    /* Scaled: 3 / (pi r^2) at the centre. */
    assert_int_equal(one_point(ctx, &r, CTXPROF_KERNEL_QUARTIC, 1, 100, 10), 0);
    assert_near(cell(&r, 49, 50), (float)(3.0 / (PI * 1e4)), 0);
    ctxprof_raster_clear(&r);
    ctxprof_ctx_free(ctx);
}

static void test_radius_edge_cells(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    /* Uniform: a cell centre exactly at the radius counts, the next does not. */
    assert_int_equal(one_point(ctx, &r, CTXPROF_KERNEL_UNIFORM, 0, 100, 10), 0);
    assert_near(cell(&r, 49, 60), 1.0, 0); /* d = 100 */
    assert_near(cell(&r, 43, 58), 1.0, 0); /* d = 100 (60, 80) */
    assert_near(cell(&r, 42, 58), 0.0, 0); /* d = sqrt(80^2 + 70^2) = 106.3 */
    assert_near(cell(&r, 49, 61), 0.0, 0); /* d = 110 */
    /* Every cell centre within 100 m of the point: the lattice count. */
    double sum = 0;
    for (size_t c = 0; c < (size_t)r.cols * r.rows; c++)
        sum += r.data[c];
    assert_near(sum, 317, 0); /* lattice points of Z^2 in a disc of radius 10 */
    ctxprof_raster_clear(&r);
    /* Triangular with decay 0.5: 0.5 at the radius, 0.75 half way. */
    ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
    double x = 505, y = 505;
    o.kernel = CTXPROF_KERNEL_TRIANGULAR;
    o.decay = 0.5;
    o.radius = 100;
    o.pixel = 10;
    o.has_extent = 1;
    o.extent[2] = o.extent[3] = 1000;
    assert_int_equal(ctxprof_kde_run(ctx, &r, &x, &y, NULL, 1, &o), 0);
    assert_near(cell(&r, 49, 60), 0.5, 0);
    assert_near(cell(&r, 49, 55), 0.75, 0);
    assert_near(cell(&r, 49, 61), 0.0, 0);
    ctxprof_raster_clear(&r);
    ctxprof_ctx_free(ctx);
}

static void test_scaled_kernels_integrate_to_one(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    for (int k = 0; k < 5; k++) {
        for (int d = 0; d < 2; d++) {
            if (d && k != CTXPROF_KERNEL_TRIANGULAR)
                continue;
            ctxprof_raster r;
            ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
            double x = 500.3, y = 499.8;
            o.kernel = (ctxprof_kernel)k;
            o.scaled = 1;
            o.decay = d ? 0.4 : 0.0;
            o.radius = 100;
            o.pixel = 1;
            o.has_extent = 1;
            o.extent[2] = o.extent[3] = 1000;
            assert_int_equal(ctxprof_kde_run(ctx, &r, &x, &y, NULL, 1, &o), 0);
            double sum = 0;
            for (size_t c = 0; c < (size_t)r.cols * r.rows; c++)
                sum += r.data[c];
            if (fabs(sum - 1.0) > 1e-3)
                fail_msg("%s kernel (decay %g) integrates to %.6f", ctxprof_kernel_names[k],
                         o.decay, sum);
            /* The analytic kernel too. */
            assert_near(ctxprof_kde_kernel((ctxprof_kernel)k, 0, 100, o.decay, 1) * PI * 1e4,
                        k == 0   ? 3
                        : k == 1 ? 3 / (1 + 2 * o.decay)
                        : k == 2 ? 1
                        : k == 3 ? 4
                                 : 2,
                        1e-12);
            ctxprof_raster_clear(&r);
        }
    }
    ctxprof_ctx_free(ctx);
}

static double bandwidth_of(const double *x, const double *y, const double *w, size_t n)
{
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    double r = -1;
    assert_int_equal(ctxprof_kde_default_bandwidth(ctx, &r, x, y, w, n), 0);
    ctxprof_ctx_free(ctx);
    return r;
}

static void test_default_bandwidth_rule(void **state)
{
    (void)state;
    /* Square: mean centre (1, 1), every distance sqrt 2, so SD = Dm = sqrt 2
     * and SD is the smaller term. */
    double x1[] = {0, 2, 0, 2}, y1[] = {0, 0, 2, 2};
    assert_near(bandwidth_of(x1, y1, NULL, 4), 0.9 * sqrt(2.0) * pow(4, -0.2), 1e-12);
    /* Four points at 0 and one at 10: mean 2, distances 2,2,2,2,8,
     * SD = sqrt((4*4 + 64)/5) = 4, Dm = 2: the median term wins. */
    double x2[] = {0, 0, 0, 0, 10}, y2[] = {0, 0, 0, 0, 0};
    assert_near(bandwidth_of(x2, y2, NULL, 5), 0.9 * sqrt(1.0 / log(2.0)) * 2.0 * pow(5, -0.2),
                1e-12);
    /* Weights act as counts: weight 4 at 0 and 1 at 10 is the same as above. */
    double x3[] = {0, 10}, y3[] = {0, 0}, w3[] = {4, 1};
    assert_near(bandwidth_of(x3, y3, w3, 2), 0.9 * sqrt(1.0 / log(2.0)) * 2.0 * pow(5, -0.2),
                1e-12);

    /* kde_run uses it when no radius is given and says so. */
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
    o.pixel = 0.5;
    assert_int_equal(ctxprof_kde_run(ctx, &r, x1, y1, NULL, 4, &o), 0);
    assert_int_equal(r.radius_from_rule, 1);
    assert_near(r.radius, 0.9 * sqrt(2.0) * pow(4, -0.2), 1e-12);
    ctxprof_raster_clear(&r);
    assert_int_equal(ctxprof_kde_run(ctx, &r, x2, y2, NULL, 1, &o), CTXPROF_E_INPUT);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "give a radius"));
    ctxprof_ctx_free(ctx);
}

/* QGIS 3.22's grid, its scaled quartic constant and its mirrored y. */
/* No spread (one point, or all at one place) and no memory are different
 * failures, and say so: only the first is "at one place". */
static void test_default_bandwidth_undefined_or_no_memory(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    double x[] = {3, 3, 3}, y[] = {4, 4, 4}, r = -1;
    assert_int_equal(ctxprof_kde_default_bandwidth(ctx, &r, x, y, NULL, 1), CTXPROF_E_INPUT);
    assert_near(r, 0, 0);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "at one place"));
    ctxprof_error_clear(ctx);
    r = -1;
    assert_int_equal(ctxprof_kde_default_bandwidth(ctx, &r, x, y, NULL, 3), CTXPROF_E_INPUT);
    assert_near(r, 0, 0);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "3 point(s) at one place"));
    ctxprof_error_clear(ctx);
    /* More points than memory can hold distances for: refused before any
     * point is read (x and y hold three). */
    r = -1;
    assert_int_equal(ctxprof_kde_default_bandwidth(ctx, &r, x, y, NULL, (size_t)-1 / 2),
                     CTXPROF_E_NOMEM);
    assert_near(r, 0, 0);
    assert_null(strstr(ctxprof_errmsg(ctx), "one place"));
    assert_non_null(strstr(ctxprof_errmsg(ctx), "out of memory"));
    ctxprof_ctx_free(ctx);
}

static void test_qgis_compat_quirks(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
    o.qgis_compat = 1;
    o.radius = 100;
    o.pixel = 10;
    o.scaled = 1;
    double x[] = {1000, 1000}, y[] = {1000, 1033};
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, 1, &o), 0);
    /* Grid: extent grown by r, ceil(W/px) + 1 cells. */
    assert_int_equal(r.cols, 21);
    assert_int_equal(r.rows, 21);
    assert_near(r.gt[0], 900, 0);
    assert_near(r.gt[3], 1100, 0);
    /* Centroids are half a cell off the point: d^2 = 50; and 116 instead of
     * 16 in the constant (7.25 times the true density). */
    double k = 116. / (5. * PI * 1e4) * (15. / 16.);
    assert_near(cell(&r, 10, 10), (float)(k * 0.995 * 0.995), 1e-12);
    assert_near(cell(&r, 10, 10) / (3 / (PI * 1e4) * 0.995 * 0.995), 7.25, 1e-5);
    /* Corners beyond the radius stay NoData. */
    assert_near(cell(&r, 0, 0), CTXPROF_KDE_NODATA, 0);
    ctxprof_raster_clear(&r);

    /* Two points 33 m apart: the upper one's stamp is written from the top
     * row but measured from ymin. Row 0, column 10 holds its value for
     * dy = -98 (true: +95): raw quartic (1 - (25 + 98^2)/1e4)^2. */
    o.scaled = 0;
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, 2, &o), 0);
    assert_int_equal(r.rows, 25);
    assert_near(cell(&r, 0, 10), (float)pow(1 - (25 + 98.0 * 98.0) / 1e4, 2), 1e-9);
    ctxprof_raster_clear(&r);

    /* Stamp half-width: r = 104.6 m on 10 m cells gives b = 11 (remainder
     * 4.6 > 0.5): 23 cells on a 22-cell grid, so QGIS drops a lone point. */
    o.radius = 104.6;
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, 1, &o), 0);
    assert_int_equal(r.cols, 22);
    assert_int_equal(r.n_dropped, 1);
    assert_int_equal(r.n_stamped, 0);
    for (size_t c = 0; c < (size_t)r.cols * r.rows; c++)
        assert_true(r.data[c] == CTXPROF_KDE_NODATA);
    ctxprof_raster_clear(&r);
    o.radius = 106; /* b = 11 again, but 23 cells now fit */
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, 1, &o), 0);
    assert_int_equal(r.cols, 23);
    assert_int_equal(r.n_dropped, 0);
    ctxprof_raster_clear(&r);
    ctxprof_ctx_free(ctx);
}

static void test_threads_give_identical_rasters(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    enum { N = 5000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *w = malloc(N * sizeof *w);
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = 530000 + (s >> 8) % 5000 + 0.37 * (i % 7);
        s = s * 1103515245u + 12345u;
        y[i] = 180000 + (s >> 8) % 3000 + 0.11 * (i % 5);
        w[i] = 1 + i % 3;
    }
    for (int compat = 0; compat < 2; compat++) {
        ctxprof_raster a, b;
        ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
        o.qgis_compat = compat;
        o.radius = 250;
        o.pixel = 20;
        o.threads = 1;
        assert_int_equal(ctxprof_kde_run(ctx, &a, x, y, w, N, &o), 0);
        o.threads = 2;
        assert_int_equal(ctxprof_kde_run(ctx, &b, x, y, w, N, &o), 0);
        assert_int_equal(a.threads, 1);
        assert_int_equal(b.threads, 2);
        assert_int_equal(a.cols, b.cols);
        assert_memory_equal(a.data, b.data, (size_t)a.cols * a.rows * sizeof(float));
        ctxprof_raster_clear(&a);
        ctxprof_raster_clear(&b);
    }
    /* Weights: weight 2 everywhere doubles every cell. */
    ctxprof_raster a, b;
    ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
    o.radius = 250;
    for (int i = 0; i < N; i++)
        w[i] = 2;
    assert_int_equal(ctxprof_kde_run(ctx, &a, x, y, NULL, N, &o), 0);
    assert_int_equal(ctxprof_kde_run(ctx, &b, x, y, w, N, &o), 0);
    for (size_t c = 0; c < (size_t)a.cols * a.rows; c++)
        assert_near(b.data[c], 2 * a.data[c], 1e-5 * a.data[c]);
    ctxprof_raster_clear(&a);
    ctxprof_raster_clear(&b);
    free(x);
    free(y);
    free(w);
    ctxprof_ctx_free(ctx);
}

static int cancel_at_half(double complete, const char *msg, void *payload)
{
    (void)msg;
    (*(int *)payload)++;
    return complete < 0.5;
}

static void test_cancel_and_errors(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    int calls = 0;
    enum { N = 2000 };
    double x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = (i * 37) % 4000;
        y[i] = (i * 91) % 4000;
    }
    ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
    o.radius = 200;
    o.pixel = 5;
    o.threads = 2;
    ctxprof_set_progress(ctx, cancel_at_half, &calls);
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, N, &o), CTXPROF_E_CANCELLED);
    assert_null(r.data);
    assert_true(calls > 1);
    ctxprof_set_progress(ctx, NULL, NULL);

    o.pixel = 0;
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, N, &o), CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "pixel size"));
    o.pixel = 5;
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, 0, &o), CTXPROF_E_INPUT);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "no points"));
    o.kernel = CTXPROF_KERNEL_TRIANGULAR;
    o.scaled = 1;
    o.decay = -0.5;
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, N, &o), CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "decay > -0.5"));
    o.decay = 0;
    o.scaled = 0;
    o.pixel = 1e-3;
    assert_int_equal(ctxprof_kde_run(ctx, &r, x, y, NULL, N, &o), CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "too large"));
    double nanx = NAN;
    o.pixel = 5;
    assert_int_equal(ctxprof_kde_run(ctx, &r, &nanx, y, NULL, 1, &o), CTXPROF_E_INPUT);
    assert_int_equal(ctxprof_kernel_parse("quartic"), 0);
    assert_int_equal(ctxprof_kernel_parse("epanechnikov"), 4);
    assert_int_equal(ctxprof_kernel_parse("gaussian"), -1);
    ctxprof_ctx_free(ctx);
}

static void test_save_geotiff_and_gpkg(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_raster r;
    assert_int_equal(one_point(ctx, &r, CTXPROF_KERNEL_QUARTIC, 0, 100, 10), 0);
    r.data[0] = CTXPROF_KDE_NODATA;
    char dir[] = "/tmp/ctxprof-kde-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char tif[128], gpkg[128];
    snprintf(tif, sizeof tif, "%s/d.tif", dir);
    snprintf(gpkg, sizeof gpkg, "%s/d.gpkg", dir);
    assert_int_equal(ctxprof_raster_save(ctx, &r, tif, NULL, "EPSG:27700"), 0);
    assert_int_equal(ctxprof_raster_save(ctx, &r, gpkg, "density", NULL), 0);
    const char *paths[] = {tif, gpkg};
    for (int i = 0; i < 2; i++) {
        GDALDatasetH ds = GDALOpen(paths[i], GA_ReadOnly);
        assert_non_null(ds);
        assert_int_equal(GDALGetRasterXSize(ds), 100);
        assert_int_equal(GDALGetRasterYSize(ds), 100);
        double gt[6];
        GDALGetGeoTransform(ds, gt);
        assert_near(gt[3], 1000, 1e-9);
        GDALRasterBandH b = GDALGetRasterBand(ds, 1);
        assert_int_equal(GDALGetRasterDataType(b), GDT_Float32);
        int has;
        assert_near(GDALGetRasterNoDataValue(b, &has), -9999, 0);
        float v[2];
        assert_int_equal(GDALRasterIO(b, GF_Read, 50, 49, 2, 1, v, 2, 1, GDT_Float32, 0, 0),
                         CE_None);
        assert_near(v[0], 1.0, 0);
        assert_near(v[1], 0.9801f, 0);
        GDALClose(ds);
    }
    /* A folder that does not exist: an error naming the file, nothing left. */
    assert_int_equal(ctxprof_raster_save(ctx, &r, "/nonexistent-dir/x.tif", NULL, NULL),
                     CTXPROF_E_IO);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "/nonexistent-dir/x.tif"));
    unlink(tif);
    unlink(gpkg);
    rmdir(dir);
    ctxprof_raster_clear(&r);
    ctxprof_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_point_exact_values),
        cmocka_unit_test(test_radius_edge_cells),
        cmocka_unit_test(test_scaled_kernels_integrate_to_one),
        cmocka_unit_test(test_default_bandwidth_rule),
        cmocka_unit_test(test_default_bandwidth_undefined_or_no_memory),
        cmocka_unit_test(test_qgis_compat_quirks),
        cmocka_unit_test(test_threads_give_identical_rasters),
        cmocka_unit_test(test_cancel_and_errors),
        cmocka_unit_test(test_save_geotiff_and_gpkg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
