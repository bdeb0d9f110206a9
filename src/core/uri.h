/* Dataset uris as the profile and QGIS write them: "file.gpkg|layername=x". */
#ifndef CTXPROF_URI_H
#define CTXPROF_URI_H

#include "core/context.h"

/* Splits "file.gpkg|layername=x" into a path and a layer name (either may be
 * NULL); both strings are allocated through the context. */
int ctxprof_split_uri(ctxprof_ctx *ctx, const char *uri, char **path, char **layer);

#endif
