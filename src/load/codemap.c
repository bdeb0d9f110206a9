#define _GNU_SOURCE /* strcasestr */
#include "load/codemap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_csv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include "load/taxonomy.h"

typedef struct {
    char *key; /* upper-cased code, or lower-cased keyword */
    uint32_t cats, flags;
} code_entry;

struct ctxprof_codemap {
    code_entry *codes, *keywords;
    size_t n_codes, cap_codes, n_keywords, cap_keywords;
};

static char *trimmed(ctxprof_ctx *ctx, const char *s, int upper)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *d = ctxprof_malloc(ctx, n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = (char)(upper ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
    d[n] = '\0';
    return d;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const code_entry *)a)->key, ((const code_entry *)b)->key);
}

int ctxprof_codemap_load(ctxprof_ctx *ctx, ctxprof_codemap **out, const char *path)
{
    int rc = 0;
    char **row = NULL;
    *out = NULL;
    ctxprof_codemap *map = ctxprof_calloc(ctx, 1, sizeof *map);
    if (!map)
        return CTXPROF_E_NOMEM;
    VSILFILE *fp = VSIFOpenL(path, "rb");
    if (!fp) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot open code map");
        goto done;
    }
    row = CSVReadParseLine2L(fp, ',');
    int c_code = CSLFindString(row, "code"), c_cats = CSLFindString(row, "categories"),
        c_flags = CSLFindString(row, "flags");
    if (c_code < 0 || c_cats < 0) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, 1, NULL,
                              "a code map needs the header code,categories,flags");
        goto done;
    }
    long line = 1;
    for (;;) {
        CSLDestroy(row);
        row = CSVReadParseLine2L(fp, ',');
        if (!row)
            break;
        line++;
        int n = CSLCount(row);
        if (n == 0 || (n == 1 && !*row[0]))
            continue;
        const char *code = c_code < n ? row[c_code] : "";
        const char *cats = c_cats < n ? row[c_cats] : "";
        const char *flags = c_flags >= 0 && c_flags < n ? row[c_flags] : "";
        code_entry e = {0};
        char bad[64];
        if (ctxprof_taxonomy_parse(cats, ctxprof_category_names, CTXPROF_N_CATEGORIES, &e.cats, bad,
                                   sizeof bad)) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, line, "categories",
                                  "'%s' is not a category (cse, syv, hsb, tra, online, missing, "
                                  "exclusion, asb, da, disturbance, transport)",
                                  bad);
            goto done;
        }
        if (ctxprof_taxonomy_parse(flags, ctxprof_flag_names, CTXPROF_N_FLAGS, &e.flags, bad,
                                   sizeof bad)) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, line, "flags",
                                  "'%s' is not a flag (youth, vulnerable, weapon, marac, "
                                  "permanent, fixed_term)",
                                  bad);
            goto done;
        }
        int kw = strncasecmp(code, "kw:", 3) == 0;
        if (!(e.key = trimmed(ctx, kw ? code + 3 : code, !kw))) {
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        if (!*e.key) {
            ctxprof_free(ctx, e.key);
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, line, "code", "empty code");
            goto done;
        }
        code_entry **arr = kw ? &map->keywords : &map->codes;
        size_t *cnt = kw ? &map->n_keywords : &map->n_codes;
        size_t *cap = kw ? &map->cap_keywords : &map->cap_codes;
        if (ctxprof_grow(ctx, (void **)arr, cap, *cnt + 1, sizeof(code_entry))) {
            ctxprof_free(ctx, e.key);
            rc = CTXPROF_E_NOMEM;
            goto done;
        }
        (*arr)[(*cnt)++] = e;
    }
    if (map->n_codes) /* qsort and bsearch want a non-null array */
        qsort(map->codes, map->n_codes, sizeof(code_entry), cmp_entry);
done:
    CSLDestroy(row);
    if (fp)
        VSIFCloseL(fp);
    if (rc) {
        ctxprof_codemap_free(ctx, map);
        return rc;
    }
    *out = map;
    return 0;
}

void ctxprof_codemap_free(ctxprof_ctx *ctx, ctxprof_codemap *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->n_codes; i++)
        ctxprof_free(ctx, map->codes[i].key);
    for (size_t i = 0; i < map->n_keywords; i++)
        ctxprof_free(ctx, map->keywords[i].key);
    ctxprof_free(ctx, map->codes);
    ctxprof_free(ctx, map->keywords);
    ctxprof_free(ctx, map);
}

int ctxprof_codemap_code(const ctxprof_codemap *map, const char *code, uint32_t *cats,
                         uint32_t *flags)
{
    char key[256];
    while (isspace((unsigned char)*code))
        code++;
    size_t n = strlen(code);
    while (n && isspace((unsigned char)code[n - 1]))
        n--;
    if (n == 0 || n >= sizeof key || map->n_codes == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        key[i] = (char)toupper((unsigned char)code[i]);
    key[n] = '\0';
    code_entry probe = {key, 0, 0};
    const code_entry *e = bsearch(&probe, map->codes, map->n_codes, sizeof(code_entry), cmp_entry);
    if (!e)
        return 0;
    *cats |= e->cats;
    *flags |= e->flags;
    return 1;
}

/* A keyword matches as whole words: "stabbed" is not found in "unstabbed". */
static int find_word(const char *text, const char *kw)
{
    size_t n = strlen(kw);
    for (const char *p = text; (p = strcasestr(p, kw)); p++) {
        int start_ok = p == text || !isalnum((unsigned char)p[-1]);
        int end_ok = !isalnum((unsigned char)p[n]);
        if (start_ok && end_ok)
            return 1;
    }
    return 0;
}

int ctxprof_codemap_text(const ctxprof_codemap *map, const char *text, uint32_t *cats,
                         uint32_t *flags)
{
    int hits = 0;
    for (size_t i = 0; i < map->n_keywords; i++)
        if (find_word(text, map->keywords[i].key)) {
            *cats |= map->keywords[i].cats;
            *flags |= map->keywords[i].flags;
            hits++;
        }
    return hits;
}

int ctxprof_codemap_load_text(ctxprof_ctx *ctx, ctxprof_codemap **out, const char *name,
                              const char *csv)
{
    char path[256];
    snprintf(path, sizeof path, "/vsimem/ctxprof-codes/%s.csv", name);
    VSILFILE *fp = VSIFileFromMemBuffer(path, (GByte *)csv, strlen(csv), FALSE);
    if (!fp)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "cannot map the built-in code map %s", name);
    VSIFCloseL(fp);
    int rc = ctxprof_codemap_load(ctx, out, path);
    VSIUnlink(path);
    return rc;
}

size_t ctxprof_codemap_size(const ctxprof_codemap *map)
{
    return map->n_codes + map->n_keywords;
}
