/* The hotspots stage of `ctxprof run`: the density surface of every
 * incident, hotspot polygons with PAI, and Gi* cells, from the profile's
 * [hotspots] settings, written into the run's output. */
#include <math.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include "hotspots/hotspots.h"
#include "hotspots/stage.h"

int ctxprof_hotspots_stage(ctxprof_ctx *ctx, ctxprof_output *out,
                           const ctxprof_hotspots_stage_options *o, const double *x,
                           const double *y, size_t n)
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
    ctxprof_raster d = {0};
    ctxprof_hotspots h = {0};
    ctxprof_gistar g = {0};
    if (!rc && !(rc = ctxprof_kde_run(ctx, &d, x, y, NULL, n, &ko)) &&
        !(rc = ctxprof_hotspots_run(ctx, &h, &d, x, y, n, &ho)) &&
        !(rc = ctxprof_gistar_run(ctx, &g, x, y, n, &go)) &&
        !(rc = ctxprof_write_hotspots(ctx, out, &d, &h, &g)))
        rc = ctxprof_output_metaf(ctx, out, "param.hotspots.radius_used_m", "%.1f", d.radius);
    ctxprof_raster_clear(&d);
    ctxprof_hotspots_free(&h);
    ctxprof_gistar_free(&g);
    if (study)
        OGR_G_DestroyGeometry(study);
    CPLFree(wkt);
    return rc;
}
