/* ctxprof share: the redacted, aggregate-only package (docs/sharing.md).
 *
 * Every published layer and column is on an allow-list below: a column that
 * a later stage adds to a profile layer is not shared until it is listed
 * here. One table system (src/share/sdc.h) holds every count cell of every
 * shared layer, whether or not --layers writes it, so that the suppression
 * pattern of a cell does not depend on which layers are asked for.
 */
#include "share/share.h"
#include "snap/contexts.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/strmap.h"
#include "load/taxonomy.h"
#include "run/run.h"
#include "share/sdc.h"
#include "write/output.h"

enum { K_CONTEXT, K_CORRIDORS, K_ROUTES, K_HOTSPOTS, K_GISTAR };
enum { R_TOTAL, R_CAT, R_FLAG, R_OTHER };
enum { D_SCALE, D_RANK, D_RANK_OF };
enum { MAXK = 24, MAXC = 32, MAXD = 4 };

/* Columns copied unchanged: ids and names of places, measures of the
 * places themselves (area, length, pupils on roll), never free text. The
 * context layers keep id, name and what the registry says
 * (ctxprof_context_type_def.share_keep). */
static const char *const keep_corridors[] = {
    "corridor_id", "school_a",  "school_b",      "name_a",        "name_b",
    "length_m",    "network_m", "connector_a_m", "connector_b_m", NULL};
static const char *const keep_hotspots[] = {"hotspot_id", "rank", "area_m2", "share_area", NULL};
/* Gi* cells: the significance bin only. z and p are exact functions of the
 * neighbourhood counts, from which the cell counts could be solved. */
static const char *const keep_gistar[] = {"bin", NULL};

typedef struct {
    const char *name, *base, *of;
    int how;
} derived_spec;

static const derived_spec der_context[] = {{"rate", "n_total", NULL, D_SCALE},
                                           {"rank", "n_total", NULL, D_RANK},
                                           {"rate_rank", "n_total", "rate", D_RANK_OF},
                                           {NULL, NULL, NULL, 0}};
static const derived_spec der_corridors[] = {{"per_km", "n_incidents", NULL, D_SCALE},
                                             {"rank", "n_incidents", NULL, D_RANK},
                                             {"rank_per_km", "n_incidents", "per_km", D_RANK_OF},
                                             {NULL, NULL, NULL, 0}};
static const derived_spec der_hotspots[] = {{"share_incidents", "n_incidents", NULL, D_SCALE},
                                            {"pai", "n_incidents", NULL, D_SCALE},
                                            {NULL, NULL, NULL, 0}};
static const derived_spec der_none[] = {{NULL, NULL, NULL, 0}};

typedef struct {
    const char *name;
    int kind;
    const char *id;
    const char *const *keep;
    const derived_spec *der;
    int no_geometry; /* schools: points of places, written as a table */
} layer_spec;

/* Every context type of the registry, then the other shareable layers. */
static const layer_spec other_specs[] = {
    {"corridors", K_CORRIDORS, "corridor_id", keep_corridors, der_corridors, 0},
    {"corridor_routes", K_ROUTES, "corridor_id", keep_corridors, der_corridors, 0},
    {"hotspots", K_HOTSPOTS, "hotspot_id", keep_hotspots, der_hotspots, 0},
    {"hotspot_gistar", K_GISTAR, NULL, keep_gistar, der_none, 0},
};
enum { N_OTHER = sizeof other_specs / sizeof other_specs[0] };

static layer_spec *specs;
static int N_SPECS;
const char *const *ctxprof_share_layers;
static pthread_once_t specs_once = PTHREAD_ONCE_INIT;

static void specs_build(void)
{
    size_t nt = ctxprof_n_context_types;
    layer_spec *sp = calloc(nt + N_OTHER, sizeof *sp);
    const char **names = calloc(nt + N_OTHER + 2, sizeof *names);
    const char ***keep = calloc(nt, sizeof *keep);
    if (!sp || !names || !keep)
        return;
    for (size_t t = 0; t < nt; t++) {
        const ctxprof_context_type_def *d = &ctxprof_context_types[t];
        size_t nk = 0;
        while (d->share_keep && d->share_keep[nk])
            nk++;
        if (!(keep[t] = calloc(nk + 3, sizeof **keep)))
            return;
        keep[t][0] = "id";
        keep[t][1] = "name";
        for (size_t k = 0; k < nk; k++)
            keep[t][k + 2] = d->share_keep[k];
        sp[t] = (layer_spec){d->layer, K_CONTEXT, "id", keep[t], der_context, d->share_as_table};
        names[t] = d->layer;
    }
    for (size_t k = 0; k < N_OTHER; k++) {
        sp[nt + k] = other_specs[k];
        names[nt + k] = other_specs[k].name;
    }
    names[nt + N_OTHER] = "temporal";
    free(keep); /* the lists themselves live as long as the process */
    specs = sp;
    ctxprof_share_layers = names;
    N_SPECS = (int)(nt + N_OTHER);
}

void ctxprof_share_init(void)
{
    pthread_once(&specs_once, specs_build);
}

/* weekday 0..6 x hour 0..23 and unknown (24) */
enum { HOURS = 25, SLOTS = 7 * HOURS };

typedef struct {
    const layer_spec *sp;
    OGRLayerH src;
    int want; /* written (--layers) */
    size_t n;
    OGRFeatureH *f;
    int n_keep, keep_idx[MAXK];
    int n_cnt, cnt_idx[MAXC], cnt_role[MAXC];
    char cnt_name[MAXC][40];
    int n_der, der_idx[MAXD], der_base[MAXD], der_of[MAXD];
    const derived_spec *der[MAXD];
    long *cell;             /* n * n_cnt; -1 where NULL in the source */
    unsigned char *dropped; /* n */
    double *dval;           /* n * n_der: published derived values */
    unsigned char *dstate;  /* n * n_der: 0 published, 1 NULL in source, 2 suppressed */
    ctxprof_strmap ids;     /* context id -> row */
    /* temporal of a context layer: n * SLOTS cells */
    long *tcell;
    unsigned char *tpresent;
    ctxprof_share_layer_summary *ls;
} table;

typedef struct {
    char *layer, *column, *feature, *action, *reason;
} log_row;

typedef struct {
    ctxprof_ctx *ctx;
    const ctxprof_share_options *o;
    ctxprof_share_summary *sum;
    GDALDatasetH in;
    ctxprof_sdc *s;
    table *t; /* N_SPECS */
    int want_temporal, have_temporal;
    ctxprof_share_layer_summary *temporal_ls;
    size_t n_temporal_unplaced;
    log_row *log;
    size_t n_log, cap_log;
    /* counters of layers read but not written (--layers) */
    ctxprof_share_layer_summary *scratch; /* N_SPECS + 1 */
} share;

