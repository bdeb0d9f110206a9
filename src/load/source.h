/* A source definition: one [source.NAME] section of a profile, as the
 * loader and the people stage read it. The profile module (src/profile/)
 * fills and owns these; the stages only read them. */
#ifndef CTXPROF_SOURCE_H
#define CTXPROF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *key;   /* e.g. "date" for field.date */
    char *value; /* the column name(s) as written */
} ctxprof_field_map;

typedef struct {
    char *name;  /* the part after "source." */
    char *kind;  /* source kind id, e.g. police_referral */
    char *path;  /* resolved dataset path (without |layername=): paths[0] */
    char *layer; /* layer name, or NULL for the first layer */
    /* A path that is a list or a glob ("police/2017-*.csv") names several
     * files of one layout, read in this order as one source: each file
     * with the same layer name. n_paths is 1 for a single file. */
    char **paths;
    size_t n_paths;
    char *where;        /* OGR SQL attribute filter of the rows read, or NULL */
    int all_ages;       /* rows carry no age (the kind's default, or all_ages = yes) */
    int count_as_youth; /* all-ages rows still count in the youth silos (opt-in) */
    char *encoding;
    char *open_options; /* comma-separated GDAL open options */
    char delimiter;     /* given delimiter, or 0 to find it */
    char *date_format;
    char *code_map; /* resolved path or NULL */
    ctxprof_field_map *fields;
    size_t n_fields, cap_fields;
    int line; /* line of the [source.*] header */
} ctxprof_source;

/* The number of files of s (1 for a source built without a paths list). */
size_t ctxprof_source_n_files(const ctxprof_source *s);

/* Source s reading its file i only (a shallow copy: nothing to free). */
ctxprof_source ctxprof_source_part(const ctxprof_source *s, size_t i);

/* The file of a source and the row in it of a row counted across all of
 * its files (rows 1.. of paths[0], then those of paths[1]...): file_rows[k]
 * holds the rows of files 0..k together (NULL or n_paths 1: one file). */
size_t ctxprof_source_locate(const ctxprof_source *s, const int64_t *file_rows, int64_t row,
                             int64_t *file_row);

/* The column mapped to field.<key> in src, or NULL. */
const char *ctxprof_source_field(const ctxprof_source *src, const char *key);

#endif
