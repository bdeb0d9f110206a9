#include "hotspots/hotspots.h"

#include "core/polygons.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_srs_api.h>

/* ---------------------------------------------------------------------------
 * The study-area mask: cells whose centre lies in the study area (or in the
 * points' bounding box), and its area A. */

static int area_mask(ctxprof_ctx *ctx, unsigned char **maskp, double *area, int cols, int rows,
                     const double gt[6], OGRGeometryH study, const double *x, const double *y,
                     size_t n)
{
    size_t ncell = (size_t)cols * (size_t)rows;
    unsigned char *m = calloc(ncell ? ncell : 1, 1);
    if (!m)
        return ctxprof_error(ctx, CTXPROF_E_NOMEM, "hotspots: out of memory");
    if (study) {
        GDALDriverH mem = GDALGetDriverByName("MEM");
        GDALDatasetH ds = mem ? GDALCreate(mem, "", cols, rows, 1, GDT_Byte, NULL) : NULL;
        if (!ds) {
            free(m);
            return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "hotspots: no MEM raster driver");
        }
        double g[6];
        memcpy(g, gt, sizeof g);
        GDALSetGeoTransform(ds, g);
        int band = 1;
        double burn = 1;
        OGRGeometryH geoms[1] = {study};
        CPLErr err =
            GDALRasterizeGeometries(ds, 1, &band, 1, geoms, NULL, NULL, &burn, NULL, NULL, NULL);
        if (err == CE_None)
            err = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, cols, rows, m, cols, rows,
                               GDT_Byte, 0, 0);
        GDALClose(ds);
        if (err != CE_None) {
            free(m);
            ctxprof_error(ctx, CTXPROF_E_GEOM, "hotspots: cannot rasterise the study area");
            ctxprof_error_append_lib(ctx);
            return CTXPROF_E_GEOM;
        }
        *area = OGR_G_Area(study);
    } else {
        double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            x0 = fmin(x0, x[i]);
            x1 = fmax(x1, x[i]);
            y0 = fmin(y0, y[i]);
            y1 = fmax(y1, y[i]);
        }
        double px = gt[1];
        for (int r = 0; r < rows; r++) {
            double cy = gt[3] - (r + 0.5) * px;
            for (int c = 0; c < cols; c++) {
                double cx = gt[0] + (c + 0.5) * px;
                m[(size_t)r * cols + c] = cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1;
            }
        }
        *area = n ? (x1 - x0) * (y1 - y0) : 0;
    }
    *maskp = m;
    return 0;
}

