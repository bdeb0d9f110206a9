#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "profile/profile.h"
#include "snap/snap.h"

const cli_option cmd_snap_options[] = {
    {"profile", 'p', "PROFILE.ini",
     "The profile whose [contexts] and [snap] sections to use (required)"},
    {"output", 'o', "OUT.gpkg", "Output GeoPackage (default: replace the input, atomically)"},
    {"park-buffer", 0, "M",
     "Distance in metres within which an incident counts for a park "
     "(default: [snap] park_buffer_m)"},
    {"bus-max-dist", 0, "M",
     "Largest distance in metres from an incident to its bus segment "
     "(default: [snap] bus_max_dist_m)"},
    {"reach", 0, "KIND=M,...",
     "Reach in metres of any context kind that links within one "
     "(parks, bus_segments, places_of_concern; default: [snap])"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

static int parse_metres(const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < 0) {
        cli_error("snap: --%s '%s' is not a distance in metres (a number, 0 or more)", opt, v);
        return CLI_USAGE;
    }
    *out = d;
    return 0;
}

/* --reach parks=25,places_of_concern=60 (a kind's key, layer or reach key). */
static int parse_reaches(const char *list, double *given)
{
    char buf[256];
    for (const char *s = list; *s;) {
        size_t n = strcspn(s, ",");
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), s);
        char *eq = strchr(buf, '=');
        int t = -1;
        if (eq) {
            *eq = '\0';
            t = ctxprof_context_type_find(buf);
            for (size_t k = 0; t < 0 && k < ctxprof_n_context_types; k++)
                if (ctxprof_context_types[k].reach_key &&
                    strcmp(buf, ctxprof_context_types[k].reach_key) == 0)
                    t = (int)k;
        }
        if (t < 0 || !ctxprof_context_types[t].reach_key) {
            cli_error("snap: --reach '%s': expected KIND=METRES with KIND one of the kinds that "
                      "link within a reach (parks, bus_segments, places_of_concern)",
                      buf);
            return CLI_USAGE;
        }
        if (parse_metres("reach", eq + 1, &given[t]))
            return CLI_USAGE;
        s += n;
        s += *s == ',';
    }
    return 0;
}

