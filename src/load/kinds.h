/* Built-in source kinds: for each kind of agency record, the columns it is
 * usually found under (field aliases), its default code map, and the
 * categories every row of that kind carries. A profile overrides any of it:
 * its field.* keys replace the aliases, and its code_map is consulted before
 * the kind's. docs/sources/ is generated from this table. */
#ifndef CTXPROF_KINDS_H
#define CTXPROF_KINDS_H

#include <stddef.h>

typedef struct {
    const char *key;     /* field key, as in field.<key> */
    const char *aliases; /* candidate column names, '|'-separated */
} ctxprof_kind_field;

typedef struct {
    const char *name;                 /* e.g. "police_referral" */
    const char *title;                /* e.g. "Police referrals" */
    const char *about;                /* what it tells an analyst (Markdown) */
    const char *date_format;          /* default date_format */
    const char *categories;           /* categories every row carries, '+'-joined */
    const ctxprof_kind_field *fields; /* terminated by {NULL, NULL} */
    const char *codes;                /* default code map as CSV text (code,categories,flags) */
    int linkage;                      /* rows link people rather than describe incidents */
} ctxprof_kind;

const ctxprof_kind *ctxprof_kind_find(const char *name);
/* Whether a kind's records carry no age (police.uk street crime is all
 * ages): its rows never count in the youth silos unless a profile says so
 * (count_as_youth). */
int ctxprof_kind_all_ages(const ctxprof_kind *k);
size_t ctxprof_kind_count(void);
const ctxprof_kind *ctxprof_kind_at(size_t i);

/* Keywords looked for in every source's free text (field.text), as a code
 * map CSV with kw: codes. */
extern const char *const ctxprof_common_keywords;

#endif
