/* Geocoding: postcodes, names, addresses, edit distance, and the cascade on
 * a small gazetteer with exact expected points. */
#include "test_util.h"

#include <unistd.h>

#include "geocode/gazetteer.h"
#include "geocode/geocode.h"
#include "geocode/normalise.h"

static void pc(const char *in, ctxprof_pc_level want_level, const char *want)
{
    char out[CTXPROF_PC_LEN];
    ctxprof_pc_level lv = ctxprof_postcode_normalise(in, out);
    if (lv != want_level || (want && strcmp(out, want) != 0))
        fail_msg("'%s' -> level %d '%s', expected %d '%s'", in, lv, out, want_level,
                 want ? want : "");
}

static void test_postcodes(void **state)
{
    (void)state;
    pc("NB3 4QT", CTXPROF_PC_UNIT, "NB3 4QT");
    pc("nb34qt", CTXPROF_PC_UNIT, "NB3 4QT");
    pc(" NB3  4QT ", CTXPROF_PC_UNIT, "NB3 4QT");
    pc("NB3 OHR", CTXPROF_PC_UNIT, "NB3 0HR"); /* O typed for 0 */
    pc("NW1 2DB", CTXPROF_PC_UNIT, "NW1 2DB");
    pc("EC1A 1BB", CTXPROF_PC_UNIT, "EC1A 1BB");
    pc("W1A 0AX", CTXPROF_PC_UNIT, "W1A 0AX");
    pc("M1 1AE", CTXPROF_PC_UNIT, "M1 1AE");
    pc("N1 9", CTXPROF_PC_SECTOR, "N1 9");
    pc("NB3", CTXPROF_PC_DISTRICT, "NB3");
    pc("BELMONT", CTXPROF_PC_NONE, NULL); /* a word, not BE1M 0NT */
    pc("Park Lane", CTXPROF_PC_NONE, NULL);
    pc("12345", CTXPROF_PC_NONE, NULL);
    char out[CTXPROF_PC_LEN];
    size_t s, e;
    const char *addr = "Flat 3, 77 Colville Road, Northbrook NB3 7QU";
    assert_int_equal(ctxprof_postcode_find(addr, out, &s, &e), CTXPROF_PC_UNIT);
    assert_string_equal(out, "NB3 7QU");
    assert_int_equal(s, strlen(addr) - 7);
    assert_int_equal(ctxprof_postcode_find("169 Belmont Grove, Northbrook", out, &s, &e),
                     CTXPROF_PC_NONE);
    ctxprof_postcode_sector("NB3 7QU", out);
    assert_string_equal(out, "NB3 7");
    ctxprof_postcode_district("NB3 7QU", out);
    assert_string_equal(out, "NB3");
}

static void name(const char *in, const char *want)
{
    char out[256];
    ctxprof_name_normalise(in, out, sizeof out);
    if (strcmp(out, want) != 0)
        fail_msg("'%s' -> '%s', expected '%s'", in, out, want);
}

static void test_names(void **state)
{
    (void)state;
    name("Kingswood Gdns", "KINGSWOOD GARDENS");
    name("St Mary's Rd", "SAINT MARYS ROAD");
    name("Church St", "CHURCH STREET");
    name("  victoria   ave. ", "VICTORIA AVENUE");
    name("Sainsbury’s Local", "SAINSBURYS LOCAL");
    name("Café Rouge", "CAFE ROUGE");
    name("EGERTON STREET / ALDER WAY", "EGERTON STREET ALDER WAY");
}

