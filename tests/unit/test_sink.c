/* The output sink interface (src/write/sink.h): the factory picks a sink
 * from the target's form without opening anything, the capabilities agree
 * with the optional functions, and the GeoPackage sink writes to a private
 * temporary file that only publish puts at the target (abort leaves
 * nothing behind). tests/postgis/ runs the PostGIS sink against a server. */
#include "test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "write/output.h"
#include "write/sink.h"

static ctxprof_ctx *ctx;
static char dir[64];

static int setup(void **state)
{
    (void)state;
    ctx = ctxprof_ctx_new();
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ctxprof_ctx_free(ctx);
    return 0;
}

/* A fresh folder for each test. */
static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ctxprof-sink-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

/* The names in folder d, as "a,b," (sorted is not needed: tests expect
 * zero or one). */
static int count_entries(const char *d, char *names, size_t size)
{
    DIR *h = opendir(d);
    int n = 0;
    struct dirent *e;
    if (names)
        names[0] = '\0';
    while (h && (e = readdir(h))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (names)
            snprintf(names + strlen(names), size - strlen(names), "%s,", e->d_name);
    }
    if (h)
        closedir(h);
    return n;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void assert_ops_consistent(const ctxprof_sink_ops *ops)
{
    assert_non_null(ops->name);
    assert_non_null(ops->open);
    assert_non_null(ops->create_layer);
    assert_non_null(ops->write);
    assert_non_null(ops->commit);
    assert_non_null(ops->drop_layer);
    assert_non_null(ops->publish);
    assert_non_null(ops->abort);
    assert_non_null(ops->close);
    /* A capability and its function go together. */
    assert_int_equal(!!(ops->caps & CTXPROF_SINK_STYLES), ops->styles != NULL);
    assert_int_equal(!!(ops->caps & CTXPROF_SINK_UPDATE_COPY), ops->open_copy != NULL);
    assert_int_equal(!!(ops->caps & (CTXPROF_SINK_RASTER_LAYERS | CTXPROF_SINK_RASTER_FILES)),
                     ops->raster != NULL);
    /* A raster goes one way or the other. */
    assert_false((ops->caps & CTXPROF_SINK_RASTER_LAYERS) &&
                 (ops->caps & CTXPROF_SINK_RASTER_FILES));
}

static void test_factory(void **state)
{
    (void)state;
    /* By the form alone: no server is there, none is asked. */
    const ctxprof_sink_ops *pg = ctxprof_sink_for("PG:dbname=x host=/nonexistent-ctxprof-dir");
    assert_ptr_equal(pg, &ctxprof_sink_pg);
    assert_string_equal(pg->name, "PostGIS");
    assert_int_equal(pg->caps,
                     CTXPROF_SINK_RASTER_FILES | CTXPROF_SINK_SCHEMA | CTXPROF_SINK_REMOTE);
    assert_ptr_equal(ctxprof_sink_for("out/profile.gpkg"), &ctxprof_sink_gpkg);
    assert_ptr_equal(ctxprof_sink_for("profile.gpkg"), &ctxprof_sink_gpkg);
    assert_ptr_equal(ctxprof_sink_for("out/PG:x.gpkg"), &ctxprof_sink_gpkg); /* a path */
    assert_ptr_equal(ctxprof_sink_for("pg:dbname=x"), &ctxprof_sink_gpkg);   /* GDAL's case */
    assert_null(ctxprof_sink_for(NULL));
    assert_int_equal(ctxprof_sink_gpkg.caps,
                     CTXPROF_SINK_STYLES | CTXPROF_SINK_RASTER_LAYERS | CTXPROF_SINK_UPDATE_COPY);
    assert_ops_consistent(&ctxprof_sink_gpkg);
    assert_ops_consistent(&ctxprof_sink_pg);
    /* The public query is the factory's answer. */
    assert_int_equal(ctxprof_output_target_caps("PG:dbname=x"), ctxprof_sink_pg.caps);
    assert_int_equal(ctxprof_output_target_caps("a/b.gpkg"), ctxprof_sink_gpkg.caps);
    assert_int_equal(ctxprof_output_target_caps(NULL), 0);
}

/* One point layer of n rows (id 1..n) through the sink's own functions,
 * named as a layer that has a built-in style. */
static void write_points(ctxprof_sink *s, OGRSpatialReferenceH srs, int n)
{
    static const ctxprof_column cols[] = {{"id", OFTInteger}, {"name", OFTString}};
    OGRLayerH layer = NULL;
    assert_int_equal(s->ops->create_layer(ctx, s, &layer, "incidents", wkbPoint, srs, cols, 2), 0);
    assert_non_null(layer);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (int i = 1; i <= n; i++) {
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, 530000 + i, 180000 + i);
        OGR_F_SetGeometryDirectly(f, g);
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldInteger(f, 0, i);
        OGR_F_SetFieldString(f, 1, "x");
        assert_int_equal(s->ops->write(ctx, s, layer, f), 0);
    }
    OGR_F_Destroy(f);
    assert_int_equal(s->ops->commit(ctx, s), 0);
    assert_int_equal(s->ops->commit(ctx, s), 0); /* nothing open: nothing to do */
}

