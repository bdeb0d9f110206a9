/* Share packages (src/share/share.c) on a hand-made profile: exact
 * suppression pattern, derived rates and ranks, drops, rounding, the
 * allow-list (a new column and a point layer of records are not shared) and
 * the disclosure_log.
 *
 *   areas   id  area_ha n_total n_cse n_syv n_people rate
 *           A1  10      20      3     17    6        2.0
 *           A2  20      32      10    22    2        1.6
 *           A3  40      8       0     8     4        0.2
 *   (plus a free-text column 'notes')
 *   hotspots  H1 n 12 share 0.6 pai 3; H2 n 3; H3 n 5
 *   incidents one point with a pid
 *
 * k = 5. Primary: A1 n_cse 3, A2 n_people 2, A3 n_people 4. Secondary, in
 * the order the equations are solved: row A1 -> n_syv 17; column n_cse ->
 * A2's 10; column n_syv -> A3's 8; row A2 -> its n_syv 22; row A3 (parts
 * 0 and hidden 8) -> its n_total 8; column n_total -> A1's 20. Hotspots: H2
 * dropped, so the column of n_incidents hides the smallest other, H3's 5.
 */
#include "test_util.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sys/stat.h>
#include <unistd.h>

#include "share/share.h"

static ctxprof_ctx *ctx;
static char dir[64], in[128], out[128];

static void add_field(OGRLayerH l, const char *name, OGRFieldType t)
{
    OGRFieldDefnH fd = OGR_Fld_Create(name, t);
    assert_int_equal(OGR_L_CreateField(l, fd, TRUE), OGRERR_NONE);
    OGR_Fld_Destroy(fd);
}

static OGRGeometryH square(double x, double y)
{
    char wkt[256];
    snprintf(wkt, sizeof wkt, "POLYGON((%f %f,%f %f,%f %f,%f %f,%f %f))", x, y, x + 100, y, x + 100,
             y + 100, x, y + 100, x, y);
    OGRGeometryH g = NULL;
    char *p = wkt;
    assert_int_equal(OGR_G_CreateFromWkt(&p, NULL, &g), OGRERR_NONE);
    return g;
}

