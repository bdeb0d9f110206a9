/* Hotspots from a density surface and the points behind it: polygons of the
 * densest cells covering a share of the study area, each with its
 * Prediction Accuracy Index (PAI, Chainey, Tompson & Uhlig 2008); Getis-Ord
 * Gi* on grid counts with a distance band and Benjamini-Hochberg FDR
 * correction; and the evaluation of one period's hotspots on a later one
 * (PAI and RRI at several area shares). docs/hotspots.md gives the
 * formulas. */
#ifndef CTXPROF_HOTSPOTS_H
#define CTXPROF_HOTSPOTS_H

#include <stddef.h>

#include <ogr_api.h>

#include "core/context.h"
#include "hotspots/kde.h"
#include "write/output.h"

typedef struct {
    double area_share;       /* share of the study area covered, e.g. 0.05 */
    OGRGeometryH study_area; /* not owned; NULL: the points' bounding box */
} ctxprof_hotspot_options;

#define CTXPROF_HOTSPOT_OPTIONS_INIT                                                               \
    {                                                                                              \
        0.05, NULL                                                                                 \
    }

typedef struct {
    size_t n;           /* hotspots, in rank order */
    OGRGeometryH *geom; /* owned polygons */
    long long *n_incidents;
    double *area_m2, *share_incidents, *share_area, *pai, *peak;
    /* The selection. */
    double threshold;     /* density of the least dense cell selected */
    double study_area_m2; /* A */
    long long n_total;    /* N: the points inside the study area */
    size_t cells_selected;
} ctxprof_hotspots;

/* Selects the densest cells of d covering opts->area_share of the study
 * area, polygonises their 4-connected groups, and counts the points (x, y)
 * in each. On success *h owns its polygons (ctxprof_hotspots_free). */
int ctxprof_hotspots_run(ctxprof_ctx *ctx, ctxprof_hotspots *h, const ctxprof_raster *d,
                         const double *x, const double *y, size_t n,
                         const ctxprof_hotspot_options *opts);
void ctxprof_hotspots_free(ctxprof_hotspots *h);

/* Getis-Ord Gi* on a grid of counts. */
typedef struct {
    double cell; /* grid cell size in map units (100) */
    double band; /* neighbours: cell centres within this distance, itself included (300) */
    OGRGeometryH study_area; /* not owned; NULL: the points' bounding box */
} ctxprof_gistar_options;

#define CTXPROF_GISTAR_OPTIONS_INIT                                                                \
    {                                                                                              \
        100.0, 300.0, NULL                                                                         \
    }

typedef struct {
    int cols, rows;
    double gt[6];
    size_t n_cells; /* cells in the study area (the Gi* population) */
    /* Per cell in the study area, in row-major order: */
    int *col, *row;
    long long *count;
    double *z, *p;
    int *bin; /* -3..3: significant at 99/95/90% after FDR correction, by sign */
} ctxprof_gistar;

int ctxprof_gistar_run(ctxprof_ctx *ctx, ctxprof_gistar *g, const double *x, const double *y,
                       size_t n, const ctxprof_gistar_options *opts);
void ctxprof_gistar_free(ctxprof_gistar *g);

/* Benjamini-Hochberg: the largest p-value declared significant at false
 * discovery rate q among p[0..n-1] (0 when none). */
double ctxprof_bh_threshold(const double *p, size_t n, double q);

/* Evaluation of hotspots from one period (the density d built on train
 * points) on a later period (test points), at each area share. */
typedef struct {
    double coverage; /* area share, e.g. 0.05 */
    double area_m2, threshold;
    long long n_train, n_test;  /* points in the selected cells */
    double pai_train, pai_test; /* (n/N) / (a/A) */
    double rri;                 /* (n_test/n_train) / (N_test/N_train) */
} ctxprof_eval;

int ctxprof_hotspots_evaluate(ctxprof_ctx *ctx, ctxprof_eval *out, const double *coverage,
                              size_t n_cov, const ctxprof_raster *d, const double *tx,
                              const double *ty, size_t tn, const double *vx, const double *vy,
                              size_t vn, OGRGeometryH study_area);

/* The density surface and hotspots of one category's incidents. */
typedef struct {
    const char *category;      /* taxonomy key */
    const ctxprof_raster *d;   /* written as hotspot_density_<category> */
    const ctxprof_hotspots *h; /* rows of hotspots with this category */
} ctxprof_hotspot_set;

/* Writes `hotspot_density` (raster), `hotspots` (polygons) and
 * `hotspot_gistar` (grid cells) into out; any of the three may be NULL. The
 * n_per per-category sets add a raster each and their hotspots, after
 * those of every incident: the hotspots' `category` column is "all" or the
 * category, `rank` counts within it and `hotspot_id` across the layer. */
int ctxprof_write_hotspots(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_raster *d,
                           const ctxprof_hotspots *h, const ctxprof_gistar *g,
                           const ctxprof_hotspot_set *per, size_t n_per);

/* The study area ("file.gpkg|layername=x") as ctxprof_study_area_read
 * (core/polygons.h) reads it for every stage, in the CRS srs_wkt, as one
 * OGR geometry (owned: OGR_G_DestroyGeometry). */
int ctxprof_hotspots_study_area(ctxprof_ctx *ctx, OGRGeometryH *out, const char *uri,
                                const char *srs_wkt);

#endif
