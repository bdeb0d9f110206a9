#include "share/sdc.h"

#include <limits.h>
#include <string.h>

struct ctxprof_sdc {
    int64_t *value;
    unsigned char *state;
    size_t n, cap_value, cap_state;
    /* Constraints in compressed rows: the members of constraint e are
     * cells[start[e] .. start[e+1]), with coefficients coef[...]; the
     * constraint is sum(coef * cell) rel[e] rhs[e]. */
    size_t *start;
    long *cells;
    int *coef;
    unsigned char *rel;
    int64_t *rhs;
    size_t n_eq, cap_start, n_members, cap_cells, cap_coef, cap_rel, cap_rhs;
};

ctxprof_sdc *ctxprof_sdc_new(ctxprof_ctx *ctx)
{
    ctxprof_sdc *s = ctxprof_calloc(ctx, 1, sizeof *s);
    if (!s)
        return NULL;
    if (ctxprof_grow(ctx, (void **)&s->start, &s->cap_start, 1, sizeof *s->start)) {
        ctxprof_free(ctx, s);
        return NULL;
    }
    s->start[0] = 0;
    return s;
}

void ctxprof_sdc_free(ctxprof_ctx *ctx, ctxprof_sdc *s)
{
    if (!s)
        return;
    ctxprof_free(ctx, s->value);
    ctxprof_free(ctx, s->state);
    ctxprof_free(ctx, s->start);
    ctxprof_free(ctx, s->cells);
    ctxprof_free(ctx, s->coef);
    ctxprof_free(ctx, s->rel);
    ctxprof_free(ctx, s->rhs);
    ctxprof_free(ctx, s);
}

long ctxprof_sdc_cell(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t value)
{
    if (value < 0 || value > CTXPROF_SDC_MAX_VALUE)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL,
                             "disclosure control: count %lld outside 0..%lld", (long long)value,
                             (long long)CTXPROF_SDC_MAX_VALUE);
    if (ctxprof_grow(ctx, (void **)&s->value, &s->cap_value, s->n + 1, sizeof *s->value) ||
        ctxprof_grow(ctx, (void **)&s->state, &s->cap_state, s->n + 1, sizeof *s->state))
        return CTXPROF_E_NOMEM;
    s->value[s->n] = value;
    s->state[s->n] = CTXPROF_SDC_PUBLISHED;
    return (long)s->n++;
}

int ctxprof_sdc_constraint(ctxprof_ctx *ctx, ctxprof_sdc *s, const long *cells, const int *coef,
                           size_t n, ctxprof_sdc_rel rel, int64_t rhs)
{
    if (n < 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (cells[i] < 0 || (size_t)cells[i] >= s->n ||
            (coef &&
             (coef[i] == 0 || coef[i] > CTXPROF_SDC_MAX_COEF || coef[i] < -CTXPROF_SDC_MAX_COEF)))
            return ctxprof_error(ctx, CTXPROF_E_INTERNAL,
                                 "disclosure control: constraint names cell %ld of %zu", cells[i],
                                 s->n);
    if (ctxprof_grow(ctx, (void **)&s->cells, &s->cap_cells, s->n_members + n, sizeof *s->cells) ||
        ctxprof_grow(ctx, (void **)&s->coef, &s->cap_coef, s->n_members + n, sizeof *s->coef) ||
        ctxprof_grow(ctx, (void **)&s->rel, &s->cap_rel, s->n_eq + 1, sizeof *s->rel) ||
        ctxprof_grow(ctx, (void **)&s->rhs, &s->cap_rhs, s->n_eq + 1, sizeof *s->rhs) ||
        ctxprof_grow(ctx, (void **)&s->start, &s->cap_start, s->n_eq + 2, sizeof *s->start))
        return CTXPROF_E_NOMEM;
    memcpy(s->cells + s->n_members, cells, n * sizeof *cells);
    for (size_t i = 0; i < n; i++)
        s->coef[s->n_members + i] = coef ? coef[i] : 1;
    s->n_members += n;
    s->rel[s->n_eq] = (unsigned char)rel;
    s->rhs[s->n_eq] = rhs;
    s->start[++s->n_eq] = s->n_members;
    return 0;
}

int ctxprof_sdc_equation(ctxprof_ctx *ctx, ctxprof_sdc *s, const long *cells, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (cells[i] >= 0 && (size_t)cells[i] < s->n)
            sum += s->value[cells[i]]; /* <= n * 2^40: no overflow */
    return ctxprof_sdc_constraint(ctx, s, cells, NULL, n, CTXPROF_SDC_EQ, sum);
}

void ctxprof_sdc_hide(ctxprof_sdc *s, long cell)
{
    if (cell >= 0 && (size_t)cell < s->n && s->state[cell] == CTXPROF_SDC_PUBLISHED)
        s->state[cell] = CTXPROF_SDC_SECONDARY;
}

void ctxprof_sdc_drop(ctxprof_sdc *s, long cell)
{
    if (cell >= 0 && (size_t)cell < s->n)
        s->state[cell] = CTXPROF_SDC_DROPPED;
}

size_t ctxprof_sdc_n_cells(const ctxprof_sdc *s)
{
    return s->n;
}

int64_t ctxprof_sdc_value(const ctxprof_sdc *s, long cell)
{
    return s->value[cell];
}

ctxprof_sdc_state ctxprof_sdc_get(const ctxprof_sdc *s, long cell)
{
    return (ctxprof_sdc_state)s->state[cell];
}

size_t ctxprof_sdc_primary(ctxprof_sdc *s, int64_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->state[i] == CTXPROF_SDC_PUBLISHED && s->value[i] >= 1 && s->value[i] < k) {
            s->state[i] = CTXPROF_SDC_PRIMARY;
            n++;
        }
    return n;
}

