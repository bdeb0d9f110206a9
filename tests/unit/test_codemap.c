/* Code maps: raw codes and keywords to categories and flags. */
#include "test_util.h"

#include <unistd.h>

#include "load/codemap.h"
#include "load/taxonomy.h"

static void test_codes_and_keywords(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    const char *path = temp_file(".csv", "code,categories,flags\n"
                                         "SM,hsb+exclusion,fixed_term\n"
                                         "ASB-YTH,asb+transport,youth\n"
                                         "\"PA\",syv,\n"
                                         "kw:county lines,syv+cse,vulnerable\n"
                                         "kw:Sexting,online,\n");
    ctxprof_codemap *m = NULL;
    assert_int_equal(ctxprof_codemap_load(ctx, &m, path), 0);
    assert_int_equal(ctxprof_codemap_size(m), 5);
    uint32_t cats = 0, flags = 0;
    assert_int_equal(ctxprof_codemap_code(m, " sm ", &cats, &flags), 1);
    char buf[128];
    ctxprof_taxonomy_format(cats, ctxprof_category_names, CTXPROF_N_CATEGORIES, buf, sizeof buf);
    assert_string_equal(buf, "hsb+exclusion");
    ctxprof_taxonomy_format(flags, ctxprof_flag_names, CTXPROF_N_FLAGS, buf, sizeof buf);
    assert_string_equal(buf, "fixed_term");
    assert_int_equal(ctxprof_codemap_code(m, "XX", &cats, &flags), 0);
    cats = flags = 0;
    assert_int_equal(ctxprof_codemap_text(m, "Concerns re COUNTY LINES and sexting", &cats, &flags),
                     2);
    ctxprof_taxonomy_format(cats, ctxprof_category_names, CTXPROF_N_CATEGORIES, buf, sizeof buf);
    assert_string_equal(buf, "cse+syv+online");
    assert_int_equal(flags, 1u << 1); /* vulnerable */
    ctxprof_codemap_free(ctx, m);
    unlink(path);
    ctxprof_ctx_free(ctx);
}

static void test_bad_category_names_row_and_field(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    const char *path = temp_file(".csv", "code,categories,flags\nA,cse,\nB,gangs,\n");
    ctxprof_codemap *m = NULL;
    assert_int_equal(ctxprof_codemap_load(ctx, &m, path), CTXPROF_E_INPUT);
    assert_null(m);
    char want[512];
    snprintf(want, sizeof want, "%.400s row 3 field 'categories': 'gangs' is not a category",
             path ? path : "");
    assert_non_null(strstr(ctxprof_errmsg(ctx), want));
    unlink(path);
    path = temp_file(".csv", "code,categories,flags\nA,cse,urgent\n");
    assert_int_equal(ctxprof_codemap_load(ctx, &m, path), CTXPROF_E_INPUT);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "row 2 field 'flags': 'urgent' is not a flag"));
    unlink(path);
    path = temp_file(".csv", "value,category\nA,cse\n");
    assert_int_equal(ctxprof_codemap_load(ctx, &m, path), CTXPROF_E_INPUT);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "needs the header code,categories,flags"));
    unlink(path);
    ctxprof_ctx_free(ctx);
}

static void test_taxonomy(void **state)
{
    (void)state;
    uint32_t mask;
    char bad[32];
    assert_int_equal(ctxprof_taxonomy_parse("SYV + cse", ctxprof_category_names,
                                            CTXPROF_N_CATEGORIES, &mask, bad, sizeof bad),
                     0);
    assert_int_equal(mask, 3u);
    assert_int_equal(ctxprof_taxonomy_first(mask), 0);
    assert_int_equal(ctxprof_taxonomy_first(0), -1);
    assert_int_equal(ctxprof_taxonomy_parse("", ctxprof_category_names, CTXPROF_N_CATEGORIES, &mask,
                                            bad, sizeof bad),
                     0);
    assert_int_equal(mask, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_and_keywords),
        cmocka_unit_test(test_bad_category_names_row_and_field),
        cmocka_unit_test(test_taxonomy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
