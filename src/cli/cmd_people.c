/* `ctxprof people`: overlap across the silos and peer groups of a profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "load/load.h"
#include "load/taxonomy.h"
#include "people/people.h"
#include "profile/profile.h"
#include "snap/contexts.h"
#include "snap/snap.h"
#include "write/layers.h"
#include "write/output.h"

const cli_option cmd_people_options[] = {
    {"output", 'o', "OUT.gpkg", "Output GeoPackage (default: the profile's output)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

static void print_json(const ctxprof_people_result *r, const char *output)
{
    printf("{\"output\": ");
    cli_json_string(stdout, output);
    printf(", \"crosswalk_rows\": %lld, \"crosswalk_ids\": %lld, \"links_made\": %lld, "
           "\"source_ids\": %lld, \"ids_linked\": %lld, \"association_rows\": %lld, \"association_pairs\": %lld, "
           "\"possible_matches\": %zu, \"people_with_any\": %lld, \"sum_of_category_lists\": %lld, "
           "\"by_category\": {",
           (long long)r->crosswalk_rows, (long long)r->crosswalk_ids, (long long)r->links_made,
           (long long)r->source_ids, (long long)r->ids_linked, (long long)r->association_rows,
           (long long)r->association_pairs, r->n_matches, (long long)r->n_people,
           (long long)r->sum_lists);
    for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++)
        printf("%s\"%s\": %lld", a ? ", " : "", ctxprof_category_names[a],
               (long long)r->by_cat[a]);
    printf("}, \"pairwise\": {");
    int first = 1;
    for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++)
        for (int b = a + 1; b < CTXPROF_PEOPLE_N_SILOS; b++) {
            printf("%s\"%s+%s\": %lld", first ? "" : ", ", ctxprof_category_names[a],
                   ctxprof_category_names[b], (long long)r->pair[a][b]);
            first = 0;
        }
    printf("}, \"upset_exclusive\": {");
    for (size_t i = 0; i < r->n_combos; i++) {
        char name[128];
        ctxprof_taxonomy_format(r->combos[i].mask, ctxprof_category_names,
                                CTXPROF_PEOPLE_N_SILOS, name, sizeof name);
        printf("%s\"%s\": %lld", i ? ", " : "", name, (long long)r->combos[i].n_people);
    }
    printf("}, \"graph_vertices\": %zu, \"graph_edges\": %lld, \"peer_groups\": %zu, "
           "\"summary\": ",
           r->n_members, (long long)r->n_edges, r->n_groups);
    cli_json_string(stdout, r->summary ? r->summary : "");
    printf(", \"group_summary\": ");
    cli_json_string(stdout, r->group_summary ? r->group_summary : "");
    printf("}\n");
}

int cmd_people(int argc, char **argv)
{
    const cli_command *cmd = cli_find("people");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 1) {
        cli_error("people: expected one profile file (usage: ctxprof people %s)", cmd->usage);
        return CLI_USAGE;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_profile *p = NULL;
    ctxprof_loader *ld = NULL;
    ctxprof_output *out = NULL;
    ctxprof_incidents inc = {0};
    ctxprof_rejects rej = {0};
    ctxprof_source_counts *counts = NULL;
    ctxprof_contexts *contexts = NULL;
    ctxprof_snap_result snap = {0};
    ctxprof_snap_options so = CTXPROF_SNAP_OPTIONS_INIT;
    ctxprof_people_result res = {0};
    const ctxprof_extra_column *extra = NULL;
    size_t n_extra = 0;
    char *args = cli_joined_argv(argc, argv);
    const char *output = cli_get(&a, cmd, "output");
    if ((rc = ctxprof_profile_load(ctx, &p, a.positional[0])))
        goto fail;
    if (!output)
        output = ctxprof_profile_str(p, "profile", "output");
    size_t ns = ctxprof_profile_n_sources(p);
    if (!(counts = calloc(ns ? ns : 1, sizeof *counts))) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory");
        goto fail;
    }
    ctxprof_snap_options_from_profile(&so, p);
    if ((rc = ctxprof_loader_new(ctx, &ld, p)) ||
        (rc = ctxprof_output_open(ctx, &out, output, ctxprof_profile_str(p, "profile", "crs"))))
        goto fail;
    ctxprof_progress_push(ctx, 0.0, 0.7);
    rc = ctxprof_loader_run(ctx, ld, &inc, &rej, counts);
    ctxprof_progress_pop(ctx);
    if (rc || (rc = ctxprof_contexts_load(ctx, &contexts, p)) ||
        (rc = ctxprof_snap_run(ctx, &snap, contexts, &inc, &so)) ||
        (rc = ctxprof_snap_columns(ctx, &snap, contexts, &extra, &n_extra)) ||
        (rc = ctxprof_people_run(ctx, &res, p, ctxprof_loader_pseudonym(ld), &inc, &snap)) ||
        (rc = ctxprof_write_incidents(ctx, out, p, &inc, extra, n_extra)) ||
        (rc = ctxprof_people_write(ctx, out, &res, contexts)) ||
        (rc = ctxprof_output_meta(ctx, out, "arguments", args ? args : "people")) ||
        (rc = ctxprof_output_finish(ctx, out)))
        goto fail;
    cli_progress_end();
    if (a.json)
        print_json(&res, output);
    else if (!a.quiet)
        printf("%s\n%s\nOutput   %s\n", res.summary, res.group_summary, output);
    goto done;
fail:
    rc = cli_fail(ctx);
done:
    free(args);
    ctxprof_people_result_free(ctx, &res);
    ctxprof_output_close(ctx, out);
    ctxprof_snap_result_free(ctx, &snap);
    ctxprof_contexts_free(ctx, contexts);
    for (size_t i = 0; counts && i < ctxprof_profile_n_sources(p); i++)
        ctxprof_source_counts_clear(ctx, &counts[i]);
    free(counts);
    ctxprof_incidents_free(ctx, &inc);
    ctxprof_rejects_free(ctx, &rej);
    ctxprof_loader_free(ctx, ld);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
