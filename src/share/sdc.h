/* Statistical disclosure control of count tables: primary suppression of
 * small counts and secondary suppression so that no suppressed count can be
 * recovered, or narrowed down, from what a reader knows.
 *
 * A reader's knowledge is a system of linear constraints over the cells:
 * sum(coef * cell) = rhs, <= rhs or >= rhs, each cell a whole number >= 0,
 * published cells known exactly. ctxprof_sdc_bounds runs bounds propagation
 * (an interval fixpoint with integer rounding) over every constraint and
 * gives each cell the interval a reader can narrow it to;
 * ctxprof_sdc_protect hides more cells until every hidden cell's interval
 * holds at least k whole numbers (docs/sharing.md, "The audit").
 *
 * The model is deliberately general. A table system is a set of cells (one
 * count each) and a set of equations; an equation is a set of cells whose
 * (signed) sum a reader knows: a row whose category counts add up to its
 * row total, a column whose cells add up to a published layer total, a
 * context's temporal cells that add up to its n_total. A reader who knows
 * every published cell can solve any equation with exactly one unpublished
 * cell, and then use that value in the next equation: secondary suppression
 * makes sure no equation ever has exactly one unpublished cell.
 *
 * Cells and equations are added first, then primary and secondary run, then
 * the states are read back. Cell indexes are dense, from 0, in the order the
 * cells were added.
 */
#ifndef CTXPROF_SDC_H
#define CTXPROF_SDC_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"

typedef enum {
    CTXPROF_SDC_PUBLISHED = 0,
    CTXPROF_SDC_PRIMARY = 1,   /* 1..k-1 */
    CTXPROF_SDC_SECONDARY = 2, /* hidden so that a primary one cannot be recovered */
    CTXPROF_SDC_DROPPED = 3    /* the whole feature was dropped (never published) */
} ctxprof_sdc_state;

typedef enum { CTXPROF_SDC_EQ = 0, CTXPROF_SDC_LE = 1, CTXPROF_SDC_GE = 2 } ctxprof_sdc_rel;

/* Limits that keep every sum of the solver inside 128 bits. */
#define CTXPROF_SDC_MAX_VALUE ((int64_t)1 << 40)
#define CTXPROF_SDC_MAX_COEF  1000
/* An upper bound a reader cannot set. */
#define CTXPROF_SDC_INF INT64_MAX

typedef struct ctxprof_sdc ctxprof_sdc;

/* A new, empty table system; free with ctxprof_sdc_free. */
ctxprof_sdc *ctxprof_sdc_new(ctxprof_ctx *ctx);
void ctxprof_sdc_free(ctxprof_ctx *ctx, ctxprof_sdc *s);

/* Adds a cell with a count (0..CTXPROF_SDC_MAX_VALUE) and returns its
 * index, or a negative error code. */
long ctxprof_sdc_cell(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t value);
/* Adds an equation over n cells (indexes from ctxprof_sdc_cell) whose sum
 * the reader knows (the sum of their values); the order does not matter.
 * Equations of fewer than 1 cell are ignored. */
int ctxprof_sdc_equation(ctxprof_ctx *ctx, ctxprof_sdc *s, const long *cells, size_t n);
/* Adds the constraint sum(coef[i] * cells[i]) rel rhs (coef NULL: all 1;
 * coefficients 1..CTXPROF_SDC_MAX_COEF in size). It must hold for the
 * cells' values. Only equalities take part in ctxprof_sdc_secondary and
 * ctxprof_sdc_attack; every constraint takes part in the bounds. */
int ctxprof_sdc_constraint(ctxprof_ctx *ctx, ctxprof_sdc *s, const long *cells, const int *coef,
                           size_t n, ctxprof_sdc_rel rel, int64_t rhs);
/* Marks a cell as dropped (its feature is not published at all). */
void ctxprof_sdc_drop(ctxprof_sdc *s, long cell);
/* Hides a published cell (secondary; differencing uses it too). */
void ctxprof_sdc_hide(ctxprof_sdc *s, long cell);

size_t ctxprof_sdc_n_cells(const ctxprof_sdc *s);
int64_t ctxprof_sdc_value(const ctxprof_sdc *s, long cell);
ctxprof_sdc_state ctxprof_sdc_get(const ctxprof_sdc *s, long cell);

