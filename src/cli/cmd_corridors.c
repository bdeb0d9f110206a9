#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "corridors/corridors.h"
#include "profile/profile.h"

const cli_option cmd_corridors_options[] = {
    {"profile", 'p', "PROFILE.ini",
     "The profile whose [contexts] and [corridors] sections to use (required)"},
    {"output", 'o', "OUT.gpkg", "Output GeoPackage (default: replace the input, atomically)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

static void print_summary(const ctxprof_corridors_summary *s, const char *in, const char *out,
                          int json)
{
    const ctxprof_corridors_result *r = &s->result;
    size_t top = 0;
    for (size_t c = 0; c < r->n; c++)
        if (r->rank[c] == 1) {
            top = c;
            break;
        }
    if (json) {
        printf("{\"input\": ");
        cli_json_string(stdout, in);
        printf(", \"output\": ");
        cli_json_string(stdout, out);
        printf(", \"incidents\": %lld, \"network\": {\"lines\": %zu, \"nodes\": %zu, "
               "\"edges\": %zu}, \"schools\": %zu, \"corridors\": %zu, \"unreachable_pairs\": %zu, "
               "\"incidents_in_corridors\": %lld",
               (long long)s->n_incidents, r->n_lines, r->n_nodes, r->n_edges, r->n_schools, r->n,
               r->n_unreachable, (long long)r->n_counted);
        if (r->n) {
            printf(", \"top\": {\"school_a\": ");
            cli_json_string(stdout, r->id_a[top]);
            printf(", \"school_b\": ");
            cli_json_string(stdout, r->id_b[top]);
            printf(", \"length_m\": %.1f, \"network_m\": %.1f, \"n_incidents\": %lld, "
                   "\"n_school_travel\": %lld, \"per_km\": %.2f}",
                   r->length_m[top], r->network_m[top], (long long)r->n_incidents[top],
                   (long long)r->n_school_travel[top], r->per_km[top]);
        }
        printf(", \"seconds\": {\"read\": %.3f, \"contexts\": %.3f, \"network\": %.3f, "
               "\"pairs\": %.3f, \"routes\": %.3f, \"count\": %.3f, \"write\": %.3f, "
               "\"total\": %.3f}}\n",
               s->seconds_read, s->seconds_contexts, r->seconds_network, r->seconds_pairs,
               r->seconds_routes, r->seconds_count, s->seconds_write, s->seconds_total);
        return;
    }
    printf("Input    %s: %lld incidents\nOutput   %s\n", in, (long long)s->n_incidents, out);
    printf("Network  %zu lines, %zu nodes, %zu edges\n", r->n_lines, r->n_nodes, r->n_edges);
    printf("Schools  %zu paired; %zu corridors", r->n_schools, r->n);
    if (r->n_unreachable)
        printf(" (%zu pairs without a route)", r->n_unreachable);
    printf("\n\n%4s %-12s %-12s %10s %9s %7s %9s\n", "rank", "school_a", "school_b", "length_m",
           "incidents", "per_km", "travel");
    for (int64_t rank = 1, shown = 0; shown < 10 && rank <= (int64_t)r->n; rank++)
        for (size_t c = 0; c < r->n && shown < 10; c++)
            if (r->rank[c] == rank) {
                printf("%4lld %-12s %-12s %10.1f %9lld %7.2f %9lld\n", (long long)rank, r->id_a[c],
                       r->id_b[c], r->length_m[c], (long long)r->n_incidents[c], r->per_km[c],
                       (long long)r->n_school_travel[c]);
                shown++;
            }
    printf("\nTime     network %.2f s, pairs %.2f s, routes %.2f s, count %.2f s, total %.2f s\n",
           r->seconds_network, r->seconds_pairs, r->seconds_routes, r->seconds_count,
           s->seconds_total);
}

int cmd_corridors(int argc, char **argv)
{
    const cli_command *cmd = cli_find("corridors");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *profile = cli_get(&a, cmd, "profile");
    if (a.n_positional != 1 || !profile) {
        cli_error("corridors: expected a profile GeoPackage and --profile (usage: ctxprof "
                  "corridors %s)",
                  cmd->usage);
        return CLI_USAGE;
    }
    const char *in = a.positional[0];
    const char *output = cli_get(&a, cmd, "output");
    if (!output)
        output = in;
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_profile *p = NULL;
    ctxprof_corridors_summary sum = {0};
    ctxprof_corridors_options co = CTXPROF_CORRIDORS_OPTIONS_INIT;
    char *args = cli_joined_argv(argc, argv);
    if ((rc = ctxprof_profile_load(ctx, &p, profile)) ||
        (rc = ctxprof_profile_corridors_options(ctx, p, &co)) ||
        (rc = ctxprof_corridors_gpkg(ctx, &sum, ctxprof_profile_contexts_options(p), &co, in,
                                     output, args ? args : "corridors"))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_progress_end();
    if (a.json || !a.quiet)
        print_summary(&sum, in, output, a.json);
done:
    free(args);
    ctxprof_corridors_summary_free(ctx, &sum);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
