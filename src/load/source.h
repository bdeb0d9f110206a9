/* A source definition: one [source.NAME] section of a profile, as the
 * loader and the people stage read it. The profile module (src/profile/)
 * fills and owns these; the stages only read them. */
#ifndef CTXPROF_SOURCE_H
#define CTXPROF_SOURCE_H

#include <stddef.h>

typedef struct {
    char *key;   /* e.g. "date" for field.date */
    char *value; /* the column name(s) as written */
} ctxprof_field_map;

typedef struct {
    char *name;  /* the part after "source." */
    char *kind;  /* source kind id, e.g. police_referral */
    char *path;  /* resolved dataset path (without |layername=) */
    char *layer; /* layer name, or NULL for the first layer */
    char *encoding;
    char *open_options; /* comma-separated GDAL open options */
    char delimiter;     /* given delimiter, or 0 to find it */
    char *date_format;
    char *code_map; /* resolved path or NULL */
    ctxprof_field_map *fields;
    size_t n_fields, cap_fields;
    int line; /* line of the [source.*] header */
} ctxprof_source;

/* The column mapped to field.<key> in src, or NULL. */
const char *ctxprof_source_field(const ctxprof_source *src, const char *key);

#endif