/* The equations each cell belongs to, in compressed rows (cell c's are
 * eqs[first[c] .. first[c+1])). */
typedef struct {
    size_t *first, *eqs;
} cell_index;

static int index_cells(ctxprof_ctx *ctx, const ctxprof_sdc *s, cell_index *ix)
{
    ix->first = ctxprof_calloc(ctx, s->n + 1, sizeof *ix->first);
    ix->eqs = ctxprof_mallocarray(ctx, s->n_members ? s->n_members : 1, sizeof *ix->eqs);
    if (!ix->first || !ix->eqs)
        return CTXPROF_E_NOMEM;
    for (size_t m = 0; m < s->n_members; m++)
        ix->first[s->cells[m] + 1]++;
    for (size_t c = 0; c < s->n; c++)
        ix->first[c + 1] += ix->first[c];
    size_t *fill = ctxprof_mallocarray(ctx, s->n ? s->n : 1, sizeof *fill);
    if (!fill)
        return CTXPROF_E_NOMEM;
    memcpy(fill, ix->first, s->n * sizeof *fill);
    for (size_t e = 0; e < s->n_eq; e++)
        for (size_t m = s->start[e]; m < s->start[e + 1]; m++)
            ix->eqs[fill[s->cells[m]]++] = e;
    ctxprof_free(ctx, fill);
    return 0;
}

static void free_index(ctxprof_ctx *ctx, cell_index *ix)
{
    ctxprof_free(ctx, ix->first);
    ctxprof_free(ctx, ix->eqs);
}

/* A worklist shared by the protector and the attacker: unknown[e] counts
 * the cells of equation e that are not known; an equation whose count is 1
 * joins the queue (first in, first out: the equations in the order they
 * were added, rows before columns when added so). */
typedef struct {
    size_t *unknown, *queue, head, tail;
} worklist;

static int worklist_init(ctxprof_ctx *ctx, const ctxprof_sdc *s, const unsigned char *known,
                         worklist *w)
{
    size_t n = s->n_eq ? s->n_eq : 1;
    w->unknown = ctxprof_calloc(ctx, n, sizeof *w->unknown);
    /* Counts only rise in the protector and only fall in the attacker, so
     * each equation reaches 1 (and is queued) at most once. */
    w->queue = ctxprof_mallocarray(ctx, n, sizeof *w->queue);
    w->head = w->tail = 0;
    if (!w->unknown || !w->queue)
        return CTXPROF_E_NOMEM;
    for (size_t e = 0; e < s->n_eq; e++) {
        if (s->rel[e] != CTXPROF_SDC_EQ) {
            w->unknown[e] = SIZE_MAX / 2; /* never 1: inequalities solve nothing */
            continue;
        }
        for (size_t m = s->start[e]; m < s->start[e + 1]; m++)
            w->unknown[e] += !known[s->cells[m]];
        if (w->unknown[e] == 1)
            w->queue[w->tail++] = e;
    }
    return 0;
}

static void worklist_free(ctxprof_ctx *ctx, worklist *w)
{
    ctxprof_free(ctx, w->unknown);
    ctxprof_free(ctx, w->queue);
}

/* The cell to hide in equation e: the smallest non-zero published value,
 * else a published zero; -1 when none is left. */