static void make_profile(void)
{
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), in, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH a = GDALDatasetCreateLayer(ds, "areas", srs, wkbPolygon, NULL);
    static const char *ints[] = {"n_total", "n_cse", "n_syv", "n_people", "rank", "rate_rank"};
    add_field(a, "id", OFTString);
    add_field(a, "name", OFTString);
    add_field(a, "notes", OFTString);
    add_field(a, "area_ha", OFTReal);
    for (int i = 0; i < 4; i++)
        add_field(a, ints[i], OFTInteger64);
    add_field(a, "rate", OFTReal);
    add_field(a, ints[4], OFTInteger64);
    add_field(a, ints[5], OFTInteger64);
    static const struct {
        const char *id;
        double ha;
        long v[4];
        double rate;
        long rank, rate_rank;
    } rows[] = {{"A1", 10, {20, 3, 17, 6}, 2.0, 2, 1},
                {"A2", 20, {32, 10, 22, 2}, 1.6, 1, 2},
                {"A3", 40, {8, 0, 8, 4}, 0.2, 3, 3}};
    for (int r = 0; r < 3; r++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(a));
        OGR_F_SetFieldString(f, 0, rows[r].id);
        OGR_F_SetFieldString(f, 1, "Place");
        OGR_F_SetFieldString(f, 2, "called by Jane Doe's mother");
        OGR_F_SetFieldDouble(f, 3, rows[r].ha);
        for (int i = 0; i < 4; i++)
            OGR_F_SetFieldInteger64(f, 4 + i, rows[r].v[i]);
        OGR_F_SetFieldDouble(f, 8, rows[r].rate);
        OGR_F_SetFieldInteger64(f, 9, rows[r].rank);
        OGR_F_SetFieldInteger64(f, 10, rows[r].rate_rank);
        OGR_F_SetGeometryDirectly(f, square(500000 + 100 * r, 100000));
        assert_int_equal(OGR_L_CreateFeature(a, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    OGRLayerH h = GDALDatasetCreateLayer(ds, "hotspots", srs, wkbPolygon, NULL);
    add_field(h, "hotspot_id", OFTInteger);
    add_field(h, "n_incidents", OFTInteger64);
    add_field(h, "share_incidents", OFTReal);
    add_field(h, "pai", OFTReal);
    add_field(h, "peak_density", OFTReal);
    static const long hn[] = {12, 3, 5};
    for (int r = 0; r < 3; r++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(h));
        OGR_F_SetFieldInteger(f, 0, r + 1);
        OGR_F_SetFieldInteger64(f, 1, hn[r]);
        OGR_F_SetFieldDouble(f, 2, (double)hn[r] / 20.0);
        OGR_F_SetFieldDouble(f, 3, (double)hn[r] / 4.0);
        OGR_F_SetFieldDouble(f, 4, 0.5);
        OGR_F_SetGeometryDirectly(f, square(500000 + 100 * r, 100200));
        assert_int_equal(OGR_L_CreateFeature(h, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    OGRLayerH inc = GDALDatasetCreateLayer(ds, "incidents", srs, wkbPoint, NULL);
    add_field(inc, "pid", OFTString);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(inc));
    OGR_F_SetFieldString(f, 0, "p-0001");
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(pt, 0, 500050, 100050);
    OGR_F_SetGeometryDirectly(f, pt);
    assert_int_equal(OGR_L_CreateFeature(inc, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    OSRDestroySpatialReference(srs);
    GDALClose(ds);
}

static int setup(void **state)
{
    (void)state;
    ctx = ctxprof_ctx_new();
    umask(022);
    snprintf(dir, sizeof dir, "/tmp/ctxprof-share-XXXXXX");
    if (!ctx || !mkdtemp(dir))
        return -1;
    snprintf(in, sizeof in, "%s/profile.gpkg", dir);
    snprintf(out, sizeof out, "%s/share.gpkg", dir);
    make_profile();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(in);
    unlink(out);
    rmdir(dir);
    ctxprof_ctx_free(ctx);
    return 0;
}

/* "value|marker" of a column of the feature whose key column is key. */
static void cell(GDALDatasetH ds, const char *layer, const char *keycol, const char *key,
                 const char *col, char *buf, size_t size)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
    assert_non_null(l);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int ik = OGR_FD_GetFieldIndex(d, keycol), ic = OGR_FD_GetFieldIndex(d, col);
    char mname[64];
    snprintf(mname, sizeof mname, "%s_suppressed", col);
    int im = OGR_FD_GetFieldIndex(d, mname);
    assert_true(ik >= 0 && ic >= 0);
    OGRFeatureH f;
    snprintf(buf, size, "absent");
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        if (strcmp(OGR_F_GetFieldAsString(f, ik), key) == 0) {
            /* OGR's string of a number lives in one buffer per feature */
            char v[64];
            snprintf(v, sizeof v, "%s",
                     OGR_F_IsFieldSetAndNotNull(f, ic) ? OGR_F_GetFieldAsString(f, ic) : "NULL");
            snprintf(buf, size, "%s|%s", v, im >= 0 ? OGR_F_GetFieldAsString(f, im) : "-");
        }
        OGR_F_Destroy(f);
    }
}

#define assert_cell(ds, layer, keycol, key, col, want)                                             \
    do {                                                                                           \
        char b_[128];                                                                              \
        cell(ds, layer, keycol, key, col, b_, sizeof b_);                                          \
        if (strcmp(b_, want) != 0)                                                                 \
            fail_msg("%s %s %s: got %s, expected %s", layer, key, col, b_, want);                  \
    } while (0)

static long count_log(GDALDatasetH ds, const char *action)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "disclosure_log");
    assert_non_null(l);
    long n = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        n += strcmp(OGR_F_GetFieldAsString(f, 3), action) == 0;
        OGR_F_Destroy(f);
    }
    return n;
}

static void test_pattern(void **state)
{
    (void)state;
    ctxprof_share_options o = CTXPROF_SHARE_OPTIONS_INIT;
    ctxprof_share_summary s;
    int rc = ctxprof_share_gpkg(ctx, &s, in, out, &o);
    if (rc)
        fail_msg("%s", ctxprof_errmsg(ctx));
    assert_int_equal(s.n_primary, 3);
    assert_int_equal(s.n_secondary, 7);
    assert_int_equal(s.n_dropped, 1);
    assert_int_equal(s.n_recoverable, 0);
    GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    /* only the allow-listed layers and columns */
    assert_null(GDALDatasetGetLayerByName(ds, "incidents"));
    assert_non_null(GDALDatasetGetLayerByName(ds, "readme"));
    OGRFeatureDefnH ad = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(ds, "areas"));
    assert_int_equal(OGR_FD_GetFieldIndex(ad, "notes"), -1);
    assert_true(OGR_FD_GetFieldIndex(ad, "area_ha") >= 0);
    OGRFeatureDefnH hd = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(ds, "hotspots"));
    assert_int_equal(OGR_FD_GetFieldIndex(hd, "peak_density"), -1);

    assert_cell(ds, "areas", "id", "A1", "n_total", "NULL|1");
    assert_cell(ds, "areas", "id", "A1", "n_cse", "NULL|1");
    assert_cell(ds, "areas", "id", "A1", "n_syv", "NULL|1");
    assert_cell(ds, "areas", "id", "A1", "n_people", "6|0");
    assert_cell(ds, "areas", "id", "A1", "rate", "NULL|1");
    assert_cell(ds, "areas", "id", "A1", "rank", "NULL|1");
    assert_cell(ds, "areas", "id", "A2", "n_total", "32|0");
    assert_cell(ds, "areas", "id", "A2", "n_cse", "NULL|1");
    assert_cell(ds, "areas", "id", "A2", "n_syv", "NULL|1");
    assert_cell(ds, "areas", "id", "A2", "n_people", "NULL|1");
    assert_cell(ds, "areas", "id", "A2", "rate", "1.6|0");
    assert_cell(ds, "areas", "id", "A2", "rank", "1|0");
    assert_cell(ds, "areas", "id", "A2", "rate_rank", "1|0");
    assert_cell(ds, "areas", "id", "A3", "n_total", "NULL|1");
    assert_cell(ds, "areas", "id", "A3", "n_cse", "0|0");
    assert_cell(ds, "areas", "id", "A3", "n_syv", "NULL|1");
    assert_cell(ds, "areas", "id", "A3", "n_people", "NULL|1");
    assert_cell(ds, "hotspots", "hotspot_id", "1", "n_incidents", "12|0");
    assert_cell(ds, "hotspots", "hotspot_id", "1", "share_incidents", "0.6|0");
    assert_cell(ds, "hotspots", "hotspot_id", "2", "n_incidents", "absent");
    assert_cell(ds, "hotspots", "hotspot_id", "3", "n_incidents", "NULL|1");
    assert_cell(ds, "hotspots", "hotspot_id", "3", "pai", "NULL|1");
    assert_int_equal(count_log(ds, "primary"), 3);
    assert_int_equal(count_log(ds, "secondary"), 7);
    /* rate, rank, rate_rank of A1 and A3; share_incidents and pai of H3 */
    assert_int_equal(count_log(ds, "derived"), 8);
    assert_int_equal(count_log(ds, "dropped"), 1);
    assert_int_equal(count_log(ds, "rounded"), 0);
    GDALClose(ds);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    /* an ordinary file: readable by others under the usual umask */
    assert_true(st.st_mode & S_IROTH);
}