/* The published value of a cell: rounded half up to a multiple of R. The
 * value is at most CTXPROF_SDC_MAX_VALUE (2^40) and R at most 1000, so no
 * step can overflow. */
static int64_t published(const share *sh, long cell)
{
    int64_t v = ctxprof_sdc_value(sh->s, cell), r = sh->o->round, k = sh->o->min_count;
    if (r <= 0 || v == 0)
        return v;
    int64_t q = (v / r + (v % r >= r - r / 2)) * r;
    if (q < k) /* never below k, never 0 for a non-zero count */
        q = (k + r - 1) / r * r;
    return q;
}

static int add_log(share *sh, const char *layer, const char *column, const char *feature,
                   const char *action, const char *reason)
{
    ctxprof_ctx *ctx = sh->ctx;
    if (ctxprof_grow(ctx, (void **)&sh->log, &sh->cap_log, sh->n_log + 1, sizeof *sh->log))
        return CTXPROF_E_NOMEM;
    log_row *l = &sh->log[sh->n_log++];
    l->layer = ctxprof_strdup(ctx, layer);
    l->column = ctxprof_strdup(ctx, column);
    l->feature = ctxprof_strdup(ctx, feature);
    l->action = ctxprof_strdup(ctx, action);
    l->reason = ctxprof_strdup(ctx, reason);
    if (!l->layer || !l->column || !l->feature || !l->action || !l->reason)
        return CTXPROF_E_NOMEM;
    return 0;
}

static int field_index(OGRLayerH l, const char *name)
{
    return OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), name);
}

static void feature_id(const table *t, size_t r, char *buf, size_t size)
{
    int i = t->sp->id ? field_index(t->src, t->sp->id) : -1;
    if (i >= 0 && OGR_F_IsFieldSetAndNotNull(t->f[r], i))
        snprintf(buf, size, "%s", OGR_F_GetFieldAsString(t->f[r], i));
    else
        snprintf(buf, size, "fid %lld", (long long)OGR_F_GetFID(t->f[r]));
}

static int add_count(table *t, const char *name, int role)
{
    int i = field_index(t->src, name);
    if (i < 0 || t->n_cnt >= MAXC)
        return 0;
    OGRFieldType ty = OGR_Fld_GetType(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(t->src), i));
    if (ty != OFTInteger && ty != OFTInteger64)
        return 0;
    snprintf(t->cnt_name[t->n_cnt], sizeof t->cnt_name[0], "%s", name);
    t->cnt_idx[t->n_cnt] = i;
    t->cnt_role[t->n_cnt++] = role;
    return 0;
}

static int count_of(const table *t, const char *name)
{
    for (int j = 0; j < t->n_cnt; j++)
        if (strcmp(t->cnt_name[j], name) == 0)
            return j;
    return -1;
}

