/* Shared pieces of the command line: the subcommand table, option tables
 * that also print the help, progress display and JSON output. */
#ifndef CTXPROF_CLI_H
#define CTXPROF_CLI_H

#include <stdio.h>

#include "core/context.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage;   /* after "ctxprof NAME " */
    const char *details; /* paragraph printed under the usage */
    const struct cli_option *options;
} cli_command;

typedef struct cli_option {
    const char *name; /* long name without dashes */
    char short_name;  /* 0 for none */
    const char *arg;  /* metavariable, NULL for a flag; ending "...": the option repeats */
    const char *help;
} cli_option;

/* Options every command takes. */
#define CLI_COMMON_OPTIONS                                                                         \
    {"progress", 0, NULL, "Print GDAL-style progress (0...10...100 - done.) on stderr"},           \
        {"json", 0, NULL, "Print the summary as JSON on stdout"},                                  \
        {"quiet", 'q', NULL, "Print errors only"},                                                 \
        {"verbose", 'v', NULL, "Print debugging messages"},                                        \
    {                                                                                              \
        "help", 'h', NULL, "Show this help"                                                        \
    }

extern const cli_command cli_commands[];
extern const size_t cli_n_commands;
const cli_command *cli_find(const char *name);

/* Prints the help of one command. */
void cli_print_help(FILE *f, const cli_command *cmd);

/* Parsed options: values indexed as the command's option table, which holds
 * at most CLI_MAX_OPTIONS options (cli_parse refuses a longer one). */
#define CLI_MAX_OPTIONS 32
typedef struct {
    const char *values[CLI_MAX_OPTIONS];
    int set[CLI_MAX_OPTIONS];
    char **positional;
    int n_positional;
    int progress, json, quiet, verbose;
} cli_args;

/* Parses argv (argv[0] is the command name). An option with a value given
 * twice is a usage error unless it repeats (its arg ends "...": the values are
 * joined with commas); a flag given
 * twice is the flag. Returns CLI_OK, CLI_USAGE after printing a message, -1
 * when --help was printed (exit 0), or CLI_FAIL when the command's option
 * table is longer than CLI_MAX_OPTIONS (a bug). */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out);
/* CLI_OK when a takes between min and max operands, else CLI_USAGE after
 * naming the first stray one (or the missing ones) with the usage. */
int cli_operands(const cli_command *cmd, const cli_args *a, int min, int max);
/* Creates path's folder and its parents (mkdir -p); 0 or -1 with errno. */
int cli_mkdirs(const char *path);
/* CLI_OK, or CLI_FAIL after a message when cmd has more than CLI_MAX_OPTIONS
 * options; main checks every command's table with it at start. */
int cli_check_options(const cli_command *cmd);
const char *cli_get(const cli_args *a, const cli_command *cmd, const char *name);

/* Prints "ctxprof: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports the context's error and returns CLI_FAIL. */
int cli_fail(ctxprof_ctx *ctx);

/* A context with the CLI's log sink and progress display set up. */
ctxprof_ctx *cli_context(const cli_args *a);
/* Ends the progress display (newline after a bar). */
void cli_progress_end(void);

/* JSON helpers: a quoted, escaped string. */
void cli_json_string(FILE *f, const char *s);

/* The command line as typed, for run_metadata; free with free(). */
char *cli_joined_argv(int argc, char **argv);

#endif