static long candidate(const ctxprof_sdc *s, size_t e)
{
    long best = -1;
    for (size_t m = s->start[e]; m < s->start[e + 1]; m++) {
        long c = s->cells[m];
        if (s->state[c] != CTXPROF_SDC_PUBLISHED)
            continue;
        if (best < 0) {
            best = c;
            continue;
        }
        int64_t v = s->value[c], b = s->value[best];
        int better = (v > 0 && b == 0) || ((v > 0) == (b > 0) && (v < b || (v == b && c < best)));
        if (better)
            best = c;
    }
    return best;
}

int ctxprof_sdc_secondary(ctxprof_ctx *ctx, ctxprof_sdc *s, size_t *n_secondary,
                          size_t *n_unprotectable)
{
    *n_secondary = 0;
    *n_unprotectable = 0;
    cell_index ix = {0};
    worklist w = {0};
    unsigned char *known = ctxprof_malloc(ctx, s->n ? s->n : 1);
    int rc = 0;
    if (!known) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t c = 0; c < s->n; c++)
        known[c] = s->state[c] == CTXPROF_SDC_PUBLISHED;
    if ((rc = index_cells(ctx, s, &ix)) || (rc = worklist_init(ctx, s, known, &w)))
        goto done;
    while (w.head < w.tail) {
        size_t e = w.queue[w.head++];
        if (w.unknown[e] != 1)
            continue;
        long c = candidate(s, e);
        if (c < 0) {
            ++*n_unprotectable;
            continue;
        }
        s->state[c] = CTXPROF_SDC_SECONDARY;
        known[c] = 0;
        ++*n_secondary;
        for (size_t j = ix.first[c]; j < ix.first[c + 1]; j++) {
            size_t f = ix.eqs[j];
            if (++w.unknown[f] == 1)
                w.queue[w.tail++] = f;
        }
    }
done:
    worklist_free(ctx, &w);
    free_index(ctx, &ix);
    ctxprof_free(ctx, known);
    return rc;
}

long ctxprof_sdc_attack(ctxprof_ctx *ctx, const ctxprof_sdc *s, unsigned char *recovered)
{
    cell_index ix = {0};
    worklist w = {0};
    long n = 0;
    int rc = 0;
    unsigned char *known = ctxprof_malloc(ctx, s->n ? s->n : 1);
    if (!known) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t c = 0; c < s->n; c++)
        known[c] = s->state[c] == CTXPROF_SDC_PUBLISHED;
    if (recovered)
        memset(recovered, 0, s->n);
    if ((rc = index_cells(ctx, s, &ix)) || (rc = worklist_init(ctx, s, known, &w)))
        goto done;
    while (w.head < w.tail) {
        size_t e = w.queue[w.head++];
        if (w.unknown[e] != 1)
            continue;
        long c = -1;
        for (size_t m = s->start[e]; m < s->start[e + 1] && c < 0; m++)
            if (!known[s->cells[m]])
                c = s->cells[m];
        known[c] = 1;
        if (recovered)
            recovered[c] = 1;
        n++;
        for (size_t j = ix.first[c]; j < ix.first[c + 1]; j++) {
            size_t f = ix.eqs[j];
            if (--w.unknown[f] == 1)
                w.queue[w.tail++] = f;
        }
    }
done:
    worklist_free(ctx, &w);
    free_index(ctx, &ix);
    ctxprof_free(ctx, known);
    return rc ? rc : n;
}

/* Bounds propagation. Sums are 128-bit: |coef| <= 1000 and values <= 2^40
 * keep every activity of up to 2^40 members inside. */
typedef __int128 wide;

