/* Writes the engine's in-memory tables as output layers (DESIGN.md's
 * output contract). */
#ifndef CTXPROF_LAYERS_H
#define CTXPROF_LAYERS_H

#include "load/load.h"
#include "profile/profile.h"
#include "write/output.h"

/* `incidents` (Point): one feature per incident. */
int ctxprof_write_incidents(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_profile *p,
                            const ctxprof_incidents *inc);
/* `load_rejects` and `geocode_rejects` (tables): one row per reject. */
int ctxprof_write_rejects(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_profile *p,
                          const ctxprof_rejects *rej);

#endif
