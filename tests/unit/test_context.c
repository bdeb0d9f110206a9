/* The engine context: error slot, messages naming file/row/field, logging,
 * nested progress and cancellation, allocation. */
#include "test_util.h"

#include "core/context.h"

static void test_error_slot(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    assert_non_null(ctx);
    assert_int_equal(ctxprof_errcode(ctx), 0);
    assert_string_equal(ctxprof_errmsg(ctx), "no error");
    assert_int_equal(ctxprof_error(ctx, CTXPROF_E_INPUT, "bad %s", "thing"), CTXPROF_E_INPUT);
    assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_INPUT);
    assert_string_equal(ctxprof_errmsg(ctx), "bad thing");
    ctxprof_error_clear(ctx);
    assert_int_equal(ctxprof_errcode(ctx), 0);
    ctxprof_ctx_free(ctx);
    ctxprof_ctx_free(NULL);
}

static void test_error_at_names_file_row_field(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    int rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, "police.csv", 118, "easting",
                              "%d is outside the study area", 5301);
    assert_int_equal(rc, CTXPROF_E_INPUT);
    assert_string_equal(ctxprof_errmsg(ctx),
                        "police.csv row 118 field 'easting': 5301 is outside the study area");
    ctxprof_error_at(ctx, CTXPROF_E_IO, "a.gpkg", 0, NULL, "cannot open");
    assert_string_equal(ctxprof_errmsg(ctx), "a.gpkg: cannot open");
    ctxprof_error_at(ctx, CTXPROF_E_CONFIG, NULL, 0, NULL, "plain");
    assert_string_equal(ctxprof_errmsg(ctx), "plain");
    ctxprof_ctx_free(ctx);
}

static void test_error_codes_are_negative_and_distinct(void **state)
{
    (void)state;
    int codes[] = {CTXPROF_E_INPUT, CTXPROF_E_IO,     CTXPROF_E_CRS,
                   CTXPROF_E_GEOM,  CTXPROF_E_DB,     CTXPROF_E_CANCELLED,
                   CTXPROF_E_NOMEM, CTXPROF_E_CONFIG, CTXPROF_E_INTERNAL};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_true(codes[i] < 0);
        for (size_t j = 0; j < i; j++)
            assert_true(codes[i] != codes[j]);
        assert_string_not_equal(ctxprof_strerror(codes[i]), "success");
    }
    assert_string_equal(ctxprof_strerror(CTXPROF_E_CANCELLED), "cancelled");
}

static char last_log[256];
static int n_logs;
static void capture_log(ctxprof_log_level level, const char *msg, void *payload)
{
    (void)payload;
    snprintf(last_log, sizeof last_log, "%d:%s", (int)level, msg);
    n_logs++;
}

static void test_log_levels(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_set_log(ctx, capture_log, NULL, CTXPROF_LOG_WARN);
    n_logs = 0;
    ctxprof_log(ctx, CTXPROF_LOG_INFO, "not shown");
    assert_int_equal(n_logs, 0);
    ctxprof_log(ctx, CTXPROF_LOG_WARN, "shown %d", 7);
    assert_int_equal(n_logs, 1);
    assert_string_equal(last_log, "2:shown 7");
    assert_int_equal(ctxprof_warning_count(ctx), 1);
    ctxprof_ctx_free(ctx);
}

static double seen[16];
static int n_seen, cancel_after;
static int record_progress(double complete, const char *msg, void *payload)
{
    (void)msg;
    (void)payload;
    seen[n_seen++ % 16] = complete;
    return !(cancel_after && n_seen >= cancel_after);
}

static void test_nested_progress_and_cancel(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_set_progress(ctx, record_progress, NULL);
    n_seen = 0;
    cancel_after = 0;
    ctxprof_progress_push(ctx, 0.5, 1.0);
    ctxprof_progress_push(ctx, 0.0, 0.5); /* [0.5, 0.75] overall */
    assert_int_equal(ctxprof_progress(ctx, 0.5, "inner"), 0);
    assert_near(seen[0], 0.625, 1e-12);
    ctxprof_progress_pop(ctx);
    assert_int_equal(ctxprof_progress(ctx, 1.0, "outer"), 0);
    assert_near(seen[1], 1.0, 1e-12);
    ctxprof_progress_pop(ctx);
    assert_int_equal(ctxprof_progress(ctx, 0.25, NULL), 0);
    assert_near(seen[2], 0.25, 1e-12);
    cancel_after = 4;
    assert_int_equal(ctxprof_progress(ctx, 0.3, "loading"), CTXPROF_E_CANCELLED);
    assert_string_equal(ctxprof_errmsg(ctx), "cancelled during loading");
    ctxprof_ctx_free(ctx);
}

/* Forty nested stages each taking the second half of their parent: every
 * level maps onto its own range, each pop returns to the level above, and
 * pops without pushes change nothing. */
