/* Bus route segments from TfL-style stop sequences. */
#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gdal.h>

#include "core/uri.h"
#include "load/open.h"
#include "snap/contexts.h"
#include "snap/contexts_internal.h"

typedef struct {
    char *route, *run, *stop, *code;
    long seq;
    double x, y;
    int64_t row;
} stop_row;

/* One consecutive stop pair of a route run. */
typedef struct {
    double k[4];     /* the two positions, lower first: the merge key */
    size_t from, to; /* rows (index into stop_row array) in travel order */
    size_t order;    /* position in file order of runs: the segment order */
} stop_pair;

/* Rows (by pointer) sorted by (route, run, sequence, file row). */
static int cmp_rows(const void *a, const void *b)
{
    const stop_row *x = *(const stop_row *const *)a, *y = *(const stop_row *const *)b;
    int c = strcmp(x->route, y->route);
    if (c)
        return c;
    if ((c = strcmp(x->run, y->run)))
        return c;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int cmp_pair(const void *a, const void *b)
{
    const stop_pair *x = a, *y = b;
    for (int i = 0; i < 4; i++)
        if (x->k[i] != y->k[i])
            return x->k[i] < y->k[i] ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Route names in a natural order: numbers by value ("8" < "34" < "W8"). */
static int cmp_route(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int dx = isdigit((unsigned char)*x), dy = isdigit((unsigned char)*y);
    if (dx && dy) {
        long vx = strtol(x, NULL, 10), vy = strtol(y, NULL, 10);
        if (vx != vy)
            return vx < vy ? -1 : 1;
    } else if (dx != dy) {
        return dx ? -1 : 1;
    }
    return strcmp(x, y);
}

static char *trimmed(ctxprof_ctx *ctx, const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return ctxprof_sprintf(ctx, "%.*s", (int)n, s);
}

static int parse_num(const char *s, double *v)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    *v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    return *end || !isfinite(*v) ? -1 : 0;
}

static int col(OGRFeatureDefnH defn, const char *name)
{
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
        const char *f = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        if (strncmp(f, "\xEF\xBB\xBF", 3) == 0)
            f += 3;
        if (strcasecmp(f, name) == 0)
            return i;
    }
    return -1;
}

static void free_rows(ctxprof_ctx *ctx, stop_row *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ctxprof_free(ctx, r[i].route);
        ctxprof_free(ctx, r[i].run);
        ctxprof_free(ctx, r[i].stop);
        ctxprof_free(ctx, r[i].code);
    }
    ctxprof_free(ctx, r);
}

enum { A_ROUTES, A_N_ROUTES, A_N_PAIRS, A_FROM_STOP, A_TO_STOP, A_FROM_CODE, A_TO_CODE, N_A };

/* 1 when route matches one of the comma-separated fnmatch patterns. */
static int route_excluded(const char *route, const char *patterns)
{
    size_t n;
    char pat[64];
    for (const char *p = patterns, *it; p && (it = ctxprof_list_next(&p, &n));) {
        if (n >= sizeof pat)
            continue;
        memcpy(pat, it, n);
        pat[n] = '\0';
        if (fnmatch(pat, route, 0) == 0)
            return 1;
    }
    return 0;
}