static void test_addresses(void **state)
{
    (void)state;
    ctxprof_address a;
    assert_int_equal(ctxprof_address_parse("Flat 3, 77 Colville Rd, Northbrook NB3 7QU", &a), 0);
    assert_string_equal(a.flat, "FLAT 3");
    assert_int_equal(a.number, 77);
    assert_string_equal(a.street, "COLVILLE ROAD");
    assert_string_equal(a.locality, "NORTHBROOK");
    assert_string_equal(a.postcode, "NB3 7QU");
    assert_int_equal(a.pc_level, CTXPROF_PC_UNIT);
    assert_int_equal(ctxprof_address_parse("8 Maple Dr NB6 3RT", &a), 0);
    assert_int_equal(a.number, 8);
    assert_string_equal(a.street, "MAPLE DRIVE");
    assert_string_equal(a.postcode, "NB6 3RT");
    assert_int_equal(ctxprof_address_parse("169 Belmont Grove, Northbrook", &a), 0);
    assert_string_equal(a.street, "BELMONT GROVE");
    assert_int_equal(a.pc_level, CTXPROF_PC_NONE);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(ctxprof_edit_distance("ALDER WAY", "ALDER WAY", 2), 0);
    assert_int_equal(ctxprof_edit_distance("ALLDER WAY", "ALDER WAY", 2), 1);
    assert_int_equal(ctxprof_edit_distance("SOMERET AVENUE", "SOMERSET AVENUE", 2), 1);
    assert_int_equal(ctxprof_edit_distance("PRIROY DRIVE", "PRIORY DRIVE", 2), 1); /* swap */
    assert_int_equal(ctxprof_edit_distance("ABC", "XYZ", 2), 3); /* capped at max + 1 */
    assert_int_equal(ctxprof_edit_distance("", "AB", 2), 2);
}

/* A gazetteer of two postcodes, two streets (one name twice, in two
 * districts) and three places, in BNG. */
static ctxprof_gazetteer *small_gazetteer(ctxprof_ctx *ctx)
{
    const char *pcs =
        temp_file(".csv", "\"NB1 1AA\",10,541000,201000,\"E92000001\",\"\",\"\",\"\",\"\",\"\"\n"
                          "\"NB2 2BB\",10,543000,203000,\"E92000001\",\"\",\"\",\"\",\"\",\"\"\n"
                          "\"NB2 9ZZ\",90,0,0,\"E92000001\",\"\",\"\",\"\",\"\",\"\"\n");
    const char *streets =
        temp_file(".csv", "name,district,WKT\n"
                          "Church Road,NB1,\"LINESTRING (540900 201000, 541100 201000)\"\n"
                          "Church Road,NB2,\"LINESTRING (543000 202900, 543000 203100)\"\n"
                          "Park Lane,NB1,\"LINESTRING (541000 200900, 541000 201100)\"\n");
    const char *places = temp_file(".csv", "name,kind,route,easting,northing\n"
                                           "Northbrook station,station,,542000,202000\n"
                                           "Park Lane,bus_stop,34,541010,200950\n"
                                           "Tesco,shop,,543010,203000\n");
    ctxprof_gazetteer *gz = NULL;
    assert_int_equal(ctxprof_gazetteer_new(ctx, &gz, "EPSG:27700"), 0);
    assert_int_equal(ctxprof_gazetteer_add_postcodes(ctx, gz, pcs, "test licence"), 0);
    /* The CSV driver reads WKT as geometry but without a CRS: give it one. */
    char vrt[1024], layer[64];
    snprintf(layer, sizeof layer, "%.*s", (int)strlen(strrchr(streets, '/') + 1) - 4,
             strrchr(streets, '/') + 1);
    snprintf(vrt, sizeof vrt,
             "<OGRVRTDataSource><OGRVRTLayer name=\"s\"><SrcDataSource>%s</SrcDataSource>"
             "<SrcLayer>%s</SrcLayer><GeometryType>wkbLineString</GeometryType>"
             "<LayerSRS>EPSG:27700</LayerSRS><GeometryField encoding=\"WKT\" field=\"WKT\"/>"
             "</OGRVRTLayer></OGRVRTDataSource>",
             streets, layer);
    if (ctxprof_gazetteer_add_streets(ctx, gz, vrt, NULL) != 0)
        fail_msg("%s", ctxprof_errmsg(ctx));
    if (ctxprof_gazetteer_add_places(ctx, gz, places, NULL) != 0)
        fail_msg("%s", ctxprof_errmsg(ctx));
    assert_int_equal(ctxprof_gazetteer_finish(ctx, gz), 0);
    unlink(pcs);
    unlink(streets);
    unlink(places);
    return gz;
}

