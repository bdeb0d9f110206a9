#include "core/uri.h"

#include <string.h>

int ctxprof_split_uri(ctxprof_ctx *ctx, const char *uri, char **path, char **layer)
{
    *path = NULL;
    *layer = NULL;
    if (!uri)
        return 0;
    const char *bar = strstr(uri, "|layername=");
    if (!bar) {
        *path = ctxprof_strdup(ctx, uri);
        return *path ? 0 : CTXPROF_E_NOMEM;
    }
    *path = ctxprof_malloc(ctx, (size_t)(bar - uri) + 1);
    *layer = ctxprof_strdup(ctx, bar + strlen("|layername="));
    if (!*path || !*layer) {
        ctxprof_free(ctx, *path);
        ctxprof_free(ctx, *layer);
        *path = *layer = NULL;
        return CTXPROF_E_NOMEM;
    }
    memcpy(*path, uri, (size_t)(bar - uri));
    (*path)[bar - uri] = '\0';
    return 0;
}

const char *ctxprof_list_next(const char **p, size_t *n)
{
    const char *s = *p;
    while (*s == ' ' || *s == ',')
        s++;
    /* A comma inside quotes or parentheses (a where filter's IN list) is
     * not a separator. */
    size_t k = 0;
    int depth = 0;
    char quote = 0;
    for (; s[k] && (quote || depth || s[k] != ','); k++) {
        if (quote)
            quote = s[k] == quote ? 0 : quote;
        else if (s[k] == '\'' || s[k] == '"')
            quote = s[k];
        else if (s[k] == '(')
            depth++;
        else if (s[k] == ')' && depth)
            depth--;
    }
    *p = s + k;
    while (k && s[k - 1] == ' ')
        k--;
    *n = k;
    return k ? s : NULL;
}
