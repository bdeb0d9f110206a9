#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "geocode/gazetteer.h"
#include "profile/profile.h"

const cli_option cmd_gazetteer_options[] = {
    {"output", 'o', "GAZ.gpkg", "The gazetteer GeoPackage to write (build)"},
    {"postcodes", 0, "FILES", "Code-Point Open or ONSPD-style CSVs, comma-separated"},
    {"streets", 0, "LAYERS", "Street lines (or easting/northing tables) with a name field"},
    {"places", 0, "LAYERS",
     "Named point or polygon layers: stations, shops, schools, parks, stops"},
    {"licence", 0, "TEXT", "Licence line recorded for the sources given on the command line"},
    {"profile", 0, "PROFILE.ini", "Take the sources from the profile's [gazetteer] section"},
    {"crs", 0, "CRS", "CRS of the gazetteer (default EPSG:27700, or the profile's)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

static int add_all(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *list, const char *licence,
                   int (*add)(ctxprof_ctx *, ctxprof_gazetteer *, const char *, const char *))
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        int rc = add(ctx, gz, t, licence);
        if (rc)
            return rc;
    }
    return 0;
}

static void print_info(const ctxprof_gazetteer *gz, const char *path, int json)
{
    size_t units, sectors, districts, streets, places;
    ctxprof_gz_counts(gz, &units, &sectors, &districts, &streets, &places);
    if (json) {
        printf("{\"gazetteer\": ");
        cli_json_string(stdout, path);
        printf(", \"postcode_units\": %zu, \"postcode_sectors\": %zu, \"postcode_districts\": %zu, "
               "\"streets\": %zu, \"places\": %zu, \"sources\": [",
               units, sectors, districts, streets, places);
        for (size_t i = 0; i < ctxprof_gz_n_sources(gz); i++) {
            const ctxprof_gz_source *s = ctxprof_gz_source_at(gz, i);
            printf("%s{\"kind\": ", i ? ", " : "");
            cli_json_string(stdout, s->kind);
            printf(", \"path\": ");
            cli_json_string(stdout, s->path);
            printf(", \"licence\": ");
            cli_json_string(stdout, s->licence);
            printf(", \"rows_read\": %ld, \"rows_used\": %ld, \"rows_skipped\": %ld}", s->rows_read,
                   s->rows_used, s->rows_skipped);
        }
        printf("]}\n");
        return;
    }
    printf(
        "Gazetteer %s\n  %zu postcode units, %zu sectors, %zu districts, %zu streets, %zu places\n",
        path, units, sectors, districts, streets, places);
    for (size_t i = 0; i < ctxprof_gz_n_sources(gz); i++) {
        const ctxprof_gz_source *s = ctxprof_gz_source_at(gz, i);
        printf("  %-9s %s: %ld rows, %ld used, %ld skipped%s%s%s\n            licence: %s\n",
               s->kind, s->path, s->rows_read, s->rows_used, s->rows_skipped,
               s->skipped_reason ? " (" : "", s->skipped_reason ? s->skipped_reason : "",
               s->skipped_reason ? ")" : "", s->licence);
    }
}

int cmd_gazetteer(int argc, char **argv)
{
    const cli_command *cmd = cli_find("gazetteer");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *action = a.n_positional ? a.positional[0] : "";
    int build = strcmp(action, "build") == 0, info = strcmp(action, "info") == 0;
    if (!build && !info) {
        cli_error("gazetteer: expected 'build' or 'info' (usage: ctxprof gazetteer %s)",
                  cmd->usage);
        return CLI_USAGE;
    }
    if ((rc = cli_operands(cmd, &a, build ? 1 : 2, build ? 1 : 2)))
        return rc;
    const char *out = cli_get(&a, cmd, "output"), *profile = cli_get(&a, cmd, "profile");
    if (build && !out) {
        cli_error("gazetteer build: -o GAZ.gpkg is required");
        return CLI_USAGE;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_gazetteer *gz = NULL;
    ctxprof_profile *p = NULL;
    const char *crs = cli_get(&a, cmd, "crs");
    if (info) {
        rc = ctxprof_gazetteer_open(ctx, &gz, a.positional[1], crs ? crs : "EPSG:27700");
    } else if (profile) {
        rc = ctxprof_profile_load(ctx, &p, profile);
        if (!rc)
            rc = ctxprof_gazetteer_from_options(ctx, &gz,
                                                &ctxprof_profile_load_options(p)->gazetteer);
        if (!rc && !gz)
            rc = ctxprof_error(ctx, CTXPROF_E_CONFIG, "%s: [gazetteer] names no sources", profile);
    } else {
        const char *lic = cli_get(&a, cmd, "licence");
        if (!cli_get(&a, cmd, "postcodes") && !cli_get(&a, cmd, "streets") &&
            !cli_get(&a, cmd, "places")) {
            cli_error("gazetteer build: give --postcodes, --streets, --places or --profile");
            ctxprof_ctx_free(ctx);
            return CLI_USAGE;
        }
        if (!(rc = ctxprof_gazetteer_new(ctx, &gz, crs ? crs : "EPSG:27700")) &&
            !(rc = add_all(ctx, gz, cli_get(&a, cmd, "postcodes"), lic,
                           ctxprof_gazetteer_add_postcodes)) &&
            !(rc = add_all(ctx, gz, cli_get(&a, cmd, "streets"), lic,
                           ctxprof_gazetteer_add_streets)) &&
            !(rc = add_all(ctx, gz, cli_get(&a, cmd, "places"), lic, ctxprof_gazetteer_add_places)))
            rc = ctxprof_gazetteer_finish(ctx, gz);
    }
    if (!rc && build)
        rc = ctxprof_gazetteer_write(ctx, gz, out);
    if (rc) {
        rc = cli_fail(ctx);
    } else {
        cli_progress_end();
        if (a.json || !a.quiet)
            print_info(gz, build ? out : a.positional[1], a.json);
    }
    ctxprof_gazetteer_free(ctx, gz);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