/* Cell of a point, or -1 outside the grid. */
static long cell_of(const double gt[6], int cols, int rows, double x, double y)
{
    double c = floor((x - gt[0]) / gt[1]), r = floor((gt[3] - y) / -gt[5]);
    if (c < 0 || r < 0 || c >= cols || r >= rows)
        return -1;
    return (long)r * cols + (long)c;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* The threshold selecting the densest masked cells covering share * A:
 * the density of the k-th densest positive cell, k = floor(share*A/cell). */
static int select_threshold(ctxprof_ctx *ctx, const ctxprof_raster *d, const unsigned char *m,
                            double area, double share, float *thr)
{
    size_t ncell = (size_t)d->cols * d->rows, nc = 0;
    float *v = malloc(ctxprof_size_mul(ncell ? ncell : 1, sizeof *v));
    if (!v)
        return ctxprof_error(ctx, CTXPROF_E_NOMEM, "hotspots: out of memory");
    for (size_t c = 0; c < ncell; c++)
        if (m[c] && d->data[c] != d->nodata && d->data[c] > 0)
            v[nc++] = d->data[c];
    double cell = d->gt[1] * d->gt[1];
    size_t k = (size_t)floor(share * area / cell + 1e-9);
    if (nc == 0 || k == 0) {
        free(v);
        *thr = INFINITY;
        return 0;
    }
    qsort(v, nc, sizeof *v, cmp_desc);
    *thr = v[(k < nc ? k : nc) - 1];
    free(v);
    return 0;
}

void ctxprof_hotspots_free(ctxprof_hotspots *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        OGR_G_DestroyGeometry(h->geom[i]);
    free(h->geom);
    free(h->n_incidents);
    free(h->area_m2);
    free(h->share_incidents);
    free(h->share_area);
    free(h->pai);
    free(h->peak);
    memset(h, 0, sizeof *h);
}

typedef struct {
    int label;
    long long n;
    size_t cells;
    double peak;
    OGRGeometryH g;
} spot;

static int cmp_spot(const void *a, const void *b)
{
    const spot *s = a, *t = b;
    if (s->n != t->n)
        return s->n < t->n ? 1 : -1;
    if (s->peak != t->peak)
        return s->peak < t->peak ? 1 : -1;
    return s->label - t->label;
}

int ctxprof_hotspots_run(ctxprof_ctx *ctx, ctxprof_hotspots *h, const ctxprof_raster *d,
                         const double *x, const double *y, size_t n,
                         const ctxprof_hotspot_options *o)
{
    int rc = 0;
    memset(h, 0, sizeof *h);
    if (!(o->area_share > 0 && o->area_share <= 1))
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "hotspots: area share %g must be in (0, 1], e.g. 0.05", o->area_share);
    int cols = d->cols, rows = d->rows;
    size_t ncell = (size_t)cols * rows;
    unsigned char *m = NULL;
    int32_t *label = NULL;
    size_t *queue = NULL;
    spot *spots = NULL;
    size_t nspots = 0;
    GDALDatasetH mds = NULL, vds = NULL;
    double area;
    float thr;
    if ((rc = area_mask(ctx, &m, &area, cols, rows, d->gt, o->study_area, x, y, n)))
        goto done;
    h->study_area_m2 = area;
    if (!(area > 0)) {
        rc = ctxprof_error(ctx, CTXPROF_E_INPUT, "hotspots: the study area has no area");
        goto done;
    }
    if ((rc = select_threshold(ctx, d, m, area, o->area_share, &thr)))
        goto done;
    h->threshold = thr;
    label = calloc(ncell ? ncell : 1, sizeof *label);
    queue = malloc(ctxprof_size_mul(ncell ? ncell : 1, sizeof *queue));
    if (!label || !queue) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "hotspots: out of memory");
        goto done;
    }
    /* 4-connected groups of selected cells (what GDALPolygonize joins). */
    size_t cap = 0;
    for (size_t c = 0; c < ncell; c++) {
        if (label[c] || !m[c] || d->data[c] == d->nodata || !(d->data[c] >= thr) ||
            !(d->data[c] > 0))
            continue;
        if (nspots == cap) {
            cap = cap ? cap * 2 : 64;
            spot *s2 = realloc(spots, ctxprof_size_mul(cap, sizeof *s2));
            if (!s2) {
                rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "hotspots: out of memory");
                goto done;
            }
            spots = s2;
        }
        int id = (int)nspots + 1;
        spot *s = &spots[nspots++];
        memset(s, 0, sizeof *s);
        s->label = id;
        size_t qh = 0, qt = 0;
        queue[qt++] = c;
        label[c] = id;
        while (qh < qt) {
            size_t q = queue[qh++];
            s->cells++;
            if (d->data[q] > s->peak)
                s->peak = d->data[q];
            long r = (long)(q / cols), cc = (long)(q % cols);
            long nb[4][2] = {{r - 1, cc}, {r + 1, cc}, {r, cc - 1}, {r, cc + 1}};
            for (int k = 0; k < 4; k++) {
                if (nb[k][0] < 0 || nb[k][0] >= rows || nb[k][1] < 0 || nb[k][1] >= cols)
                    continue;
                size_t t = (size_t)nb[k][0] * cols + (size_t)nb[k][1];
                if (!label[t] && m[t] && d->data[t] != d->nodata && d->data[t] >= thr &&
                    d->data[t] > 0) {
                    label[t] = id;
                    queue[qt++] = t;
                }
            }
        }
        h->cells_selected += s->cells;
    }
    /* Points: N counts those in the study area. */
    for (size_t i = 0; i < n; i++) {
        long c = cell_of(d->gt, cols, rows, x[i], y[i]);
        if (o->study_area) {
            if (c < 0 || !m[c])
                continue;
        }
        h->n_total++;
        if (c >= 0 && label[c])
            spots[label[c] - 1].n++;
    }
    if (nspots) {
        /* Polygonise the labels: one polygon per group. */
        GDALDriverH mem = GDALGetDriverByName("MEM");
        mds = GDALCreate(mem, "", cols, rows, 1, GDT_Int32, NULL);
        GDALDriverH vmem = GDALGetDriverByName("Memory");
        vds = vmem ? GDALCreate(vmem, "", 0, 0, 0, GDT_Unknown, NULL) : NULL;
        if (!mds || !vds) {
            rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL, "hotspots: no in-memory GDAL drivers");
            goto done;
        }
        double g[6];
        memcpy(g, d->gt, sizeof g);
        GDALSetGeoTransform(mds, g);
        GDALRasterBandH band = GDALGetRasterBand(mds, 1);
        if (GDALRasterIO(band, GF_Write, 0, 0, cols, rows, label, cols, rows, GDT_Int32, 0, 0) !=
            CE_None) {
            rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL, "hotspots: cannot fill the label raster");
            goto done;
        }
        OGRLayerH lyr = GDALDatasetCreateLayer(vds, "spots", NULL, wkbPolygon, NULL);
        OGRFieldDefnH fd = OGR_Fld_Create("label", OFTInteger);
        OGR_L_CreateField(lyr, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (GDALPolygonize(band, band, lyr, 0, NULL, NULL, NULL) != CE_None) {
            rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "hotspots: polygonising the hotspots failed");
            ctxprof_error_append_lib(ctx);
            goto done;
        }
        OGRFeatureH f;
        OGR_L_ResetReading(lyr);
        while ((f = OGR_L_GetNextFeature(lyr))) {
            int id = OGR_F_GetFieldAsInteger(f, 0);
            if (id >= 1 && (size_t)id <= nspots) {
                OGRGeometryH gg = OGR_F_StealGeometry(f);
                spot *s = &spots[id - 1];
                if (s->g) {
                    /* Two polygons for one group should not happen with
                     * 4-connected groups; join them if it does. */
                    OGRGeometryH u = OGR_G_Union(s->g, gg);
                    OGR_G_DestroyGeometry(s->g);
                    OGR_G_DestroyGeometry(gg);
                    gg = u;
                }
                s->g = gg;
            }
            OGR_F_Destroy(f);
        }
        qsort(spots, nspots, sizeof *spots, cmp_spot);
    }
    h->n = nspots;
    if (nspots) {
        h->geom = calloc(nspots, sizeof *h->geom);
        h->n_incidents = calloc(nspots, sizeof *h->n_incidents);
        h->area_m2 = calloc(nspots, sizeof(double));
        h->share_incidents = calloc(nspots, sizeof(double));
        h->share_area = calloc(nspots, sizeof(double));
        h->pai = calloc(nspots, sizeof(double));
        h->peak = calloc(nspots, sizeof(double));
        if (!h->geom || !h->n_incidents || !h->area_m2 || !h->share_incidents || !h->share_area ||
            !h->pai || !h->peak) {
            h->n = 0;
            rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "hotspots: out of memory");
            goto done;
        }
    }
    double cell = d->gt[1] * d->gt[1];
    for (size_t i = 0; i < nspots; i++) {
        spot *s = &spots[i];
        h->geom[i] = s->g;
        s->g = NULL;
        h->n_incidents[i] = s->n;
        h->area_m2[i] = (double)s->cells * cell;
        h->share_area[i] = h->area_m2[i] / area;
        h->share_incidents[i] = h->n_total ? (double)s->n / (double)h->n_total : 0;
        h->pai[i] = h->share_area[i] > 0 ? h->share_incidents[i] / h->share_area[i] : 0;
        h->peak[i] = s->peak;
    }