static OGRSpatialReferenceH bng(void)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    assert_int_equal(OSRImportFromEPSG(srs, 27700), OGRERR_NONE);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

/* Written to a private temporary file beside the target; abort removes it
 * and the target never appears. */
static void test_gpkg_abort(void **state)
{
    (void)state;
    static const ctxprof_output_options o = CTXPROF_OUTPUT_OPTIONS_INIT;
    char target[256], sub[128], names[512];
    snprintf(sub, sizeof sub, "%s/new", dir);
    snprintf(target, sizeof target, "%s/profile.gpkg", sub);
    const ctxprof_sink_ops *ops = ctxprof_sink_for(target);
    ctxprof_sink *s = NULL;
    OGRSpatialReferenceH srs = bng();
    assert_int_equal(ops->open(ctx, &s, NULL, target, &o), 0);
    assert_non_null(s);
    assert_ptr_equal(s->ops, ops);
    assert_string_equal(s->display, target);
    write_points(s, srs, 3);
    /* The folder was made; only the temporary file is in it, owner-only. */
    assert_int_equal(count_entries(sub, names, sizeof names), 1);
    char expect[64];
    snprintf(expect, sizeof expect, ".profile.gpkg.tmp-%ld.gpkg,", (long)getpid());
    assert_string_equal(names, expect);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/%.*s", sub, (int)strlen(expect) - 1, expect);
    struct stat st;
    assert_int_equal(stat(tmp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_not_equal(access(target, F_OK), 0);
    ops->abort(ctx, s);
    ops->close(ctx, s);
    assert_int_not_equal(access(target, F_OK), 0);
    assert_int_equal(count_entries(sub, names, sizeof names), 0);
    OSRDestroySpatialReference(srs);
}

/* An earlier output at the target stays as it was when a new one is
 * aborted, and is replaced whole by publish. */
static void test_gpkg_publish_replaces(void **state)
{
    (void)state;
    static const ctxprof_output_options o = CTXPROF_OUTPUT_OPTIONS_INIT;
    char target[128];
    snprintf(target, sizeof target, "%s/profile.gpkg", dir);
    const ctxprof_sink_ops *ops = ctxprof_sink_for(target);
    OGRSpatialReferenceH srs = bng();
    for (int round = 0; round < 3; round++) {
        ctxprof_sink *s = NULL;
        assert_int_equal(ops->open(ctx, &s, NULL, target, &o), 0);
        write_points(s, srs, 2 + round);
        if (round == 1) { /* aborted: the first output stays */
            ops->abort(ctx, s);
        } else {
            float cells[6] = {1, 2, 3, 4, 5, 6};
            const double gt[6] = {530000, 10, 0, 180030, 0, -10};
            assert_int_equal(ops->raster(ctx, s, "density", cells, 3, 2, gt, srs, -9999), 0);
            assert_int_equal(ops->styles(ctx, s), 0);
            assert_int_equal(ops->publish(ctx, s, 0), 0);
        }
        ops->close(ctx, s);
        assert_int_equal(count_entries(dir, NULL, 0), 1); /* no temporary file left */
        struct stat st;
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        GDALDatasetH ds = GDALOpenEx(target, GDAL_OF_VECTOR, NULL, NULL, NULL);
        assert_non_null(ds);
        OGRLayerH l = GDALDatasetGetLayerByName(ds, "incidents");
        assert_non_null(l);
        assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), round == 1 ? 2 : 2 + round);
        assert_non_null(GDALDatasetGetLayerByName(ds, "layer_styles"));
        GDALClose(ds);
        char sub[256];
        snprintf(sub, sizeof sub, "GPKG:%s:density", target);
        GDALDatasetH r = GDALOpenEx(sub, GDAL_OF_RASTER, NULL, NULL, NULL);
        assert_non_null(r);
        assert_int_equal(GDALGetRasterXSize(r), 3);
        assert_int_equal(GDALGetRasterYSize(r), 2);
        GDALClose(r);
    }
    OSRDestroySpatialReference(srs);
}

