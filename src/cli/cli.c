#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < cli_n_commands; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}

void cli_print_help(FILE *f, const cli_command *cmd)
{
    fprintf(f, "usage: ctxprof %s %s\n\n%s.\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->details)
        fprintf(f, "\n%s\n", cmd->details);
    if (!cmd->options)
        return;
    fprintf(f, "\noptions:\n");
    for (const cli_option *o = cmd->options; o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        fprintf(f, "  %-26s %s\n", left, o->help);
    }
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ctxprof: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_fail(ctxprof_ctx *ctx)
{
    cli_progress_end();
    cli_error("%s", ctxprof_errmsg(ctx));
    return CLI_FAIL;
}

int cli_check_options(const cli_command *cmd)
{
    int n = 0;
    for (const cli_option *o = cmd->options; o && o->name; o++)
        if (++n > CLI_MAX_OPTIONS) {
            cli_error("internal error: '%s' has more than %d options (CLI_MAX_OPTIONS)", cmd->name,
                      CLI_MAX_OPTIONS);
            return CLI_FAIL;
        }
    return CLI_OK;
}

/* The joined values of repeated options (one parse per process). */
static char *joined[CLI_MAX_OPTIONS];

static void free_joined(void)
{
    for (int i = 0; i < CLI_MAX_OPTIONS; i++) {
        free(joined[i]);
        joined[i] = NULL;
    }
}

int cli_operands(const cli_command *cmd, const cli_args *a, int min, int max)
{
    if (a->n_positional > max)
        cli_error("%s: unexpected operand '%s' (usage: ctxprof %s%s%s)", cmd->name,
                  a->positional[max], cmd->name, *cmd->usage ? " " : "", cmd->usage);
    else if (a->n_positional < min)
        cli_error("%s: missing operand (usage: ctxprof %s%s%s)", cmd->name, cmd->name,
                  *cmd->usage ? " " : "", cmd->usage);
    else
        return CLI_OK;
    return CLI_USAGE;
}

int cli_mkdirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -1;
            if (!(*p = c))
                break;
        }
    }
    return 0;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out)
{
    static int registered;
    if (!registered++)
        atexit(free_joined);
    free_joined();
    struct option longs[CLI_MAX_OPTIONS + 1];
    char shorts[2 * CLI_MAX_OPTIONS + 2];
    size_t ns = 0, n = 0;
    memset(out, 0, sizeof *out);
    if (cli_check_options(cmd))
        return CLI_FAIL;
    shorts[ns++] = ':'; /* report a missing value as ':' */
    for (const cli_option *o = cmd->options; o && o->name; o++, n++) {
        longs[n] =
            (struct option){o->name, o->arg ? required_argument : no_argument, NULL, 256 + (int)n};
        if (o->short_name) {
            shorts[ns++] = o->short_name;
            if (o->arg)
                shorts[ns++] = ':';
        }
    }
    longs[n] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        int idx = -1;
        if (c >= 256) {
            idx = c - 256;
        } else if (c == '?' || c == ':') {
            if (c == ':')
                cli_error("%s: option %s needs a value", cmd->name, argv[optind - 1]);
            else
                cli_error("%s: unknown option '%s' (see 'ctxprof %s --help')", cmd->name,
                          argv[optind - 1], cmd->name);
            return CLI_USAGE;
        } else {
            for (size_t i = 0; i < n; i++)
                if (cmd->options[i].short_name == c)
                    idx = (int)i;
        }
        if (idx < 0)
            return CLI_USAGE;
        const cli_option *opt = &cmd->options[idx];
        size_t al = opt->arg ? strlen(opt->arg) : 0;
        int repeats = al > 3 && strcmp(opt->arg + al - 3, "...") == 0;
        if (out->set[idx] && opt->arg && !repeats) {
            cli_error("%s: option --%s is given twice (see 'ctxprof %s --help')", cmd->name,
                      opt->name, cmd->name);
            return CLI_USAGE;
        }
        if (out->set[idx] && opt->arg) { /* a repeated list: values joined with commas */
            size_t len = strlen(out->values[idx]) + strlen(optarg) + 2;
            char *j = realloc(joined[idx], len);
            if (!j) {
                cli_error("out of memory");
                return CLI_FAIL;
            }
            if (!joined[idx])
                snprintf(j, len, "%s,%s", out->values[idx], optarg);
            else
                strcat(strcat(j, ","), optarg);
            joined[idx] = j;
            optarg = j;
        }
        out->set[idx] = 1;
        out->values[idx] = optarg;
        const char *name = opt->name;
        if (strcmp(name, "help") == 0) {
            cli_print_help(stdout, cmd);
            return -1;
        }
        out->progress |= strcmp(name, "progress") == 0;
        out->json |= strcmp(name, "json") == 0;
        out->quiet |= strcmp(name, "quiet") == 0;
        out->verbose |= strcmp(name, "verbose") == 0;
    }
    out->positional = argv + optind;
    out->n_positional = argc - optind;
    return CLI_OK;
}