static wide floor_div(wide a, wide b)
{
    wide q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static wide ceil_div(wide a, wide b)
{
    wide q = a / b;
    return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}

typedef struct {
    int64_t *lo, *hi;
    long *lo_by, *hi_by; /* the row that set the bound (-1: none) */
} box;

/* Row 2e + o is constraint e read as sum(coef x) <= rhs (o = 0) or as
 * sum(-coef x) <= -rhs (o = 1): an equality is both, <= the first, >= the
 * second. */
static int row_used(const ctxprof_sdc *s, size_t e, int o)
{
    return s->rel[e] == CTXPROF_SDC_EQ || (s->rel[e] == CTXPROF_SDC_LE) == (o == 0);
}

/* Tightens the bounds of row r's unpublished cells from the least value
 * the other cells can take (their activity); pushes the constraints of
 * every changed cell onto the queue. */
static void propagate_row(const ctxprof_sdc *s, const cell_index *ix, box *b, long r, size_t *queue,
                          size_t *tail, unsigned char *queued)
{
    size_t e = (size_t)r / 2;
    int sign = r % 2 ? -1 : 1;
    wide minact = 0;
    size_t ninf = 0;
    long infcell = -1;
    for (size_t m = s->start[e]; m < s->start[e + 1]; m++) {
        long c = s->cells[m];
        wide a = (wide)sign * s->coef[m];
        if (a > 0)
            minact += a * b->lo[c];
        else if (b->hi[c] == CTXPROF_SDC_INF) {
            ninf++;
            infcell = c;
        } else
            minact += a * b->hi[c];
    }
    if (ninf > 1)
        return;
    wide rhs = (wide)sign * s->rhs[e];
    for (size_t m = s->start[e]; m < s->start[e + 1]; m++) {
        long c = s->cells[m];
        wide a = (wide)sign * s->coef[m];
        if (s->state[c] == CTXPROF_SDC_PUBLISHED || (ninf && c != infcell))
            continue;
        wide rest = ninf ? minact : minact - (a > 0 ? a * b->lo[c] : a * b->hi[c]);
        int changed = 0;
        if (a > 0) { /* a x <= rhs - rest */
            wide nh = floor_div(rhs - rest, a);
            if (nh >= b->lo[c] && (b->hi[c] == CTXPROF_SDC_INF || nh < b->hi[c])) {
                b->hi[c] = (int64_t)nh;
                b->hi_by[c] = r;
                changed = 1;
            }
        } else {
            wide nl = ceil_div(rhs - rest, a);
            if (nl > b->lo[c] && (b->hi[c] == CTXPROF_SDC_INF || nl <= b->hi[c])) {
                b->lo[c] = (int64_t)nl;
                b->lo_by[c] = r;
                changed = 1;
            }
        }
        for (size_t j = ix->first[c]; changed && j < ix->first[c + 1]; j++)
            if (!queued[ix->eqs[j]]) {
                queued[ix->eqs[j]] = 1;
                queue[(*tail)++ % (s->n_eq ? s->n_eq : 1)] = ix->eqs[j];
            }
    }
}

/* The fixpoint: every constraint is queued once, then again whenever one
 * of its cells' bounds changes; stops at the fixpoint or after 64 passes'
 * worth of work (the bounds are valid at any point, only less tight). */
static int run_bounds(ctxprof_ctx *ctx, const ctxprof_sdc *s, const cell_index *ix, box *b)
{
    for (size_t c = 0; c < s->n; c++) {
        int pub = s->state[c] == CTXPROF_SDC_PUBLISHED;
        b->lo[c] = pub ? s->value[c] : 0;
        b->hi[c] = pub ? s->value[c] : CTXPROF_SDC_INF;
        b->lo_by[c] = b->hi_by[c] = -1;
    }
    size_t n = s->n_eq ? s->n_eq : 1;
    size_t *queue = ctxprof_mallocarray(ctx, n, sizeof *queue);
    unsigned char *queued = ctxprof_malloc(ctx, n);
    if (!queue || !queued) {
        ctxprof_free(ctx, queue);
        ctxprof_free(ctx, queued);
        return CTXPROF_E_NOMEM;
    }
    for (size_t e = 0; e < s->n_eq; e++) {
        queue[e] = e;
        queued[e] = 1;
    }
    size_t head = 0, tail = s->n_eq, budget = 64 * n + 1024;
    while (head < tail && budget--) {
        size_t e = queue[head++ % n];
        queued[e] = 0;
        for (int o = 0; o < 2; o++)
            if (row_used(s, e, o))
                propagate_row(s, ix, b, (long)(2 * e + (size_t)o), queue, &tail, queued);
    }
    ctxprof_free(ctx, queue);
    ctxprof_free(ctx, queued);
    return 0;
}

static int box_new(ctxprof_ctx *ctx, const ctxprof_sdc *s, box *b, int64_t *lo, int64_t *hi)
{
    size_t n = s->n ? s->n : 1;
    b->lo = lo ? lo : ctxprof_mallocarray(ctx, n, sizeof *b->lo);
    b->hi = hi ? hi : ctxprof_mallocarray(ctx, n, sizeof *b->hi);
    b->lo_by = ctxprof_mallocarray(ctx, n, sizeof *b->lo_by);
    b->hi_by = ctxprof_mallocarray(ctx, n, sizeof *b->hi_by);
    return b->lo && b->hi && b->lo_by && b->hi_by ? 0 : CTXPROF_E_NOMEM;
}

static void box_free(ctxprof_ctx *ctx, box *b, const int64_t *lo, const int64_t *hi)
{
    if (b->lo != lo)
        ctxprof_free(ctx, b->lo);
    if (b->hi != hi)
        ctxprof_free(ctx, b->hi);
    ctxprof_free(ctx, b->lo_by);
    ctxprof_free(ctx, b->hi_by);
}

static int exposed_interval(int64_t lo, int64_t hi, int64_t k);

static int exposed_cell(const ctxprof_sdc *s, const box *b, long c, int64_t k)
{
    return s->state[c] != CTXPROF_SDC_PUBLISHED && exposed_interval(b->lo[c], b->hi[c], k);
}

/* bounds, then (when k > 0) the exposed cells */
static long bounds_audit(ctxprof_ctx *ctx, const ctxprof_sdc *s, int64_t *lo, int64_t *hi,
                         int64_t k, unsigned char *exposed)
{
    cell_index ix = {0};
    box b = {0};
    long n = 0;
    int rc = index_cells(ctx, s, &ix);
    if (!rc)
        rc = box_new(ctx, s, &b, lo, hi);
    if (!rc)
        rc = run_bounds(ctx, s, &ix, &b);
    for (size_t c = 0; !rc && k > 0 && c < s->n; c++) {
        int x = exposed_cell(s, &b, (long)c, k);
        n += x;
        if (exposed)
            exposed[c] = (unsigned char)x;
    }
    box_free(ctx, &b, lo, hi);
    free_index(ctx, &ix);
    return rc ? rc : n;
}

int ctxprof_sdc_bounds(ctxprof_ctx *ctx, const ctxprof_sdc *s, int64_t *lo, int64_t *hi)
{
    long rc = bounds_audit(ctx, s, lo, hi, 0, NULL);
    return rc < 0 ? (int)rc : 0;
}

long ctxprof_sdc_audit(ctxprof_ctx *ctx, const ctxprof_sdc *s, int64_t k, unsigned char *exposed)
{
    return bounds_audit(ctx, s, NULL, NULL, k, exposed);
}

/* The published cell of row r (not c) whose hiding loosens the row's bound
 * on c: one with a negative coefficient in the row (hiding it removes the
 * bound) or a positive one and a non-zero value; the smallest non-zero
 * value first, a zero last; -1 when none. */
static long row_candidate(const ctxprof_sdc *s, long r, long c)
{
    size_t e = (size_t)r / 2;
    int sign = r % 2 ? -1 : 1;
    long best = -1;
    for (size_t m = s->start[e]; m < s->start[e + 1]; m++) {
        long j = s->cells[m];
        int64_t v = s->value[j];
        if (j == c || s->state[j] != CTXPROF_SDC_PUBLISHED || (sign * s->coef[m] > 0 && v == 0))
            continue;
        int64_t bv = best < 0 ? 0 : s->value[best];
        if (best < 0 || (v > 0 && bv == 0) || ((v > 0) == (bv > 0) && v < bv))
            best = j;
    }
    return best;
}

/* A published cell whose hiding loosens some constraint of c: the first
 * candidate over c's constraints and their readings; -1 when none. */
static long any_candidate(const ctxprof_sdc *s, const cell_index *ix, long c)
{
    for (size_t j = ix->first[c]; j < ix->first[c + 1]; j++)
        for (int o = 0; o < 2; o++) {
            long p = row_used(s, ix->eqs[j], o)
                         ? row_candidate(s, (long)(2 * ix->eqs[j] + (size_t)o), c)
                         : -1;
            if (p >= 0)
                return p;
        }
    return -1;
}

/* A cell to hide so that c's interval widens: one of the rows that set
 * c's bounds, else (depth < 3) one of the rows that set the bounds of the
 * other hidden cells of those rows, else any constraint of c. */
static long choose(const ctxprof_sdc *s, const cell_index *ix, const box *b, long c, int depth)
{
    long rows[2] = {b->hi[c] != CTXPROF_SDC_INF ? b->hi_by[c] : -1,
                    b->lo[c] > 0 ? b->lo_by[c] : -1};
    for (int i = 0; i < 2; i++) {
        long p = rows[i] >= 0 ? row_candidate(s, rows[i], c) : -1;
        if (p >= 0)
            return p;
    }
    for (int i = 0; i < 2 && depth < 3; i++) {
        if (rows[i] < 0)
            continue;
        size_t e = (size_t)rows[i] / 2;
        for (size_t m = s->start[e]; m < s->start[e + 1]; m++) {
            long j = s->cells[m];
            long p = j != c && s->state[j] != CTXPROF_SDC_PUBLISHED ? choose(s, ix, b, j, depth + 1)
                                                                    : -1;
            if (p >= 0)
                return p;
        }
    }
    return depth == 0 ? any_candidate(s, ix, c) : -1;
}

int ctxprof_sdc_protect(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t k, size_t *n_secondary,
                        size_t *n_unprotectable)
{
    *n_secondary = *n_unprotectable = 0;
    cell_index ix = {0};
    box b = {0};
    int rc = index_cells(ctx, s, &ix);
    if (!rc)
        rc = box_new(ctx, s, &b, NULL, NULL);
    while (!rc && !(rc = run_bounds(ctx, s, &ix, &b))) {
        size_t hidden = 0, stuck = 0;
        for (size_t c = 0; c < s->n; c++) {
            if (!exposed_cell(s, &b, (long)c, k))
                continue;
            long p = choose(s, &ix, &b, (long)c, 0);
            if (p < 0)
                stuck++;
            else if (s->state[p] == CTXPROF_SDC_PUBLISHED) {
                s->state[p] = CTXPROF_SDC_SECONDARY;
                hidden++;
            }
        }
        *n_secondary += hidden;
        if (!hidden) {
            *n_unprotectable = stuck;
            break;
        }
    }
    box_free(ctx, &b, NULL, NULL);
    free_index(ctx, &ix);
    return rc;
}

/* ---- The exact audit: linear programming with GLPK ----
 *
 * A reader's exact knowledge of an unpublished cell is the least and the
 * greatest value it takes over the whole numbers >= 0 that satisfy every
 * constraint, published cells fixed. The unpublished cells split into
 * components (cells linked through constraints); each component is one
 * problem: its cells are the columns, the constraints that name them the
 * rows (their right-hand sides less the published cells). For each cell
 * the LP maximum (and, where that does not settle it, the minimum) is
 * found by GLPK's simplex, warm-started from the last basis; where the LP
 * optimum is not whole, glp_intopt gives the integer one. */

#include <glpk.h>
#include <math.h>

static long uf_find(long *up, long c)
{
    while (up[c] != c)
        c = up[c] = up[up[c]];
    return c;
}

/* The criterion (docs/sharing.md, "The audit"): a hidden cell is exposed
 * when a reader can narrow it to one value, or to values below k (so learn
 * that it is small). Protected: two values or more, one of them >= k. */
static int exposed_interval(int64_t lo, int64_t hi, int64_t k)
{
    return hi != CTXPROF_SDC_INF && (hi < k || hi == lo);
}

/* The optimum of cell j (column col) of problem P, max or min, as a whole
 * number (CTXPROF_SDC_INF: unbounded above); -1 on a solver failure. */
static int lp_bound(glp_prob *P, int col, int dir, int64_t *out)
{
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    glp_set_obj_dir(P, dir);
    glp_set_obj_coef(P, col, 1.0);
    int ret = glp_simplex(P, &sp);
    if (ret == GLP_EBADB || ret == GLP_ESING || ret == GLP_ECOND) {
        glp_std_basis(P);
        ret = glp_simplex(P, &sp);
    }
    int st = glp_get_status(P);
    int rc = 0;
    if (ret != 0) {
        rc = -1;
    } else if (st == GLP_UNBND) {
        *out = dir == GLP_MAX ? CTXPROF_SDC_INF : 0;
    } else if (st != GLP_OPT) {
        rc = -1;
    } else {
        double v = glp_get_obj_val(P);
        if (fabs(v - nearbyint(v)) > 1e-7) {
            glp_iocp ip;
            glp_init_iocp(&ip);
            ip.msg_lev = GLP_MSG_OFF;
            if (glp_intopt(P, &ip) != 0 || glp_mip_status(P) != GLP_OPT)
                rc = -1;
            else
                v = glp_mip_obj_val(P);
        }
        *out = (int64_t)(dir == GLP_MAX ? floor(v + 1e-7) : ceil(v - 1e-7));
    }
    glp_set_obj_coef(P, col, 0.0);
    return rc;
}

/* One component: cells cells[0..nc), constraints eqs[0..ne). */
static int audit_component(ctxprof_ctx *ctx, const ctxprof_sdc *s, const long *cells, size_t nc,
                           const size_t *eqs, size_t ne, long *colof, int64_t k, int64_t *lo,
                           int64_t *hi)
{
    size_t nz = 0;
    for (size_t i = 0; i < ne; i++)
        nz += s->start[eqs[i] + 1] - s->start[eqs[i]];
    int *ia = ctxprof_mallocarray(ctx, nz + 1, sizeof *ia);
    int *ja = ctxprof_mallocarray(ctx, nz + 1, sizeof *ja);
    double *ar = ctxprof_mallocarray(ctx, nz + 1, sizeof *ar);
    glp_prob *P = glp_create_prob();
    int rc = ia && ja && ar && P ? 0 : CTXPROF_E_NOMEM;
    for (size_t j = 0; j < nc; j++)
        colof[cells[j]] = (long)j + 1;
    if (!rc) {
        glp_add_cols(P, (int)nc);
        glp_add_rows(P, (int)ne);
        for (size_t j = 0; j < nc; j++) {
            glp_set_col_bnds(P, (int)j + 1, GLP_LO, 0.0, 0.0);
            glp_set_col_kind(P, (int)j + 1, GLP_IV);
        }
    }
    size_t n = 0;
    for (size_t i = 0; !rc && i < ne; i++) {
        size_t e = eqs[i];
        double rhs = (double)s->rhs[e];
        for (size_t m = s->start[e]; m < s->start[e + 1]; m++) {
            long c = s->cells[m];
            if (s->state[c] == CTXPROF_SDC_PUBLISHED) {
                rhs -= (double)s->coef[m] * (double)s->value[c];
                continue;
            }
            n++;
            ia[n] = (int)i + 1;
            ja[n] = (int)colof[c];
            ar[n] = s->coef[m];
        }
        int type = s->rel[e] == CTXPROF_SDC_EQ   ? GLP_FX
                   : s->rel[e] == CTXPROF_SDC_LE ? GLP_UP
                                                 : GLP_LO;
        glp_set_row_bnds(P, (int)i + 1, type, rhs, rhs);
    }
    if (!rc)
        glp_load_matrix(P, (int)n, ia, ja, ar);
    for (size_t j = 0; !rc && j < nc; j++) {
        long c = cells[j];
        int64_t v = s->value[c], mx = 0, mn = 0;
        if (lp_bound(P, (int)j + 1, GLP_MAX, &mx)) {
            rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL,
                               "disclosure control: the linear program of a component of %zu "
                               "cells has no solution (the counts break their own totals)",
                               nc);
            break;
        }
        /* v and mx >= k are both possible: settled without the minimum
         * (lo -1: not computed) */
        if (mx >= k && mx > v) {
            lo[c] = -1;
            hi[c] = mx;
            continue;
        }
        if (mx >= k && lp_bound(P, (int)j + 1, GLP_MIN, &mn) == 0) {
            lo[c] = mn;
            hi[c] = mx;
            continue;
        }
        lo[c] = mx < k ? -1 : v;
        hi[c] = mx;
    }
    if (P)
        glp_delete_prob(P);
    ctxprof_free(ctx, ia);
    ctxprof_free(ctx, ja);
    ctxprof_free(ctx, ar);
    return rc;
}

