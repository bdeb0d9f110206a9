#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "hotspots/hotspots.h"
#include "hotspots/points.h"

#define KDE_OPTIONS                                                                                \
    {"layer", 'l', "LAYER", "Input layer (default: the first)"},                                   \
        {"where", 0, "EXPR", "OGR SQL filter on the input"},                                       \
        {"radius", 'r', "R", "Kernel radius in map units; default: the ArcGIS rule"},              \
        {"pixel", 'p', "P", "Cell size in map units (default 25)"},                                \
        {"kernel", 'k', "NAME",                                                                    \
         "quartic (default), triangular, uniform, triweight, epanechnikov"},                       \
        {"decay", 0, "D", "Triangular kernel decay (0)"},                                          \
        {"scaled", 0, NULL, "Density (kernels integrate to 1) instead of raw sums"},               \
        {"weight", 'w', "FIELD", "Numeric field weighting each point"},                            \
        {"extent", 0, "XMIN,YMIN,XMAX,YMAX", "Grid extent"},                                       \
        {"crs", 0, "CRS",                                                                          \
         "Projected CRS to work in (default: the layer's; EPSG:27700 for lon/lat)"},               \
        {"threads", 'j', "N", "Threads (default: every core)"},                                    \
        {"qgis-compat", 0, NULL, "QGIS 3.22's heatmap surface"},                                   \
    {                                                                                              \
        "study-area", 0, "URI",                                                                    \
            "Study area polygons (file.gpkg|layername=x); default: the points' bounding box"       \
    }

