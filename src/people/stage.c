/* The people stage from a profile: what `ctxprof people`, `ctxprof overlap`
 * and `ctxprof peers` run (`ctxprof run` calls the steps itself, between
 * its other stages). */
#include "people/people.h"

#include <string.h>

#include "load/load.h"
#include "snap/contexts.h"
#include "snap/snap.h"
#include "write/layers.h"
#include "write/output.h"

int ctxprof_people_stage(ctxprof_ctx *ctx, ctxprof_people_result *res,
                         const ctxprof_people_stage_options *o, const char *output, unsigned what,
                         const char *arguments)
{
    int rc;
    ctxprof_loader *ld = NULL;
    ctxprof_output *out = NULL;
    ctxprof_incidents inc = {0};
    ctxprof_rejects rej = {0};
    ctxprof_source_counts *counts = NULL;
    ctxprof_contexts *contexts = NULL;
    ctxprof_snap_result snap = {0};
    const ctxprof_extra_column *extra = NULL;
    size_t n_extra = 0, ns = o->load->n_sources;
    memset(res, 0, sizeof *res);
    if (!output)
        output = o->output;
    if (!(counts = ctxprof_calloc(ctx, ns ? ns : 1, sizeof *counts)))
        return CTXPROF_E_NOMEM;
    ctxprof_snap_options so = o->snap;
    const ctxprof_people_options *po = o->people;
    if ((rc = ctxprof_loader_new(ctx, &ld, o->load)) ||
        (rc = ctxprof_output_open(ctx, &out, output, o->crs)))
        goto done;
    ctxprof_progress_push(ctx, 0.0, 0.7);
    rc = ctxprof_loader_run(ctx, ld, &inc, &rej, counts);
    ctxprof_progress_pop(ctx);
    if (rc || (rc = ctxprof_people_link(ctx, res, po, ctxprof_loader_pseudonym(ld), &inc)))
        goto done;
    if ((what & CTXPROF_PEOPLE_OVERLAP) && (rc = ctxprof_people_overlap(ctx, res, &inc)))
        goto done;
    ctxprof_progress_push(ctx, 0.7, 0.9);
    if (what & CTXPROF_PEOPLE_GROUPS) {
        /* The groups' schools and places come from each incident's contexts. */
        rc = ctxprof_contexts_load(ctx, &contexts, o->contexts);
        if (!rc)
            rc = ctxprof_snap_run(ctx, &snap, contexts, &inc, &so);
        if (!rc)
            rc = ctxprof_snap_columns(ctx, &snap, contexts, &extra, &n_extra);
        if (!rc)
            rc = ctxprof_people_groups(ctx, res, &inc, &snap, contexts, po);
    }
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    ctxprof_progress_push(ctx, 0.9, 1.0);
    rc = ctxprof_write_incidents(ctx, out, o->write, &inc, extra, n_extra);
    if (!rc && (what & CTXPROF_PEOPLE_OVERLAP))
        rc = ctxprof_people_write_overlap(ctx, out, res);
    if (!rc && (what & CTXPROF_PEOPLE_GROUPS))
        rc = ctxprof_people_write_groups(ctx, out, res, contexts);
    ctxprof_progress_pop(ctx);
    if (rc || (rc = ctxprof_output_meta(ctx, out, "arguments", arguments ? arguments : "people")) ||
        (rc = ctxprof_output_finish(ctx, out)))
        goto done;
    rc = ctxprof_progress(ctx, 1.0, "done");
done:
    ctxprof_output_close(ctx, out);
    ctxprof_snap_result_free(ctx, &snap);
    ctxprof_contexts_free(ctx, contexts);
    for (size_t i = 0; i < ns; i++)
        ctxprof_source_counts_clear(ctx, &counts[i]);
    ctxprof_free(ctx, counts);
    ctxprof_incidents_free(ctx, &inc);
    ctxprof_rejects_free(ctx, &rej);
    ctxprof_loader_free(ctx, ld);
    return rc;
}