static int geo(ctxprof_ctx *ctx, ctxprof_geocoder *gc, ctxprof_geo_input in, ctxprof_geo_result *r)
{
    static const char *empty = "";
    if (!in.postcode)
        in.postcode = empty;
    if (!in.address)
        in.address = empty;
    if (!in.location)
        in.location = empty;
    if (!in.stop)
        in.stop = empty;
    if (!in.route)
        in.route = empty;
    return ctxprof_geocode(ctx, gc, &in, r);
}

#define NO_COORDS .x = NAN, .y = NAN, .lon = NAN, .lat = NAN

static void test_cascade(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_gazetteer *gz = small_gazetteer(ctx);
    size_t units, sectors, districts, streets, places;
    ctxprof_gz_counts(gz, &units, &sectors, &districts, &streets, &places);
    assert_int_equal(units, 2); /* the quality-90 unit is skipped */
    assert_int_equal(streets, 3);
    assert_int_equal(places, 3);
    assert_string_equal(ctxprof_gz_source_at(gz, 0)->licence, "test licence");
    assert_int_equal(ctxprof_gz_source_at(gz, 0)->rows_skipped, 1);
    ctxprof_geocoder *gc = NULL;
    assert_int_equal(ctxprof_geocoder_new(ctx, &gc, "EPSG:27700", gz, NULL), 0);
    ctxprof_geo_result r;

    /* Coordinates, as given and swapped. */
    assert_int_equal(
        geo(ctx, gc, (ctxprof_geo_input){.x = 541234, .y = 201234, .lon = NAN, .lat = NAN}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_COORD_BNG);
    assert_int_equal(r.score, 100);
    assert_near(r.x, 541234, 1e-6);
    assert_int_equal(
        geo(ctx, gc, (ctxprof_geo_input){.x = NAN, .y = NAN, .lon = 51.7, .lat = 0.05}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_COORD_WGS84);
    assert_int_equal(r.repaired, 1);
    assert_int_equal(r.score, 90);

    /* A postcode with O for 0 and no space. */
    assert_int_equal(geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .postcode = "nb22bb"}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_POSTCODE);
    assert_near(r.x, 543000, 1e-6);
    assert_near(r.y, 203000, 1e-6);

    /* Zero coordinates fall through to the postcode. */
    assert_int_equal(
        geo(ctx, gc,
            (ctxprof_geo_input){.x = 0, .y = 0, .lon = NAN, .lat = NAN, .postcode = "NB1 1AA"}, &r),
        1);
    assert_int_equal(r.method, CTXPROF_GC_POSTCODE);

    /* An address without a postcode: the street, in the district named by
     * its sector-less locality is unknown, so the first Church Road... but
     * with a postcode district the right one. */
    assert_int_equal(
        geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .address = "12 Church Rd, NB2"}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_ADDRESS);
    assert_near(r.x, 543000, 1e-6);
    assert_near(r.y, 203000, 1e-6);

    /* "On or near" a street; a typo; a place; a stop on its route; a junction. */
    assert_int_equal(
        geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .location = "On or near Park Lane"}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_STREET);
    assert_near(r.x, 541000, 1e-6);
    assert_near(r.y, 201000, 1e-6);
    assert_int_equal(
        geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .location = "outside Nothbrook Station"}, &r),
        1);
    assert_int_equal(r.method, CTXPROF_GC_PLACE);
    assert_int_equal(r.score, 70); /* one edit */
    assert_near(r.x, 542000, 1e-6);
    assert_int_equal(
        geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .stop = "PARK LANE", .route = "34"}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_STOP);
    assert_near(r.x, 541010, 1e-6);
    assert_int_equal(
        geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .location = "Church Road / Park Lane"}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_JUNCTION);
    assert_near(r.x, 541000, 1e-6);
    assert_near(r.y, 201000, 1e-6);
    assert_int_equal(
        geo(ctx, gc,
            (ctxprof_geo_input){NO_COORDS, .location = "bus stop outside Tesco, Church Rd"}, &r),
        1);
    assert_int_equal(r.method, CTXPROF_GC_PLACE);
    assert_near(r.x, 543010, 1e-6);

    /* A postcode unit without coordinates: its sector is unknown too (no
     * unit of NB2 9 has coordinates), so the district, scored low. */
    assert_int_equal(geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .postcode = "NB2 9ZZ"}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_DISTRICT);
    assert_int_equal(r.score, 20);

    /* Misses say why. */
    assert_int_equal(geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .location = "unknown"}, &r), 0);
    assert_string_equal(r.reason, "no street, stop or place in the gazetteer matches");
    assert_int_equal(geo(ctx, gc, (ctxprof_geo_input){NO_COORDS, .postcode = "ZZ9 9ZZ"}, &r), 0);
    assert_string_equal(r.reason, "postcode ZZ9 9ZZ is not in the gazetteer");
    assert_int_equal(geo(ctx, gc, (ctxprof_geo_input){NO_COORDS}, &r), 0);
    assert_string_equal(r.reason, "no location given");

    /* Written and read back, the gazetteer answers the same. */
    char path[] = "/tmp/ctxprof-gaz-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    char gpkg[64];
    snprintf(gpkg, sizeof gpkg, "%s.gpkg", path);
    assert_int_equal(ctxprof_gazetteer_write(ctx, gz, gpkg), 0);
    ctxprof_gazetteer *back = NULL;
    assert_int_equal(ctxprof_gazetteer_open(ctx, &back, gpkg, "EPSG:27700"), 0);
    ctxprof_geocoder *gc2 = NULL;
    assert_int_equal(ctxprof_geocoder_new(ctx, &gc2, "EPSG:27700", back, NULL), 0);
    assert_int_equal(
        geo(ctx, gc2, (ctxprof_geo_input){NO_COORDS, .location = "Church Road / Park Lane"}, &r),
        1);
    assert_int_equal(r.method, CTXPROF_GC_JUNCTION);
    assert_int_equal(
        geo(ctx, gc2, (ctxprof_geo_input){NO_COORDS, .stop = "Park Lane", .route = "34"}, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_STOP);
    unlink(gpkg);
    ctxprof_geocoder_free(ctx, gc2);
    ctxprof_gazetteer_free(ctx, back);
    ctxprof_geocoder_free(ctx, gc);
    ctxprof_gazetteer_free(ctx, gz);
    ctxprof_ctx_free(ctx);
}