static int wanted(const char *list, const char *name)
{
    if (!list)
        return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ')) {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

/* Reads a layer's features and sets up its columns. */
static int load_table(share *sh, table *t, const layer_spec *sp)
{
    ctxprof_ctx *ctx = sh->ctx;
    t->sp = sp;
    t->src = GDALDatasetGetLayerByName(sh->in, sp->name);
    t->want = wanted(sh->o->layers, sp->name);
    if (!t->src)
        return 0;
    for (const char *const *k = sp->keep; *k; k++) {
        int i = field_index(t->src, *k);
        if (i >= 0 && t->n_keep < MAXK)
            t->keep_idx[t->n_keep++] = i;
    }
    char name[40];
    switch (sp->kind) {
    case K_CONTEXT:
        add_count(t, "n_total", R_TOTAL);
        for (int k = 0; k < CTXPROF_N_CATEGORIES; k++) {
            snprintf(name, sizeof name, "n_%s", ctxprof_category_names[k]);
            add_count(t, name, R_CAT);
        }
        for (int k = 0; k < CTXPROF_N_FLAGS; k++) {
            snprintf(name, sizeof name, "n_%s", ctxprof_flag_names[k]);
            add_count(t, name, R_FLAG);
        }
        add_count(t, "n_people", R_OTHER);
        break;
    case K_CORRIDORS:
    case K_ROUTES:
        add_count(t, "n_incidents", R_TOTAL);
        for (int k = 0; k < CTXPROF_N_CATEGORIES; k++) {
            snprintf(name, sizeof name, "n_%s", ctxprof_category_names[k]);
            add_count(t, name, R_CAT);
        }
        add_count(t, "n_school_travel", R_OTHER);
        break;
    case K_HOTSPOTS:
        add_count(t, "n_incidents", R_TOTAL);
        break;
    default:
        break;
    }
    for (const derived_spec *d = sp->der; d->name && t->n_der < MAXD; d++) {
        int i = field_index(t->src, d->name), b = count_of(t, d->base);
        if (i < 0 || b < 0)
            continue;
        t->der[t->n_der] = d;
        t->der_idx[t->n_der] = i;
        t->der_base[t->n_der] = b;
        t->der_of[t->n_der] = -1;
        if (d->of)
            for (int j = 0; j < t->n_der; j++)
                if (strcmp(t->der[j]->name, d->of) == 0)
                    t->der_of[t->n_der] = j;
        if (d->how == D_RANK_OF && t->der_of[t->n_der] < 0)
            continue;
        t->n_der++;
    }
    size_t cap = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(t->src);
    while ((f = OGR_L_GetNextFeature(t->src))) {
        if (ctxprof_grow(ctx, (void **)&t->f, &cap, t->n + 1, sizeof *t->f)) {
            OGR_F_Destroy(f);
            return CTXPROF_E_NOMEM;
        }
        t->f[t->n++] = f;
    }
    size_t n = t->n ? t->n : 1;
    t->cell = ctxprof_mallocarray(ctx, ctxprof_size_mul(n, (size_t)(t->n_cnt ? t->n_cnt : 1)),
                                  sizeof *t->cell);
    t->dropped = ctxprof_calloc(ctx, n, 1);
    t->dval = ctxprof_calloc(ctx, ctxprof_size_mul(n, (size_t)(t->n_der ? t->n_der : 1)),
                             sizeof *t->dval);
    t->dstate = ctxprof_calloc(ctx, ctxprof_size_mul(n, (size_t)(t->n_der ? t->n_der : 1)), 1);
    if (!t->cell || !t->dropped || !t->dval || !t->dstate)
        return CTXPROF_E_NOMEM;
    return 0;
}

static int row_equation(share *sh, table *t, size_t r, int role)
{
    long eq[MAXC];
    size_t n = 0;
    int parts = 0;
    for (int j = 0; j < t->n_cnt; j++) {
        long c = t->cell[r * (size_t)t->n_cnt + (size_t)j];
        if (c < 0 || (t->cnt_role[j] != R_TOTAL && t->cnt_role[j] != role))
            continue;
        eq[n++] = c;
        parts += t->cnt_role[j] == role;
    }
    return parts ? ctxprof_sdc_equation(sh->ctx, sh->s, eq, n) : 0;
}

static int column_equations(share *sh, table *t)
{
    int rc = 0;
    long *eq = ctxprof_mallocarray(sh->ctx, t->n ? t->n : 1, sizeof *eq);
    if (!eq)
        return CTXPROF_E_NOMEM;
    for (int j = 0; j < t->n_cnt && !rc; j++) {
        size_t n = 0;
        for (size_t r = 0; r < t->n; r++) {
            long c = t->cell[r * (size_t)t->n_cnt + (size_t)j];
            if (c >= 0)
                eq[n++] = c;
        }
        rc = ctxprof_sdc_equation(sh->ctx, sh->s, eq, n);
    }
    ctxprof_free(sh->ctx, eq);
    return rc;
}

/* Cells, drops and equations of one layer. corridor_routes shares the cells
 * of corridors (the same counts), so that the two cannot differ. */
static int build_table(share *sh, table *t, const table *corridors)
{
    int rc;
    int mirror = t->sp->kind == K_ROUTES && corridors && corridors->src;
    int idf = t->sp->id ? field_index(t->src, t->sp->id) : -1;
    for (size_t r = 0; r < t->n; r++) {
        OGRFeatureH f = t->f[r];
        if (mirror) {
            long cr = -1;
            int cidf = field_index(corridors->src, "corridor_id");
            for (size_t q = 0; q < corridors->n && cr < 0 && idf >= 0 && cidf >= 0; q++)
                if (OGR_F_GetFieldAsInteger64(corridors->f[q], cidf) ==
                    OGR_F_GetFieldAsInteger64(f, idf))
                    cr = (long)q;
            t->dropped[r] = cr < 0 || corridors->dropped[cr];
            for (int j = 0; j < t->n_cnt; j++) {
                int cj = count_of(corridors, t->cnt_name[j]);
                t->cell[r * (size_t)t->n_cnt + (size_t)j] =
                    cr < 0 || cj < 0
                        ? -1
                        : corridors->cell[(size_t)cr * (size_t)corridors->n_cnt + (size_t)cj];
            }
            continue;
        }
        for (int j = 0; j < t->n_cnt; j++) {
            long c = -1;
            if (OGR_F_IsFieldSetAndNotNull(f, t->cnt_idx[j])) {
                int64_t v = OGR_F_GetFieldAsInteger64(f, t->cnt_idx[j]);
                if (v < 0)
                    return ctxprof_error(sh->ctx, CTXPROF_E_INPUT,
                                         "layer %s feature %lld field '%s': negative count %lld",
                                         t->sp->name, (long long)OGR_F_GetFID(f), t->cnt_name[j],
                                         (long long)v);
                if ((c = ctxprof_sdc_cell(sh->ctx, sh->s, v)) < 0)
                    return (int)c;
            }
            t->cell[r * (size_t)t->n_cnt + (size_t)j] = c;
        }
        if (t->sp->kind == K_CORRIDORS || t->sp->kind == K_HOTSPOTS || t->sp->kind == K_ROUTES) {
            int tj = count_of(t, "n_incidents");
            long c = tj >= 0 ? t->cell[r * (size_t)t->n_cnt + (size_t)tj] : -1;
            if (c >= 0 && ctxprof_sdc_value(sh->s, c) < sh->o->min_count) {
                t->dropped[r] = 1;
                for (int j = 0; j < t->n_cnt; j++)
                    ctxprof_sdc_drop(sh->s, t->cell[r * (size_t)t->n_cnt + (size_t)j]);
            }
        }
        if (t->sp->kind == K_CONTEXT && idf >= 0 &&
            (rc = ctxprof_strmap_put(sh->ctx, &t->ids, OGR_F_GetFieldAsString(f, idf), (int)r)))
            return rc;
    }
    if (mirror)
        return 0;
    for (size_t r = 0; r < t->n; r++)
        if ((rc = row_equation(sh, t, r, R_CAT)) || (rc = row_equation(sh, t, r, R_FLAG)))
            return rc;
    return column_equations(sh, t);
}

/* The temporal table: for every context of every context layer, one cell
 * per weekday x hour (absent rows are zeros a reader knows). Equations: a
 * context's cells add up to its n_total; each weekday x hour adds up over
 * the contexts of a layer to a total a reader may know. */
static int build_temporal(share *sh)
{
    ctxprof_ctx *ctx = sh->ctx;
    OGRLayerH tl = GDALDatasetGetLayerByName(sh->in, "temporal");
    if (!tl)
        return 0;
    sh->have_temporal = 1;
    int i_type = field_index(tl, "context_type"), i_id = field_index(tl, "context_id"),
        i_wd = field_index(tl, "weekday"), i_hr = field_index(tl, "hour"),
        i_n = field_index(tl, "n");
    if (i_type < 0 || i_id < 0 || i_wd < 0 || i_hr < 0 || i_n < 0)
        return ctxprof_error(ctx, CTXPROF_E_INPUT,
                             "layer temporal: expected the columns context_type, context_id, "
                             "weekday, hour and n");
    for (int k = 0; k < N_SPECS; k++) {
        table *t = &sh->t[k];
        if (t->sp->kind != K_CONTEXT || !t->src || !t->n)
            continue;
        t->tcell = ctxprof_mallocarray(ctx, t->n, SLOTS * sizeof *t->tcell);
        t->tpresent = ctxprof_calloc(ctx, t->n, SLOTS);
        if (!t->tcell || !t->tpresent)
            return CTXPROF_E_NOMEM;
        for (size_t i = 0; i < t->n * SLOTS; i++)
            t->tcell[i] = -1;
    }
    /* first pass: the values */
    int64_t **val = ctxprof_calloc(ctx, (size_t)N_SPECS, sizeof *val);
    int rc = val ? 0 : CTXPROF_E_NOMEM;
    for (int k = 0; k < N_SPECS && !rc; k++)
        if (sh->t[k].tcell && !(val[k] = ctxprof_calloc(ctx, sh->t[k].n, SLOTS * sizeof(int64_t))))
            rc = CTXPROF_E_NOMEM;
    OGRFeatureH f;
    OGR_L_ResetReading(tl);
    while (!rc && (f = OGR_L_GetNextFeature(tl))) {
        const char *type = OGR_F_GetFieldAsString(f, i_type);
        table *t = NULL;
        int kk = -1;
        for (int k = 0; k < N_SPECS && !t; k++)
            if (sh->t[k].tcell && strcmp(sh->t[k].sp->name, type) == 0)
                t = &sh->t[kk = k];
        int r = t ? ctxprof_strmap_get(&t->ids, OGR_F_GetFieldAsString(f, i_id)) : -1;
        int wd = OGR_F_IsFieldSetAndNotNull(f, i_wd) ? OGR_F_GetFieldAsInteger(f, i_wd) : -1;
        int hr = OGR_F_IsFieldSetAndNotNull(f, i_hr) ? OGR_F_GetFieldAsInteger(f, i_hr) : 24;
        int64_t n = OGR_F_IsFieldSetAndNotNull(f, i_n) ? OGR_F_GetFieldAsInteger64(f, i_n) : -1;
        if (r < 0 || wd < 0 || wd > 6 || hr < 0 || hr > 24 || n < 0) {
            /* not placed in a shared context: not published */
            sh->n_temporal_unplaced++;
        } else {
            size_t slot = (size_t)r * SLOTS + (size_t)(wd * HOURS + hr);
            val[kk][slot] += n;
            t->tpresent[slot] = 1;
        }
        OGR_F_Destroy(f);
    }
    long *eq = NULL;
    size_t cap = 0;
    for (int k = 0; k < N_SPECS && !rc; k++) {
        table *t = &sh->t[k];
        if (!t->tcell)
            continue;
        for (size_t i = 0; i < t->n * SLOTS && !rc; i++) {
            long c = ctxprof_sdc_cell(ctx, sh->s, val[k][i]);
            if (c < 0)
                rc = (int)c;
            t->tcell[i] = c;
        }
        if (rc ||
            ctxprof_grow(ctx, (void **)&eq, &cap, (t->n > SLOTS ? t->n : SLOTS) + 1, sizeof *eq)) {
            rc = rc ? rc : CTXPROF_E_NOMEM;
            break;
        }
        int tj = count_of(t, "n_total");
        for (size_t r = 0; r < t->n && !rc; r++) {
            size_t n = 0;
            long tc = tj >= 0 ? t->cell[r * (size_t)t->n_cnt + (size_t)tj] : -1;
            if (tc >= 0)
                eq[n++] = tc;
            for (size_t s = 0; s < SLOTS; s++)
                eq[n++] = t->tcell[r * SLOTS + s];
            rc = ctxprof_sdc_equation(ctx, sh->s, eq, n);
        }
        for (size_t s = 0; s < SLOTS && !rc; s++) {
            for (size_t r = 0; r < t->n; r++)
                eq[r] = t->tcell[r * SLOTS + s];
            rc = ctxprof_sdc_equation(ctx, sh->s, eq, t->n);
        }
    }
    ctxprof_free(ctx, eq);
    for (int k = 0; val && k < N_SPECS; k++)
        ctxprof_free(ctx, val[k]);
    ctxprof_free(ctx, val);
    return rc;
}

static const char *action_of(ctxprof_sdc_state st)
{
    return st == CTXPROF_SDC_PRIMARY ? "primary" : "secondary";
}

static void reason_of(const share *sh, ctxprof_sdc_state st, char *buf, size_t size)
{
    if (st == CTXPROF_SDC_PRIMARY)
        snprintf(buf, size, "count between 1 and %ld", sh->o->min_count - 1);
    else
        snprintf(buf, size,
                 "hidden so that no suppressed count can be recovered from the "
                 "totals of its row or column");
}

/* Rates, shares and ranks from the published counts only. */
static void derive(share *sh, table *t)
{
    for (int d = 0; d < t->n_der; d++) {
        const derived_spec *ds = t->der[d];
        for (size_t r = 0; r < t->n; r++) {
            size_t i = r * (size_t)t->n_der + (size_t)d;
            long c = t->cell[r * (size_t)t->n_cnt + (size_t)t->der_base[d]];
            OGRFeatureH f = t->f[r];
            if (c < 0) {
                t->dstate[i] = 1;
                continue;
            }
            if (ctxprof_sdc_get(sh->s, c) != CTXPROF_SDC_PUBLISHED) {
                t->dstate[i] = 2;
                continue;
            }
            if (ds->how == D_SCALE) {
                if (!OGR_F_IsFieldSetAndNotNull(f, t->der_idx[d])) {
                    t->dstate[i] = 1;
                    continue;
                }
                double sv = OGR_F_GetFieldAsDouble(f, t->der_idx[d]);
                int64_t b = ctxprof_sdc_value(sh->s, c);
                t->dval[i] = b > 0 ? sv * (double)published(sh, c) / (double)b : sv;
                if (!isfinite(t->dval[i]))
                    t->dstate[i] = 1;
                continue;
            }
            if (ds->how == D_RANK_OF && t->dstate[r * (size_t)t->n_der + (size_t)t->der_of[d]]) {
                t->dstate[i] = t->dstate[r * (size_t)t->n_der + (size_t)t->der_of[d]];
                continue;
            }
        }
        if (ds->how == D_SCALE)
            continue;
        /* ranks among the published rows: 1 + the rows with a larger value */
        for (size_t r = 0; r < t->n; r++) {
            size_t i = r * (size_t)t->n_der + (size_t)d;
            if (t->dstate[i] || t->dropped[r])
                continue;
            double v =
                ds->how == D_RANK
                    ? (double)published(sh, t->cell[r * (size_t)t->n_cnt + (size_t)t->der_base[d]])
                    : t->dval[r * (size_t)t->n_der + (size_t)t->der_of[d]];
            long rank = 1;
            for (size_t q = 0; q < t->n; q++) {
                size_t iq = q * (size_t)t->n_der + (size_t)d;
                if (q == r || t->dstate[iq] || t->dropped[q])
                    continue;
                double w = ds->how == D_RANK
                               ? (double)published(
                                     sh, t->cell[q * (size_t)t->n_cnt + (size_t)t->der_base[d]])
                               : t->dval[q * (size_t)t->n_der + (size_t)t->der_of[d]];
                rank += w > v;
            }
            t->dval[i] = (double)rank;
        }
    }
}

static void set_maybe(OGRFeatureH g, int i, int null, double v, int integer)
{
    if (null)
        OGR_F_SetFieldNull(g, i);
    else if (integer)
        OGR_F_SetFieldInteger64(g, i, (GIntBig)llround(v));
    else
        OGR_F_SetFieldDouble(g, i, v);
}

static int write_table(share *sh, ctxprof_output *out, table *t)
{
    ctxprof_ctx *ctx = sh->ctx;
    OGRFeatureDefnH sd = OGR_L_GetLayerDefn(t->src);
    ctxprof_column cols[MAXK + 2 * (MAXC + MAXD)];
    char marker[MAXC + MAXD][64];
    size_t nc = 0;
    for (int k = 0; k < t->n_keep; k++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(sd, t->keep_idx[k]);
        cols[nc++] = (ctxprof_column){OGR_Fld_GetNameRef(fd), OGR_Fld_GetType(fd)};
    }
    int first_cnt = (int)nc;
    for (int j = 0; j < t->n_cnt; j++)
        cols[nc++] = (ctxprof_column){t->cnt_name[j], OFTInteger64};
    int first_der = (int)nc;
    for (int d = 0; d < t->n_der; d++)
        cols[nc++] =
            (ctxprof_column){t->der[d]->name, t->der[d]->how == D_SCALE ? OFTReal : OFTInteger64};
    int first_mark = (int)nc;
    for (int j = 0; j < t->n_cnt + t->n_der; j++) {
        snprintf(marker[j], sizeof marker[j], "%s_suppressed",
                 j < t->n_cnt ? t->cnt_name[j] : t->der[j - t->n_cnt]->name);
        cols[nc++] = (ctxprof_column){marker[j], OFTInteger};
    }
    OGRwkbGeometryType gt = t->sp->no_geometry ? wkbNone : OGR_L_GetGeomType(t->src);
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, t->sp->name, gt, cols, nc);
    if (rc)
        return rc;
    OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t r = 0; r < t->n && !rc; r++) {
        if (t->dropped[r])
            continue;
        OGRFeatureH f = t->f[r];
        OGR_F_SetFID(g, OGRNullFID);
        for (int k = 0; k < t->n_keep; k++) {
            if (OGR_F_IsFieldSetAndNotNull(f, t->keep_idx[k]))
                OGR_F_SetFieldRaw(g, k, OGR_F_GetRawFieldRef(f, t->keep_idx[k]));
            else
                OGR_F_SetFieldNull(g, k);
        }
        for (int j = 0; j < t->n_cnt; j++) {
            long c = t->cell[r * (size_t)t->n_cnt + (size_t)j];
            int hidden = c >= 0 && ctxprof_sdc_get(sh->s, c) != CTXPROF_SDC_PUBLISHED;
            if (c < 0 || hidden)
                OGR_F_SetFieldNull(g, first_cnt + j);
            else
                OGR_F_SetFieldInteger64(g, first_cnt + j, published(sh, c));
            OGR_F_SetFieldInteger(g, first_mark + j, hidden);
        }
        for (int d = 0; d < t->n_der; d++) {
            size_t i = r * (size_t)t->n_der + (size_t)d;
            set_maybe(g, first_der + d, t->dstate[i] != 0, t->dval[i], t->der[d]->how != D_SCALE);
            OGR_F_SetFieldInteger(g, first_mark + t->n_cnt + d, t->dstate[i] == 2);
        }
        if (gt != wkbNone)
            OGR_F_SetGeometry(g, OGR_F_GetGeometryRef(f));
        rc = ctxprof_output_write(ctx, out, layer, g);
        t->ls->n_out++;
    }
    OGR_F_Destroy(g);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