const cli_option cmd_hotspots_options[] = {
    {"output", 'o', "OUT.gpkg", "Output GeoPackage (hotspot_density, hotspots, hotspot_gistar)"},
    {"share", 's', "S", "Share of the study area the hotspots cover (default 0.05)"},
    {"gistar-cell", 0, "M", "Gi* grid cell size (default 100)"},
    {"gistar-band", 0, "M", "Gi* distance band (default 300)"},
    KDE_OPTIONS,
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

int cmd_hotspots(int argc, char **argv)
{
    const cli_command *cmd = cli_find("hotspots");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 1) {
        cli_error("hotspots: expected one input layer (usage: ctxprof hotspots %s)", cmd->usage);
        return CLI_USAGE;
    }
    const char *output = cli_get(&a, cmd, "output");
    if (!output) {
        cli_error("hotspots: no output: give -o OUT.gpkg");
        return CLI_USAGE;
    }
    ctxprof_kde_options ko = CTXPROF_KDE_OPTIONS_INIT;
    ctxprof_hotspot_options ho = CTXPROF_HOTSPOT_OPTIONS_INIT;
    ctxprof_gistar_options go = CTXPROF_GISTAR_OPTIONS_INIT;
    if ((rc = cli_kde_options(cmd, &a, &ko)))
        return rc;
    if (cli_number("hotspots", "share", cli_get(&a, cmd, "share"), &ho.area_share) < 0 ||
        cli_number("hotspots", "gistar-cell", cli_get(&a, cmd, "gistar-cell"), &go.cell) < 0 ||
        cli_number("hotspots", "gistar-band", cli_get(&a, cmd, "gistar-band"), &go.band) < 0)
        return CLI_USAGE;
    if (!(ho.area_share > 0 && ho.area_share <= 1)) {
        cli_error("hotspots: --share must be in (0, 1], e.g. 0.05");
        return CLI_USAGE;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    ctxprof_points pts = {0};
    ctxprof_raster ras = {0};
    ctxprof_hotspots hs = {0};
    ctxprof_gistar gs = {0};
    ctxprof_output *out = NULL;
    OGRGeometryH study = NULL;
    char *args = cli_joined_argv(argc, argv);
    ctxprof_points_options po = CTXPROF_POINTS_OPTIONS_INIT;
    po.layer = cli_get(&a, cmd, "layer");
    po.where = cli_get(&a, cmd, "where");
    po.weight = cli_get(&a, cmd, "weight");
    po.target_crs = cli_get(&a, cmd, "crs");
    const char *input = a.positional[0], *sa = cli_get(&a, cmd, "study-area");
    if ((rc = ctxprof_points_read(ctx, &pts, input, &po)))
        goto fail;
    if (!pts.n) {
        ctxprof_error_at(ctx, CTXPROF_E_INPUT, input, 0, NULL, "no points");
        goto fail;
    }
    if (sa && (rc = ctxprof_hotspots_study_area(ctx, &study, sa, pts.srs_wkt)))
        goto fail;
    ho.study_area = go.study_area = study;
    ctxprof_progress_push(ctx, 0.0, 0.7);
    rc = ctxprof_kde_run(ctx, &ras, pts.x, pts.y, pts.w, pts.n, &ko);
    ctxprof_progress_pop(ctx);
    if (rc || (rc = ctxprof_hotspots_run(ctx, &hs, &ras, pts.x, pts.y, pts.n, &ho)) ||
        (rc = ctxprof_gistar_run(ctx, &gs, pts.x, pts.y, pts.n, &go)))
        goto fail;
    if ((rc = ctxprof_output_open(ctx, &out, output, pts.srs_wkt ? pts.srs_wkt : "EPSG:27700")) ||
        (rc = ctxprof_write_hotspots(ctx, out, &ras, &hs, &gs, NULL, 0)))
        goto fail;
    ctxprof_output_meta(ctx, out, "version", CTXPROF_VERSION);
    ctxprof_output_meta(ctx, out, "arguments", args ? args : "hotspots");
    ctxprof_output_meta(ctx, out, "input.path", input);
    ctxprof_output_metaf(ctx, out, "param.hotspots.radius_m", "%.6g", ras.radius);
    ctxprof_output_metaf(ctx, out, "param.hotspots.pixel_m", "%.6g", ko.pixel);
    ctxprof_output_meta(ctx, out, "param.hotspots.kernel", ctxprof_kernel_names[ko.kernel]);
    ctxprof_output_metaf(ctx, out, "param.hotspots.area_share", "%.6g", ho.area_share);
    ctxprof_output_metaf(ctx, out, "hotspots.threshold", "%.9g", hs.threshold);
    ctxprof_output_metaf(ctx, out, "hotspots.study_area_m2", "%.3f", hs.study_area_m2);
    if ((rc = ctxprof_output_finish(ctx, out)))
        goto fail;
    cli_progress_end();
    size_t sig = 0;
    for (size_t k = 0; k < gs.n_cells; k++)
        sig += gs.bin[k] >= 2;
    if (a.json) {
        printf("{\"output\": ");
        cli_json_string(stdout, output);
        printf(", \"points\": %zu, \"radius\": %.6g, \"radius_rule\": %s, \"threshold\": %.9g, "
               "\"study_area_m2\": %.3f, \"n_total\": %lld, \"gistar_hot_cells_95\": %zu, "
               "\"hotspots\": [",
               pts.n, ras.radius, ras.radius_from_rule ? "true" : "false", hs.threshold,
               hs.study_area_m2, hs.n_total, sig);
        for (size_t i = 0; i < hs.n; i++) {
            OGRGeometryH c = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_Centroid(hs.geom[i], c);
            printf("%s{\"rank\": %zu, \"n_incidents\": %lld, \"area_m2\": %.1f, \"pai\": %.4f, "
                   "\"share_incidents\": %.6f, \"share_area\": %.6f, \"x\": %.1f, \"y\": %.1f}",
                   i ? ", " : "", i + 1, hs.n_incidents[i], hs.area_m2[i], hs.pai[i],
                   hs.share_incidents[i], hs.share_area[i], OGR_G_GetX(c, 0), OGR_G_GetY(c, 0));
            OGR_G_DestroyGeometry(c);
        }
        printf("]}\n");
    } else if (!a.quiet) {
        printf("Input    %s: %zu points\n", input, pts.n);
        printf("Radius   %.1f%s, cells of %g\n", ras.radius,
               ras.radius_from_rule ? " (default rule)" : "", ko.pixel);
        printf("Hotspots %zu covering %.1f%% of %.2f km2 (density >= %.6g)\n", hs.n,
               100.0 * hs.cells_selected * ko.pixel * ko.pixel / hs.study_area_m2,
               hs.study_area_m2 / 1e6, hs.threshold);
        printf("  %4s %10s %8s %8s %8s\n", "rank", "incidents", "area ha", "% inc.", "PAI");
        for (size_t i = 0; i < hs.n && i < 20; i++)
            printf("  %4zu %10lld %8.2f %8.2f %8.2f\n", i + 1, hs.n_incidents[i],
                   hs.area_m2[i] / 1e4, 100 * hs.share_incidents[i], hs.pai[i]);
        printf("Gi*      %zu cells of %g, band %g: %zu hot at 95%% after FDR\n", gs.n_cells,
               go.cell, go.band, sig);
        printf("Output   %s\n", output);
    }
    rc = 0;
    goto done;
fail:
    rc = cli_fail(ctx);
done:
    ctxprof_output_close(ctx, out);
    if (study)
        OGR_G_DestroyGeometry(study);
    ctxprof_gistar_free(&gs);
    ctxprof_hotspots_free(&hs);
    ctxprof_raster_clear(&ras);
    ctxprof_points_free(&pts);
    free(args);
    ctxprof_ctx_free(ctx);
    return rc ? CLI_FAIL : CLI_OK;
}
