/* Dataset uris as the profile and QGIS write them: "file.gpkg|layername=x". */
#ifndef CTXPROF_URI_H
#define CTXPROF_URI_H

#include "core/context.h"

/* Splits "file.gpkg|layername=x" into a path and a layer name (either may be
 * NULL); both strings are allocated through the context. */
int ctxprof_split_uri(ctxprof_ctx *ctx, const char *uri, char **path, char **layer);

/* The next item of a comma-separated list at *p (commas inside quotes or
 * parentheses do not separate), spaces around it dropped:
 * returns its start, sets *n to its length and moves *p past it; NULL when
 * no item is left. */
const char *ctxprof_list_next(const char **p, size_t *n);

#endif