/* disclosure_log rows of one layer: dropped features, suppressed cells,
 * derived values of suppressed counts, and rounding. */
static int log_table(share *sh, table *t)
{
    char id[128], reason[256];
    int rc = 0;
    size_t *changed = ctxprof_calloc(sh->ctx, (size_t)(t->n_cnt ? t->n_cnt : 1), sizeof *changed);
    if (!changed)
        return CTXPROF_E_NOMEM;
    for (size_t r = 0; r < t->n && !rc; r++) {
        feature_id(t, r, id, sizeof id);
        if (t->dropped[r]) {
            t->ls->n_dropped++;
            snprintf(reason, sizeof reason,
                     t->sp->kind == K_ROUTES
                         ? "its corridor has fewer than %ld incidents or is not there"
                         : "fewer than %ld incidents",
                     sh->o->min_count);
            rc = add_log(sh, t->sp->name, "*", id, "dropped", reason);
            continue;
        }
        for (int j = 0; j < t->n_cnt && !rc; j++) {
            long c = t->cell[r * (size_t)t->n_cnt + (size_t)j];
            if (c < 0)
                continue;
            ctxprof_sdc_state st = ctxprof_sdc_get(sh->s, c);
            if (st == CTXPROF_SDC_PUBLISHED) {
                changed[j] += published(sh, c) != ctxprof_sdc_value(sh->s, c);
                continue;
            }
            if (st == CTXPROF_SDC_PRIMARY)
                t->ls->n_primary++;
            else
                t->ls->n_secondary++;
            reason_of(sh, st, reason, sizeof reason);
            rc = add_log(sh, t->sp->name, t->cnt_name[j], id, action_of(st), reason);
        }
        for (int d = 0; d < t->n_der && !rc; d++)
            if (t->dstate[r * (size_t)t->n_der + (size_t)d] == 2) {
                t->ls->n_derived++;
                snprintf(reason, sizeof reason, "derived from the suppressed %s",
                         t->cnt_name[t->der_base[d]]);
                rc = add_log(sh, t->sp->name, t->der[d]->name, id, "derived", reason);
            }
    }
    for (int j = 0; j < t->n_cnt && !rc && sh->o->round > 0; j++) {
        t->ls->n_rounded += changed[j];
        snprintf(reason, sizeof reason, "published counts rounded to the nearest %ld (%zu changed)",
                 sh->o->round, changed[j]);
        rc = add_log(sh, t->sp->name, t->cnt_name[j], "*", "rounded", reason);
    }
    ctxprof_free(sh->ctx, changed);
    return rc;
}