const char *cli_get(const cli_args *a, const cli_command *cmd, const char *name)
{
    for (int i = 0; cmd->options && cmd->options[i].name && i < CLI_MAX_OPTIONS; i++)
        if (strcmp(cmd->options[i].name, name) == 0)
            return a->set[i] ? (a->values[i] ? a->values[i] : "") : NULL;
    return NULL;
}

/* Progress display: a bar with percent and ETA on a terminal; GDAL-style
 * "0...10...20" ticks with --progress (what QGIS parses from GDAL tools). */
static struct {
    int mode; /* 0 none, 1 bar, 2 gdal */
    int last_tick;
    int bar_drawn;
    double t0;
    double last_draw;
    double shown; /* the furthest the bar has gone */
} progress_state;

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* SIGINT/SIGTERM (Ctrl-C, the plugin's Cancel) ask the engine to stop at its
 * next progress report; it then removes its temporary output. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int cli_progress(double complete, const char *msg, void *payload)
{
    (void)payload;
    if (interrupted)
        return 0;
    if (progress_state.mode == 2) {
        int tick = (int)(complete * 40.0 + 1e-9);
        for (int t = progress_state.last_tick + 1; t <= tick; t++) {
            if (t == 0)
                fputc('0', stderr);
            else if (t % 4 == 0)
                fprintf(stderr, "%d", t / 4 * 10);
            else
                fputc('.', stderr);
        }
        if (tick > progress_state.last_tick) {
            progress_state.last_tick = tick;
            if (tick >= 40)
                fputs(" - done.\n", stderr);
            fflush(stderr);
        }
    } else if (progress_state.mode == 1) {
        /* Never backwards: a stage may report a sub-step it already passed. */
        if (complete < progress_state.shown)
            complete = progress_state.shown;
        progress_state.shown = complete;
        double now = mono();
        if (now - progress_state.last_draw < 0.1 && complete < 1.0)
            return 1;
        progress_state.last_draw = now;
        int width = 30, filled = (int)(complete * width);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '-';
        bar[width] = '\0';
        double el = now - progress_state.t0;
        char eta[32] = "";
        if (complete > 0.02 && complete < 1.0) {
            int s = (int)(el / complete - el);
            snprintf(eta, sizeof eta, " ETA %d:%02d", s / 60, s % 60);
        }
        fprintf(stderr, "\r[%s] %3d%% %-28.28s%s\033[K", bar, (int)(complete * 100), msg ? msg : "",
                eta);
        fflush(stderr);
        progress_state.bar_drawn = 1;
    }
    return 1;
}

void cli_progress_end(void)
{
    if (progress_state.mode == 1 && progress_state.bar_drawn) {
        fputc('\n', stderr);
        progress_state.bar_drawn = 0;
    }
}

static void cli_log(ctxprof_log_level level, const char *msg, void *payload)
{
    (void)payload;
    static const char *names[] = {"debug: ", "", "warning: ", "error: "};
    if (progress_state.mode == 1 && progress_state.bar_drawn) {
        fputs("\r\033[K", stderr);
    }
    fprintf(stderr, "ctxprof: %s%s\n", names[level], msg);
}

ctxprof_ctx *cli_context(const cli_args *a)
{
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    if (!ctx) {
        cli_error("out of memory");
        return NULL;
    }
    ctxprof_set_log(ctx, cli_log, NULL,
                    a->verbose ? CTXPROF_LOG_DEBUG
                               : (a->quiet ? CTXPROF_LOG_ERROR : CTXPROF_LOG_WARN));
    progress_state.mode = a->progress ? 2 : (isatty(2) && !a->quiet ? 1 : 0);
    progress_state.last_tick = -1;
    progress_state.shown = 0;
    progress_state.t0 = mono();
    ctxprof_set_progress(ctx, cli_progress, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    return ctx;
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

char *cli_joined_argv(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 3;
    char *s = malloc(n), *p = s;
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        int quote = strchr(argv[i], ' ') != NULL;
        p += sprintf(p, "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i], quote ? "'" : "");
    }
    *p = '\0';
    return s;
}
