/* PostGIS output without a server: connection strings (passwords hidden
 * everywhere), schema names, and the errors given before or at connecting.
 * tests/postgis/ runs the real thing against PostgreSQL. */
#include "test_util.h"

#include "write/output.h"
#include "write/sink_pg.h"

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

static void assert_redacted(const char *in, const char *want)
{
    char *got = ctxprof_output_redact(ctx, in);
    assert_non_null(got);
    assert_string_equal(got, want);
    ctxprof_free(ctx, got);
}

static void test_redact(void **state)
{
    (void)state;
    assert_redacted("run -o 'PG:dbname=x password=abc host=y' a.ini",
                    "run -o 'PG:dbname=x password=*** host=y' a.ini");
    /* The closing quote of a quoted argument is not part of the value. */
    assert_redacted("run -o 'PG:dbname=x password=abc' a.ini",
                    "run -o 'PG:dbname=x password=***' a.ini");
    assert_redacted("PG:password = 'a b\\' c' dbname=x", "PG:password = *** dbname=x");
    assert_redacted("PG:dbname=x password=a\\ b user=u", "PG:dbname=x password=*** user=u");
    assert_redacted("PG:password=abc password=def", "PG:password=*** password=***");
    assert_redacted("PG:password='abc", "PG:password=***");
    /* Only the keyword itself. */
    assert_redacted("mypassword=abc password_file=x", "mypassword=abc password_file=x");
    assert_redacted("nothing to hide", "nothing to hide");
    assert_redacted("", "");
}

static void assert_schema(const char *name, const char *want)
{
    char *got = NULL;
    assert_int_equal(ctxprof_sink_pg_schema_name(ctx, &got, name), 0);
    assert_string_equal(got, want);
    ctxprof_free(ctx, got);
}

static void test_schema_name(void **state)
{
    (void)state;
    assert_schema("Northbrook sample", "northbrook_sample");
    assert_schema("  Camden & Islington (2025) ", "camden_islington_2025");
    assert_schema("2025 study", "p_2025_study");
    assert_schema("", "ctxprof");
    assert_schema(NULL, "ctxprof");
    assert_schema("--", "ctxprof");
    assert_schema("public", "ctxprof");
    assert_schema("PG catalog", "ctxprof");
    assert_schema("x new", "x_new");
    char *got = NULL;
    assert_int_equal(
        ctxprof_sink_pg_schema_name(
            ctx, &got,
            "A very long profile name that goes on and on beyond what PostgreSQL allows"),
        0);
    assert_true(strlen(got) <= 58); /* 63 less "__new" */
    assert_string_equal(got, "a_very_long_profile_name_that_goes_on_and_on_beyond_what_p");
    ctxprof_free(ctx, got);
}

/* Fails before or at connecting: the message names the problem and never
 * the password. */
static void assert_refused(const char *target, const char *schema, int code, const char *want)
{
    ctxprof_output *out = NULL;
    ctxprof_output_options o = CTXPROF_OUTPUT_OPTIONS_INIT;
    o.schema = schema;
    int rc = ctxprof_output_open_with(ctx, &out, target, "EPSG:27700", &o);
    assert_int_equal(rc, code);
    assert_null(out);
    const char *msg = ctxprof_errmsg(ctx);
    if (!strstr(msg, want))
        fail_msg("'%s' does not say '%s'", msg, want);
    if (strstr(msg, "hunter2"))
        fail_msg("'%s' shows the password", msg);
    assert_null(strchr(msg, '\n'));
}

static void test_refusals(void **state)
{
    (void)state;
    assert_refused("PG:postgresql://u:hunter2@h/db", NULL, CTXPROF_E_CONFIG, "keyword=value");
    assert_refused("PG:dbname=x password='hunter2", NULL, CTXPROF_E_CONFIG, "unterminated quote");
    assert_refused("PG:dbname=x password=hunter2 oops", NULL, CTXPROF_E_CONFIG,
                   "expected keyword=value at character 30");
    assert_refused("PG:dbname=x password=hunter2", "Bad-Name", CTXPROF_E_CONFIG,
                   "schema 'Bad-Name': use lowercase letters");
    assert_refused("PG:dbname=x password=hunter2", "public", CTXPROF_E_CONFIG,
                   "'public' is not ctxprof's to replace");
    assert_refused("PG:dbname=x password=hunter2", "pg_temp", CTXPROF_E_CONFIG, "reserved");
    assert_refused("PG:dbname=x password=hunter2", "results__new", CTXPROF_E_CONFIG, "reserved");
    assert_refused("PG:dbname=x active_schema=Bad password=hunter2", NULL, CTXPROF_E_CONFIG,
                   "schema 'Bad'");
    /* No server on that socket: a connection error, the target shown
     * without its password. */
    assert_refused("PG:dbname=x host=/nonexistent-ctxprof-socket-dir user=u password=hunter2",
                   "results", CTXPROF_E_DB,
                   "PG:dbname=x host=/nonexistent-ctxprof-socket-dir user=u password=***, "
                   "schema results: cannot connect to PostgreSQL");
    /* The plain open routes PG: targets here too. */
    ctxprof_output *out = NULL;
    assert_int_equal(
        ctxprof_output_open(ctx, &out, "PG:dbname=x host=/nonexistent-ctxprof-dir", "EPSG:27700"),
        CTXPROF_E_DB);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "schema ctxprof: cannot connect"));
    assert_true(ctxprof_output_target_caps("PG:dbname=x") & CTXPROF_SINK_SCHEMA);
    assert_false(ctxprof_output_target_caps("out/PG:x.gpkg") & CTXPROF_SINK_SCHEMA);
    assert_int_equal(ctxprof_output_target_caps(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_schema_name),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
