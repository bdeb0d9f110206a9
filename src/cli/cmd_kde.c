#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "hotspots/kde.h"
#include "hotspots/points.h"

const cli_option cmd_kde_options[] = {
    {"output", 'o', "OUT.tif", "Output raster: a Float32 GeoTIFF, or a GeoPackage raster (.gpkg)"},
    {"layer", 'l', "LAYER", "Input layer (default: the first)"},
    {"where", 0, "EXPR", "OGR SQL filter, e.g. \"\\\"Crime type\\\" = 'Robbery'\""},
    {"radius", 'r', "R", "Kernel radius (bandwidth) in map units; default: the ArcGIS rule"},
    {"pixel", 'p', "P", "Cell size in map units (default 25)"},
    {"kernel", 'k', "NAME", "quartic (default), triangular, uniform, triweight, epanechnikov"},
    {"decay", 0, "D", "Triangular kernel: value at the radius relative to the centre (0)"},
    {"scaled", 0, NULL, "Density (kernels integrate to 1) instead of raw kernel sums"},
    {"weight", 'w', "FIELD", "Numeric field weighting each point"},
    {"extent", 0, "XMIN,YMIN,XMAX,YMAX", "Grid extent (default: the points grown by the radius)"},
    {"crs", 0, "CRS", "Projected CRS to work in (default: the layer's; EPSG:27700 for lon/lat)"},
    {"raster-layer", 0, "NAME", "Raster table name in a .gpkg output (hotspot_density)"},
    {"threads", 'j', "N", "Threads (default: every core)"},
    {"qgis-compat", 0, NULL,
     "Reproduce QGIS 3.22's Heatmap (Kernel Density Estimation) cell for cell"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

/* Parses a number option; prints a usage error and returns -1 when bad. */
int cli_number(const char *cmd, const char *name, const char *v, double *out)
{
    char *end;
    if (!v)
        return 0;
    double d = strtod(v, &end);
    if (end == v || *end || !isfinite(d)) {
        cli_error("%s: --%s '%s' is not a number", cmd, name, v);
        return -1;
    }
    *out = d;
    return 1;
}

/* Reads the kde options shared by kde, hotspots and evaluate. Returns
 * CLI_OK or CLI_USAGE (after printing why). */
int cli_kde_options(const cli_command *cmd, const cli_args *a, ctxprof_kde_options *o)
{
    const char *v;
    if (cli_number(cmd->name, "pixel", cli_get(a, cmd, "pixel"), &o->pixel) < 0)
        return CLI_USAGE;
    if (!(o->pixel > 0)) {
        cli_error("%s: --pixel must be positive", cmd->name);
        return CLI_USAGE;
    }
    v = cli_get(a, cmd, "radius");
    if (v && strcmp(v, "auto-pai") != 0) {
        if (cli_number(cmd->name, "radius", v, &o->radius) < 0)
            return CLI_USAGE;
        if (!(o->radius > 0)) {
            cli_error("%s: --radius must be positive", cmd->name);
            return CLI_USAGE;
        }
    }
    if ((v = cli_get(a, cmd, "kernel"))) {
        int k = ctxprof_kernel_parse(v);
        if (k < 0) {
            cli_error("%s: unknown kernel '%s' (quartic, triangular, uniform, triweight, "
                      "epanechnikov)",
                      cmd->name, v);
            return CLI_USAGE;
        }
        o->kernel = (ctxprof_kernel)k;
    }
    if (cli_number(cmd->name, "decay", cli_get(a, cmd, "decay"), &o->decay) < 0)
        return CLI_USAGE;
    o->scaled = cli_get(a, cmd, "scaled") != NULL;
    o->qgis_compat = cli_get(a, cmd, "qgis-compat") != NULL;
    if ((v = cli_get(a, cmd, "extent"))) {
        double e[4];
        char tail;
        if (sscanf(v, "%lf,%lf,%lf,%lf%c", &e[0], &e[1], &e[2], &e[3], &tail) != 4 ||
            !(e[2] > e[0] && e[3] > e[1])) {
            cli_error("%s: --extent '%s' is not XMIN,YMIN,XMAX,YMAX with XMIN<XMAX, YMIN<YMAX",
                      cmd->name, v);
            return CLI_USAGE;
        }
        memcpy(o->extent, e, sizeof e);
        o->has_extent = 1;
    }
    double t = 0;
    if (cli_number(cmd->name, "threads", cli_get(a, cmd, "threads"), &t) < 0)
        return CLI_USAGE;
    if (t < 0 || t > 64 || t != floor(t)) {
        cli_error("%s: --threads must be a whole number from 1 to 64", cmd->name);
        return CLI_USAGE;
    }
    o->threads = (int)t;
    return CLI_OK;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int cmd_kde(int argc, char **argv)
{
    const cli_command *cmd = cli_find("kde");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 1) {
        cli_error("kde: expected one input layer (usage: ctxprof kde %s)", cmd->usage);
        return CLI_USAGE;
    }
    const char *output = cli_get(&a, cmd, "output");
    if (!output) {
        cli_error("kde: no output: give -o OUT.tif");
        return CLI_USAGE;
    }
    ctxprof_kde_options o = CTXPROF_KDE_OPTIONS_INIT;
    if ((rc = cli_kde_options(cmd, &a, &o)))
        return rc;
    if (cli_get(&a, cmd, "radius") && o.radius <= 0) {
        cli_error("kde: --radius auto-pai belongs to 'ctxprof evaluate'");
        return CLI_USAGE;
    }
    if (o.qgis_compat && cli_get(&a, cmd, "where")) {
        cli_error("kde: --where cannot be combined with --qgis-compat (QGIS grows the whole "
                  "layer's extent)");
        return CLI_USAGE;
    }
    ctxprof_ctx *ctx = cli_context(&a);
    if (!ctx)
        return CLI_FAIL;
    double t0 = now_s();
    ctxprof_points pts = {0};
    ctxprof_raster ras = {0};
    ctxprof_points_options po = CTXPROF_POINTS_OPTIONS_INIT;
    po.layer = cli_get(&a, cmd, "layer");
    po.where = cli_get(&a, cmd, "where");
    po.weight = cli_get(&a, cmd, "weight");
    po.target_crs = cli_get(&a, cmd, "crs");
    const char *input = a.positional[0];
    ctxprof_progress_push(ctx, 0.0, 0.2);
    rc = ctxprof_points_read(ctx, &pts, input, &po);
    ctxprof_progress_pop(ctx);
    if (rc) {
        rc = cli_fail(ctx);
        goto done;
    }
    double t_read = now_s();
    /* QGIS grows the layer's own extent: without a filter or a CRS change
     * that is the extent OGR reports. */
    if (o.qgis_compat && !o.has_extent && pts.has_ext && !pts.srs_geographic &&
        !cli_get(&a, cmd, "crs")) {
        memcpy(o.extent, pts.ext, sizeof o.extent);
        o.has_extent = 1;
    }
    if (pts.n == 0) {
        cli_error("%s: no points%s%s", input, po.where ? " match the filter " : "",
                  po.where ? po.where : "");
        rc = CLI_FAIL;
        goto done;
    }
    ctxprof_progress_push(ctx, 0.2, 0.8);
    rc = ctxprof_kde_run(ctx, &ras, pts.x, pts.y, pts.w, pts.n, &o);
    ctxprof_progress_pop(ctx);
    if (rc) {
        rc = cli_fail(ctx);
        goto done;
    }
    double t_kde = now_s();
    ctxprof_progress_push(ctx, 0.8, 1.0);
    rc = ctxprof_raster_save(ctx, &ras, output, cli_get(&a, cmd, "raster-layer"), pts.srs_wkt);
    if (!rc)
        rc = ctxprof_progress(ctx, 1.0, "written");
    ctxprof_progress_pop(ctx);
    if (rc) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_progress_end();
    double t_end = now_s();
    double vmax = 0;
    size_t n_data = 0;
    for (size_t c = 0; c < (size_t)ras.cols * ras.rows; c++)
        if (ras.data[c] != ras.nodata) {
            n_data++;
            if (ras.data[c] > vmax)
                vmax = ras.data[c];
        }
    const char *mode = o.qgis_compat ? "qgis-compat" : "exact";
    if (a.json) {
        printf("{\"input\": ");
        cli_json_string(stdout, input);
        printf(", \"output\": ");
        cli_json_string(stdout, output);
        printf(", \"mode\": \"%s\", \"kernel\": \"%s\", \"scaled\": %s, \"decay\": %.17g, "
               "\"radius\": %.17g, \"radius_rule\": %s, \"pixel\": %.17g, \"cols\": %d, "
               "\"rows\": %d, \"geotransform\": [%.17g, %.17g, 0, %.17g, 0, %.17g], "
               "\"features\": %lld, \"points\": %zu, \"stamped\": %zu, \"dropped\": %zu, "
               "\"no_geometry\": %lld, \"null_weights\": %lld, \"cells_with_data\": %zu, "
               "\"max\": %.9g, \"threads\": %d, "
               "\"seconds\": {\"read\": %.3f, \"kde\": %.3f, \"write\": %.3f, \"total\": %.3f}}\n",
               mode, ctxprof_kernel_names[o.kernel], o.scaled ? "true" : "false", o.decay,
               ras.radius, ras.radius_from_rule ? "true" : "false", o.pixel, ras.cols, ras.rows,
               ras.gt[0], ras.gt[1], ras.gt[3], ras.gt[5], pts.features, pts.n, ras.n_stamped,
               ras.n_dropped, pts.no_geometry, pts.null_weights, n_data, vmax, ras.threads,
               t_read - t0, t_kde - t_read, t_end - t_kde, t_end - t0);
    } else if (!a.quiet) {
        printf("Input    %s: %zu points", input, pts.n);
        if (pts.no_geometry)
            printf(" (%lld features without a geometry skipped)", pts.no_geometry);
        printf("\n");
        if (ras.radius_from_rule)
            printf("Radius   %.1f (default rule 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2)\n",
                   ras.radius);
        else
            printf("Radius   %g\n", ras.radius);
        printf("Kernel   %s, %s, %s%s\n", ctxprof_kernel_names[o.kernel],
               o.scaled ? "scaled" : "raw", mode,
               o.kernel == CTXPROF_KERNEL_TRIANGULAR && o.decay != 0 ? " (with decay)" : "");
        printf("Output   %s: %d x %d cells of %g, maximum %.6g\n", output, ras.cols, ras.rows,
               o.pixel, vmax);
        if (ras.n_dropped)
            printf("Dropped  %zu points at the grid's edge, as QGIS 3.22 drops them\n",
                   ras.n_dropped);
        printf("Time     read %.2f s, density %.2f s (%d threads), write %.2f s\n", t_read - t0,
               t_kde - t_read, ras.threads, t_end - t_kde);
    }
    rc = CLI_OK;
done:
    ctxprof_raster_clear(&ras);
    ctxprof_points_free(&pts);
    ctxprof_ctx_free(ctx);
    return rc;
}
