/* Default QGIS styles of the output layers, in every GeoPackage ctxprof
 * writes: the styles/LAYER.qml files are compiled in (styles/embed.cmake) and
 * written into QGIS's standard `layer_styles` table, so that any QGIS opens
 * the layers styled, with or without the plugin.
 */
#ifndef CTXPROF_STYLES_H
#define CTXPROF_STYLES_H

#include <stddef.h>

#include <gdal.h>

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

/* Writes the default style of every vector layer of ds that has one into
 * ds's layer_styles table (created when missing, with QGIS's schema). Rows
 * ctxprof wrote before (owner 'ctxprof', e.g. copied from an earlier output)
 * are replaced; a default style saved by someone else for a layer stays the
 * default, and ctxprof's is added beside it, not as the default. target names
 * the output in messages. *n_written (may be NULL) gets the rows written. */
int ctxprof_styles_write(ctxprof_ctx *ctx, GDALDatasetH ds, const char *target, int *n_written);

#endif
