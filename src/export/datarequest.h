/* Data-request sheets: the "why profile" note an analyst sends a partner
 * agency when asking for one source kind's data, generated from the engine's
 * source-kind table (src/load/kinds.c), so that it asks for exactly the
 * fields the engine reads. See docs/datarequest.md. */
#ifndef CTXPROF_DATAREQUEST_H
#define CTXPROF_DATAREQUEST_H

#include <stdio.h>

#include "load/kinds.h"

typedef struct {
    const char *retention; /* how long data and profiles are kept, e.g. "12 months" */
} ctxprof_datarequest_options;
#define CTXPROF_DATAREQUEST_OPTIONS_INIT                                                           \
    {                                                                                              \
        "12 months"                                                                                \
    }

/* The sharing level a field is asked at: "identifiable" (identity fields,
 * replaced by a pseudonym when loaded), "pseudonymised" (record level, no
 * identity) or "aggregate". */
const char *ctxprof_datarequest_level(const char *field_key);

/* Writes the Markdown sheet for kind k to f. Returns 0, or -1 when writing
 * failed. */
int ctxprof_datarequest_markdown(FILE *f, const ctxprof_kind *k,
                                 const ctxprof_datarequest_options *o);

#endif
