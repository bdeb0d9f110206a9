/* The driver of `ctxprof people`, `overlap` and `peers` (cli_people.h). */
#include "cli/cli_people.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "load/taxonomy.h"
#include "people/people.h"
#include "profile/profile.h"

static void json_linking(const ctxprof_people_result *r)
{
    printf(", \"crosswalk_rows\": %lld, \"crosswalk_ids\": %lld, \"links_made\": %lld, "
           "\"source_ids\": %lld, \"ids_linked\": %lld, \"possible_matches\": %zu, "
           "\"matches_accepted\": %lld, \"pids_merged\": %lld",
           (long long)r->crosswalk_rows, (long long)r->crosswalk_ids, (long long)r->links_made,
           (long long)r->source_ids, (long long)r->ids_linked, r->n_matches,
           (long long)r->matches_accepted, (long long)r->pids_merged);
}

static void json_overlap(const ctxprof_people_result *r)
{
    printf(", \"people_with_any\": %lld, \"sum_of_category_lists\": %lld, \"by_category\": {",
           (long long)r->n_people, (long long)r->sum_lists);
    for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++)
        printf("%s\"%s\": %lld", a ? ", " : "", ctxprof_category_names[a], (long long)r->by_cat[a]);
    printf("}, \"pairwise\": {");
    int first = 1;
    for (int a = 0; a < CTXPROF_PEOPLE_N_SILOS; a++)
        for (int b = a + 1; b < CTXPROF_PEOPLE_N_SILOS; b++) {
            printf("%s\"%s+%s\": %lld", first ? "" : ", ", ctxprof_category_names[a],
                   ctxprof_category_names[b], (long long)r->pair[a][b]);
            first = 0;
        }
    printf("}, \"upset_exclusive\": {");
    char name[128];
    for (size_t i = 0; i < r->n_combos; i++) {
        ctxprof_taxonomy_format(r->combos[i].mask, ctxprof_category_names, CTXPROF_PEOPLE_N_SILOS,
                                name, sizeof name);
        printf("%s\"%s\": %lld", i ? ", " : "", name, (long long)r->combos[i].n_people);
    }
    int64_t reasons[CTXPROF_MATCH_N_REASONS] = {0};
    for (size_t i = 0; i < r->n_matches; i++)
        for (int k = 0; k < CTXPROF_MATCH_N_REASONS; k++)
            reasons[k] += r->matches[i].reason_bit == 1u << k;
    printf("}, \"possible_matches_by_reason\": {");
    for (int k = 0; k < CTXPROF_MATCH_N_REASONS; k++)
        printf("%s\"%s\": %lld", k ? ", " : "", ctxprof_match_reasons[k], (long long)reasons[k]);
    printf("}, \"summary\": ");
    cli_json_string(stdout, r->summary ? r->summary : "");
}

static void json_groups(const ctxprof_people_result *r)
{
    printf(", \"association_rows\": %lld, \"association_pairs\": %lld, \"graph_vertices\": %zu, "
           "\"graph_edges\": %lld, \"peer_groups\": %zu, \"group_people\": %lld, "
           "\"group_incidents\": %lld, \"schools\": %lld, \"schools_attended\": %lld, "
           "\"attendance_records\": %zu, \"attendance_people\": %lld, "
           "\"attendance_unmatched\": %lld, \"top_n\": %d, \"top_groups_share\": %.4f, "
           "\"top_schools_share\": %.4f, \"groups\": [",
           (long long)r->association_rows, (long long)r->association_pairs, r->n_members,
           (long long)r->n_edges, r->n_groups, (long long)r->group_people,
           (long long)r->group_incidents, (long long)r->n_schools, (long long)r->n_schools_attended,
           r->n_attendance, (long long)r->attendance_people, (long long)r->attendance_unmatched,
           r->top_n, r->top_groups_share, r->top_schools_share);
    char cats[128];
    for (size_t i = 0; i < r->n_groups; i++) {
        const ctxprof_peer_group *g = &r->groups[i];
        ctxprof_taxonomy_format(g->cats, ctxprof_category_names, CTXPROF_PEOPLE_N_SILOS, cats,
                                sizeof cats);
        printf("%s{\"group_id\": %d, \"n_members\": %lld, \"n_incidents\": %lld, "
               "\"categories\": ",
               i ? ", " : "", g->id, (long long)g->n_members, (long long)g->n_incidents);
        cli_json_string(stdout, cats);
        printf(", \"n_schools\": %lld, \"n_schools_attended\": %lld, \"n_members_attends\": %lld, "
               "\"n_members_nearest\": %lld, \"n_contexts\": %lld}",
               (long long)g->n_schools, (long long)g->n_schools_attended,
               (long long)g->n_members_attends, (long long)g->n_members_nearest,
               (long long)g->n_contexts);
    }
    printf("], \"group_summary\": ");
    cli_json_string(stdout, r->group_summary ? r->group_summary : "");
}

int cli_people_main(const char *name, unsigned what, int argc, char **argv)
{
    const cli_command *cmd = cli_find(name);
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 1) {
        cli_error("%s: expected one profile file (usage: ctxprof %s %s)", name, name, cmd->usage);
        return CLI_USAGE;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_profile *p = NULL;
    ctxprof_people_result res = {0};
    char *args = cli_joined_argv(argc, argv);
    const char *output = cli_get(&a, cmd, "output");
    if ((rc = ctxprof_profile_load(ctx, &p, a.positional[0])))
        goto fail;
    if (!output)
        output = ctxprof_profile_output(p);
    if ((rc = ctxprof_people_stage(ctx, &res, ctxprof_profile_people_stage_options(p), output, what,
                                   args ? args : name)))
        goto fail;
    cli_progress_end();
    if (a.json) {
        printf("{\"command\": ");
        cli_json_string(stdout, name);
        printf(", \"output\": ");
        cli_json_string(stdout, output);
        json_linking(&res);
        if (what & CTXPROF_PEOPLE_OVERLAP)
            json_overlap(&res);
        if (what & CTXPROF_PEOPLE_GROUPS)
            json_groups(&res);
        printf("}\n");
    } else if (!a.quiet) {
        if (what & CTXPROF_PEOPLE_OVERLAP)
            printf("%s\n", res.summary ? res.summary : "");
        if (what & CTXPROF_PEOPLE_GROUPS)
            printf("%s\n", res.group_summary ? res.group_summary : "");
        printf("Output   %s\n", output);
    }
    goto done;
fail:
    rc = cli_fail(ctx);
done:
    free(args);
    ctxprof_people_result_free(ctx, &res);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