/* ONSPD-style files have a header; terminated or unlocated units (latitude
 * 99.999999) are skipped and counted. */
static void test_onspd(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    const char *path = temp_file(".csv", "pcd,pcd2,pcds,dointr,doterm,oseast1m,osnrth1m,osgrdind\n"
                                         "NB1 1AA,NB1  1AA,NB1 1AA,198001,,541000,201000,1\n"
                                         "NB1 1AB,NB1  1AB,NB1 1AB,198001,,,,9\n"
                                         "NB1 1AD,NB1  1AD,NB1 1AD,198001,,541100,201100,1\n");
    ctxprof_gazetteer *gz = NULL;
    assert_int_equal(ctxprof_gazetteer_new(ctx, &gz, "EPSG:27700"), 0);
    assert_int_equal(ctxprof_gazetteer_add_postcodes(ctx, gz, path, NULL), 0);
    assert_int_equal(ctxprof_gazetteer_finish(ctx, gz), 0);
    assert_int_equal(ctxprof_gz_source_at(gz, 0)->rows_read, 3);
    assert_int_equal(ctxprof_gz_source_at(gz, 0)->rows_used, 2);
    assert_int_equal(ctxprof_gz_source_at(gz, 0)->rows_skipped, 1);
    const ctxprof_gz_postcode *u = ctxprof_gz_unit(gz, "NB1 1AD");
    assert_non_null(u);
    assert_near(u->x, 541100, 1e-6);
    const ctxprof_gz_postcode *sec = ctxprof_gz_sector(gz, "NB1 1");
    assert_non_null(sec);
    assert_near(sec->x, 541050, 1e-6); /* the mean of its two units */
    assert_int_equal(sec->n, 2);
    assert_null(ctxprof_gz_unit(gz, "NB1 1AB"));
    unlink(path);
    ctxprof_gazetteer_free(ctx, gz);
    ctxprof_ctx_free(ctx);
}

