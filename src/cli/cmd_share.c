#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "share/share.h"

const cli_option cmd_share_options[] = {
    {"output", 'o', "SHARE.gpkg", "The share package to write (required)"},
    {"min-count", 'k', "K",
     "Suppress counts from 1 to K-1; drop hotspots and corridors with "
     "fewer than K incidents (default 5; 2 to 1000)"},
    {"round", 'r', "R", "Round published counts to the nearest R (default 0: off; 0 to 1000)"},
    {"layers", 'l', "LIST",
     "Comma-separated layers to write (default: every shareable layer "
     "the profile has: every context layer (see 'ctxprof help "
     "contexts'), corridors, corridor_routes, hotspots, hotspot_gistar, "
     "temporal)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

static int whole(const char *name, const char *v, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max) {
        cli_error("share: --%s must be a whole number from %ld to %ld, not '%s'", name, min, max,
                  v);
        return -1;
    }
    *out = x;
    return 0;
}

static void print_summary(const ctxprof_share_summary *s, const ctxprof_share_options *o,
                          const char *in, const char *out, int json)
{
    if (json) {
        printf("{\"input\": ");
        cli_json_string(stdout, in);
        printf(", \"output\": ");
        cli_json_string(stdout, out);
        printf(", \"min_count\": %ld, \"round\": %ld, \"layers\": [", o->min_count, o->round);
        for (size_t i = 0; i < s->n_layers; i++) {
            const ctxprof_share_layer_summary *l = &s->layer[i];
            printf("%s{\"name\": ", i ? ", " : "");
            cli_json_string(stdout, l->name);
            printf(", \"features_in\": %zu, \"features_out\": %zu, \"dropped\": %zu, "
                   "\"primary\": %zu, \"secondary\": %zu, \"derived\": %zu, \"rounded\": %zu}",
                   l->n_in, l->n_out, l->n_dropped, l->n_primary, l->n_secondary, l->n_derived,
                   l->n_rounded);
        }
        printf("], \"primary\": %zu, \"secondary\": %zu, \"derived\": %zu, \"dropped\": %zu, "
               "\"rounded\": %zu, \"recoverable\": %ld, \"unprotectable\": %zu, "
               "\"log_rows\": %zu, \"seconds\": %.3f}\n",
               s->n_primary, s->n_secondary, s->n_derived, s->n_dropped, s->n_rounded,
               s->n_recoverable, s->n_unprotectable, s->n_log, s->seconds);
        return;
    }
    printf("Input    %s\nOutput   %s (share package: aggregates only)\n", in, out);
    printf("Rules    counts 1..%ld suppressed, secondary suppression against row and column "
           "totals, ",
           o->min_count - 1);
    if (o->round > 0)
        printf("rounded to the nearest %ld\n\n", o->round);
    else
        printf("no rounding\n\n");
    printf("%-18s %8s %8s %8s %8s %9s %8s %8s\n", "layer", "in", "out", "dropped", "primary",
           "secondary", "derived", "rounded");
    for (size_t i = 0; i < s->n_layers; i++) {
        const ctxprof_share_layer_summary *l = &s->layer[i];
        printf("%-18s %8zu %8zu %8zu %8zu %9zu %8zu %8zu\n", l->name, l->n_in, l->n_out,
               l->n_dropped, l->n_primary, l->n_secondary, l->n_derived, l->n_rounded);
    }
    printf("%-18s %8s %8s %8zu %8zu %9zu %8zu %8zu\n", "total", "", "", s->n_dropped, s->n_primary,
           s->n_secondary, s->n_derived, s->n_rounded);
    printf("\nCells suppressed: %zu primary, %zu secondary (and %zu derived values); "
           "features dropped: %zu\n",
           s->n_primary, s->n_secondary, s->n_derived, s->n_dropped);
    printf("Audit    %ld suppressed cells recoverable from the totals", s->n_recoverable);
    if (s->n_unprotectable)
        printf(" (%zu one-cell totals cannot be protected)", s->n_unprotectable);
    printf("; %zu rows in disclosure_log\nTime     %.2f s\n", s->n_log, s->seconds);
}

int cmd_share(int argc, char **argv)
{
    const cli_command *cmd = cli_find("share");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *output = cli_get(&a, cmd, "output");
    if (a.n_positional != 1 || !output) {
        cli_error(
            "share: expected a profile GeoPackage and -o SHARE.gpkg (usage: ctxprof share %s)",
            cmd->usage);
        return CLI_USAGE;
    }
    ctxprof_share_options o = CTXPROF_SHARE_OPTIONS_INIT;
    const char *v;
    if (((v = cli_get(&a, cmd, "min-count")) && whole("min-count", v, CTXPROF_SHARE_MIN_COUNT_MIN,
                                                      CTXPROF_SHARE_MIN_COUNT_MAX, &o.min_count)) ||
        ((v = cli_get(&a, cmd, "round")) &&
         whole("round", v, 0, CTXPROF_SHARE_ROUND_MAX, &o.round)))
        return CLI_USAGE;
    o.layers = cli_get(&a, cmd, "layers");
    const char *in = a.positional[0];
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_share_summary sum;
    if ((rc = ctxprof_share_gpkg(ctx, &sum, in, output, &o))) {
        /* an unshareable --layers name is a usage error */
        int usage = rc == CTXPROF_E_CONFIG;
        cli_fail(ctx);
        ctxprof_ctx_free(ctx);
        return usage ? CLI_USAGE : CLI_FAIL;
    }
    cli_progress_end();
    if (!a.quiet || a.json)
        print_summary(&sum, &o, in, output, a.json);
    ctxprof_ctx_free(ctx);
    return CLI_OK;
}
