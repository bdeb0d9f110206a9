/* Opening a source as an OGR dataset. Anything GDAL reads is read as it is;
 * delimited text GDAL's CSV driver cannot split (a pipe or other delimiter,
 * or a .txt/.dat extension) is first rewritten, quotes and embedded line
 * breaks intact, as a comma-separated file in memory (/vsimem/). */
#ifndef CTXPROF_OPEN_H
#define CTXPROF_OPEN_H

#include <stdint.h>

#include <gdal.h>

#include "core/context.h"
#include "load/csv.h"
#include "load/source.h"

typedef struct {
    GDALDatasetH ds;
    OGRLayerH layer;
    char *mem_path;       /* the in-memory copy, or NULL */
    char delimiter;       /* the delimiter found or given; 0 when not delimited text */
    int64_t n_unfiltered; /* with a where filter: the layer's features before it; else -1 */
    int64_t fid_first;    /* with a where filter: the first feature's FID (its file row 1) */
} ctxprof_opened;

/* Opens source s (its first file: see ctxprof_source_part); errors name the
 * file. A where filter is set on the layer (a malformed one is an error
 * naming the source). Close with ctxprof_source_close. */
int ctxprof_source_open(ctxprof_ctx *ctx, ctxprof_opened *o, const ctxprof_source *s);
void ctxprof_source_close(ctxprof_ctx *ctx, ctxprof_opened *o);

/* Whether source s, opened as src, can be read by the fast CSV
 * reader with the same rows and cells: delimited text that GDAL's CSV
 * driver opened as it is (not rewritten, no open options), without
 * geometry or a .csvt, every column a string, and the reader's header the
 * same as OGR's, and no where filter. Then r is open, past the header, and 1 is returned.
 * CTXPROF_CSV_OGR=1 reads every source through OGR. */
int ctxprof_source_fast_csv(ctxprof_ctx *ctx, const ctxprof_source *s, const ctxprof_opened *src,
                            ctxprof_csv *r);

/* The most frequent of , ; TAB | outside quotes in line (0 if none). */
char ctxprof_sniff_delimiter(const char *line);

#endif
