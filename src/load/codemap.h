/* Code maps: a CSV (code,categories,flags) that maps a source's raw codes,
 * and free-text keywords written `kw:<keyword>`, to the taxonomy. */
#ifndef CTXPROF_CODEMAP_H
#define CTXPROF_CODEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"

typedef struct ctxprof_codemap ctxprof_codemap;

/* Reads path; errors name the file, row and field. */
int ctxprof_codemap_load(ctxprof_ctx *ctx, ctxprof_codemap **out, const char *path);
/* Same, from CSV text (the built-in maps); name appears in errors. */
int ctxprof_codemap_load_text(ctxprof_ctx *ctx, ctxprof_codemap **out, const char *name,
                              const char *csv);
void ctxprof_codemap_free(ctxprof_ctx *ctx, ctxprof_codemap *map);

/* Looks a raw code up (case and surrounding space ignored). Returns 1 and
 * ORs the masks in when found, 0 when the code is not in the map. */
int ctxprof_codemap_code(const ctxprof_codemap *map, const char *code, uint32_t *cats,
                         uint32_t *flags);
/* ORs in the masks of every keyword found in text as whole words
 * (case-insensitive);
 * returns how many keywords matched. */
int ctxprof_codemap_text(const ctxprof_codemap *map, const char *text, uint32_t *cats,
                         uint32_t *flags);
size_t ctxprof_codemap_size(const ctxprof_codemap *map);

#endif
