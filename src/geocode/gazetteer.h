/* The gazetteer: postcode units (with sector and district centroids),
 * streets (same-name segments grouped into streets), and named places
 * (stations, shops, schools, parks, bus stops). Built from open data
 * (Code-Point Open or ONSPD, street lines, any named point or polygon
 * layer), written to and read from a GeoPackage, and indexed in memory by
 * normalised name and by name trigrams for fuzzy candidate search. */
#ifndef CTXPROF_GAZETTEER_H
#define CTXPROF_GAZETTEER_H

#include <stddef.h>

#include "core/context.h"
#include "geocode/normalise.h"

typedef struct {
    char name[CTXPROF_PC_LEN];
    double x, y;
    int n; /* units: positional quality; sectors and districts: units averaged */
} ctxprof_gz_postcode;

typedef struct {
    char *name, *norm;             /* as written; normalised */
    char district[CTXPROF_PC_LEN]; /* postcode district it lies in ("" unknown) */
    double x, y;                   /* representative point: on the street, near its middle */
    double length_m;
    void *geom; /* GEOSGeometry* (MultiLineString) or NULL for point-only streets */
    int next;   /* next street with the same norm, or -1 */
} ctxprof_gz_street;

typedef struct {
    char *name, *norm, *kind;
    char *routes; /* bus stops: ";"-joined routes, else NULL */
    double x, y;
    int next; /* next place with the same norm, or -1 */
} ctxprof_gz_place;

typedef struct {
    char *kind; /* postcodes, streets, places */
    char *path;
    char *licence;
    long rows_read, rows_used, rows_skipped;
    char *skipped_reason;
} ctxprof_gz_source;

typedef struct ctxprof_gazetteer ctxprof_gazetteer;

int ctxprof_gazetteer_new(ctxprof_ctx *ctx, ctxprof_gazetteer **out, const char *crs);
void ctxprof_gazetteer_free(ctxprof_ctx *ctx, ctxprof_gazetteer *gz);

/* Builders. uri may carry |layername=; licence may be NULL (looked for
 * beside the file, else "not stated"). */
int ctxprof_gazetteer_add_postcodes(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *uri,
                                    const char *licence);
int ctxprof_gazetteer_add_streets(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *uri,
                                  const char *licence);
int ctxprof_gazetteer_add_places(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *uri,
                                 const char *licence);
/* Groups street segments into streets, computes sector and district
 * centroids and builds the indexes. Call once after adding. */
int ctxprof_gazetteer_finish(ctxprof_ctx *ctx, ctxprof_gazetteer *gz);

/* Writes the gazetteer as a GeoPackage (temporary file, renamed into place). */
int ctxprof_gazetteer_write(ctxprof_ctx *ctx, ctxprof_gazetteer *gz, const char *path);
/* Reads a gazetteer GeoPackage written by ctxprof_gazetteer_write. */
int ctxprof_gazetteer_open(ctxprof_ctx *ctx, ctxprof_gazetteer **out, const char *path,
                           const char *crs);

/* What a profile's [gazetteer] section says (filled by src/profile/). */
typedef struct {
    unsigned int version;
    const char *crs;       /* the profile CRS */
    const char *postcodes; /* comma-separated lists of datasets, or NULL */
    const char *streets;
    const char *places;
    const char *postcodes_licence; /* licence lines, or NULL */
    const char *streets_licence;
    const char *places_licence;
    const char *gazetteer; /* a built gazetteer GeoPackage, or NULL */
} ctxprof_gazetteer_options;

#define CTXPROF_GAZETTEER_OPTIONS_VERSION 1
#define CTXPROF_GAZETTEER_OPTIONS_INIT                                                             \
    {                                                                                              \
        .version = CTXPROF_GAZETTEER_OPTIONS_VERSION, .crs = "EPSG:27700"                          \
    }

/* The gazetteer o names: o->gazetteer (a built GeoPackage), or built from
 * its postcodes, streets and places (comma-separated lists, with optional
 * licence lines). *out stays NULL when it names none. */
int ctxprof_gazetteer_from_options(ctxprof_ctx *ctx, ctxprof_gazetteer **out,
                                   const ctxprof_gazetteer_options *o);

/* Lookups (after finish/open). */
const ctxprof_gz_postcode *ctxprof_gz_unit(const ctxprof_gazetteer *gz, const char *pc);
const ctxprof_gz_postcode *ctxprof_gz_sector(const ctxprof_gazetteer *gz, const char *sector);
const ctxprof_gz_postcode *ctxprof_gz_district(const ctxprof_gazetteer *gz, const char *district);
/* First street / place with this normalised name, or -1; follow .next. */
int ctxprof_gz_street_first(const ctxprof_gazetteer *gz, const char *norm);
int ctxprof_gz_place_first(const ctxprof_gazetteer *gz, const char *norm);
const ctxprof_gz_street *ctxprof_gz_street_at(const ctxprof_gazetteer *gz, int i);
const ctxprof_gz_place *ctxprof_gz_place_at(const ctxprof_gazetteer *gz, int i);

/* Fuzzy search over distinct normalised street and place names: up to max
 * names within max_edits edits of norm (best first), as strings owned by
 * the gazetteer. Returns how many were found. */
int ctxprof_gz_fuzzy(const ctxprof_gazetteer *gz, const char *norm, int max_edits,
                     const char **found, int *edits, int max);

size_t ctxprof_gz_n_sources(const ctxprof_gazetteer *gz);
const ctxprof_gz_source *ctxprof_gz_source_at(const ctxprof_gazetteer *gz, size_t i);
void ctxprof_gz_counts(const ctxprof_gazetteer *gz, size_t *units, size_t *sectors,
                       size_t *districts, size_t *streets, size_t *places);

#endif