/* The front end over the sink: closing before finish aborts; finish
 * publishes with the mode asked for. */
static void test_output_front_end(void **state)
{
    (void)state;
    char target[128];
    snprintf(target, sizeof target, "%s/share.gpkg", dir);
    static const ctxprof_column cols[] = {{"key", OFTString}};
    for (int finish = 0; finish < 2; finish++) {
        ctxprof_output *out = NULL;
        assert_int_equal(ctxprof_output_open(ctx, &out, target, "EPSG:27700"), 0);
        assert_int_equal(ctxprof_output_caps(out), ctxprof_sink_gpkg.caps);
        assert_string_equal(ctxprof_output_target(out), target);
        OGRLayerH l;
        assert_int_equal(ctxprof_output_layer(ctx, out, &l, "t", wkbNone, cols, 1), 0);
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldString(f, 0, "v");
        assert_int_equal(ctxprof_output_write(ctx, out, l, f), 0);
        OGR_F_Destroy(f);
        assert_int_equal(ctxprof_output_meta(ctx, out, "k", "v"), 0);
        if (finish) {
            mode_t old = umask(022);
            ctxprof_output_set_shareable(out);
            assert_int_equal(ctxprof_output_finish(ctx, out), 0);
            umask(old);
        }
        ctxprof_output_close(ctx, out);
        if (!finish) {
            assert_int_not_equal(access(target, F_OK), 0);
            assert_int_equal(count_entries(dir, NULL, 0), 0);
        } else {
            struct stat st;
            assert_int_equal(stat(target, &st), 0);
            assert_int_equal(st.st_mode & 0777, 0644);
            assert_int_equal(count_entries(dir, NULL, 0), 1);
        }
    }
}

/* A sink without the capability is refused before anything is opened: no
 * connection is tried for a PostGIS target asked to start as a copy. */
static void test_capability_refused(void **state)
{
    (void)state;
    ctxprof_output *out = (ctxprof_output *)1;
    int rc = ctxprof_output_open_copy(ctx, &out, "PG:dbname=x host=/nonexistent-ctxprof-dir",
                                      "EPSG:27700", "in.gpkg", NULL, NULL);
    assert_int_equal(rc, CTXPROF_E_INTERNAL);
    assert_null(out);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "PostGIS output cannot start as a copy"));
    /* A bad CRS is refused before the sink is opened: no folder made. */
    char target[128];
    snprintf(target, sizeof target, "%s/never/profile.gpkg", dir);
    assert_int_equal(ctxprof_output_open(ctx, &out, target, "EPSG:0"), CTXPROF_E_CRS);
    assert_null(out);
    assert_int_equal(count_entries(dir, NULL, 0), 0);
    assert_int_equal(ctxprof_output_open(ctx, &out, NULL, "EPSG:27700"), CTXPROF_E_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factory),
        cmocka_unit_test_setup_teardown(test_gpkg_abort, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_gpkg_publish_replaces, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_output_front_end, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_capability_refused, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