long ctxprof_sdc_exact(ctxprof_ctx *ctx, const ctxprof_sdc *s, int64_t k, int64_t *lo_out,
                       int64_t *hi_out, unsigned char *exposed)
{
    size_t n = s->n ? s->n : 1;
    long *up = ctxprof_mallocarray(ctx, n, sizeof *up);
    long *colof = ctxprof_mallocarray(ctx, n, sizeof *colof);
    size_t *cfirst = ctxprof_calloc(ctx, n + 1, sizeof *cfirst);
    long *cells = ctxprof_mallocarray(ctx, n, sizeof *cells);
    size_t *efirst = ctxprof_calloc(ctx, n + 1, sizeof *efirst);
    size_t *eqs = ctxprof_mallocarray(ctx, s->n_eq ? s->n_eq : 1, sizeof *eqs);
    long *eroot = ctxprof_mallocarray(ctx, s->n_eq ? s->n_eq : 1, sizeof *eroot);
    int64_t *lo = lo_out ? lo_out : ctxprof_mallocarray(ctx, n, sizeof *lo);
    int64_t *hi = hi_out ? hi_out : ctxprof_mallocarray(ctx, n, sizeof *hi);
    long rc =
        up && colof && cfirst && cells && efirst && eqs && eroot && lo && hi ? 0 : CTXPROF_E_NOMEM;
    glp_term_out(GLP_OFF);
    for (size_t c = 0; !rc && c < s->n; c++) {
        up[c] = (long)c;
        lo[c] = hi[c] = s->value[c];
    }
    /* components */
    for (size_t e = 0; !rc && e < s->n_eq; e++) {
        long first = -1;
        for (size_t m = s->start[e]; m < s->start[e + 1]; m++) {
            long c = s->cells[m];
            if (s->state[c] == CTXPROF_SDC_PUBLISHED)
                continue;
            if (first < 0)
                first = c;
            else
                up[uf_find(up, c)] = uf_find(up, first);
        }
        eroot[e] = first;
    }
    /* bucket the cells and constraints by root (counting sort) */
    for (size_t c = 0; !rc && c < s->n; c++)
        if (s->state[c] != CTXPROF_SDC_PUBLISHED)
            cfirst[uf_find(up, (long)c) + 1]++;
    for (size_t e = 0; !rc && e < s->n_eq; e++)
        if (eroot[e] >= 0)
            efirst[(eroot[e] = uf_find(up, eroot[e])) + 1]++;
    for (size_t c = 0; !rc && c < s->n; c++) {
        cfirst[c + 1] += cfirst[c];
        efirst[c + 1] += efirst[c];
    }
    if (!rc) {
        size_t *cf = ctxprof_mallocarray(ctx, n, sizeof *cf), *ef = NULL;
        if (cf)
            ef = ctxprof_mallocarray(ctx, n, sizeof *ef);
        if (!cf || !ef)
            rc = CTXPROF_E_NOMEM;
        for (size_t c = 0; !rc && c < s->n; c++) {
            cf[c] = cfirst[c];
            ef[c] = efirst[c];
        }
        for (size_t c = 0; !rc && c < s->n; c++)
            if (s->state[c] != CTXPROF_SDC_PUBLISHED)
                cells[cf[uf_find(up, (long)c)]++] = (long)c;
        for (size_t e = 0; !rc && e < s->n_eq; e++)
            if (eroot[e] >= 0)
                eqs[ef[eroot[e]]++] = e;
        ctxprof_free(ctx, cf);
        ctxprof_free(ctx, ef);
    }
    for (size_t r = 0; !rc && r < s->n; r++) {
        size_t nc = cfirst[r + 1] - cfirst[r];
        if (!nc)
            continue;
        size_t ne = efirst[r + 1] - efirst[r];
        if (!ne) { /* no constraint names them: unbounded */
            for (size_t j = cfirst[r]; j < cfirst[r + 1]; j++) {
                lo[cells[j]] = 0;
                hi[cells[j]] = CTXPROF_SDC_INF;
            }
            continue;
        }
        rc = audit_component(ctx, s, cells + cfirst[r], nc, eqs + efirst[r], ne, colof, k, lo, hi);
    }
    long nexp = 0;
    for (size_t c = 0; !rc && c < s->n; c++) {
        int x = s->state[c] != CTXPROF_SDC_PUBLISHED && exposed_interval(lo[c], hi[c], k);
        nexp += x;
        if (exposed)
            exposed[c] = (unsigned char)x;
    }
    if (lo != lo_out)
        ctxprof_free(ctx, lo);
    if (hi != hi_out)
        ctxprof_free(ctx, hi);
    ctxprof_free(ctx, up);
    ctxprof_free(ctx, colof);
    ctxprof_free(ctx, cfirst);
    ctxprof_free(ctx, cells);
    ctxprof_free(ctx, efirst);
    ctxprof_free(ctx, eqs);
    ctxprof_free(ctx, eroot);
    return rc ? rc : nexp;
}