done:
    for (size_t i = 0; spots && i < nspots; i++)
        if (spots[i].g)
            OGR_G_DestroyGeometry(spots[i].g);
    free(spots);
    free(m);
    free(label);
    free(queue);
    if (mds)
        GDALClose(mds);
    if (vds)
        GDALClose(vds);
    if (rc)
        ctxprof_hotspots_free(h);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Gi*. */

void ctxprof_gistar_free(ctxprof_gistar *g)
{
    if (!g)
        return;
    free(g->col);
    free(g->row);
    free(g->count);
    free(g->z);
    free(g->p);
    free(g->bin);
    memset(g, 0, sizeof *g);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ctxprof_bh_threshold(const double *p, size_t n, double q)
{
    if (!n)
        return 0;
    double *s = malloc(ctxprof_size_mul(n, sizeof *s));
    if (!s)
        return 0;
    memcpy(s, p, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double t = 0;
    for (size_t k = n; k >= 1; k--)
        if (s[k - 1] <= (double)k / (double)n * q) {
            t = s[k - 1];
            break;
        }
    free(s);
    return t;
}

int ctxprof_gistar_run(ctxprof_ctx *ctx, ctxprof_gistar *g, const double *x, const double *y,
                       size_t n, const ctxprof_gistar_options *o)
{
    int rc = 0;
    memset(g, 0, sizeof *g);
    if (!(o->cell > 0) || !(o->band >= 0))
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "gistar: cell %g must be positive and band %g not negative", o->cell,
                             o->band);
    double x0, y0, x1, y1;
    if (o->study_area) {
        OGREnvelope e;
        OGR_G_GetEnvelope(o->study_area, &e);
        x0 = e.MinX;
        y0 = e.MinY;
        x1 = e.MaxX;
        y1 = e.MaxY;
    } else {
        if (!n)
            return ctxprof_error(ctx, CTXPROF_E_INPUT, "gistar: no points");
        x0 = y0 = INFINITY;
        x1 = y1 = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            x0 = fmin(x0, x[i]);
            x1 = fmax(x1, x[i]);
            y0 = fmin(y0, y[i]);
            y1 = fmax(y1, y[i]);
        }
    }
    double cs = o->cell;
    double gx0 = floor(x0 / cs) * cs, gy1 = ceil(y1 / cs) * cs;
    double fc = fmax(ceil((x1 - gx0) / cs), 1), fr = fmax(ceil((gy1 - y0) / cs), 1);
    if (x1 == gx0 + fc * cs)
        fc++;
    if (y0 == gy1 - fr * cs)
        fr++;
    if (fc * fr > 1e8)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "gistar: %.0f x %.0f cells of %g is too many; use a larger cell", fc,
                             fr, cs);
    int cols = (int)fc, rows = (int)fr;
    double gt[6] = {gx0, cs, 0, gy1, 0, -cs};
    g->cols = cols;
    g->rows = rows;
    memcpy(g->gt, gt, sizeof gt);
    size_t ncell = (size_t)cols * rows;
    unsigned char *m = NULL;
    long long *cnt = calloc(ncell, sizeof *cnt);
    long *idx = malloc(ctxprof_size_mul(ncell, sizeof *idx));
    int *off = NULL;
    size_t noff = 0;
    double area;
    if (!cnt || !idx) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "gistar: out of memory");
        goto done;
    }
    if ((rc = area_mask(ctx, &m, &area, cols, rows, gt, o->study_area, x, y, n)))
        goto done;
    if (!o->study_area)
        memset(m, 1, ncell); /* every cell of the points' grid */
    for (size_t i = 0; i < n; i++) {
        long c = cell_of(gt, cols, rows, x[i], y[i]);
        if (c >= 0 && m[c])
            cnt[c]++;
    }
    size_t nin = 0;
    for (size_t c = 0; c < ncell; c++)
        idx[c] = m[c] ? (long)nin++ : -1;
    g->n_cells = nin;
    if (nin < 2) {
        rc = ctxprof_error(ctx, CTXPROF_E_INPUT, "gistar: fewer than two cells in the study area");
        goto done;
    }
    g->col = malloc(ctxprof_size_mul(nin, sizeof(int)));
    g->row = malloc(ctxprof_size_mul(nin, sizeof(int)));
    g->count = malloc(ctxprof_size_mul(nin, sizeof(long long)));
    g->z = malloc(ctxprof_size_mul(nin, sizeof(double)));
    g->p = malloc(ctxprof_size_mul(nin, sizeof(double)));
    g->bin = calloc(nin, sizeof(int));
    /* Neighbourhood offsets: centres within the band, the cell itself included. */
    int reach = (int)floor(o->band / cs + 1e-9);
    size_t side = (size_t)(2 * reach + 1);
    off = malloc(ctxprof_size_mul(ctxprof_size_mul(side, side), 2 * sizeof(int)));
    if (!g->col || !g->row || !g->count || !g->z || !g->p || !g->bin || !off) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "gistar: out of memory");
        goto done;
    }
    for (int dr = -reach; dr <= reach; dr++)
        for (int dc = -reach; dc <= reach; dc++)
            if ((double)(dr * dr + dc * dc) * cs * cs <= o->band * o->band * (1 + 1e-12)) {
                off[2 * noff] = dr;
                off[2 * noff + 1] = dc;
                noff++;
            }
    double sx = 0, sxx = 0;
    for (size_t c = 0; c < ncell; c++)
        if (m[c]) {
            sx += (double)cnt[c];
            sxx += (double)cnt[c] * (double)cnt[c];
        }
    double nn = (double)nin, mean = sx / nn, s = sqrt(fmax(sxx / nn - mean * mean, 0));
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            long k = idx[(size_t)r * cols + c];
            if (k < 0)
                continue;
            double wsum = 0, wx = 0;
            for (size_t t = 0; t < noff; t++) {
                int rr = r + off[2 * t], cc = c + off[2 * t + 1];
                if (rr < 0 || rr >= rows || cc < 0 || cc >= cols)
                    continue;
                size_t q = (size_t)rr * cols + cc;
                if (!m[q])
                    continue;
                wsum += 1;
                wx += (double)cnt[q];
            }
            /* Ord & Getis (1995), binary weights (w^2 = w). */
            double den = s * sqrt((nn * wsum - wsum * wsum) / (nn - 1));
            double z = den > 0 ? (wx - mean * wsum) / den : 0;
            g->col[k] = c;
            g->row[k] = r;
            g->count[k] = cnt[(size_t)r * cols + c];
            g->z[k] = z;
            g->p[k] = erfc(fabs(z) / sqrt(2.0));
        }
    /* Bins: significant at 90, 95 and 99% after Benjamini-Hochberg. */
    static const double q[3] = {0.10, 0.05, 0.01};
    for (int lv = 0; lv < 3; lv++) {
        double t = ctxprof_bh_threshold(g->p, nin, q[lv]);
        for (size_t k = 0; k < nin; k++)
            if (t > 0 && g->p[k] <= t && g->z[k] != 0)
                g->bin[k] = g->z[k] > 0 ? lv + 1 : -(lv + 1);
    }