/* The temporal layer: source rows, plus the zero cells that secondary
 * suppression had to hide (written with n NULL), in context order. */
static int write_temporal(share *sh, ctxprof_output *out, int write)
{
    ctxprof_ctx *ctx = sh->ctx;
    static const ctxprof_column cols[] = {
        {"context_type", OFTString}, {"context_id", OFTString}, {"weekday", OFTInteger},
        {"hour", OFTInteger},        {"n", OFTInteger64},       {"n_suppressed", OFTInteger}};
    OGRLayerH layer = NULL;
    int rc = 0;
    if (write && (rc = ctxprof_output_layer(ctx, out, &layer, "temporal", wkbNone, cols, 6)))
        return rc;
    OGRFeatureH g = layer ? OGR_F_Create(OGR_L_GetLayerDefn(layer)) : NULL;
    ctxprof_share_layer_summary *ls = sh->temporal_ls;
    size_t changed = 0;
    char id[128], feat[200], reason[256];
    for (int k = 0; k < N_SPECS && !rc; k++) {
        table *t = &sh->t[k];
        if (!t->tcell)
            continue;
        int idf = field_index(t->src, "id");
        for (size_t r = 0; r < t->n && !rc; r++) {
            snprintf(id, sizeof id, "%s", idf >= 0 ? OGR_F_GetFieldAsString(t->f[r], idf) : "");
            for (int s = 0; s < SLOTS && !rc; s++) {
                long c = t->tcell[r * SLOTS + (size_t)s];
                ctxprof_sdc_state st = ctxprof_sdc_get(sh->s, c);
                int present = t->tpresent[r * SLOTS + (size_t)s];
                if (!present && st == CTXPROF_SDC_PUBLISHED)
                    continue;
                int wd = s / HOURS, hr = s % HOURS;
                if (hr == 24)
                    snprintf(feat, sizeof feat, "%s/%s/%d/unknown", t->sp->name, id, wd);
                else
                    snprintf(feat, sizeof feat, "%s/%s/%d/%d", t->sp->name, id, wd, hr);
                if (st != CTXPROF_SDC_PUBLISHED) {
                    if (st == CTXPROF_SDC_PRIMARY)
                        ls->n_primary++;
                    else
                        ls->n_secondary++;
                    reason_of(sh, st, reason, sizeof reason);
                    if (write)
                        rc = add_log(sh, "temporal", "n", feat, action_of(st), reason);
                } else {
                    changed += published(sh, c) != ctxprof_sdc_value(sh->s, c);
                }
                ls->n_in += present;
                if (!write || rc)
                    continue;
                OGR_F_SetFID(g, OGRNullFID);
                OGR_F_SetFieldString(g, 0, t->sp->name);
                OGR_F_SetFieldString(g, 1, id);
                OGR_F_SetFieldInteger(g, 2, wd);
                if (hr == 24)
                    OGR_F_SetFieldNull(g, 3);
                else
                    OGR_F_SetFieldInteger(g, 3, hr);
                if (st != CTXPROF_SDC_PUBLISHED)
                    OGR_F_SetFieldNull(g, 4);
                else
                    OGR_F_SetFieldInteger64(g, 4, published(sh, c));
                OGR_F_SetFieldInteger(g, 5, st != CTXPROF_SDC_PUBLISHED);
                rc = ctxprof_output_write(ctx, out, layer, g);
                ls->n_out++;
            }
        }
    }
    if (g)
        OGR_F_Destroy(g);
    ls->n_in += sh->n_temporal_unplaced;
    ls->n_dropped = sh->n_temporal_unplaced;
    if (!rc && write && sh->n_temporal_unplaced) {
        snprintf(reason, sizeof reason,
                 "%zu rows whose context is not in a shared context layer are not published",
                 sh->n_temporal_unplaced);
        rc = add_log(sh, "temporal", "*", "*", "dropped", reason);
    }
    if (!rc && write && sh->o->round > 0) {
        ls->n_rounded = changed;
        snprintf(reason, sizeof reason, "published counts rounded to the nearest %ld (%zu changed)",
                 sh->o->round, changed);
        rc = add_log(sh, "temporal", "n", "*", "rounded", reason);
    }
    if (!rc && layer)
        rc = ctxprof_output_end_layer(ctx, out);
    return rc;
}

