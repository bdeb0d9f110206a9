#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "profile/profile.h"
#include "run/run.h"

const cli_option cmd_geocode_options[] = {
    {"output", 'o', "OUT.gpkg", "Output GeoPackage: the placed records and the rejects"},
    {"gazetteer", 'g', "GAZ.gpkg", "Gazetteer built with 'ctxprof gazetteer build'"},
    {"layer", 0, "NAME", "Layer of INPUT (default: the first)"},
    {"id", 0, "FIELD", "Record reference column"},
    {"x", 0, "FIELD", "Easting column"},
    {"y", 0, "FIELD", "Northing column"},
    {"srs", 0, "CRS", "CRS of the x/y columns (default EPSG:27700)"},
    {"lon", 0, "FIELD", "Longitude column (WGS84)"},
    {"lat", 0, "FIELD", "Latitude column (WGS84)"},
    {"postcode", 0, "FIELD", "Postcode column"},
    {"address", 0, "FIELD", "Address column"},
    {"location", 0, "FIELD", "Free-text location column ('on or near ...', 'outside ...')"},
    {"stop", 0, "FIELD", "Bus stop name column"},
    {"route", 0, "FIELD", "Bus route column (disambiguates stops)"},
    {"study-area", 0, "LAYER", "Polygon layer: points outside it are rejected"},
    {"crs", 0, "CRS", "Output CRS (default EPSG:27700)"},
    {"encoding", 0, "NAME", "Encoding of INPUT when not UTF-8 (e.g. CP1252)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

int cmd_geocode(int argc, char **argv)
{
    const cli_command *cmd = cli_find("geocode");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *out = cli_get(&a, cmd, "output");
    if (a.n_positional != 1 || !out) {
        cli_error("geocode: expected INPUT and -o OUT.gpkg (usage: ctxprof geocode %s)",
                  cmd->usage);
        return CLI_USAGE;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    /* The same loader and cascade as `ctxprof run`, on a one-source profile
     * built from the options (kind "records": locations only). */
    char *uri = cli_get(&a, cmd, "layer") ? ctxprof_sprintf(ctx, "%s|layername=%s", a.positional[0],
                                                            cli_get(&a, cmd, "layer"))
                                          : ctxprof_strdup(ctx, a.positional[0]);
    const char *settings[] = {
        "profile",
        "name",
        "geocode",
        "profile",
        "crs",
        cli_get(&a, cmd, "crs"),
        "profile",
        "study_area",
        cli_get(&a, cmd, "study-area"),
        "profile",
        "output",
        out,
        "gazetteer",
        "gazetteer",
        cli_get(&a, cmd, "gazetteer"),
        "source.records",
        "path",
        uri,
        "source.records",
        "kind",
        "records",
        "source.records",
        "encoding",
        cli_get(&a, cmd, "encoding"),
        "source.records",
        "field.id",
        cli_get(&a, cmd, "id"),
        "source.records",
        "field.x",
        cli_get(&a, cmd, "x"),
        "source.records",
        "field.y",
        cli_get(&a, cmd, "y"),
        "source.records",
        "field.srs",
        cli_get(&a, cmd, "srs"),
        "source.records",
        "field.lon",
        cli_get(&a, cmd, "lon"),
        "source.records",
        "field.lat",
        cli_get(&a, cmd, "lat"),
        "source.records",
        "field.postcode",
        cli_get(&a, cmd, "postcode"),
        "source.records",
        "field.address",
        cli_get(&a, cmd, "address"),
        "source.records",
        "field.location",
        cli_get(&a, cmd, "location"),
        "source.records",
        "field.stop",
        cli_get(&a, cmd, "stop"),
        "source.records",
        "field.route",
        cli_get(&a, cmd, "route"),
    };
    ctxprof_profile *p = NULL;
    ctxprof_run_summary sum = {0};
    char *args = cli_joined_argv(argc, argv);
    if ((rc = ctxprof_profile_from_settings(ctx, &p, "geocode options", settings,
                                            sizeof settings / sizeof settings[0])) ||
        (rc = ctxprof_run(ctx, &sum, p, out, args ? args : "geocode"))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_progress_end();
    const ctxprof_source_counts *t = &sum.total;
    double rate = t->with_location ? (double)t->incidents / (double)t->with_location : 0;
    if (a.json) {
        printf("{\"output\": ");
        cli_json_string(stdout, out);
        printf(", \"rows_read\": %lld, \"placed\": %lld, \"with_location\": %lld, "
               "\"hit_rate\": %.4f, \"rejects\": %lld, \"methods\": {",
               (long long)t->rows_read, (long long)t->incidents, (long long)t->with_location, rate,
               (long long)(t->rejects_geocode + t->rejects_load));
        int first = 1;
        for (int m = 1; m < CTXPROF_GC_N_METHODS; m++)
            if (t->by_method[m]) {
                printf("%s\"%s\": %lld", first ? "" : ", ", ctxprof_gc_method_names[m],
                       (long long)t->by_method[m]);
                first = 0;
            }
        printf("}}\n");
    } else if (!a.quiet) {
        printf("%s: %lld rows, %lld placed (hit rate %.1f%% of %lld with a location), %lld "
               "rejected (reasons in geocode_rejects)\n",
               out, (long long)t->rows_read, (long long)t->incidents, 100 * rate,
               (long long)t->with_location, (long long)(t->rejects_geocode + t->rejects_load));
        for (int m = 1; m < CTXPROF_GC_N_METHODS; m++)
            if (t->by_method[m])
                printf("  %-12s %8lld  %5.1f%%\n", ctxprof_gc_method_names[m],
                       (long long)t->by_method[m],
                       100.0 * (double)t->by_method[m] / (double)t->incidents);
    }
done:
    free(args);
    ctxprof_free(ctx, uri);
    ctxprof_run_summary_free(ctx, &sum);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