int ctxprof_sdc_protect_exact(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t k, size_t *n_secondary,
                              size_t *n_unprotectable)
{
    *n_secondary = *n_unprotectable = 0;
    cell_index ix = {0};
    unsigned char *exposed = ctxprof_malloc(ctx, s->n ? s->n : 1);
    int rc = exposed ? index_cells(ctx, s, &ix) : CTXPROF_E_NOMEM;
    for (int round = 0; !rc; round++) {
        size_t sec = 0, stuck = 0, hidden = 0;
        /* the fast pass: what bounds propagation alone exposes */
        if ((rc = ctxprof_sdc_protect(ctx, s, k, &sec, &stuck)))
            break;
        *n_secondary += sec;
        long n = ctxprof_sdc_exact(ctx, s, k, NULL, NULL, exposed);
        if (n <= 0) {
            rc = n < 0 ? (int)n : 0;
            break;
        }
        for (size_t c = 0; c < s->n; c++) {
            long p = exposed[c] ? any_candidate(s, &ix, (long)c) : -1;
            if (p >= 0 && s->state[p] == CTXPROF_SDC_PUBLISHED) {
                s->state[p] = CTXPROF_SDC_SECONDARY;
                hidden++;
            }
        }
        *n_secondary += hidden;
        if (!hidden || round == 200) {
            *n_unprotectable = (size_t)n;
            break;
        }
    }
    free_index(ctx, &ix);
    ctxprof_free(ctx, exposed);
    return rc;
}