/* A record at (x, 201000) whose text names Park Lane (541000 201000). */
static ctxprof_geo_input park_lane_at(double x)
{
    return (ctxprof_geo_input){
        .x = x, .y = 201000, .lon = NAN, .lat = NAN, .location = "On or near Park Lane"};
}

/* Published coordinates win (issue 18): a point outside the study area is
 * rejected with its distance, or kept within the tolerance, never moved by
 * its text; text that places a point elsewhere is reported. */
static void test_published_coordinates(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    ctxprof_gazetteer *gz = small_gazetteer(ctx);
    GEOSWKTReader *rd = GEOSWKTReader_create_r(h);
    GEOSGeometry *area = GEOSWKTReader_read_r(
        h, rd, "POLYGON((540000 200000,542000 200000,542000 202000,540000 202000,540000 200000))");
    GEOSWKTReader_destroy_r(h, rd);
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(h, area);
    ctxprof_geocoder *gc = NULL;
    assert_int_equal(ctxprof_geocoder_new(ctx, &gc, "EPSG:27700", gz, prep), 0);
    ctxprof_geo_result r;
    /* 30 m east of the area, its text (Park Lane, 541000 201000) inside it. */
    const ctxprof_geo_input east = park_lane_at(542030);
    assert_int_equal(geo(ctx, gc, east, &r), 0);
    assert_string_equal(r.reason, "point is 30 m outside the study area (published coordinates "
                                  "are not moved by the location text)");
    ctxprof_geocoder_set_checks(gc, 50, 0);
    assert_int_equal(geo(ctx, gc, east, &r), 1);
    assert_int_equal(r.method, CTXPROF_GC_COORD_BNG);
    assert_near(r.x, 542030, 1e-9);
    assert_near(r.outside_m, 30, 1e-9);
    /* 60 m out: beyond the tolerance. */
    assert_int_equal(geo(ctx, gc, park_lane_at(542060), &r), 0);
    assert_string_equal(r.reason, "point is 60 m outside the study area (published coordinates "
                                  "are not moved by the location text)");
    /* Inside, 800 m from where the text puts it: kept, reported over 500 m. */
    const ctxprof_geo_input far = park_lane_at(541800);
    assert_int_equal(geo(ctx, gc, far, &r), 1);
    assert_near(r.text_off_m, 0, 0); /* no check asked for */
    ctxprof_geocoder_set_checks(gc, 50, 500);
    assert_int_equal(geo(ctx, gc, far, &r), 1);
    assert_near(r.x, 541800, 1e-9);
    assert_near(r.outside_m, 0, 0);
    assert_near(r.text_off_m, 800, 1e-9);
    assert_int_equal(geo(ctx, gc, park_lane_at(541200), &r), 1);
    assert_near(r.text_off_m, 0, 0); /* 200 m: within */
    ctxprof_geocoder_free(ctx, gc);
    GEOSPreparedGeom_destroy_r(h, prep);
    GEOSGeom_destroy_r(h, area);
    ctxprof_gazetteer_free(ctx, gz);
    ctxprof_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_postcodes),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_cascade),
        cmocka_unit_test(test_onspd),
        cmocka_unit_test(test_published_coordinates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
