#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "hotspots/hotspots.h"
#include "hotspots/points.h"

const cli_option cmd_evaluate_options[] = {
    {"train", 0, "FILES", "Points of the earlier period: comma-separated files or globs"},
    {"test", 0, "FILES", "Points of the later period the hotspots are scored on"},
    {"validate", 0, "FILES", "With --radius auto-pai: the period the radius is chosen on"},
    {"coverage", 'c', "LIST", "Area shares in percent (default 1,2,5,10)"},
    {"radii", 0, "LIST", "auto-pai candidates (default 100,150,200,250,300,400,500,600,800,1000)"},
    {"layer", 'l', "LAYER", "Input layer (default: the first)"},
    {"where", 0, "EXPR", "OGR SQL filter on every input, e.g. \"\\\"Crime type\\\" = 'Robbery'\""},
    {"radius", 'r', "R|auto-pai",
     "Kernel radius; auto-pai: the one maximising PAI at 5% on --validate"},
    {"pixel", 'p', "P", "Cell size in map units (default 25)"},
    {"kernel", 'k', "NAME", "quartic (default), triangular, uniform, triweight, epanechnikov"},
    {"decay", 0, "D", "Triangular kernel decay (0)"},
    {"scaled", 0, NULL, "Density instead of raw sums (same hotspots)"},
    {"weight", 'w', "FIELD", "Numeric field weighting each point"},
    {"extent", 0, "XMIN,YMIN,XMAX,YMAX", "Grid extent"},
    {"crs", 0, "CRS", "Projected CRS (default: the layer's; EPSG:27700 for lon/lat)"},
    {"threads", 'j', "N", "Threads (default: every core)"},
    {"qgis-compat", 0, NULL, "Hotspots from QGIS 3.22's heatmap surface"},
    {"study-area", 0, "URI", "Study area polygons; default: the training points' bounding box"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

/* Reads every file of a comma-separated list of paths or glob patterns. */
static int read_files(ctxprof_ctx *ctx, ctxprof_points *pts, const char *list,
                      const ctxprof_points_options *po, int *n_files)
{
    int rc = 0;
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory");
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        glob_t g;
        if (glob(tok, GLOB_NOCHECK, NULL, &g) != 0) {
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: no such files", tok);
            break;
        }
        for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
            rc = ctxprof_points_read(ctx, pts, g.gl_pathv[i], po);
            (*n_files)++;
        }
        globfree(&g);
    }
    free(copy);
    return rc;
}

