/* Markdown documentation of the built-in source kinds. */
#ifndef CTXPROF_KINDS_DOC_H
#define CTXPROF_KINDS_DOC_H

#include <stdio.h>

#include "load/kinds.h"

void ctxprof_kind_markdown(FILE *f, const ctxprof_kind *k);
/* The table of kinds and the common keywords. */
void ctxprof_kinds_index_markdown(FILE *f);

#endif
