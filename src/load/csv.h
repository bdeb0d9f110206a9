/* A fast reader of delimited text for the loader: the whole file mapped
 * into memory and split record by record into cells, exactly as GDAL's OGR
 * CSV driver splits it (GDAL 3.6, CSVSplitLine and OGRCSVReadParseLineL):
 *
 *  - a record ends at a line break (LF, CR or CR LF) outside quotes; a line
 *    break inside quotes becomes one LF in the cell;
 *  - a double quote anywhere in a cell opens or closes quoting, and is not
 *    part of the value; inside quotes, two double quotes are one;
 *  - empty lines are no records; a UTF-8 byte order mark at the very start
 *    is skipped; bytes are returned as they are (no transcoding: the loader
 *    reads cells that are not UTF-8 as Windows-1252, as it does with OGR).
 *
 * Files it cannot read the same way are refused (ctxprof_csv_open returns
 * 1) and the loader reads them through OGR: a NUL byte anywhere, or an odd
 * number of double quotes (a quoted field left open at the end of the file).
 */
#ifndef CTXPROF_CSV_H
#define CTXPROF_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"

typedef struct {
    const char *data;
    size_t size, pos;
    void *map; /* the mapping, or NULL when reading from memory */
    size_t map_size;
    char delim;
    char *buf; /* the cells of the current record, each NUL-terminated */
    size_t cap;
    size_t *off; /* offset of each cell in buf */
    int ncells, capcells;
} ctxprof_csv;

/* Maps path and prepares reading it with delimiter delim. Returns 0, 1 when
 * the file is one to read through OGR instead (see above; r is then closed),
 * or a negative error naming the file. */
int ctxprof_csv_open(ctxprof_ctx *ctx, ctxprof_csv *r, const char *path, char delim);

/* The same over size bytes at data (not copied; must outlive r). */
int ctxprof_csv_open_mem(ctxprof_ctx *ctx, ctxprof_csv *r, const char *data, size_t size,
                         char delim);

/* Reads the next record (the first is the header). Returns 1, 0 at the end
 * of the file, or CTXPROF_E_NOMEM. */
int ctxprof_csv_next(ctxprof_ctx *ctx, ctxprof_csv *r);

/* Cell i of the current record, NULL past its last cell. */
static inline const char *ctxprof_csv_cell(const ctxprof_csv *r, int i)
{
    return i >= 0 && i < r->ncells ? r->buf + r->off[i] : NULL;
}

/* The share of the file read so far, 0..1. */
double ctxprof_csv_progress(const ctxprof_csv *r);

void ctxprof_csv_close(ctxprof_ctx *ctx, ctxprof_csv *r);

/* Windows-1252 text s as UTF-8 into out (room for 3 * strlen(s) + 1
 * bytes), as CPLRecode(s, "CP1252", CPL_ENC_UTF8) gives it, without an
 * iconv per value. Returns 0, or -1 when s holds one of the bytes
 * Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), which
 * CPLRecode handles its own way. */
int ctxprof_cp1252_to_utf8(const char *s, char *out);

#endif