/* Rounding to 5: counts to the nearest 5, derived values follow. */
static void test_rounding(void **state)
{
    (void)state;
    ctxprof_share_options o = CTXPROF_SHARE_OPTIONS_INIT;
    o.round = 5;
    ctxprof_share_summary s;
    int rc = ctxprof_share_gpkg(ctx, &s, in, out, &o);
    if (rc)
        fail_msg("%s", ctxprof_errmsg(ctx));
    GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_cell(ds, "areas", "id", "A2", "n_total", "30|0");
    assert_cell(ds, "areas", "id", "A2", "rate", "1.5|0");
    assert_cell(ds, "areas", "id", "A1", "n_people", "5|0");
    assert_cell(ds, "hotspots", "hotspot_id", "1", "n_incidents", "10|0");
    assert_cell(ds, "hotspots", "hotspot_id", "1", "share_incidents", "0.5|0");
    assert_cell(ds, "hotspots", "hotspot_id", "1", "pai", "2.5|0");
    /* the same cells are suppressed with and without rounding */
    assert_int_equal(s.n_primary, 3);
    assert_int_equal(s.n_secondary, 7);
    /* A2 n_total 32, A1 n_people 6, H1 12 changed; one rounded row per
     * count column of each layer */
    assert_int_equal(s.n_rounded, 3);
    assert_int_equal(count_log(ds, "rounded"), 5);
    GDALClose(ds);
}

static void test_errors(void **state)
{
    (void)state;
    ctxprof_share_options o = CTXPROF_SHARE_OPTIONS_INIT;
    ctxprof_share_summary s;
    o.layers = "areas,incidents";
    assert_int_equal(ctxprof_share_gpkg(ctx, &s, in, out, &o), CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "'incidents' cannot be shared"));
    o.layers = NULL;
    o.min_count = 1;
    assert_int_equal(ctxprof_share_gpkg(ctx, &s, in, out, &o), CTXPROF_E_CONFIG);
    o.min_count = 1001;
    assert_int_equal(ctxprof_share_gpkg(ctx, &s, in, out, &o), CTXPROF_E_CONFIG);
    assert_string_equal(ctxprof_errmsg(ctx), "share: the minimum count must be from 2 to 1000");
    o.min_count = 5;
    o.round = 9223372036854775807L; /* once every count published as 0, and an overflow */
    assert_int_equal(ctxprof_share_gpkg(ctx, &s, in, out, &o), CTXPROF_E_CONFIG);
    assert_string_equal(ctxprof_errmsg(ctx),
                        "share: the rounding base must be from 0 (off) to 1000");
    o.round = 1000; /* the largest: every published count becomes 0 or 1000 */
    assert_int_equal(ctxprof_share_gpkg(ctx, &s, in, out, &o), 0);
    o.round = 0;
    assert_int_equal(ctxprof_share_gpkg(ctx, &s, in, in, &o), CTXPROF_E_CONFIG);
    assert_int_equal(ctxprof_share_gpkg(ctx, &s, "/nonexistent/p.gpkg", out, &o), CTXPROF_E_IO);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "/nonexistent/p.gpkg"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
