/* A string -> int hash map (open addressing, FNV-1a). Keys are copied. */
#ifndef CTXPROF_STRMAP_H
#define CTXPROF_STRMAP_H

#include <stddef.h>

#include "core/context.h"

typedef struct {
    char **keys;
    int *values;
    size_t cap, n;
} ctxprof_strmap;

/* Sets key to value (replacing). Returns 0 or CTXPROF_E_NOMEM. */
int ctxprof_strmap_put(ctxprof_ctx *ctx, ctxprof_strmap *m, const char *key, int value);
/* The value of key, or -1. */
int ctxprof_strmap_get(const ctxprof_strmap *m, const char *key);
void ctxprof_strmap_free(ctxprof_ctx *ctx, ctxprof_strmap *m);

#endif
