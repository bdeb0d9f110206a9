#include "core/strmap.h"

#include <stdint.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int grow(ctxprof_ctx *ctx, ctxprof_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **keys = ctxprof_calloc(ctx, cap, sizeof *keys);
    int *values = ctxprof_calloc(ctx, cap, sizeof *values);
    if (!keys || !values) {
        ctxprof_free(ctx, keys);
        ctxprof_free(ctx, values);
        return CTXPROF_E_NOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = hash(m->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        values[j] = m->values[i];
    }
    ctxprof_free(ctx, m->keys);
    ctxprof_free(ctx, m->values);
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    return 0;
}

int ctxprof_strmap_put(ctxprof_ctx *ctx, ctxprof_strmap *m, const char *key, int value)
{
    if (2 * (m->n + 1) > m->cap && grow(ctx, m))
        return CTXPROF_E_NOMEM;
    size_t j = hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            m->values[j] = value;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    if (!(m->keys[j] = ctxprof_strdup(ctx, key)))
        return CTXPROF_E_NOMEM;
    m->values[j] = value;
    m->n++;
    return 0;
}

int ctxprof_strmap_get(const ctxprof_strmap *m, const char *key)
{
    if (!m->cap)
        return -1;
    size_t j = hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0)
            return m->values[j];
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

void ctxprof_strmap_free(ctxprof_ctx *ctx, ctxprof_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        ctxprof_free(ctx, m->keys[i]);
    ctxprof_free(ctx, m->keys);
    ctxprof_free(ctx, m->values);
    memset(m, 0, sizeof *m);
}