static int write_log(share *sh, ctxprof_output *out)
{
    static const ctxprof_column cols[] = {{"layer", OFTString},
                                          {"column", OFTString},
                                          {"feature", OFTString},
                                          {"action", OFTString},
                                          {"reason", OFTString}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(sh->ctx, out, &layer, "disclosure_log", wkbNone, cols, 5);
    if (rc)
        return rc;
    OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < sh->n_log && !rc; i++) {
        const log_row *l = &sh->log[i];
        OGR_F_SetFID(g, OGRNullFID);
        OGR_F_SetFieldString(g, 0, l->layer);
        OGR_F_SetFieldString(g, 1, l->column);
        OGR_F_SetFieldString(g, 2, l->feature);
        OGR_F_SetFieldString(g, 3, l->action);
        OGR_F_SetFieldString(g, 4, l->reason);
        rc = ctxprof_output_write(sh->ctx, out, layer, g);
    }
    OGR_F_Destroy(g);
    return rc ? rc : ctxprof_output_end_layer(sh->ctx, out);
}

static int write_readme(share *sh, ctxprof_output *out, const char *layers, const char *sha,
                        const char *created)
{
    ctxprof_ctx *ctx = sh->ctx;
    const ctxprof_share_summary *s = sh->sum;
    char buf[8][512];
    long k = sh->o->min_count;
    snprintf(buf[0], sizeof buf[0], "%ld", k);
    snprintf(buf[1], sizeof buf[1], "%ld", sh->o->round);
    snprintf(buf[2], sizeof buf[2],
             "Counts from 1 to %ld are suppressed: NULL, with <column>_suppressed = 1 "
             "(disclosure_log action 'primary'). 0 stays 0.",
             k - 1);
    snprintf(buf[3], sizeof buf[3],
             "%zu primary, %zu secondary, %zu derived values suppressed; %zu features dropped; "
             "%zu counts changed by rounding",
             s->n_primary, s->n_secondary, s->n_derived, s->n_dropped, s->n_rounded);
    snprintf(buf[4], sizeof buf[4],
             "%ld suppressed cells recoverable by solving row, column and temporal totals with "
             "one unknown at a time (%zu one-cell totals could not be protected)",
             s->n_recoverable, s->n_unprotectable);
    snprintf(buf[5], sizeof buf[5],
             sh->o->round > 0 ? "Published counts are rounded to the nearest %ld (never below "
                                "the minimum count, never to 0); rates, shares and ranks are "
                                "computed from the rounded counts."
                              : "Counts are not rounded (round = %ld).",
             sh->o->round);
    snprintf(buf[6], sizeof buf[6],
             "Hotspots and corridors with fewer than %ld incidents are dropped (disclosure_log "
             "action 'dropped').",
             k);
    const char *rows[][2] = {
        {"what", "A share package of a ctxprof contextual profile: aggregate counts per place "
                 "only, small numbers suppressed. It holds no incidents, no points of records, "
                 "no people or pseudonyms (pid), no peer groups or members, no free text."},
        {"made_with", "ctxprof " CTXPROF_VERSION " (ctxprof share)"},
        {"created_utc", created},
        {"source_sha256", sha},
        {"min_count", buf[0]},
        {"round", buf[1]},
        {"layers", layers},
        {"rule.primary", buf[2]},
        {"rule.secondary",
         "Within each layer a row's category counts are treated as adding up to its total, "
         "and each column as adding up to a known layer total (that of the full, unpublished "
         "profile, dropped features included); each temporal context adds up to its n_total. "
         "Wherever one of these sums had exactly one suppressed cell, the smallest other "
         "non-zero cell of that sum was suppressed too, until no sum has exactly one "
         "(disclosure_log action 'secondary')."},
        {"rule.derived", "Rates, shares, PAI and ranks are NULL where the count they derive "
                         "from is suppressed (action 'derived'); ranks rank the published "
                         "rows only."},
        {"rule.dropped", buf[6]},
        {"rule.rounding", buf[5]},
        {"rule.markers", "Every column that disclosure control can empty has a "
                         "<column>_suppressed column (1 = suppressed here; a NULL with 0 was "
                         "already NULL in the profile)."},
        {"rule.never", "Never shared: incidents, rejects, data quality, overlap, possible "
                       "matches, peer groups and members, pid, dates, free text, input paths."},
        {"suppressed", buf[3]},
        {"audit", buf[4]},
        {"documentation", "docs/sharing.md of ctxprof"},
    };
    static const ctxprof_column cols[] = {{"key", OFTString}, {"value", OFTString}};
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, "readme", wkbNone, cols, 2);
    if (rc)
        return rc;
    OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !rc; i++) {
        OGR_F_SetFID(g, OGRNullFID);
        OGR_F_SetFieldString(g, 0, rows[i][0]);
        OGR_F_SetFieldString(g, 1, rows[i][1]);
        rc = ctxprof_output_write(ctx, out, layer, g);
    }
    OGR_F_Destroy(g);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

