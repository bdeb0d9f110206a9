/* The common taxonomy every source is mapped onto (docs/output.md): the five
 * definitional silos, then context indicators; and incident flags. */
#ifndef CTXPROF_TAXONOMY_H
#define CTXPROF_TAXONOMY_H

#include <stddef.h>
#include <stdint.h>

#define CTXPROF_N_CATEGORIES 16
#define CTXPROF_N_FLAGS      6

/* In priority order: the first set bit is an incident's main category.
 * The five silos (youth harm) come first; the *_all_ages indicators are
 * crime of sources that carry no age (police.uk street crime). */
#define CTXPROF_YOUTH_SILOS 0x1Fu /* cse, syv, hsb, tra, online */
extern const char *const ctxprof_category_names[CTXPROF_N_CATEGORIES];
extern const char *const ctxprof_flag_names[CTXPROF_N_FLAGS];

/* Parses "cse+syv" (also ',' or ' ' separated, case-insensitive) into a bit
 * mask over names. Returns 0, or -1 and sets *bad to the first unknown word
 * (copied into bad_buf). */
int ctxprof_taxonomy_parse(const char *list, const char *const *names, int n, uint32_t *mask,
                           char *bad_buf, size_t bad_size);
/* Writes the names of mask joined by '+' (empty for 0). */
void ctxprof_taxonomy_format(uint32_t mask, const char *const *names, int n, char *buf,
                             size_t size);
/* Index of the first set bit, or -1. */
int ctxprof_taxonomy_first(uint32_t mask);

#endif
