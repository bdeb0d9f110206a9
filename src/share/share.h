/* Share packages: a redacted, aggregate-only GeoPackage made from a profile
 * GeoPackage, for partners who may only receive aggregates (docs/sharing.md).
 *
 * Only allow-listed layers and, in each, only allow-listed columns are
 * written: the context layers (areas, school_catchments, schools as a table,
 * parks, bus_segments), corridors and corridor_routes, hotspots,
 * hotspot_gistar (significance bins only) and temporal. Counts 1..k-1 are
 * suppressed (primary), more cells are suppressed so that no suppressed
 * count can be recovered from row or column totals (secondary, src/share/
 * sdc.h), hotspots and corridors with fewer than k incidents are dropped,
 * rates, shares and ranks are derived from the published counts only, and
 * published counts can be rounded. Every suppression is recorded in the
 * disclosure_log table; a readme table says what the package is.
 */
#ifndef CTXPROF_SHARE_H
#define CTXPROF_SHARE_H

#include <stddef.h>

#include "core/context.h"

/* The bounds of the options: a larger k or rounding base would hide or
 * blank every count of any real profile, and keep all arithmetic small. */
#define CTXPROF_SHARE_MIN_COUNT_MIN 2
#define CTXPROF_SHARE_MIN_COUNT_MAX 1000
#define CTXPROF_SHARE_ROUND_MAX     1000

typedef struct {
    long min_count;     /* k: counts 1..k-1 are suppressed (2..1000) */
    long round;         /* round published counts to a multiple of this (0..1000); 0 = off */
    const char *layers; /* comma-separated subset of ctxprof_share_layers; NULL = all */
} ctxprof_share_options;
#define CTXPROF_SHARE_OPTIONS_INIT                                                                 \
    {                                                                                              \
        5, 0, NULL                                                                                 \
    }

/* The shareable layers (NULL-ended): every context type's layer, corridors,
 * corridor_routes, hotspots, hotspot_gistar, temporal. Set by
 * ctxprof_share_init, which ctxprof_share_gpkg calls. */
extern const char *const *ctxprof_share_layers;
void ctxprof_share_init(void);

typedef struct {
    char name[32];
    size_t n_in, n_out, n_dropped, n_primary, n_secondary, n_derived, n_rounded;
} ctxprof_share_layer_summary;

typedef struct {
    ctxprof_share_layer_summary layer[16];
    size_t n_layers;
    size_t n_primary, n_secondary, n_derived, n_dropped, n_rounded;
    size_t n_unprotectable; /* equations left with one unknown (a one-cell total) */
    long n_recoverable;     /* cells the built-in attacker recovers afterwards (0) */
    size_t n_log;           /* disclosure_log rows */
    double seconds;
} ctxprof_share_summary;

/* Reads the profile GeoPackage in and writes the share package to out
 * (temporary file renamed into place). */
int ctxprof_share_gpkg(ctxprof_ctx *ctx, ctxprof_share_summary *sum, const char *in,
                       const char *out, const ctxprof_share_options *opts);

#endif
