/* Profile files: schema validation with file and line in every error,
 * defaults, path resolution, sources and their field maps. */
#include "test_util.h"

#include "profile/profile.h"

#include <math.h>
#include <unistd.h>

static ctxprof_ctx *ctx;

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

static void test_good_profile(void **state)
{
    (void)state;
    ctxprof_profile *p = NULL;
    const char *path = test_data("profiles/good.ini");
    assert_int_equal(ctxprof_profile_load(ctx, &p, path), 0);
    assert_string_equal(ctxprof_profile_name(p), "Test profile");
    /* Paths resolve against the profile's folder; absolute paths stay. */
    char want[1100];
    snprintf(want, sizeof want, "%s", test_data("profiles/out/test.gpkg"));
    assert_string_equal(ctxprof_profile_output(p), want);
    assert_string_equal(ctxprof_profile_contexts_options(p)->uri[CTXPROF_CTX_PARKS],
                        "/abs/parks.shp");
    /* Set values win; unset keys give the schema default. */
    assert_near(ctxprof_profile_snap_options(p).reach_m[CTXPROF_CTX_PARKS], 40, 0);
    assert_near(ctxprof_profile_snap_options(p).reach_m[CTXPROF_CTX_BUS_SEGMENTS], 30, 0);
    assert_string_equal(ctxprof_profile_hotspots_options(p)->kernel, "quartic");
    assert_true(isnan(ctxprof_profile_hotspots_options(p)->radius_m));
    assert_string_equal(ctxprof_profile_load_options(p)->key_env, "CTXPROF_KEY");

    assert_int_equal(ctxprof_profile_n_sources(p), 2);
    const ctxprof_source *s = ctxprof_profile_source(p, 0);
    assert_string_equal(s->name, "police");
    assert_string_equal(s->kind, "police_referral");
    assert_string_equal(s->encoding, "CP1252");
    assert_string_equal(s->open_options, "SEPARATOR=SEMICOLON");
    assert_null(s->layer);
    assert_string_equal(ctxprof_source_field(s, "date"), "Date Reported");
    assert_string_equal(ctxprof_source_field(s, "code"), "Offence Code, Flag Code");
    assert_null(ctxprof_source_field(s, "postcode"));
    assert_int_equal(s->n_fields, 4);
    const ctxprof_source *b = ctxprof_profile_source(p, 1);
    assert_string_equal(b->layer, "Incidents");
    snprintf(want, sizeof want, "%s", test_data("profiles/bus.xlsx"));
    assert_string_equal(b->path, want);
    assert_string_equal(b->date_format, "excel");
    assert_string_equal(b->encoding, "UTF-8"); /* default */
    assert_null(ctxprof_profile_source(p, 2));
    ctxprof_profile_free(ctx, p);
}

/* Each bad profile fails with CTXPROF_E_CONFIG (or IO) and a message that
 * names the file and the line. */
static void expect_error(const char *name, int code, const char *fragment)
{
    ctxprof_profile *p = (ctxprof_profile *)1;
    const char *path = test_data(name);
    int rc = ctxprof_profile_load(ctx, &p, path);
    assert_int_equal(rc, code);
    assert_null(p);
    const char *msg = ctxprof_errmsg(ctx);
    if (!strstr(msg, fragment) || !strstr(msg, path))
        fail_msg("message '%s' lacks '%s' or the path", msg, fragment);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("profiles/unknown_key.ini", CTXPROF_E_CONFIG,
                 "line 3: unknown key 'colour' in [profile]");
    expect_error("profiles/unknown_section.ini", CTXPROF_E_CONFIG,
                 "line 5: unknown section [hotspot]");
    expect_error("profiles/bad_number.ini", CTXPROF_E_CONFIG,
                 "line 4: [snap] park_buffer_m: 'far' is not a non-negative number");
    expect_error("profiles/duplicate_key.ini", CTXPROF_E_CONFIG,
                 "line 3: 'name' in [profile] is already set on line 2");
    expect_error("profiles/no_name.ini", CTXPROF_E_CONFIG, "[profile] name is required");
    expect_error("profiles/source_no_path.ini", CTXPROF_E_CONFIG, "line 3: [source.a] has no path");
    expect_error("profiles/bad_field.ini", CTXPROF_E_CONFIG,
                 "line 6: unknown key 'field.colour' in [source.a]");
    expect_error("profiles/bad_date_format.ini", CTXPROF_E_CONFIG,
                 "line 6: [source.a] date_format 'mdy' is not dmy, ymd, excel or month");
    expect_error("profiles/syntax.ini", CTXPROF_E_CONFIG, "line 3: syntax error");
    expect_error("profiles/missing.ini", CTXPROF_E_IO, "cannot open profile");
}

/* Lines longer than inih's 200-byte buffer (long absolute paths, lists of
 * layers) are read whole: the value, less an inline comment, is exact. */
static void test_long_lines(void **state)
{
    (void)state;
    char dir[] = "/tmp/ctxprof-profile-XXXXXX", path[64], value[420], want[420];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/long.ini", dir);
    memset(value, 'p', sizeof value);
    memcpy(value, "/data/", 6);
    value[400] = '\0';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "[profile]\nname = Long\n[contexts]\nparks = %s   ; a comment\n"
            "schools = short.gpkg\n",
            value);
    fclose(f);
    ctxprof_profile *p = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, path), 0);
    snprintf(want, sizeof want, "%s", value);
    assert_string_equal(ctxprof_profile_contexts_options(p)->uri[CTXPROF_CTX_PARKS], want);
    snprintf(want, sizeof want, "%s/short.gpkg", dir);
    assert_string_equal(ctxprof_profile_contexts_options(p)->uri[CTXPROF_CTX_SCHOOLS], want);
    ctxprof_profile_free(ctx, p);
    /* A long line with no key = value in reach is an error on its line. */
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[profile]\nname = Long\n%s\n", value);
    fclose(f);
    p = (ctxprof_profile *)1;
    assert_int_equal(ctxprof_profile_load(ctx, &p, path), CTXPROF_E_CONFIG);
    assert_null(p);
    if (!strstr(ctxprof_errmsg(ctx), "line 3: a line of 401 characters"))
        fail_msg("message '%s'", ctxprof_errmsg(ctx));
    unlink(path);
    rmdir(dir);
}

static void test_split_uri(void **state)
{
    (void)state;
    char *path, *layer;
    assert_int_equal(ctxprof_split_uri(ctx, "a/b.gpkg|layername=lsoa", &path, &layer), 0);
    assert_string_equal(path, "a/b.gpkg");
    assert_string_equal(layer, "lsoa");
    ctxprof_free(ctx, path);
    ctxprof_free(ctx, layer);
    assert_int_equal(ctxprof_split_uri(ctx, "x.shp", &path, &layer), 0);
    assert_string_equal(path, "x.shp");
    assert_null(layer);
    ctxprof_free(ctx, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_profile),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_split_uri),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
