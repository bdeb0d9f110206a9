/* Text normalisation for geocoding: postcodes, street and place names,
 * addresses, and the edit distance used for typos. Pure functions with no
 * context (they are fuzz targets). */
#ifndef CTXPROF_NORMALISE_H
#define CTXPROF_NORMALISE_H

#include <stddef.h>

typedef enum {
    CTXPROF_PC_NONE = 0,
    CTXPROF_PC_AREA = 1,     /* "NB" */
    CTXPROF_PC_DISTRICT = 2, /* "NB3" */
    CTXPROF_PC_SECTOR = 3,   /* "NB3 4" */
    CTXPROF_PC_UNIT = 4      /* "NB3 4QT" */
} ctxprof_pc_level;

#define CTXPROF_PC_LEN 9 /* "AA9A 9AA" and a NUL */

/* Normalises one postcode-like token ("nb34qt", "NB3  4QT", "NB3 4OT" with
 * O for 0, "N83 4QT" is not repaired). Returns the level reached and writes
 * the canonical form ("NB3 4QT", "NB3 4", "NB3") into out; NONE when the
 * text is not a postcode. Whole text only: surrounding words fail. */
ctxprof_pc_level ctxprof_postcode_normalise(const char *in, char out[CTXPROF_PC_LEN]);

/* Finds the last full or partial postcode in free text (an address ending
 * "... Northbrook NB3 4QT"). Returns its level, writes it to out, and sets
 * start and end to its byte span in text (so callers can cut it out). */
ctxprof_pc_level ctxprof_postcode_find(const char *text, char out[CTXPROF_PC_LEN], size_t *start,
                                       size_t *end);

/* "NB3 4QT" -> sector "NB3 4", district "NB3". */
void ctxprof_postcode_sector(const char *unit, char out[CTXPROF_PC_LEN]);
void ctxprof_postcode_district(const char *pc, char out[CTXPROF_PC_LEN]);

/* Normalises a street or place name for matching: ASCII capitals (accents
 * folded), apostrophes dropped, other punctuation as spaces, street-type
 * abbreviations expanded (RD -> ROAD, GDNS -> GARDENS, AVE -> AVENUE...,
 * ST -> SAINT before a name and STREET after one), single spaces. */
void ctxprof_name_normalise(const char *in, char *out, size_t size);

typedef struct {
    char flat[32];     /* "FLAT 3" */
    int number;        /* house number, 0 when none */
    char street[128];  /* normalised street name */
    char locality[64]; /* normalised locality, if a part names one */
    char postcode[CTXPROF_PC_LEN];
    ctxprof_pc_level pc_level;
} ctxprof_address;

/* Splits "Flat 3, 77 Colville Rd, Northbrook NB3 7QU" into its parts. The
 * street is the first part that holds a house number, else the first part
 * that is not a flat or building. Returns 0, or -1 when no street is found. */
int ctxprof_address_parse(const char *in, ctxprof_address *out);

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions) between a and b, or max + 1 as soon as it exceeds max. */
int ctxprof_edit_distance(const char *a, const char *b, int max);

#endif