done:
    free(m);
    free(cnt);
    free(idx);
    free(off);
    if (rc)
        ctxprof_gistar_free(g);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Evaluation. */

int ctxprof_hotspots_evaluate(ctxprof_ctx *ctx, ctxprof_eval *out, const double *coverage,
                              size_t n_cov, const ctxprof_raster *d, const double *tx,
                              const double *ty, size_t tn, const double *vx, const double *vy,
                              size_t vn, OGRGeometryH study_area)
{
    int rc = 0;
    unsigned char *m = NULL;
    double area;
    long *tc = malloc(ctxprof_size_mul(tn ? tn : 1, sizeof *tc)),
         *vc = malloc(ctxprof_size_mul(vn ? vn : 1, sizeof *vc));
    if (!tc || !vc) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "evaluate: out of memory");
        goto done;
    }
    if ((rc = area_mask(ctx, &m, &area, d->cols, d->rows, d->gt, study_area, tx, ty, tn)))
        goto done;
    long long ntr = 0, nte = 0;
    for (size_t i = 0; i < tn; i++) {
        tc[i] = cell_of(d->gt, d->cols, d->rows, tx[i], ty[i]);
        if (tc[i] >= 0 && !m[tc[i]])
            tc[i] = -1;
        if (tc[i] >= 0 || !study_area)
            ntr++;
    }
    for (size_t i = 0; i < vn; i++) {
        vc[i] = cell_of(d->gt, d->cols, d->rows, vx[i], vy[i]);
        if (vc[i] >= 0 && !m[vc[i]])
            vc[i] = -1;
        if (vc[i] >= 0 || !study_area)
            nte++;
    }
    double cell = d->gt[1] * d->gt[1];
    for (size_t k = 0; k < n_cov; k++) {
        ctxprof_eval *e = &out[k];
        memset(e, 0, sizeof *e);
        e->coverage = coverage[k];
        float thr;
        if ((rc = select_threshold(ctx, d, m, area, coverage[k], &thr)))
            goto done;
        e->threshold = thr;
        size_t cells = 0;
        for (size_t c = 0; c < (size_t)d->cols * d->rows; c++)
            if (m[c] && d->data[c] != d->nodata && d->data[c] > 0 && d->data[c] >= thr)
                cells++;
        e->area_m2 = (double)cells * cell;
#define SELECTED(c) ((c) >= 0 && d->data[c] != d->nodata && d->data[c] > 0 && d->data[c] >= thr)
        for (size_t i = 0; i < tn; i++)
            e->n_train += SELECTED(tc[i]);
        for (size_t i = 0; i < vn; i++)
            e->n_test += SELECTED(vc[i]);
#undef SELECTED
        double sa = area > 0 ? e->area_m2 / area : 0;
        e->pai_train = sa > 0 && ntr ? ((double)e->n_train / ntr) / sa : 0;
        e->pai_test = sa > 0 && nte ? ((double)e->n_test / nte) / sa : 0;
        e->rri =
            e->n_train && nte && ntr ? ((double)e->n_test / e->n_train) / ((double)nte / ntr) : 0;
    }
