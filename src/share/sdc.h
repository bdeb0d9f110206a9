/* Statistical disclosure control of count tables: primary suppression of
 * small counts and secondary suppression so that no suppressed count can be
 * recovered from the totals a reader knows.
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

typedef struct ctxprof_sdc ctxprof_sdc;

/* A new, empty table system; free with ctxprof_sdc_free. */
ctxprof_sdc *ctxprof_sdc_new(ctxprof_ctx *ctx);
void ctxprof_sdc_free(ctxprof_ctx *ctx, ctxprof_sdc *s);

/* Adds a cell with a count (>= 0) and returns its index, or a negative
 * error code. */
long ctxprof_sdc_cell(ctxprof_ctx *ctx, ctxprof_sdc *s, int64_t value);
/* Adds an equation over n cells (indexes from ctxprof_sdc_cell); the order
 * does not matter. Equations of fewer than 1 cell are ignored. */
int ctxprof_sdc_equation(ctxprof_ctx *ctx, ctxprof_sdc *s, const long *cells, size_t n);
/* Marks a cell as dropped (its feature is not published at all). */
void ctxprof_sdc_drop(ctxprof_sdc *s, long cell);

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

#endif
