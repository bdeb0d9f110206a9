#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "profile/profile.h"
#include "run/run.h"
#include "write/layers.h"
#include "write/output.h"

const cli_option cmd_run_options[] = {
    {"output", 'o', "OUT.gpkg",
     "Output GeoPackage (default: the profile's output), or PostGIS: "
     "PG:\"dbname=DB host=HOST [user=U port=P]\" (password: PGPASSWORD "
     "or ~/.pgpass)"},
    {"pg-schema", 0, "NAME",
     "PostGIS schema for every layer, replaced as a whole in one "
     "transaction (default: from the profile's name, e.g. "
     "northbrook_sample)"},
    {"raster-dir", 0, "DIR",
     "PostGIS output: folder for the GeoTIFF rasters SCHEMA.LAYER.tif "
     "(default: the folder of the profile's output GeoPackage)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

static void print_counts_json(const char *name, const ctxprof_source_counts *c)
{
    cli_json_string(stdout, name);
    printf(": {\"rows_read\": %lld, \"incidents\": %lld, \"rejects_load\": %lld, "
           "\"rejects_geocode\": %lld, \"linkage\": %lld, \"unmapped_codes\": %lld, "
           "\"filtered\": %lld, \"youth_not_counted\": %lld, \"with_location\": %lld, "
           "\"repaired\": %lld, \"outside_kept\": %lld, \"text_disagrees\": %lld, \"methods\": {",
           (long long)c->rows_read, (long long)c->incidents, (long long)c->rejects_load,
           (long long)c->rejects_geocode, (long long)c->linkage, (long long)c->unmapped_codes,
           (long long)c->filtered, (long long)c->youth_not_counted, (long long)c->with_location,
           (long long)c->repaired, (long long)c->outside_kept, (long long)c->text_disagrees);
    int first = 1;
    for (int m = 1; m < CTXPROF_GC_N_METHODS; m++)
        if (c->by_method[m]) {
            printf("%s\"%s\": %lld", first ? "" : ", ", ctxprof_gc_method_names[m],
                   (long long)c->by_method[m]);
            first = 0;
        }
    printf("}}");
}

/* How incidents were placed: the share of each method and the hit rate
 * (Ratcliffe 2004 asks at least 85% for crime mapping). */
static void print_geocoding(const ctxprof_source_counts *t)
{
    if (!t->incidents)
        return;
    printf("\nPlaced %lld of %lld rows with a location (hit rate %.1f%%):", (long long)t->incidents,
           (long long)t->with_location,
           t->with_location ? 100.0 * (double)t->incidents / (double)t->with_location : 0.0);
    for (int m = 1; m < CTXPROF_GC_N_METHODS; m++)
        if (t->by_method[m])
            printf(" %s %.1f%%", ctxprof_gc_method_names[m],
                   100.0 * (double)t->by_method[m] / (double)t->incidents);
    printf("\n");
    if (t->repaired)
        printf("%lld coordinate pairs were swapped or in the other grid and were repaired.\n",
               (long long)t->repaired);
}

/* Appends "; "-separated items to a line. */
static void item(char *line, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void item(char *line, size_t size, const char *fmt, ...)
{
    size_t n = strlen(line);
    if (n && n + 2 < size)
        n += (size_t)snprintf(line + n, size - n, "; ");
    va_list ap;
    va_start(ap, fmt);
    if (n < size)
        vsnprintf(line + n, size - n, fmt, ap);
    va_end(ap);
}

/* The data-quality evidence worth an analyst's attention, per source. */
static void print_quality(const ctxprof_profile *p, const ctxprof_run_summary *s)
{
    int header = 0;
    for (size_t i = 0; i < s->n_sources; i++) {
        ctxprof_source_counts *c = &s->counts[i];
        char line[1024] = "", codes[512];
        if (c->duplicates)
            item(line, sizeof line, "%lld duplicate%s", (long long)c->duplicates,
                 c->duplicates == 1 ? "" : "s");
        if (c->missing_dates)
            item(line, sizeof line, "%lld undated", (long long)c->missing_dates);
        if (c->missing_locations)
            item(line, sizeof line, "%lld without any location", (long long)c->missing_locations);
        if (c->bad_flag_values)
            item(line, sizeof line, "%lld flag values neither yes nor no",
                 (long long)c->bad_flag_values);
        if (c->recoded)
            item(line, sizeof line, "%lld rows read as Windows-1252", (long long)c->recoded);
        if (c->outside_kept)
            item(line, sizeof line, "%lld points kept outside the study area (outside_m)",
                 (long long)c->outside_kept);
        if (c->text_disagrees)
            item(line, sizeof line, "%lld points whose location text is elsewhere",
                 (long long)c->text_disagrees);
        if (c->n_unmapped) {
            ctxprof_format_unmapped(c, codes, sizeof codes);
            item(line, sizeof line, "unmapped codes %.300s", codes);
        }
        if (!*line)
            continue;
        if (!header++)
            printf("\nData quality (details in the data_quality table):\n");
        printf("  %-24s %s\n", ctxprof_profile_source(p, i)->name, line);
    }
}

static void print_summary(const ctxprof_profile *p, const ctxprof_run_summary *s,
                          const char *output, int json)
{
    const ctxprof_source_counts *t = &s->total;
    if (json) {
        printf("{\"profile\": ");
        cli_json_string(stdout, ctxprof_profile_name(p));
        printf(", \"output\": ");
        cli_json_string(stdout, output);
        printf(", \"demo_key\": %s, \"sources\": {", s->demo_key ? "true" : "false");
        for (size_t i = 0; i < s->n_sources; i++) {
            printf("%s", i ? ", " : "");
            print_counts_json(ctxprof_profile_source(p, i)->name, &s->counts[i]);
        }
        printf("}, ");
        print_counts_json("total", t);
        printf(", \"seconds\": {\"load\": %.3f, \"snap\": %.3f, \"write\": %.3f, "
               "\"total\": %.3f}}\n",
               s->seconds_load, s->seconds_snap, s->seconds_write, s->seconds_total);
        return;
    }
    printf("Profile  %s (%s)\nOutput   %s\n\n", ctxprof_profile_name(p), ctxprof_profile_path(p),
           output);
    printf("%-26s %9s %9s %9s %9s %8s %9s\n", "source", "rows", "incidents", "rej.load",
           "rej.place", "linkage", "unmapped");
    for (size_t i = 0; i < s->n_sources; i++) {
        const ctxprof_source_counts *c = &s->counts[i];
        printf("%-26.26s %9lld %9lld %9lld %9lld %8lld %9lld\n", ctxprof_profile_source(p, i)->name,
               (long long)c->rows_read, (long long)c->incidents, (long long)c->rejects_load,
               (long long)c->rejects_geocode, (long long)c->linkage, (long long)c->unmapped_codes);
    }
    printf("%-26s %9lld %9lld %9lld %9lld %8lld %9lld\n\n", "total", (long long)t->rows_read,
           (long long)t->incidents, (long long)t->rejects_load, (long long)t->rejects_geocode,
           (long long)t->linkage, (long long)t->unmapped_codes);
    printf("Every input row is accounted for: %lld rows = %lld incidents + %lld load rejects + "
           "%lld location rejects + %lld linkage records",
           (long long)t->rows_read, (long long)t->incidents, (long long)t->rejects_load,
           (long long)t->rejects_geocode, (long long)t->linkage);
    if (t->filtered)
        printf(" + %lld left out by where filters", (long long)t->filtered);
    printf(".\n");
    printf("Reasons are in the load_rejects and geocode_rejects tables.\n");
    for (size_t i = 0; i < s->n_sources; i++) {
        const ctxprof_source *src = ctxprof_profile_source(p, i);
        if (!src->all_ages)
            continue;
        if (src->count_as_youth)
            printf("%s: all ages (no age in the records), yet counted in the youth silos "
                   "(count_as_youth = yes).\n",
                   src->name);
        else
            printf("%s: all ages (no age in the records): its crime is in the *_all_ages "
                   "indicators, never in the youth silos (%lld incidents' youth categories left "
                   "out).\n",
                   src->name, (long long)s->counts[i].youth_not_counted);
    }
    print_geocoding(t);
    if (s->overlap[0])
        printf("\n%s\n", s->overlap);
    print_quality(p, s);
    printf("Time     load %.2f s, snap %.2f s, write %.2f s, total %.2f s\n", s->seconds_load,
           s->seconds_snap, s->seconds_write, s->seconds_total);
}

int cmd_run(int argc, char **argv)
{
    const cli_command *cmd = cli_find("run");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 1) {
        cli_error("run: expected one profile file (usage: ctxprof run %s)", cmd->usage);
        return CLI_USAGE;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_profile *p = NULL;
    ctxprof_run_summary sum = {0};
    char *args = cli_joined_argv(argc, argv);
    const char *output = cli_get(&a, cmd, "output");
    ctxprof_run_options ro = CTXPROF_RUN_OPTIONS_INIT;
    ro.pg_schema = cli_get(&a, cmd, "pg-schema");
    ro.raster_dir = cli_get(&a, cmd, "raster-dir");
    if ((rc = ctxprof_profile_load(ctx, &p, a.positional[0]))) {
        rc = cli_fail(ctx);
        goto done;
    }
    unsigned int caps = ctxprof_output_target_caps(output ? output : ctxprof_profile_output(p));
    if ((ro.pg_schema && !(caps & CTXPROF_SINK_SCHEMA)) ||
        (ro.raster_dir && !(caps & CTXPROF_SINK_RASTER_FILES))) {
        cli_error("run: --pg-schema and --raster-dir go with a PostGIS output (-o PG:...)");
        rc = CLI_USAGE;
        goto done;
    }
    if ((rc = ctxprof_run_with(ctx, &sum, p, output, args ? args : "run", &ro))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_progress_end();
    if (a.json || !a.quiet)
        print_summary(p, &sum, sum.output, a.json);
done:
    free(args);
    ctxprof_run_summary_free(ctx, &sum);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return rc == CLI_USAGE ? CLI_USAGE : rc ? CLI_FAIL : CLI_OK;
}