done:
    free(m);
    free(tc);
    free(vc);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Output. */

static int write_raster(ctxprof_ctx *ctx, ctxprof_output *out, const char *name,
                        const ctxprof_raster *d)
{
    return ctxprof_output_raster(ctx, out, name, d->data, d->cols, d->rows, d->gt, d->nodata);
}

int ctxprof_write_hotspots(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_raster *d,
                           const ctxprof_hotspots *h, const ctxprof_gistar *g,
                           const ctxprof_hotspot_set *per, size_t n_per)
{
    int rc = 0;
    OGRLayerH lyr;
    if (d && (rc = write_raster(ctx, out, "hotspot_density", d)))
        return rc;
    for (size_t k = 0; k < n_per && !rc; k++)
        if (per[k].d) {
            char *name = CPLStrdup(CPLSPrintf("hotspot_density_%s", per[k].category));
            rc = write_raster(ctx, out, name, per[k].d);
            CPLFree(name);
        }
    if (rc)
        return rc;
    if (h) {
        static const ctxprof_column cols[] = {
            {"hotspot_id", OFTInteger},
            {"rank", OFTInteger},
            {"area_m2", OFTReal},
            {"n_incidents", OFTInteger64},
            {"share_incidents", OFTReal},
            {"share_area", OFTReal},
            {"pai", OFTReal},
            {"peak_density", OFTReal},
            {"category", OFTString},
        };
        if ((rc = ctxprof_output_layer(ctx, out, &lyr, "hotspots", wkbPolygon, cols,
                                       sizeof cols / sizeof cols[0])))
            return rc;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        int id = 0;
        for (size_t k = 0; k <= n_per && !rc; k++) {
            /* every incident's hotspots, then each category's */
            const ctxprof_hotspots *s = k ? per[k - 1].h : h;
            for (size_t i = 0; s && i < s->n && !rc; i++) {
                OGR_F_SetFID(f, OGRNullFID);
                OGR_F_SetFieldInteger(f, 0, ++id);
                OGR_F_SetFieldInteger(f, 1, (int)i + 1);
                OGR_F_SetFieldDouble(f, 2, s->area_m2[i]);
                OGR_F_SetFieldInteger64(f, 3, s->n_incidents[i]);
                OGR_F_SetFieldDouble(f, 4, s->share_incidents[i]);
                OGR_F_SetFieldDouble(f, 5, s->share_area[i]);
                OGR_F_SetFieldDouble(f, 6, s->pai[i]);
                OGR_F_SetFieldDouble(f, 7, s->peak[i]);
                OGR_F_SetFieldString(f, 8, k ? per[k - 1].category : "all");
                OGR_F_SetGeometry(f, s->geom[i]);
                rc = ctxprof_output_write(ctx, out, lyr, f);
            }
        }
        OGR_F_Destroy(f);
        if (rc || (rc = ctxprof_output_end_layer(ctx, out)))
            return rc;
    }
    if (g) {
        static const ctxprof_column cols[] = {
            {"n", OFTInteger64}, {"z", OFTReal}, {"p", OFTReal}, {"bin", OFTInteger}};
        if ((rc = ctxprof_output_layer(ctx, out, &lyr, "hotspot_gistar", wkbPolygon, cols, 4)))
            return rc;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        for (size_t k = 0; k < g->n_cells && !rc; k++) {
            double x0 = g->gt[0] + g->col[k] * g->gt[1], y1 = g->gt[3] + g->row[k] * g->gt[5];
            double x1 = x0 + g->gt[1], y0 = y1 + g->gt[5];
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
            OGR_G_AddPoint_2D(ring, x0, y0);
            OGR_G_AddPoint_2D(ring, x1, y0);
            OGR_G_AddPoint_2D(ring, x1, y1);
            OGR_G_AddPoint_2D(ring, x0, y1);
            OGR_G_AddPoint_2D(ring, x0, y0);
            OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
            OGR_G_AddGeometryDirectly(poly, ring);
            OGR_F_SetFID(f, OGRNullFID);
            OGR_F_SetFieldInteger64(f, 0, g->count[k]);
            OGR_F_SetFieldDouble(f, 1, g->z[k]);
            OGR_F_SetFieldDouble(f, 2, g->p[k]);
            OGR_F_SetFieldInteger(f, 3, g->bin[k]);
            OGR_F_SetGeometryDirectly(f, poly);
            rc = ctxprof_output_write(ctx, out, lyr, f);
        }
        OGR_F_Destroy(f);
        if (rc || (rc = ctxprof_output_end_layer(ctx, out)))
            return rc;
    }
    return 0;
}

int ctxprof_hotspots_study_area(ctxprof_ctx *ctx, OGRGeometryH *outg, const char *uri,
                                const char *srs_wkt)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    GEOSGeometry *g = NULL;
    *outg = NULL;
    int rc = ctxprof_study_area_read(ctx, &g, uri, srs_wkt);
    if (rc)
        return rc;
    size_t n = 0;
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(h);
    unsigned char *wkb = w ? GEOSWKBWriter_write_r(h, w, g, &n) : NULL;
    if (!wkb || OGR_G_CreateFromWkb(wkb, NULL, outg, (int)n) != OGRERR_NONE) {
        *outg = NULL;
        rc = ctxprof_error(ctx, CTXPROF_E_GEOM, "%s: cannot convert the study area", uri);
    }
    if (wkb)
        GEOSFree_r(h, wkb);
    if (w)
        GEOSWKBWriter_destroy_r(h, w);
    GEOSGeom_destroy_r(h, g);
    return rc;
}
