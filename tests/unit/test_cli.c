/* The command line's option tables (src/cli/cli.c, linked into this test):
 * cli_args holds CLI_MAX_OPTIONS values, and a table with more options is
 * refused before anything reads past them. */
#include "test_util.h"

#include "cli/cli.h"

#define OPT(name)                                                                                  \
    {                                                                                              \
        name, 0, "V", "an option"                                                                  \
    }
/* 33 options: one more than cli_args holds. */
static const cli_option too_many[] = {
    OPT("o01"), OPT("o02"), OPT("o03"), OPT("o04"), OPT("o05"), OPT("o06"),           OPT("o07"),
    OPT("o08"), OPT("o09"), OPT("o10"), OPT("o11"), OPT("o12"), OPT("o13"),           OPT("o14"),
    OPT("o15"), OPT("o16"), OPT("o17"), OPT("o18"), OPT("o19"), OPT("o20"),           OPT("o21"),
    OPT("o22"), OPT("o23"), OPT("o24"), OPT("o25"), OPT("o26"), OPT("o27"),           OPT("o28"),
    OPT("o29"), OPT("o30"), OPT("o31"), OPT("o32"), OPT("o33"), {NULL, 0, NULL, NULL}};
/* The last 32 of them: exactly as many as it holds. */
static const cli_option just_enough[] = {
    OPT("o02"), OPT("o03"), OPT("o04"), OPT("o05"), OPT("o06"),           OPT("o07"), OPT("o08"),
    OPT("o09"), OPT("o10"), OPT("o11"), OPT("o12"), OPT("o13"),           OPT("o14"), OPT("o15"),
    OPT("o16"), OPT("o17"), OPT("o18"), OPT("o19"), OPT("o20"),           OPT("o21"), OPT("o22"),
    OPT("o23"), OPT("o24"), OPT("o25"), OPT("o26"), OPT("o27"),           OPT("o28"), OPT("o29"),
    OPT("o30"), OPT("o31"), OPT("o32"), OPT("o33"), {NULL, 0, NULL, NULL}};

/* cli.c's cli_find looks commands up here (main.c's table in ctxprof). */
const cli_command cli_commands[] = {
    {"enough", NULL, "32 options", "", NULL, just_enough},
    {"toomany", NULL, "33 options", "", NULL, too_many},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

static void test_table_at_the_bound(void **state)
{
    (void)state;
    const cli_command *cmd = cli_find("enough");
    char *argv[] = {"enough", "--o33", "last", "--o02", "first", "pos", NULL};
    cli_args a;
    assert_int_equal(cli_check_options(cmd), CLI_OK);
    assert_int_equal(cli_parse(cmd, 6, argv, &a), CLI_OK);
    assert_string_equal(cli_get(&a, cmd, "o33"), "last");
    assert_string_equal(cli_get(&a, cmd, "o02"), "first");
    assert_null(cli_get(&a, cmd, "o10"));
    assert_null(cli_get(&a, cmd, "o01"));
    assert_int_equal(a.n_positional, 1);
    assert_string_equal(a.positional[0], "pos");
}

static void test_table_past_the_bound(void **state)
{
    (void)state;
    const cli_command *cmd = cli_find("toomany");
    char *argv[] = {"toomany", "--o33", "x", NULL};
    cli_args a;
    assert_int_equal(cli_check_options(cmd), CLI_FAIL);
    assert_int_equal(cli_parse(cmd, 3, argv, &a), CLI_FAIL);
    /* Whatever cli_parse left, cli_get never reads past the 32 slots: the
     * 33rd option is not found. (Past set[31] lies a.positional: a read of
     * "set[32]" would see it nonzero and report the option as given.) */
    memset(&a, 0, sizeof a);
    a.positional = argv;
    assert_null(cli_get(&a, cmd, "o33"));
    assert_null(cli_get(&a, cmd, "o32"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_at_the_bound),
        cmocka_unit_test(test_table_past_the_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