/* Primary suppression: every published cell with 1 <= value < k. Returns the
 * number of cells suppressed. */
size_t ctxprof_sdc_primary(ctxprof_sdc *s, int64_t k);

/* Secondary suppression: while an equation has exactly one unpublished
 * cell, hides one more of its published cells: the smallest non-zero one
 * (ties: the one added first); a zero only when no non-zero cell is left.
 * Runs until no equation has exactly one unpublished cell. *n_secondary
 * gets the number of cells hidden; *n_unprotectable the number of
 * equations that had no published cell left to hide (a single-cell
 * equation: its value is the published total itself). */
int ctxprof_sdc_secondary(ctxprof_ctx *ctx, ctxprof_sdc *s, size_t *n_secondary,
                          size_t *n_unprotectable);

/* The attack a reader would make: every equation with exactly one unknown
 * cell is solved, the value becomes known, and so on until nothing changes.
 * Returns the number of unpublished cells recovered (0 after a successful
 * ctxprof_sdc_secondary, unless some equation was unprotectable), or a
 * negative error code. When recovered is not NULL, recovered[cell] is set
 * to 1 for each recovered cell (an array of ctxprof_sdc_n_cells bytes). */
long ctxprof_sdc_attack(ctxprof_ctx *ctx, const ctxprof_sdc *s, unsigned char *recovered);

/* Bounds propagation: lo[c] and hi[c] (arrays of ctxprof_sdc_n_cells) get
 * the interval a reader who knows every published cell and every
 * constraint can narrow cell c to (hi CTXPROF_SDC_INF: no upper bound).
 * Published cells get their value. The intervals contain the true values
 * and every value the constraints allow (an outer bound of what any
 * linear reasoning gives; a reader combining constraints in ways the
 * propagation does not may narrow further: docs/sharing.md). */
int ctxprof_sdc_bounds(ctxprof_ctx *ctx, const ctxprof_sdc *s, int64_t *lo, int64_t *hi);

/* The audit by propagation: the number of unpublished cells (suppressed or
 * dropped) whose interval holds one value or none >= k; such a cell is
 * "exposed" (a reader learns its value, or that it is small). An outer
 * bound: a cell it finds exposed is exposed; ctxprof_sdc_exact decides the
 * others. When
 * exposed is not NULL, exposed[cell] is set to 1 for each. Negative: an
 * error code. */
long ctxprof_sdc_audit(ctxprof_ctx *ctx, const ctxprof_sdc *s, int64_t k, unsigned char *exposed);

/* Secondary suppression against the bounds reader: while some unpublished
 * cell is exposed, hides a published cell of the constraint that bounds it
 * (the smallest non-zero one that loosens the bound; a zero only when no
 * non-zero one is left). *n_secondary gets the number of cells hidden,
 * *n_unprotectable the number of cells still exposed with nothing left to
 * hide. */
int ctxprof_sdc_protect(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t k, size_t *n_secondary,
                        size_t *n_unprotectable);

/* The exact audit (GLPK): for every unpublished cell, the greatest whole
 * value (and, where needed, the least) it can take under every constraint,
 * published cells fixed: an integer program per component of linked
 * unpublished cells, solved as an LP by the simplex method, with
 * glp_intopt where the LP optimum is not whole. hi[c] gets the maximum
 * (CTXPROF_SDC_INF: unbounded), lo[c] the minimum, or -1 where the maximum
 * alone settles the cell (it exceeds the true value and is >= k);
 * published cells get their value. lo and hi may be NULL. Returns the
 * number of exposed cells (one value possible, or none >= k), marking them
 * in exposed when not NULL, or a negative error code. */
long ctxprof_sdc_exact(ctxprof_ctx *ctx, const ctxprof_sdc *s, int64_t k, int64_t *lo, int64_t *hi,
                       unsigned char *exposed);

/* Secondary suppression until the exact audit finds no exposed cell:
 * rounds of ctxprof_sdc_protect (the fast pass), then the exact audit,
 * hiding for each exposed cell a published cell of one of its constraints.
 * *n_unprotectable gets the cells still exposed when nothing is left to
 * hide. */
int ctxprof_sdc_protect_exact(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t k, size_t *n_secondary,
                              size_t *n_unprotectable);

#endif