static void print_summary(const ctxprof_profile *p, const ctxprof_snap_summary *s,
                          const ctxprof_snap_options *o, const char *in, const char *out, int json)
{
    const ctxprof_contexts *c = s->contexts;
    const ctxprof_snap_result *r = &s->result;
    if (json) {
        printf("{\"profile\": ");
        cli_json_string(stdout, ctxprof_profile_name(p));
        printf(", \"input\": ");
        cli_json_string(stdout, in);
        printf(", \"output\": ");
        cli_json_string(stdout, out);
        printf(", \"incidents\": %lld, \"no_position\": %lld, \"layers_copied\": %lld",
               (long long)s->n_incidents, (long long)r->n_no_position,
               (long long)s->n_layers_copied);
        for (size_t t = 0; t < ctxprof_n_context_types; t++)
            if (ctxprof_context_types[t].reach_key)
                printf(", \"%s\": %g", ctxprof_context_types[t].reach_key,
                       ctxprof_snap_reach(o, (int)t));
        printf(", \"catchments_derived\": %s, \"contexts\": {",
               c->catchments_derived ? "true" : "false");
        int first = 1;
        for (size_t t = 0; t < ctxprof_n_context_types; t++) {
            const ctxprof_context_layer *l = &c->layer[t];
            if (!l->present)
                continue;
            printf("%s\"%s\": {\"features\": %zu, \"linked\": %lld, \"repaired\": %ld, "
                   "\"skipped\": %ld, \"source\": ",
                   first ? "" : ", ", ctxprof_context_types[t].layer, l->n,
                   (long long)r->n_linked[t], l->n_repaired, l->n_skipped);
            cli_json_string(stdout, l->source);
            printf("}");
            first = 0;
        }
        printf("}");
        if (c->bus_from_sequences) {
            const ctxprof_bus_counts *b = &c->bus;
            printf(", \"bus\": {\"rows_read\": %lld, \"rows_rejected\": %lld, \"routes\": %lld, "
                   "\"runs\": %lld, \"single_stop_runs\": %lld, \"pairs\": %lld, "
                   "\"pairs_zero_length\": %lld, \"pairs_merged\": %lld, \"segments\": %lld}",
                   (long long)b->rows_read, (long long)b->rows_rejected, (long long)b->routes,
                   (long long)b->runs, (long long)b->single_stop_runs, (long long)b->pairs,
                   (long long)b->pairs_zero_length, (long long)b->pairs_merged,
                   (long long)b->segments);
        }
        printf(", \"temporal_rows\": %zu", r->n_temporal);
        printf(", \"seconds\": {\"read\": %.3f, \"contexts\": %.3f, \"index\": %.3f, "
               "\"link\": %.3f, \"profile\": %.3f, \"write\": %.3f, \"total\": %.3f}}\n",
               s->seconds_read, s->seconds_contexts, r->seconds_index, r->seconds_snap,
               r->seconds_profile, s->seconds_write, s->seconds_total);
        return;
    }
    printf("Profile  %s (%s)\nInput    %s: %lld incidents\nOutput   %s\n\n",
           ctxprof_profile_name(p), ctxprof_profile_path(p), in, (long long)s->n_incidents, out);
    printf("%-18s %9s %10s %7s  %s\n", "context", "features", "incidents", "share", "source");
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        const ctxprof_context_layer *l = &c->layer[t];
        if (!l->present)
            continue;
        double share =
            s->n_incidents ? 100.0 * (double)r->n_linked[t] / (double)s->n_incidents : 0.0;
        printf("%-18s %9zu %10lld %6.1f%%  %s\n", ctxprof_context_types[t].layer, l->n,
               (long long)r->n_linked[t], share, l->source);
    }
    const char *sep = "\n";
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        if (ctxprof_context_types[t].reach_key && c->layer[t].present) {
            printf("%s%s count incidents within %g m", sep, ctxprof_context_types[t].title,
                   ctxprof_snap_reach(o, (int)t));
            sep = "; ";
        }
    if (*sep == ';')
        printf(".\n");
    if (r->n_no_position)
        printf("%lld incidents have no position and link to nothing.\n",
               (long long)r->n_no_position);
    if (c->bus_from_sequences) {
        const ctxprof_bus_counts *b = &c->bus;
        printf("Bus stops: %lld rows = %lld not used + %lld route runs + %lld stop pairs; "
               "%lld pairs = %lld zero-length + %lld in %lld segments (%lld routes).\n",
               (long long)b->rows_read, (long long)b->rows_rejected, (long long)b->runs,
               (long long)b->pairs, (long long)b->pairs, (long long)b->pairs_zero_length,
               (long long)b->pairs_merged, (long long)b->segments, (long long)b->routes);
    }
    printf("Time     read %.2f s, contexts %.2f s, link %.2f s, write %.2f s, total %.2f s\n",
           s->seconds_read, s->seconds_contexts, r->seconds_index + r->seconds_snap,
           s->seconds_write, s->seconds_total);
}

int cmd_snap(int argc, char **argv)
{
    const cli_command *cmd = cli_find("snap");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *profile = cli_get(&a, cmd, "profile");
    if (a.n_positional != 1 || !profile) {
        cli_error("snap: expected a profile GeoPackage and --profile (usage: ctxprof snap %s)",
                  cmd->usage);
        return CLI_USAGE;
    }
    const char *pb = cli_get(&a, cmd, "park-buffer"), *bd = cli_get(&a, cmd, "bus-max-dist");
    const char *reach = cli_get(&a, cmd, "reach");
    ctxprof_snap_options o = CTXPROF_SNAP_OPTIONS_INIT;
    double *given = calloc(ctxprof_n_context_types, sizeof *given);
    if (!given)
        return CLI_FAIL;
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        given[t] = NAN;
    if ((pb && parse_metres("park-buffer", pb, &given[CTXPROF_CTX_PARKS])) ||
        (bd && parse_metres("bus-max-dist", bd, &given[CTXPROF_CTX_BUS_SEGMENTS])) ||
        (reach && parse_reaches(reach, given))) {
        free(given);
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
    ctxprof_snap_summary sum = {0};
    char *args = cli_joined_argv(argc, argv);
    if ((rc = ctxprof_profile_load(ctx, &p, profile))) {
        rc = cli_fail(ctx);
        goto done;
    }
    o = ctxprof_profile_snap_options(p);
    for (size_t t = 0; t < ctxprof_n_context_types; t++)
        if (isnan(given[t]))
            given[t] = ctxprof_snap_reach(&o, (int)t);
    o.reach_m = given;
    if ((rc = ctxprof_snap_gpkg(ctx, &sum, ctxprof_profile_contexts_options(p), &o, in, output,
                                args ? args : "snap", ctxprof_profile_path(p)))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_progress_end();
    if (a.json || !a.quiet)
        print_summary(p, &sum, &o, in, output, a.json);
done:
    free(args);
    free(given);
    ctxprof_snap_summary_free(ctx, &sum);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