/* The CRS of the first spatial layer among the shared ones, as WKT. */
static char *source_srs(share *sh)
{
    for (int k = 0; k < N_SPECS; k++) {
        OGRLayerH l = sh->t[k].src;
        OGRSpatialReferenceH srs = l ? OGR_L_GetSpatialRef(l) : NULL;
        char *wkt = NULL;
        if (srs && OSRExportToWkt(srs, &wkt) == OGRERR_NONE)
            return wkt;
        CPLFree(wkt);
    }
    return NULL;
}

int ctxprof_share_gpkg(ctxprof_ctx *ctx, ctxprof_share_summary *sum, const char *in,
                       const char *out_path, const ctxprof_share_options *o)
{
    struct timespec t0, t1;
    ctxprof_share_init();
    if (!specs)
        return ctxprof_error(ctx, CTXPROF_E_NOMEM, "share: out of memory");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(sum, 0, sizeof *sum);
    if (o->min_count < CTXPROF_SHARE_MIN_COUNT_MIN || o->min_count > CTXPROF_SHARE_MIN_COUNT_MAX)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "share: the minimum count must be from %d to %d",
                             CTXPROF_SHARE_MIN_COUNT_MIN, CTXPROF_SHARE_MIN_COUNT_MAX);
    if (o->round < 0 || o->round > CTXPROF_SHARE_ROUND_MAX)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "share: the rounding base must be from 0 (off) to %d",
                             CTXPROF_SHARE_ROUND_MAX);
    if (o->layers) {
        /* every asked-for layer must be shareable */
        char *copy = ctxprof_strdup(ctx, o->layers), *save = NULL;
        if (!copy)
            return CTXPROF_E_NOMEM;
        int rc = 0;
        for (char *w = strtok_r(copy, ", ", &save); w && !rc; w = strtok_r(NULL, ", ", &save)) {
            int ok = 0;
            for (const char *const *l = ctxprof_share_layers; *l && !ok; l++)
                ok = strcmp(*l, w) == 0;
            char list[512] = "";
            for (const char *const *l = ctxprof_share_layers; !ok && *l; l++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         l == ctxprof_share_layers ? "" : ", ", *l);
            if (!ok)
                rc = ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                   "share: layer '%s' cannot be shared (shareable: %s)", w, list);
        }
        ctxprof_free(ctx, copy);
        if (rc)
            return rc;
    }
    /* Writing the package over the profile would destroy the identifiable
     * original the package was made from: refuse. */
    char *rin = realpath(in, NULL), *rout = realpath(out_path, NULL);
    int same = rin && rout && strcmp(rin, rout) == 0;
    free(rin);
    free(rout);
    if (same)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "share: %s: the share package cannot replace the profile it is "
                             "made from; give another -o",
                             out_path);
    share sh = {.ctx = ctx, .o = o, .sum = sum};
    sh.t = ctxprof_calloc(ctx, (size_t)N_SPECS, sizeof *sh.t);
    sh.scratch = ctxprof_calloc(ctx, (size_t)N_SPECS + 1, sizeof *sh.scratch);
    if (!sh.t || !sh.scratch) {
        ctxprof_free(ctx, sh.t);
        ctxprof_free(ctx, sh.scratch);
        return CTXPROF_E_NOMEM;
    }
    ctxprof_output *out = NULL;
    char *wkt = NULL, *layers = NULL;
    size_t layers_len = 0;
    int rc = 0;
    char sha[65] = "";
    sh.in = GDALOpenEx(in, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!sh.in) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot open the profile GeoPackage", in);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    if (!(sh.s = ctxprof_sdc_new(ctx))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if ((rc = ctxprof_progress(ctx, 0.0, "reading the profile")))
        goto done;
    int any = 0;
    for (int k = 0; k < N_SPECS && !rc; k++) {
        rc = load_table(&sh, &sh.t[k], &specs[k]);
        any |= sh.t[k].src != NULL;
    }
    if (rc)
        goto done;
    sh.want_temporal = wanted(o->layers, "temporal");
    if (!any && !GDALDatasetGetLayerByName(sh.in, "temporal")) {
        rc = ctxprof_error(ctx, CTXPROF_E_INPUT,
                           "%s: no layer that can be shared (the context layers, corridors, "
                           "hotspots, temporal; run 'ctxprof run' first)",
                           in);
        goto done;
    }
    /* summaries in package order */
    for (int k = 0; k < N_SPECS; k++) {
        table *t = &sh.t[k];
        if (!t->src || !t->want || sum->n_layers >= 15)
            continue;
        t->ls = &sum->layer[sum->n_layers++];
        snprintf(t->ls->name, sizeof t->ls->name, "%s", t->sp->name);
        t->ls->n_in = t->n;
    }
    for (int k = 0; k < N_SPECS; k++)
        if (!sh.t[k].ls)
            sh.t[k].ls = &sh.scratch[k];
    if ((rc = ctxprof_progress(ctx, 0.2, "building the tables")))
        goto done;
    const table *corridors = NULL;
    for (int k = 0; k < N_SPECS; k++)
        if (specs[k].kind == K_CORRIDORS)
            corridors = &sh.t[k];
    for (int k = 0; k < N_SPECS && !rc; k++)
        if (sh.t[k].src)
            rc = build_table(&sh, &sh.t[k], corridors);
    if (rc || (rc = build_temporal(&sh)))
        goto done;
    if (sh.have_temporal && sh.want_temporal) {
        sh.temporal_ls = &sum->layer[sum->n_layers++];
        snprintf(sh.temporal_ls->name, sizeof sh.temporal_ls->name, "temporal");
    } else {
        sh.temporal_ls = &sh.scratch[N_SPECS];
    }
    if ((rc = ctxprof_progress(ctx, 0.4, "suppressing small counts")))
        goto done;
    ctxprof_sdc_primary(sh.s, o->min_count);
    size_t n_sec;
    if ((rc = ctxprof_sdc_secondary(ctx, sh.s, &n_sec, &sum->n_unprotectable)))
        goto done;
    long rec = ctxprof_sdc_attack(ctx, sh.s, NULL);
    if (rec < 0) {
        rc = (int)rec;
        goto done;
    }
    sum->n_recoverable = rec;
    if (sum->n_unprotectable)
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "share: %zu totals consist of a single suppressed cell and cannot be "
                    "protected by suppression (a layer total below %ld)",
                    sum->n_unprotectable, o->min_count);
    for (int k = 0; k < N_SPECS; k++)
        if (sh.t[k].src)
            derive(&sh, &sh.t[k]);

    if ((rc = ctxprof_progress(ctx, 0.6, "writing the share package")))
        goto done;
    wkt = source_srs(&sh);
    if ((rc = ctxprof_output_open(ctx, &out, out_path, wkt ? wkt : "EPSG:27700")))
        goto done;
    ctxprof_output_set_shareable(out); /* aggregates only: an ordinary file */
    for (int k = 0; k < N_SPECS && !rc; k++) {
        table *t = &sh.t[k];
        if (!t->src || !t->want)
            continue;
        if ((rc = write_table(&sh, out, t)) || (rc = log_table(&sh, t)))
            break;
        size_t need = layers_len + strlen(t->sp->name) + 2;
        char *nl = ctxprof_realloc(ctx, layers, need);
        if (!nl) {
            rc = CTXPROF_E_NOMEM;
            break;
        }
        layers = nl;
        layers_len +=
            (size_t)sprintf(layers + layers_len, "%s%s", layers_len ? "," : "", t->sp->name);
    }
    if (rc)
        goto done;
    if (sh.have_temporal && (rc = write_temporal(&sh, out, sh.want_temporal)))
        goto done;
    if (sh.have_temporal && sh.want_temporal) {
        char *nl = ctxprof_realloc(ctx, layers, layers_len + 10);
        if (!nl) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        layers = nl;
        layers_len += (size_t)sprintf(layers + layers_len, "%stemporal", layers_len ? "," : "");
    }
    for (size_t i = 0; i < sum->n_layers; i++) {
        const ctxprof_share_layer_summary *l = &sum->layer[i];
        sum->n_primary += l->n_primary;
        sum->n_secondary += l->n_secondary;
        sum->n_derived += l->n_derived;
        sum->n_dropped += l->n_dropped;
        sum->n_rounded += l->n_rounded;
    }
    sum->n_log = sh.n_log;
    if ((rc = ctxprof_progress(ctx, 0.9, "writing the disclosure log")) ||
        (rc = write_log(&sh, out)))
        goto done;
    if (ctxprof_file_sha256(ctx, in, sha))
        snprintf(sha, sizeof sha, "unknown");
    char created[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if ((rc = write_readme(&sh, out, layers ? layers : "", sha, created)))
        goto done;
    /* Clean metadata of our own: never the profile's run_metadata, whose
     * input paths and arguments could name people or places. */
    if ((rc = ctxprof_output_meta(ctx, out, "version", CTXPROF_VERSION)) ||
        (rc = ctxprof_output_meta(ctx, out, "command", "share")) ||
        (rc = ctxprof_output_meta(ctx, out, "created_utc", created)) ||
        (rc = ctxprof_output_meta(ctx, out, "source_sha256", sha)) ||
        (rc = ctxprof_output_metaf(ctx, out, "param.share.min_count", "%ld", o->min_count)) ||
        (rc = ctxprof_output_metaf(ctx, out, "param.share.round", "%ld", o->round)) ||
        (rc = ctxprof_output_meta(ctx, out, "param.share.layers", layers ? layers : "")) ||
        (rc = ctxprof_output_metaf(ctx, out, "share.suppressed.primary", "%zu", sum->n_primary)) ||
        (rc = ctxprof_output_metaf(ctx, out, "share.suppressed.secondary", "%zu",
                                   sum->n_secondary)) ||
        (rc = ctxprof_output_metaf(ctx, out, "share.suppressed.derived", "%zu", sum->n_derived)) ||
        (rc = ctxprof_output_metaf(ctx, out, "share.dropped", "%zu", sum->n_dropped)) ||
        (rc = ctxprof_output_metaf(ctx, out, "share.rounded", "%zu", sum->n_rounded)))
        goto done;
    if ((rc = ctxprof_output_finish(ctx, out)))
        goto done;
    rc = ctxprof_progress(ctx, 1.0, "done");
done:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sum->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    ctxprof_output_close(ctx, out);
    CPLFree(wkt);
    ctxprof_free(ctx, layers);
    for (int k = 0; k < N_SPECS; k++) {
        table *t = &sh.t[k];
        for (size_t r = 0; r < t->n; r++)
            OGR_F_Destroy(t->f[r]);
        ctxprof_free(ctx, t->f);
        ctxprof_free(ctx, t->cell);
        ctxprof_free(ctx, t->dropped);
        ctxprof_free(ctx, t->dval);
        ctxprof_free(ctx, t->dstate);
        ctxprof_free(ctx, t->tcell);
        ctxprof_free(ctx, t->tpresent);
        ctxprof_strmap_free(ctx, &t->ids);
    }
    for (size_t i = 0; i < sh.n_log; i++) {
        ctxprof_free(ctx, sh.log[i].layer);
        ctxprof_free(ctx, sh.log[i].column);
        ctxprof_free(ctx, sh.log[i].feature);
        ctxprof_free(ctx, sh.log[i].action);
        ctxprof_free(ctx, sh.log[i].reason);
    }
    ctxprof_free(ctx, sh.log);
    ctxprof_free(ctx, sh.t);
    ctxprof_free(ctx, sh.scratch);
    ctxprof_sdc_free(ctx, sh.s);
    if (sh.in)
        GDALClose(sh.in);
    return rc;
}
