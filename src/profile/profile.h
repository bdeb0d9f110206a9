/* Profile files: one INI file (parsed by inih) describing a profile run.
 *
 * Every key is checked against a schema (profile.c) with its type and
 * default; unknown sections and keys are errors naming the file and line.
 * Paths are resolved against the profile file's folder. docs/profile.md is
 * the user-facing description of the same schema.
 */
#ifndef CTXPROF_PROFILE_H
#define CTXPROF_PROFILE_H

#include <stddef.h>

#include "core/context.h"
#include "core/uri.h"
#include "corridors/corridors.h"
#include "hotspots/stage.h"
#include "load/load.h"
#include "load/source.h"
#include "people/people.h"
#include "snap/contexts.h"
#include "snap/snap.h"
#include "write/layers.h"

typedef struct ctxprof_profile ctxprof_profile;

/* Parses and validates path. On success *out owns the profile (free with
 * ctxprof_profile_free). Errors name the file and line. */
int ctxprof_profile_load(ctxprof_ctx *ctx, ctxprof_profile **out, const char *path);
/* Builds a profile from (section, key, value) triples, as a command line
 * does; n counts strings (3 per setting); a NULL value skips the setting.
 * Paths are relative to the working folder; errors name origin. */
int ctxprof_profile_from_settings(ctxprof_ctx *ctx, ctxprof_profile **out, const char *origin,
                                  const char *const *settings, size_t n);
void ctxprof_profile_free(ctxprof_ctx *ctx, ctxprof_profile *p);

const char *ctxprof_profile_path(const ctxprof_profile *p);

/* The i-th input dataset the profile names (the schema's keys marked as
 * inputs that are set, in schema order): its key and resolved uri. Returns
 * 1, or 0 past the last. */
int ctxprof_profile_input(const ctxprof_profile *p, size_t i, const char **key, const char **uri);

size_t ctxprof_profile_n_sources(const ctxprof_profile *p);
const ctxprof_source *ctxprof_profile_source(const ctxprof_profile *p, size_t i);

/* Every (section, key, value) as written, after resolution, in file order;
 * for run_metadata. */
size_t ctxprof_profile_n_entries(const ctxprof_profile *p);
void ctxprof_profile_entry(const ctxprof_profile *p, size_t i, const char **section,
                           const char **key, const char **value);
/* The schema's default of every key the profile leaves unset (the
 * [source.*] keys per source), as (section, key, value), in schema order. */
size_t ctxprof_profile_n_defaults(const ctxprof_profile *p);
void ctxprof_profile_default(const ctxprof_profile *p, size_t i, const char **section,
                             const char **key, const char **value);

/* The stages' typed options, built and checked when the profile is read;
 * they point into p (keep it alive while they are used). */
const ctxprof_contexts_options *ctxprof_profile_contexts_options(const ctxprof_profile *p);
ctxprof_snap_options ctxprof_profile_snap_options(const ctxprof_profile *p);
const ctxprof_load_options *ctxprof_profile_load_options(const ctxprof_profile *p);
const ctxprof_hotspots_stage_options *ctxprof_profile_hotspots_options(const ctxprof_profile *p);
const ctxprof_people_options *ctxprof_profile_people_options(const ctxprof_profile *p);
const ctxprof_write_options *ctxprof_profile_write_options(const ctxprof_profile *p);
const ctxprof_people_stage_options *ctxprof_profile_people_stage_options(const ctxprof_profile *p);
/* Fills o (initialised by the caller) from [corridors] and [contexts] roads.
 * Returns CTXPROF_E_CONFIG for a bad distance, rank_by, network or window
 * list: checked when the corridors are wanted, so that the commands that
 * do not route still run. */
int ctxprof_profile_corridors_options(ctxprof_ctx *ctx, const ctxprof_profile *p,
                                      ctxprof_corridors_options *o);

/* [profile] name, output (resolved) and crs. */
const char *ctxprof_profile_name(const ctxprof_profile *p);
const char *ctxprof_profile_output(const ctxprof_profile *p);
const char *ctxprof_profile_crs(const ctxprof_profile *p);

/* Writes the schema (sections, keys, types, defaults, help) as Markdown. */
void ctxprof_profile_schema_markdown(void *file);

#endif
