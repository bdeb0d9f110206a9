#include "share/sdc.h"

#include <string.h>

struct ctxprof_sdc {
    int64_t *value;
    unsigned char *state;
    size_t n, cap_value, cap_state;
    /* Equations in compressed rows: members of equation e are
     * cells[start[e] .. start[e+1]). */
    size_t *start;
    long *cells;
    size_t n_eq, cap_start, n_members, cap_cells;
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
    ctxprof_free(ctx, s);
}

long ctxprof_sdc_cell(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t value)
{
    if (value < 0)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "disclosure control: negative count %lld",
                             (long long)value);
    if (ctxprof_grow(ctx, (void **)&s->value, &s->cap_value, s->n + 1, sizeof *s->value) ||
        ctxprof_grow(ctx, (void **)&s->state, &s->cap_state, s->n + 1, sizeof *s->state))
        return CTXPROF_E_NOMEM;
    s->value[s->n] = value;
    s->state[s->n] = CTXPROF_SDC_PUBLISHED;
    return (long)s->n++;
}

int ctxprof_sdc_equation(ctxprof_ctx *ctx, ctxprof_sdc *s, const long *cells, size_t n)
{
    if (n < 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (cells[i] < 0 || (size_t)cells[i] >= s->n)
            return ctxprof_error(ctx, CTXPROF_E_INTERNAL,
                                 "disclosure control: equation names cell %ld of %zu", cells[i],
                                 s->n);
    if (ctxprof_grow(ctx, (void **)&s->cells, &s->cap_cells, s->n_members + n, sizeof *s->cells) ||
        ctxprof_grow(ctx, (void **)&s->start, &s->cap_start, s->n_eq + 2, sizeof *s->start))
        return CTXPROF_E_NOMEM;
    memcpy(s->cells + s->n_members, cells, n * sizeof *cells);
    s->n_members += n;
    s->start[++s->n_eq] = s->n_members;
    return 0;
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
