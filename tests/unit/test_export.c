/* Exports: DBF field names, data-request sheets, owner-only outputs. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/datarequest.h"
#include "export/shp.h"
#include "write/output.h"

static void test_field_names(void **state)
{
    (void)state;
    const char *names[] = {"incident_uid",
                           "incident_u",
                           "n_disturbance",
                           "n_disturbances",
                           "ID",
                           "id",
                           "share_incidents",
                           "café au lait",
                           "",
                           "a,b"};
    char out[10][11];
    ctxprof_shp_field_names(names, 10, out);
    /* Names that fit keep themselves, whatever comes first. */
    assert_string_equal(out[1], "incident_u");
    assert_string_equal(out[4], "ID");
    /* Longer ones are cut; a cut that collides ends in _1, _2... */
    assert_string_equal(out[0], "incident_1");
    assert_string_equal(out[2], "n_disturba");
    assert_string_equal(out[3], "n_distur_1");
    /* DBF readers ignore case: "id" after "ID" is a collision. */
    assert_string_equal(out[5], "id_1");
    assert_string_equal(out[6], "share_inci");
    /* Non-ASCII bytes and punctuation become '_'; an empty name gets one. */
    assert_string_equal(out[7], "caf___au_l");
    assert_string_equal(out[8], "f");
    assert_string_equal(out[9], "a_b");
    for (int i = 0; i < 10; i++) {
        assert_true(strlen(out[i]) <= 10);
        for (int j = 0; j < i; j++)
            assert_true(strcasecmp(out[i], out[j]) != 0);
    }
}

static void test_many_collisions(void **state)
{
    (void)state;
    char buf[120][32];
    const char *names[120];
    for (int i = 0; i < 120; i++) {
        snprintf(buf[i], sizeof buf[i], "category_name_%03d", i);
        names[i] = buf[i];
    }
    char out[120][11];
    ctxprof_shp_field_names(names, 120, out);
    assert_string_equal(out[0], "category_n");
    assert_string_equal(out[1], "category_1");
    assert_string_equal(out[9], "category_9");
    assert_string_equal(out[10], "categor_10");
    assert_string_equal(out[100], "catego_100");
    for (int i = 0; i < 120; i++)
        for (int j = 0; j < i; j++)
            assert_true(strcasecmp(out[i], out[j]) != 0);
}

static void test_datarequest_every_kind(void **state)
{
    (void)state;
    assert_string_equal(ctxprof_datarequest_level("dob"), "identifiable");
    assert_string_equal(ctxprof_datarequest_level("person2_id"), "identifiable");
    assert_string_equal(ctxprof_datarequest_level("postcode"), "pseudonymised");
    assert_string_equal(ctxprof_datarequest_level("date"), "pseudonymised");
    for (size_t i = 0; i < ctxprof_kind_count(); i++) {
        const ctxprof_kind *k = ctxprof_kind_at(i);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        ctxprof_datarequest_options o = {"3 years"};
        assert_int_equal(ctxprof_datarequest_markdown(f, k, &o), 0);
        fclose(f);
        assert_non_null(strstr(text, k->title));
        assert_non_null(strstr(text, "**3 years**"));
        for (const ctxprof_kind_field *fl = k->fields; fl->key; fl++) {
            char row[80];
            snprintf(row, sizeof row, "| `field.%s` | ", fl->key);
            const char *r = strstr(text, row);
            assert_non_null(r);
            const char *eol = strchr(r, '\n');
            char level[40];
            snprintf(level, sizeof level, "| %s |", ctxprof_datarequest_level(fl->key));
            const char *l = strstr(r, level);
            assert_true(l && l < eol);
        }
        free(text);
    }
}

static void test_output_modes(void **state)
{
    (void)state;
    char dir[] = "/tmp/ctxprof-test-export-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], shared[128];
    snprintf(path, sizeof path, "%s/profile.gpkg", dir);
    snprintf(shared, sizeof shared, "%s/share.gpkg", dir);
    mode_t old = umask(0);
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_output *out = NULL;
    struct stat st;
    /* Identifiable: 0600 even with a permissive umask, while written and after. */
    assert_int_equal(ctxprof_output_open(ctx, &out, path, "EPSG:27700"), 0);
    assert_int_equal(ctxprof_output_finish(ctx, out), 0);
    ctxprof_output_close(ctx, out);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Shareable: an ordinary file, 0644 less the umask. */
    umask(022);
    assert_int_equal(ctxprof_output_open(ctx, &out, shared, "EPSG:27700"), 0);
    ctxprof_output_set_shareable(out);
    assert_int_equal(ctxprof_output_finish(ctx, out), 0);
    ctxprof_output_close(ctx, out);
    assert_int_equal(stat(shared, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    umask(077);
    unlink(shared);
    assert_int_equal(ctxprof_output_open(ctx, &out, shared, "EPSG:27700"), 0);
    ctxprof_output_set_shareable(out);
    assert_int_equal(ctxprof_output_finish(ctx, out), 0);
    ctxprof_output_close(ctx, out);
    assert_int_equal(stat(shared, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    umask(old);
    ctxprof_ctx_free(ctx);
    unlink(path);
    unlink(shared);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_many_collisions),
        cmocka_unit_test(test_datarequest_every_kind),
        cmocka_unit_test(test_output_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