int ctxprof_contexts_build_bus(ctxprof_ctx *ctx, ctxprof_contexts *c, const char *uri,
                               const char *exclude)
{
    int rc = 0;
    ctxprof_opened o = {0};
    ctxprof_source src;
    char *path = NULL, *lname = NULL;
    stop_row *rows = NULL;
    size_t n_rows = 0, cap_rows = 0, cap = 0;
    stop_row **idx = NULL;
    stop_pair *pairs = NULL;
    size_t n_pairs = 0;
    char **routes = NULL;
    OGRSpatialReferenceH bng = NULL, target = NULL;
    OGRCoordinateTransformationH ct = NULL;
    OGRFeatureH f = NULL;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    ctxprof_context_layer *l = &c->layer[CTXPROF_CTX_BUS_SEGMENTS];
    ctxprof_bus_counts *bc = &c->bus;
    memset(bc, 0, sizeof *bc);
    ctxprof_context_layer_clear(ctx, l);
    if ((rc = ctxprof_split_uri(ctx, uri, &path, &lname)))
        goto done;
    memset(&src, 0, sizeof src);
    src.name = (char *)"bus_sequences";
    src.path = path;
    src.layer = lname;
    if ((rc = ctxprof_source_open(ctx, &o, &src)))
        goto done;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(o.layer);
    static const char *const need[] = {"Route", "Run", "Sequence", "Location_Easting",
                                       "Location_Northing"};
    int ci[5];
    for (int k = 0; k < 5; k++)
        if ((ci[k] = col(defn, need[k])) < 0) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 0, need[k],
                                  "bus_sequences: no column '%s' (TfL stop sequences need Route, "
                                  "Run, Sequence, Location_Easting, Location_Northing)",
                                  need[k]);
            goto done;
        }
    int ci_stop = col(defn, "Stop_Name"), ci_code = col(defn, "Naptan_Atco");
    int64_t row = 0;
    long warned = 0;
    while ((f = OGR_L_GetNextFeature(o.layer))) {
        /* A DOS end-of-file line (Ctrl-Z alone) is not a record. */
        int nf = OGR_F_GetFieldCount(f), blank = 1;
        for (int i = 1; i < nf && blank; i++)
            blank = !OGR_F_IsFieldSetAndNotNull(f, i) || !*OGR_F_GetFieldAsString(f, i);
        if (blank && strcmp(OGR_F_GetFieldAsString(f, 0), "\x1a") == 0) {
            OGR_F_Destroy(f);
            f = NULL;
            continue;
        }
        row++;
        bc->rows_read++;
        const char *route = OGR_F_GetFieldAsString(f, ci[0]);
        const char *run = OGR_F_GetFieldAsString(f, ci[1]);
        double seq, x, y;
        const char *why = NULL;
        while (isspace((unsigned char)*route))
            route++;
        while (isspace((unsigned char)*run))
            run++;
        if (!*route)
            why = "no route";
        else if (!*run)
            why = "no run";
        else if (parse_num(OGR_F_GetFieldAsString(f, ci[2]), &seq) || seq != floor(seq))
            why = "the sequence is not a whole number";
        else if (parse_num(OGR_F_GetFieldAsString(f, ci[3]), &x) ||
                 parse_num(OGR_F_GetFieldAsString(f, ci[4]), &y))
            why = "the easting or northing is not a number";
        else if (x == 0 || y == 0)
            why = "the easting or northing is 0 (no position)";
        if (!why && route_excluded(route, exclude)) {
            bc->rows_excluded++;
            OGR_F_Destroy(f);
            f = NULL;
            continue;
        }
        if (why) {
            bc->rows_rejected++;
            if (warned++ < 10)
                ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s row %lld: %s; the stop is not used", path,
                            (long long)row, why);
            OGR_F_Destroy(f);
            f = NULL;
            continue;
        }
        if (n_rows == cap_rows) {
            size_t nc = cap_rows ? cap_rows * 2 : 4096;
            stop_row *nr = ctxprof_reallocarray(ctx, rows, nc, sizeof *nr);
            if (!nr) {
                rc = CTXPROF_E_NOMEM;
                goto done;
            }
            rows = nr;
            cap_rows = nc;
        }
        stop_row *r = &rows[n_rows++];
        memset(r, 0, sizeof *r);
        r->route = trimmed(ctx, route);
        r->run = trimmed(ctx, run);
        r->stop = ci_stop >= 0 ? trimmed(ctx, OGR_F_GetFieldAsString(f, ci_stop)) : NULL;
        /* Naptan_Atco holds an embedded CRLF in some TfL records: trimmed. */
        r->code = ci_code >= 0 ? trimmed(ctx, OGR_F_GetFieldAsString(f, ci_code)) : NULL;
        r->seq = (long)seq;
        r->x = x;
        r->y = y;
        r->row = row;
        if (!r->route || !r->run || (ci_stop >= 0 && !r->stop) || (ci_code >= 0 && !r->code)) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        OGR_F_Destroy(f);
        f = NULL;
    }
    if (warned > 10)
        ctxprof_log(ctx, CTXPROF_LOG_WARN, "%s: %ld rows in all are not used (reasons above)", path,
                    warned);

    /* Route runs in sequence order; each consecutive pair is one stop pair. */
    if (!(idx = ctxprof_mallocarray(ctx, n_rows ? n_rows : 1, sizeof *idx)) ||
        !(pairs = ctxprof_mallocarray(ctx, n_rows ? n_rows : 1, sizeof *pairs))) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n_rows; i++)
        idx[i] = &rows[i];
    qsort(idx, n_rows, sizeof *idx, cmp_rows);
    for (size_t i = 0; i < n_rows; i++) {
        const stop_row *r = idx[i];
        int first = i == 0 || strcmp(r->route, idx[i - 1]->route) != 0 ||
                    strcmp(r->run, idx[i - 1]->run) != 0;
        int last = i + 1 == n_rows || strcmp(r->route, idx[i + 1]->route) != 0 ||
                   strcmp(r->run, idx[i + 1]->run) != 0;
        if (first) {
            bc->runs++;
            if (last)
                bc->single_stop_runs++;
            if (i == 0 || strcmp(r->route, idx[i - 1]->route) != 0)
                bc->routes++;
            continue;
        }
        const stop_row *a = idx[i - 1];
        bc->pairs++;
        if (a->x == r->x && a->y == r->y) {
            bc->pairs_zero_length++;
            continue;
        }
        stop_pair *p = &pairs[n_pairs];
        int swap = a->x > r->x || (a->x == r->x && a->y > r->y);
        const stop_row *lo = swap ? r : a, *hi = swap ? a : r;
        p->k[0] = lo->x;
        p->k[1] = lo->y;
        p->k[2] = hi->x;
        p->k[3] = hi->y;
        p->from = (size_t)(a - rows);
        p->to = (size_t)(r - rows);
        /* Segments are numbered in the order their first pair appears in the file. */
        p->order = (size_t)a->row;
        n_pairs++;
    }
    bc->pairs_merged = (int64_t)n_pairs;
    qsort(pairs, n_pairs, sizeof *pairs, cmp_pair);

    /* One segment per distinct key: its first pair (lowest file order) gives
     * the direction and the stops; ids follow file order. */
    size_t n_seg = 0;
    for (size_t i = 0; i < n_pairs; i++)
        n_seg += i == 0 || memcmp(pairs[i].k, pairs[i - 1].k, sizeof pairs[i].k) != 0;
    size_t *start = ctxprof_mallocarray(ctx, n_seg + 1, sizeof *start);
    size_t *order = ctxprof_mallocarray(ctx, n_seg + 1, sizeof *order);
    if (!start || !order) {
        ctxprof_free(ctx, start);
        ctxprof_free(ctx, order);
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    n_seg = 0;
    for (size_t i = 0; i < n_pairs; i++)
        if (i == 0 || memcmp(pairs[i].k, pairs[i - 1].k, sizeof pairs[i].k) != 0)
            start[n_seg++] = i;
    start[n_seg] = n_pairs;
    /* Sort segment indices by the file order of their first pair. */
    {
        stop_pair *firsts = ctxprof_mallocarray(ctx, n_seg ? n_seg : 1, sizeof *firsts);
        if (!firsts) {
            ctxprof_free(ctx, start);
            ctxprof_free(ctx, order);
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        for (size_t s = 0; s < n_seg; s++) {
            firsts[s] = pairs[start[s]];
            firsts[s].k[0] = (double)pairs[start[s]].order;
            firsts[s].k[1] = (double)s;
            firsts[s].k[2] = firsts[s].k[3] = 0;
        }
        qsort(firsts, n_seg, sizeof *firsts, cmp_pair);
        for (size_t s = 0; s < n_seg; s++)
            order[s] = (size_t)firsts[s].k[1];
        ctxprof_free(ctx, firsts);
    }

    if (!(bng = ctxprof_snap_srs("EPSG:27700")) || !(target = ctxprof_snap_srs(c->crs))) {
        ctxprof_free(ctx, start);
        ctxprof_free(ctx, order);
        rc = ctxprof_error(ctx, CTXPROF_E_CRS, "cannot set up EPSG:27700 -> %s", c->crs);
        goto done;
    }
    if (!OSRIsSame(bng, target))
        ct = OCTNewCoordinateTransformation(bng, target);

    static const char *const anames[N_A] = {"routes",  "n_routes",  "n_pairs", "from_stop",
                                            "to_stop", "from_code", "to_code"};
    static const int atypes[N_A] = {OFTString, OFTInteger, OFTInteger, OFTString,
                                    OFTString, OFTString,  OFTString};
    if (!(l->attrs = ctxprof_calloc(ctx, N_A, sizeof *l->attrs)) ||
        !(l->source = ctxprof_strdup(ctx, uri)) ||
        !(routes = ctxprof_mallocarray(ctx, n_pairs ? n_pairs : 1, sizeof *routes))) {
        rc = CTXPROF_E_NOMEM;
    }
    for (int a = 0; !rc && a < N_A; a++) {
        l->attrs[a].type = atypes[a];
        if (!(l->attrs[a].name = ctxprof_strdup(ctx, anames[a])))
            rc = CTXPROF_E_NOMEM;
        l->n_attrs++;
    }
    l->measure_kind = CTXPROF_MEASURE_KM;
    l->geom_dim = 1;
    if (!rc)
        rc = ctxprof_context_layer_reserve(ctx, l, n_seg ? n_seg : 1, &cap);
    for (size_t s = 0; !rc && s < n_seg; s++) {
        size_t b = start[order[s]], e = start[order[s] + 1];
        /* The first pair in file order among the group. */
        const stop_pair *p = &pairs[b];
        for (size_t i = b; i < e; i++)
            if (pairs[i].order < p->order)
                p = &pairs[i];
        const stop_row *fr = &rows[p->from], *to = &rows[p->to];
        size_t nr = 0;
        for (size_t i = b; i < e; i++)
            routes[nr++] = rows[pairs[i].from].route;
        qsort(routes, nr, sizeof *routes, cmp_route);
        size_t nu = 0, len = 0;
        for (size_t i = 0; i < nr; i++)
            if (i == 0 || strcmp(routes[i], routes[nu - 1]) != 0) {
                routes[nu++] = routes[i];
                len += strlen(routes[i]) + 1;
            }
        char *list = ctxprof_malloc(ctx, len + 1);
        if (!list) {
            rc = CTXPROF_E_NOMEM;
            break;
        }
        list[0] = '\0';
        for (size_t i = 0; i < nu; i++) {
            if (i)
                strcat(list, ",");
            strcat(list, routes[i]);
        }
        double xs[2] = {fr->x, to->x}, ys[2] = {fr->y, to->y};
        if (ct && !OCTTransform(ct, 2, xs, ys, NULL)) {
            ctxprof_free(ctx, list);
            rc = ctxprof_error_at(ctx, CTXPROF_E_CRS, path, (long)fr->row, NULL,
                                  "cannot transform the stop to %s", c->crs);
            break;
        }
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 2, 2);
        GEOSCoordSeq_setXY_r(h, cs, 0, xs[0], ys[0]);
        GEOSCoordSeq_setXY_r(h, cs, 1, xs[1], ys[1]);
        size_t j = l->n++;
        l->geom[j] = GEOSGeom_createLineString_r(h, cs);
        double length = 0;
        GEOSLength_r(h, l->geom[j], &length);
        l->measure[j] = length / 1000.0;
        l->id[j] = ctxprof_sprintf(ctx, "BS%05zu", s + 1);
        l->name[j] =
            ctxprof_sprintf(ctx, "%s - %s", fr->stop ? fr->stop : "?", to->stop ? to->stop : "?");
        l->attrs[A_ROUTES].value[j] = list;
        l->attrs[A_N_ROUTES].value[j] = ctxprof_sprintf(ctx, "%zu", nu);
        l->attrs[A_N_PAIRS].value[j] = ctxprof_sprintf(ctx, "%zu", e - b);
        l->attrs[A_FROM_STOP].value[j] = fr->stop ? ctxprof_strdup(ctx, fr->stop) : NULL;
        l->attrs[A_TO_STOP].value[j] = to->stop ? ctxprof_strdup(ctx, to->stop) : NULL;
        l->attrs[A_FROM_CODE].value[j] = fr->code ? ctxprof_strdup(ctx, fr->code) : NULL;
        l->attrs[A_TO_CODE].value[j] = to->code ? ctxprof_strdup(ctx, to->code) : NULL;
        if (!l->geom[j] || !l->id[j] || !l->name[j] || !l->attrs[A_N_ROUTES].value[j] ||
            !l->attrs[A_N_PAIRS].value[j])
            rc = CTXPROF_E_NOMEM;
    }
    ctxprof_free(ctx, start);
    ctxprof_free(ctx, order);
    if (rc)
        goto done;
    bc->segments = (int64_t)l->n;
    if (bc->rows_read != bc->rows_rejected + bc->rows_excluded + bc->runs + bc->pairs ||
        bc->pairs != bc->pairs_zero_length + bc->pairs_merged) {
        rc =
            ctxprof_error(ctx, CTXPROF_E_INTERNAL, "%s: bus stop accounting does not add up", path);
        goto done;
    }
    l->present = 1;
    c->bus_from_sequences = 1;
    ctxprof_log(ctx, CTXPROF_LOG_INFO,
                "%s: %lld rows, %lld routes, %lld runs, %lld stop pairs -> %lld segments "
                "(%lld rows not used, %lld on excluded routes, %lld zero-length pairs, %lld "
                "one-stop runs)",
                path, (long long)bc->rows_read, (long long)bc->routes, (long long)bc->runs,
                (long long)bc->pairs, (long long)bc->segments, (long long)bc->rows_rejected,
                (long long)bc->rows_excluded, (long long)bc->pairs_zero_length,
                (long long)bc->single_stop_runs);
done:
    if (f)
        OGR_F_Destroy(f);
    ctxprof_source_close(ctx, &o);
    free_rows(ctx, rows, n_rows);
    ctxprof_free(ctx, idx);
    ctxprof_free(ctx, pairs);
    ctxprof_free(ctx, routes);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (bng)
        OSRDestroySpatialReference(bng);
    if (target)
        OSRDestroySpatialReference(target);
    ctxprof_free(ctx, path);
    ctxprof_free(ctx, lname);
    if (rc)
        ctxprof_context_layer_clear(ctx, l);
    return rc;
}
