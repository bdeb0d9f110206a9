/* Default QGIS styles of the output layers, in every GeoPackage ctxprof
 * writes: the styles/LAYER.qml files are compiled in (styles/embed.cmake) and
 * written into QGIS's standard `layer_styles` table, so that any QGIS opens
 * the layers styled, with or without the plugin.
 */
#ifndef CTXPROF_STYLES_H
#define CTXPROF_STYLES_H

#include <stddef.h>

#include <gdal.h>
#include <ogr_api.h>

#include "core/context.h"

typedef struct {
    const char *layer; /* output layer name, e.g. "incidents" */
    const char *qml;   /* the .qml document, NUL-terminated */
    size_t len;        /* its length in bytes */
} ctxprof_style;

/* Generated from styles/LAYER.qml (styles/embed.cmake), sorted by layer name. */
extern const ctxprof_style ctxprof_styles_builtin[];
extern const size_t ctxprof_styles_builtin_count;

/* The built-in style of a layer name, or NULL. */
const ctxprof_style *ctxprof_style_find(const char *layer);

/* Jenks natural breaks (Fisher's exact optimisation, as QGIS's "Natural
 * breaks (Jenks)"): the upper bound of each of at most k classes of the n
 * ascending values into uppers (k slots; the last is the largest value).
 * Returns the number of classes: k, or fewer when the values have fewer
 * distinct values; 0 for no values or on allocation failure. More than
 * CTXPROF_JENKS_MAX values are classed from that many evenly spaced ranks
 * (the smallest and largest always among them), as QGIS samples them. */
#define CTXPROF_JENKS_MAX 3000
int ctxprof_jenks(const double *sorted, size_t n, int k, double *uppers);

/* The QML of a graduated style classed from layer l's own values (NULL
 * when qml has no graduated renderer or l has no values of its field): the
 * data classes are recomputed with ctxprof_jenks (as many as the style
 * has, fewer when the layer has fewer distinct values), keeping their
 * colours and unit; the first starts at 0 (or the least value when below),
 * the top one is open, and the style's "no value" classes (upper bound
 * below 0, where NULL is drawn) are kept. Free with CPLFree. */
char *ctxprof_style_fit(const char *qml, OGRLayerH l);

/* The density raster's QML (its ramp stored as shares 0..1 of the
 * maximum, transparent at the low end) stretched to a surface whose largest
 * value is max: the ramp's values scaled by max, the legend's "High" saying
 * it. NULL when qml has no such ramp or max is not above 0. Free with
 * CPLFree. */
char *ctxprof_style_stretch(const char *qml, double max);

/* Writes the default style of every vector layer of ds that has one into
 * ds's layer_styles table (created when missing, with QGIS's schema). Rows
 * ctxprof wrote before (owner 'ctxprof', e.g. copied from an earlier output)
 * are replaced; a default style saved by someone else for a layer stays the
 * default, and ctxprof's is added beside it, not as the default. Graduated
 * styles are classed from the layer's own values (ctxprof_style_fit). target names
 * the output in messages. *n_written (may be NULL) gets the rows written. */
int ctxprof_styles_write(ctxprof_ctx *ctx, GDALDatasetH ds, const char *target, int *n_written);

#endif