static int parse_list(const char *s, double *v, int max)
{
    int n = 0;
    while (s && *s && n < max) {
        char *end;
        v[n] = strtod(s, &end);
        if (end == s)
            return -1;
        n++;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

int cmd_evaluate(int argc, char **argv)
{
    const cli_command *cmd = cli_find("evaluate");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_operands(cmd, &a, 0, 0)))
        return rc;
    const char *train = cli_get(&a, cmd, "train"), *test = cli_get(&a, cmd, "test");
    const char *validate = cli_get(&a, cmd, "validate"), *radius = cli_get(&a, cmd, "radius");
    if (!train || !test || a.n_positional) {
        cli_error("evaluate: give --train FILES and --test FILES (usage: ctxprof evaluate %s)",
                  cmd->usage);
        return CLI_USAGE;
    }
    int auto_pai = radius && strcmp(radius, "auto-pai") == 0;
    if (auto_pai && !validate) {
        cli_error("evaluate: --radius auto-pai needs --validate FILES");
        return CLI_USAGE;
    }
    ctxprof_kde_options ko = CTXPROF_KDE_OPTIONS_INIT;
    if ((rc = cli_kde_options(cmd, &a, &ko)))
        return rc;
    double cov[16], radii[32];
    int ncov = parse_list(cli_get(&a, cmd, "coverage") ? cli_get(&a, cmd, "coverage") : "1,2,5,10",
                          cov, 16);
    int nrad = parse_list(cli_get(&a, cmd, "radii") ? cli_get(&a, cmd, "radii")
                                                    : "100,150,200,250,300,400,500,600,800,1000",
                          radii, 32);
    if (ncov <= 0 || nrad <= 0) {
        cli_error("evaluate: --coverage and --radii take comma-separated numbers");
        return CLI_USAGE;
    }
    for (int i = 0; i < ncov; i++) {
        if (!(cov[i] > 0 && cov[i] <= 100)) {
            cli_error("evaluate: coverage %g%% is not in (0, 100]", cov[i]);
            return CLI_USAGE;
        }
        cov[i] /= 100.0;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_points tr = {0}, te = {0}, va = {0};
    ctxprof_raster ras = {0};
    OGRGeometryH study = NULL;
    ctxprof_eval ev[16];
    double best_r = 0, best_pai = -1, rad_pai[32];
    int nf_tr = 0, nf_te = 0, nf_va = 0;
    ctxprof_points_options po = CTXPROF_POINTS_OPTIONS_INIT;
    po.layer = cli_get(&a, cmd, "layer");
    po.where = cli_get(&a, cmd, "where");
    po.weight = cli_get(&a, cmd, "weight");
    po.target_crs = cli_get(&a, cmd, "crs");
    if ((rc = read_files(ctx, &tr, train, &po, &nf_tr)) ||
        (rc = read_files(ctx, &te, test, &po, &nf_te)) ||
        (validate && (rc = read_files(ctx, &va, validate, &po, &nf_va))))
        goto fail;
    if (!tr.n || !te.n) {
        ctxprof_error(ctx, CTXPROF_E_INPUT, "evaluate: no %s points%s%s",
                      tr.n ? "test" : "training", po.where ? " match " : "",
                      po.where ? po.where : "");
        goto fail;
    }
    const char *sa = cli_get(&a, cmd, "study-area");
    if (sa && (rc = ctxprof_hotspots_study_area(ctx, &study, sa, tr.srs_wkt)))
        goto fail;
    if (auto_pai) {
        double c5 = 0.05;
        for (int i = 0; i < nrad; i++) {
            ctxprof_kde_options o = ko;
            o.radius = radii[i];
            ctxprof_eval e;
            ctxprof_progress_push(ctx, (double)i / (nrad + 1), (double)(i + 1) / (nrad + 1));
            rc = ctxprof_kde_run(ctx, &ras, tr.x, tr.y, tr.w, tr.n, &o);
            ctxprof_progress_pop(ctx);
            if (rc || (rc = ctxprof_hotspots_evaluate(ctx, &e, &c5, 1, &ras, tr.x, tr.y, tr.n, va.x,
                                                      va.y, va.n, study)))
                goto fail;
            ctxprof_raster_clear(&ras);
            rad_pai[i] = e.pai_test;
            if (e.pai_test > best_pai) {
                best_pai = e.pai_test;
                best_r = radii[i];
            }
        }
        ko.radius = best_r;
    }
    ctxprof_progress_push(ctx, auto_pai ? (double)nrad / (nrad + 1) : 0.0, 1.0);
    rc = ctxprof_kde_run(ctx, &ras, tr.x, tr.y, tr.w, tr.n, &ko);
    ctxprof_progress_pop(ctx);
    if (rc || (rc = ctxprof_hotspots_evaluate(ctx, ev, cov, (size_t)ncov, &ras, tr.x, tr.y, tr.n,
                                              te.x, te.y, te.n, study)))
        goto fail;
    cli_progress_end();
    if (a.json) {
        printf("{\"train_points\": %zu, \"test_points\": %zu, \"radius\": %.6g, "
               "\"radius_rule\": %s, \"pixel\": %.6g, \"kernel\": \"%s\", \"results\": [",
               tr.n, te.n, ras.radius, ras.radius_from_rule ? "true" : "false", ko.pixel,
               ctxprof_kernel_names[ko.kernel]);
        for (int i = 0; i < ncov; i++)
            printf("%s{\"coverage\": %g, \"area_m2\": %.1f, \"n_train\": %lld, \"n_test\": %lld, "
                   "\"pai_train\": %.4f, \"pai_test\": %.4f, \"rri\": %.4f}",
                   i ? ", " : "", ev[i].coverage * 100, ev[i].area_m2, ev[i].n_train, ev[i].n_test,
                   ev[i].pai_train, ev[i].pai_test, ev[i].rri);
        printf("]");
        if (auto_pai) {
            printf(", \"auto_pai\": {\"validate_points\": %zu, \"best_radius\": %.6g, "
                   "\"best_pai\": %.4f, \"candidates\": [",
                   va.n, best_r, best_pai);
            for (int i = 0; i < nrad; i++)
                printf("%s{\"radius\": %g, \"pai\": %.4f}", i ? ", " : "", radii[i], rad_pai[i]);
            printf("]}");
        }
        printf("}\n");
    } else if (!a.quiet) {
        printf("Train    %zu points (%d files)\nTest     %zu points (%d files)\n", tr.n, nf_tr,
               te.n, nf_te);
        if (auto_pai) {
            printf("Radius   auto-pai on %zu validation points (%d files): PAI at 5%%\n", va.n,
                   nf_va);
            for (int i = 0; i < nrad; i++)
                printf("  %7g  %6.2f%s\n", radii[i], rad_pai[i],
                       radii[i] == best_r ? "  <- best" : "");
        }
        printf("Radius   %.1f%s, cells of %g, %s kernel\n", ras.radius,
               ras.radius_from_rule ? " (default rule)" : "", ko.pixel,
               ctxprof_kernel_names[ko.kernel]);
        printf("\n  %8s %10s %9s %9s %9s %9s %7s\n", "coverage", "area km2", "n train", "n test",
               "PAI train", "PAI test", "RRI");
        for (int i = 0; i < ncov; i++)
            printf("  %7g%% %10.3f %9lld %9lld %9.2f %9.2f %7.2f\n", ev[i].coverage * 100,
                   ev[i].area_m2 / 1e6, ev[i].n_train, ev[i].n_test, ev[i].pai_train,
                   ev[i].pai_test, ev[i].rri);
    }
    rc = 0;
    goto done;
fail:
    rc = cli_fail(ctx);
done:
    if (study)
        OGR_G_DestroyGeometry(study);
    ctxprof_raster_clear(&ras);
    ctxprof_points_free(&tr);
    ctxprof_points_free(&te);
    ctxprof_points_free(&va);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
