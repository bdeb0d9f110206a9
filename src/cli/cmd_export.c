#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "export/shp.h"

const cli_option cmd_export_options[] = {
    {"output", 'o', "DIR", "Folder to write the shapefiles into (created when missing)"},
    {"layers", 'l', "A,B,...",
     "Layers to export (default: every vector layer and table but "
     "run_metadata and ctxprof's internal tables)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

/* The format limit can be lowered through the environment so that a test
 * can reach it with a small profile; it is not a user setting. */
static int limit_from_env(unsigned long long *out)
{
    const char *v = getenv("CTXPROF_SHP_LIMIT_BYTES");
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || n == 0) {
        cli_error("export: CTXPROF_SHP_LIMIT_BYTES '%s' is not a positive number of bytes", v);
        return CLI_USAGE;
    }
    *out = n;
    return 0;
}

static void print_summary(const ctxprof_shp_summary *s, const char *in, const char *dir, int json)
{
    if (json) {
        printf("{\"input\": ");
        cli_json_string(stdout, in);
        printf(", \"output\": ");
        cli_json_string(stdout, dir);
        printf(", \"truncated_text\": %lld, \"nulled_values\": %lld, \"files\": [", s->n_truncated,
               s->n_nulled);
        for (size_t i = 0; i < s->n_files; i++) {
            const ctxprof_shp_file *f = &s->files[i];
            printf("%s{\"layer\": ", i ? ", " : "");
            cli_json_string(stdout, f->layer);
            printf(", \"file\": ");
            cli_json_string(stdout, f->file);
            printf(", \"shape\": \"%s\", \"records\": %lld, \"fields\": %d, \"shp_bytes\": %llu, "
                   "\"dbf_bytes\": %llu}",
                   f->shape, f->records, f->fields, f->shp_bytes, f->dbf_bytes);
        }
        printf("]}\n");
        return;
    }
    printf("Input    %s\nOutput   %s (owner-only files)\n\n", in, dir);
    printf("%-28s %-22s %-12s %9s %6s\n", "file", "layer", "shape", "records", "fields");
    for (size_t i = 0; i < s->n_files; i++) {
        const ctxprof_shp_file *f = &s->files[i];
        printf("%-28s %-22s %-12s %9lld %6d\n", f->file, f->layer, f->shape, f->records, f->fields);
    }
    printf("\nField names are cut to 10 characters: each layer's <layer>.fields.csv maps them.\n");
    if (s->n_truncated)
        printf("%lld text values were longer than 254 bytes and were cut (see the warnings).\n",
               s->n_truncated);
    if (s->n_nulled)
        printf("%lld values a DBF cannot hold (not a number, dates outside 1-9999) were written "
               "empty.\n",
               s->n_nulled);
}

int cmd_export(int argc, char **argv)
{
    const cli_command *cmd = cli_find("export");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.n_positional < 1 || strcmp(a.positional[0], "shp") != 0) {
        cli_error("export: expected a format, 'shp' (usage: ctxprof export %s)", cmd->usage);
        return CLI_USAGE;
    }
    if (a.n_positional != 2) {
        cli_error("export shp: expected one profile GeoPackage (usage: ctxprof export %s)",
                  cmd->usage);
        return CLI_USAGE;
    }
    const char *in = a.positional[1], *dir = cli_get(&a, cmd, "output");
    if (!dir || !*dir) {
        cli_error("export shp: no output folder: give -o DIR");
        return CLI_USAGE;
    }
    ctxprof_shp_options o = CTXPROF_SHP_OPTIONS_INIT;
    if ((rc = limit_from_env(&o.limit_bytes)))
        return rc;
    const char *list = cli_get(&a, cmd, "layers");
    char *copy = NULL;
    const char **names = NULL;
    if (list) {
        copy = strdup(list);
        names = calloc(strlen(list) + 1, sizeof *names);
        if (!copy || !names) {
            free(copy);
            free(names);
            cli_error("out of memory");
            return CLI_FAIL;
        }
        for (char *save = NULL, *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t n = strlen(t);
            while (n && t[n - 1] == ' ')
                t[--n] = '\0';
            if (n)
                names[o.n_layers++] = t;
        }
        if (!o.n_layers) {
            free(copy);
            free(names);
            cli_error("export shp: --layers names no layer");
            return CLI_USAGE;
        }
        o.layers = names;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx) {
        free(copy);
        free(names);
        return CLI_FAIL;
    }
    ctxprof_shp_summary sum = {0};
    if ((rc = ctxprof_shp_export(ctx, &sum, in, dir, &o)))
        rc = cli_fail(ctx);
    else {
        cli_progress_end();
        if (a.json || !a.quiet)
            print_summary(&sum, in, dir, a.json);
    }
    ctxprof_shp_summary_free(ctx, &sum);
    ctxprof_ctx_free(ctx);
    free(copy);
    free(names);
    return rc ? CLI_FAIL : CLI_OK;
}