static void test_progress_depth_40(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_set_progress(ctx, record_progress, NULL);
    cancel_after = 0;
    ctxprof_progress_pop(ctx); /* no push yet */
    n_seen = 0;
    assert_int_equal(ctxprof_progress(ctx, 0.25, NULL), 0);
    assert_near(seen[0], 0.25, 0);
    for (int d = 1; d <= 40; d++) {
        ctxprof_progress_push(ctx, 0.5, 1.0);
        n_seen = 0;
        assert_int_equal(ctxprof_progress(ctx, 0.0, NULL), 0);
        assert_near(seen[0], 1.0 - ldexp(1.0, -d), 1e-15);
    }
    for (int d = 39; d >= 0; d--) {
        ctxprof_progress_pop(ctx);
        n_seen = 0;
        assert_int_equal(ctxprof_progress(ctx, 0.0, NULL), 0);
        assert_near(seen[0], 1.0 - ldexp(1.0, -d), 1e-15);
    }
    for (int i = 0; i < 5; i++)
        ctxprof_progress_pop(ctx);
    n_seen = 0;
    assert_int_equal(ctxprof_progress(ctx, 0.25, NULL), 0);
    assert_near(seen[0], 0.25, 0);
    ctxprof_progress_push(ctx, 0.0, 0.5);
    n_seen = 0;
    assert_int_equal(ctxprof_progress(ctx, 0.5, NULL), 0);
    assert_near(seen[0], 0.25, 0);
    ctxprof_ctx_free(ctx); /* frees the deeper stack (ASAN: no leak) */
}

static void test_allocation(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(ctxprof_grow(ctx, (void **)&a, &cap, 100, sizeof *a), 0);
    assert_true(cap >= 100);
    for (int i = 0; i < 100; i++)
        a[i] = i;
    size_t before = cap;
    assert_int_equal(ctxprof_grow(ctx, (void **)&a, &cap, 50, sizeof *a), 0);
    assert_int_equal(cap, before); /* never shrinks */
    assert_int_equal(a[99], 99);
    ctxprof_free(ctx, a);
    char *s = ctxprof_sprintf(ctx, "%s-%d", "row", 12);
    assert_string_equal(s, "row-12");
    ctxprof_free(ctx, s);
    assert_null(ctxprof_strdup(ctx, NULL));
    /* An impossible allocation fails cleanly with E_NOMEM on the context. */
    void *huge = ctxprof_malloc(ctx, (size_t)-1 / 2);
    assert_null(huge);
    assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_NOMEM);
    ctxprof_ctx_free(ctx);
}

/* A size that does not fit in size_t is refused before any allocation,
 * named on the context, and the array being grown is left as it was. */
static void test_allocation_overflow(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    double *a = NULL;
    size_t cap = 0;
    assert_int_equal(ctxprof_grow(ctx, (void **)&a, &cap, 100, sizeof *a), 0);
    for (int i = 0; i < 100; i++)
        a[i] = i;
    double *before = a;
    size_t before_cap = cap;
    size_t need = (size_t)-1 / sizeof *a + 2; /* need * sizeof *a wraps round */
    assert_int_equal(ctxprof_grow(ctx, (void **)&a, &cap, need, sizeof *a), CTXPROF_E_NOMEM);
    assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_NOMEM);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "more than can be allocated"));
    assert_ptr_equal(a, before);
    assert_int_equal(cap, before_cap);
    for (int i = 0; i < 100; i++)
        assert_near(a[i], i, 0);
    /* The largest need: doubling must not wrap round to a small capacity. */
    ctxprof_error_clear(ctx);
    assert_int_equal(ctxprof_grow(ctx, (void **)&a, &cap, (size_t)-1, 1), CTXPROF_E_NOMEM);
    assert_ptr_equal(a, before);
    assert_int_equal(cap, before_cap);
    ctxprof_free(ctx, a);

    ctxprof_error_clear(ctx);
    assert_null(ctxprof_mallocarray(ctx, (size_t)1 << 40, (size_t)1 << 40));
    assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_NOMEM);
    ctxprof_error_clear(ctx);
    assert_null(ctxprof_calloc(ctx, (size_t)1 << 40, (size_t)1 << 40));
    assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_NOMEM);
    char *p = ctxprof_mallocarray(ctx, 4, 8);
    assert_non_null(p);
    memset(p, 1, 32);
    ctxprof_error_clear(ctx);
    assert_null(ctxprof_reallocarray(ctx, p, (size_t)-1 / 4, 8));
    assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_NOMEM);
    assert_int_equal(p[31], 1); /* still ours, unchanged */
    ctxprof_free(ctx, p);

    size_t out = 0;
    assert_int_equal(ctxprof_mul_overflow(&out, 3, 7), 0);
    assert_int_equal(out, 21);
    assert_true(ctxprof_mul_overflow(&out, (size_t)-1 / 2 + 1, 2));
    assert_int_equal(ctxprof_size_mul(6, 7), 42);
    assert_true(ctxprof_size_mul((size_t)1 << 40, (size_t)1 << 40) == (size_t)-1);
    ctxprof_ctx_free(ctx);
}

static void test_geos_handle(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    GEOSGeometry *g = GEOSGeom_createPointFromXY_r(h, 1, 2);
    double x;
    assert_int_equal(GEOSGeomGetX_r(h, g, &x), 1);
    assert_near(x, 1.0, 0);
    GEOSGeom_destroy_r(h, g);
    ctxprof_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_slot),
        cmocka_unit_test(test_error_at_names_file_row_field),
        cmocka_unit_test(test_error_codes_are_negative_and_distinct),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_nested_progress_and_cancel),
        cmocka_unit_test(test_progress_depth_40),
        cmocka_unit_test(test_allocation),
        cmocka_unit_test(test_allocation_overflow),
        cmocka_unit_test(test_geos_handle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
