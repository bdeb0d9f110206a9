/* The hotspots stage of `ctxprof run`: the density surface of every
 * incident, hotspot polygons with PAI, and Gi* cells, from the profile's
 * [hotspots] settings, written into the run's output. */
#include <math.h>
#include <stdlib.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <ogr_srs_api.h>

#include "hotspots/hotspots.h"
#include "hotspots/stage.h"
#include "load/taxonomy.h"

/* The density surface and hotspots of each category of o->categories,
 * with the radius of every incident's surface, into per (n_per sets; the
 * caller frees them). A category without incidents is left out with a
 * warning and a run_metadata row. */
static int category_sets(ctxprof_ctx *ctx, ctxprof_output *out,
                         const ctxprof_hotspots_stage_options *o, const ctxprof_kde_options *ko,
                         const ctxprof_hotspot_options *ho, const double *x, const double *y,
                         const uint32_t *cats, size_t n, ctxprof_hotspot_set *per,
                         ctxprof_raster *ras, ctxprof_hotspots *hs, size_t *n_per)
{
    uint32_t mask = 0;
    char bad[64];
    *n_per = 0;
    if (!o->categories || !*o->categories)
        return 0;
    if (ctxprof_taxonomy_parse(o->categories, ctxprof_category_names, CTXPROF_N_CATEGORIES, &mask,
                               bad, sizeof bad) != 0)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "%s: [hotspots] categories: '%s' is not a category (ctxprof help "
                             "categories lists them)",
                             o->file, bad);
    double *cx = malloc(n * sizeof *cx), *cy = malloc(n * sizeof *cy);
    int rc = cx && cy ? 0 : ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory");
    for (int c = 0; c < CTXPROF_N_CATEGORIES && !rc; c++) {
        if (!(mask & (1u << c)))
            continue;
        const char *name = ctxprof_category_names[c];
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (cats[i] & (1u << c)) {
                cx[m] = x[i];
                cy[m++] = y[i];
            }
        if (m == 0) {
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "hotspots: no incident of category %s, so no density surface of its own",
                        name);
            rc = ctxprof_output_metaf(ctx, out, CPLSPrintf("hotspots.%s.skipped", name), "%s",
                                      "no incidents");
            continue;
        }
        size_t k = *n_per;
        if ((rc = ctxprof_kde_run(ctx, &ras[k], cx, cy, NULL, m, ko)) ||
            (rc = ctxprof_hotspots_run(ctx, &hs[k], &ras[k], cx, cy, m, ho)))
            break;
        per[k] = (ctxprof_hotspot_set){name, &ras[k], &hs[k]};
        *n_per = k + 1;
        rc = ctxprof_output_metaf(ctx, out, CPLSPrintf("hotspots.%s.n_incidents", name), "%zu", m);
    }
    free(cx);
    free(cy);
    return rc;
}

int ctxprof_hotspots_stage(ctxprof_ctx *ctx, ctxprof_output *out,
                           const ctxprof_hotspots_stage_options *o, const double *x,
                           const double *y, const uint32_t *cats, size_t n)
{
    if (n == 0)
        return 0;
    int rc = 0;
    ctxprof_kde_options ko = CTXPROF_KDE_OPTIONS_INIT;
    double radius = o->radius_m;
    ko.radius = isnan(radius) ? 0 : radius; /* empty: the default rule */
    /* Every incident at one place (or a single one) has no spread for the
     * default bandwidth: the run's other layers still stand, so hotspots are
     * left out with a warning rather than failing the whole run. Any other
     * failure (out of memory) fails it. The bandwidth found here is the one
     * the density uses: it is not worked out twice. */
    if (!(ko.radius > 0) && (rc = ctxprof_kde_default_bandwidth(ctx, &ko.radius, x, y, NULL, n))) {
        if (rc != CTXPROF_E_INPUT)
            return rc;
        ctxprof_error_clear(ctx);
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "hotspots skipped: the %zu incident(s) all lie at one place, so the default "
                    "bandwidth is undefined; set [hotspots] radius_m",
                    n);
        return ctxprof_output_meta(ctx, out, "hotspots.skipped",
                                   "all incidents at one place; no radius_m");
    }
    ko.pixel = o->pixel_m;
    const char *kernel = o->kernel;
    int k = ctxprof_kernel_parse(kernel);
    if (k < 0)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "%s: [hotspots] kernel '%s' is not quartic, triangular, uniform, "
                             "triweight or epanechnikov",
                             o->file, kernel);
    ko.kernel = (ctxprof_kernel)k;
    ctxprof_hotspot_options ho = CTXPROF_HOTSPOT_OPTIONS_INIT;
    ho.area_share = o->area_share;
    ctxprof_gistar_options go = CTXPROF_GISTAR_OPTIONS_INIT;
    go.cell = o->gistar_cell_m;
    go.band = o->gistar_band_m;
    OGRGeometryH study = NULL;
    char *wkt = NULL;
    OSRExportToWkt(ctxprof_output_srs(out), &wkt);
    const char *sa = o->study_area;
    if (sa)
        rc = ctxprof_hotspots_study_area(ctx, &study, sa, wkt);
    ho.study_area = go.study_area = study;
    ctxprof_raster d = {0}, ras[CTXPROF_N_CATEGORIES] = {{0}};
    ctxprof_hotspots h = {0}, hs[CTXPROF_N_CATEGORIES] = {{0}};
    ctxprof_hotspot_set per[CTXPROF_N_CATEGORIES];
    size_t n_per = 0;
    ctxprof_gistar g = {0};
    if (!rc && !(rc = ctxprof_kde_run(ctx, &d, x, y, NULL, n, &ko)) &&
        !(rc = ctxprof_hotspots_run(ctx, &h, &d, x, y, n, &ho)) &&
        !(rc = ctxprof_gistar_run(ctx, &g, x, y, n, &go))) {
        ko.radius = d.radius; /* each category's surface: the same kernel */
        if (!(rc = category_sets(ctx, out, o, &ko, &ho, x, y, cats, n, per, ras, hs, &n_per)) &&
            !(rc = ctxprof_write_hotspots(ctx, out, &d, &h, &g, per, n_per)))
            rc = ctxprof_output_metaf(ctx, out, "param.hotspots.radius_used_m", "%.1f", d.radius);
    }
    for (int c = 0; c < CTXPROF_N_CATEGORIES; c++) {
        ctxprof_raster_clear(&ras[c]);
        ctxprof_hotspots_free(&hs[c]);
    }
    ctxprof_raster_clear(&d);
    ctxprof_hotspots_free(&h);
    ctxprof_gistar_free(&g);
    if (study)
        OGR_G_DestroyGeometry(study);
    CPLFree(wkt);
    return rc;
}
