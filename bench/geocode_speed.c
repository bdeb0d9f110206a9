/* Geocoding throughput on one core, for coordinate, postcode and address
 * records: builds the sample gazetteer, makes N records of each kind from
 * it, and times ctxprof_geocode alone (no file reading or writing).
 *   bench/geocode_speed PROFILE.ini [N]      (built by `make bench`) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include "geocode/gazetteer.h"
#include "hotspots/hotspots.h"
#include "geocode/geocode.h"
#include "profile/profile.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: geocode_speed PROFILE.ini [N]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_profile *p = NULL;
    ctxprof_gazetteer *gz = NULL;
    ctxprof_geocoder *gc = NULL;
    /* The study area, prepared, as the loader has it: every coordinate is
     * checked against it. */
    OGRGeometryH area = NULL;
    const GEOSPreparedGeometry *prep = NULL;
    GEOSGeometry *garea = NULL;
    char *wkt = NULL;
    OGRSpatialReferenceH bng = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(bng, 27700);
    OSRExportToWkt(bng, &wkt);
    OSRDestroySpatialReference(bng);
    if (ctxprof_profile_load(ctx, &p, argv[1]) == 0 &&
        ctxprof_study_area_read(ctx, &area, ctxprof_profile_load_options(p)->study_area, wkt) ==
            0) {
        int nb = OGR_G_WkbSize(area);
        unsigned char *wkb = CPLMalloc((size_t)nb);
        OGR_G_ExportToWkb(area, wkbNDR, wkb);
        garea = GEOSGeomFromWKB_buf_r(ctxprof_geos(ctx), wkb, (size_t)nb);
        prep = GEOSPrepare_r(ctxprof_geos(ctx), garea);
        CPLFree(wkb);
    }
    if (!p || !prep ||
        ctxprof_gazetteer_from_options(ctx, &gz, &ctxprof_profile_load_options(p)->gazetteer) ||
        !gz || ctxprof_geocoder_new(ctx, &gc, "EPSG:27700", gz, prep)) {
        fprintf(stderr, "geocode_speed: %s\n", ctxprof_errmsg(ctx));
        return 1;
    }
    size_t units, sectors, districts, streets, places;
    ctxprof_gz_counts(gz, &units, &sectors, &districts, &streets, &places);
    /* Records drawn from the gazetteer itself: every one should be placed. */
    char(*pcs)[CTXPROF_PC_LEN] = calloc(units, sizeof *pcs);
    double *xs = calloc(units, sizeof *xs), *ys = calloc(units, sizeof *ys);
    size_t k = 0;
    /* Postcodes from the profile's postcode file (Code-Point Open). */
    FILE *f = fopen(ctxprof_profile_load_options(p)->gazetteer.postcodes, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f) && k < units) {
        char pc[CTXPROF_PC_LEN];
        char *q = strchr(line + 1, '"');
        if (!q)
            continue;
        *q = '\0';
        if (ctxprof_postcode_normalise(line + 1, pc) != CTXPROF_PC_UNIT || !ctxprof_gz_unit(gz, pc))
            continue;
        memcpy(pcs[k], pc, CTXPROF_PC_LEN);
        xs[k] = ctxprof_gz_unit(gz, pc)->x;
        ys[k] = ctxprof_gz_unit(gz, pc)->y;
        k++;
    }
    if (f)
        fclose(f);
    char(*addr)[160] = calloc(streets, sizeof *addr);
    for (size_t i = 0; i < streets; i++)
        snprintf(addr[i], sizeof addr[i], "%zu %s, Northbrook", i + 1,
                 ctxprof_gz_street_at(gz, (int)i)->name);
    ctxprof_geo_result r;
    const char *empty = "";
    struct {
        const char *what;
        long n;
    } kinds[] = {{"coordinates (BNG)", n}, {"postcodes", n}, {"addresses (no postcode)", n / 10}};
    for (int kind = 0; kind < 3; kind++) {
        long placed = 0;
        double t0 = now();
        for (long i = 0; i < kinds[kind].n; i++) {
            ctxprof_geo_input in = {NAN, NAN, NAN, NAN, NULL, empty, empty, empty, empty, empty};
            size_t j = (size_t)i % k;
            if (kind == 0) {
                in.x = xs[j];
                in.y = ys[j];
            } else if (kind == 1) {
                in.postcode = pcs[j];
            } else {
                in.address = addr[(size_t)i % streets];
            }
            placed += ctxprof_geocode(ctx, gc, &in, &r);
        }
        double s = now() - t0;
        printf("%-26s %8ld records %6.2f s %10.0f records/s (%ld placed)\n", kinds[kind].what,
               kinds[kind].n, s, (double)kinds[kind].n / s, placed);
    }
    free(pcs);
    free(xs);
    free(ys);
    free(addr);
    ctxprof_geocoder_free(ctx, gc);
    GEOSPreparedGeom_destroy_r(ctxprof_geos(ctx), prep);
    GEOSGeom_destroy_r(ctxprof_geos(ctx), garea);
    OGR_G_DestroyGeometry(area);
    CPLFree(wkt);
    ctxprof_gazetteer_free(ctx, gz);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return 0;
}
