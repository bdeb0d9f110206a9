#include "load/open.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_csv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

char ctxprof_sniff_delimiter(const char *line)
{
    static const char cands[] = {',', ';', '\t', '|'};
    int counts[4] = {0};
    int quoted = 0;
    for (const char *p = line; *p && *p != '\n' && *p != '\r'; p++) {
        if (*p == '"')
            quoted = !quoted;
        for (int i = 0; i < 4 && !quoted; i++)
            counts[i] += *p == cands[i];
    }
    int best = -1;
    for (int i = 0; i < 4; i++)
        if (counts[i] && (best < 0 || counts[i] > counts[best]))
            best = i;
    return best < 0 ? 0 : cands[best];
}

static int is_text_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return 0;
    static const char *exts[] = {".csv", ".txt", ".tsv", ".psv", ".dat", ".tab"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot, exts[i]) == 0)
            return 1;
    return 0;
}

/* Writes one field as RFC 4180 CSV (quoted when it needs to be). */
static void put_field(VSILFILE *out, const char *v)
{
    if (!strpbrk(v, ",\"\r\n")) {
        VSIFWriteL(v, 1, strlen(v), out);
        return;
    }
    VSIFWriteL("\"", 1, 1, out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            VSIFWriteL("\"", 1, 1, out);
        VSIFWriteL(p, 1, 1, out);
    }
    VSIFWriteL("\"", 1, 1, out);
}

/* Rewrites a delimited file as a comma-separated one in /vsimem/. GDAL
 * opens no CSV of a single column, so one gets a second, "_row". */
static int transcode(ctxprof_ctx *ctx, const char *path, char delim, int single, char **mem_path)
{
    static int serial;
    *mem_path = ctxprof_sprintf(ctx, "/vsimem/ctxprof-src-%ld-%d.csv", (long)getpid(), ++serial);
    if (!*mem_path)
        return CTXPROF_E_NOMEM;
    VSILFILE *in = VSIFOpenL(path, "rb");
    if (!in)
        return ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot read the file");
    VSILFILE *out = VSIFOpenL(*mem_path, "wb");
    if (!out) {
        VSIFCloseL(in);
        return ctxprof_error(ctx, CTXPROF_E_IO, "cannot create an in-memory copy of %s", path);
    }
    char **row;
    int first = 1;
    long line = 1;
    while ((row = CSVReadParseLine2L(in, delim))) {
        int n = CSLCount(row);
        for (int i = 0; i < n; i++) {
            const char *v = row[i];
            /* A UTF-8 byte order mark at the start of the header is not a column name. */
            if (first && i == 0 && strncmp(v, "\xEF\xBB\xBF", 3) == 0)
                v += 3;
            if (i)
                VSIFWriteL(",", 1, 1, out);
            put_field(out, v);
        }
        if (single) {
            char extra[32];
            int k = first ? snprintf(extra, sizeof extra, ",_row")
                          : snprintf(extra, sizeof extra, ",%ld", line);
            VSIFWriteL(extra, 1, (size_t)k, out);
        }
        line++;
        VSIFWriteL("\r\n", 1, 2, out);
        CSLDestroy(row);
        first = 0;
    }
    VSIFCloseL(in);
    VSIFCloseL(out);
    return 0;
}

/* A quoted value still open at the end of the file (a file cut short, or a
 * stray quote) would make GDAL read every later row into that one value, and
 * those rows would silently vanish. Quotes toggle as in GDAL's CSV parser
 * (a doubled quote toggles twice). A line longer than GDAL's CSV reader takes
 * (OGR_CSV_MAX_LINE_SIZE) is found here too, before GDAL grows a buffer to
 * that size. Returns 0, or an error naming the row (1 = first data row) and,
 * for a quote, the field where it opened. */
static int check_quotes(ctxprof_ctx *ctx, const char *path, char delim)
{
    long long max_line = atoll(CPLGetConfigOption("OGR_CSV_MAX_LINE_SIZE", "10000000"));
    long long line_len = 0;
    VSILFILE *fp = VSIFOpenL(path, "rb");
    if (!fp)
        return 0; /* the open that follows reports it */
    char buf[65536];
    size_t got;
    int quoted = 0;
    long row = 0, open_row = 0;
    int col = 0, open_col = 0;
    while ((got = VSIFReadL(buf, 1, sizeof buf, fp)) > 0) {
        for (size_t i = 0; i < got; i++) {
            char c = buf[i];
            line_len = c == '\n' ? 0 : line_len + 1;
            if (max_line > 0 && line_len > max_line) {
                VSIFCloseL(fp);
                return ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, row, NULL,
                                        "a line longer than %lld bytes, more than GDAL reads "
                                        "(OGR_CSV_MAX_LINE_SIZE); is this a delimited text "
                                        "file?",
                                        max_line);
            }
            if (c == '"') {
                if (!quoted) {
                    open_row = row;
                    open_col = col;
                }
                quoted = !quoted;
            } else if (!quoted && c == delim) {
                col++;
            } else if (!quoted && c == '\n') {
                row++;
                col = 0;
            }
        }
    }
    VSIFCloseL(fp);
    if (!quoted)
        return 0;
    /* The field's name from the header, when the header itself is not at fault. */
    char *name = NULL;
    if (open_row > 0 && (fp = VSIFOpenL(path, "rb"))) {
        char **hdr = CSVReadParseLine2L(fp, delim);
        if (hdr && open_col < CSLCount(hdr))
            name = CPLStrdup(hdr[open_col][0] ? hdr[open_col] : "(unnamed)");
        CSLDestroy(hdr);
        VSIFCloseL(fp);
    }
    char field[32];
    snprintf(field, sizeof field, "column %d", open_col + 1);
    int rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, path, open_row, name ? name : field,
                              "a quoted value opens here and is not closed before the end of "
                              "the file (is the file cut short?)");
    CPLFree(name);
    return rc;
}

int ctxprof_source_open(ctxprof_ctx *ctx, ctxprof_opened *o, const ctxprof_source *s)
{
    int rc = 0;
    memset(o, 0, sizeof *o);
    const char *path = s->path;
    char delim = 0;
    if (strncmp(path, "PG:", 3) != 0 && is_text_path(path)) {
        VSILFILE *fp = VSIFOpenL(path, "rb");
        if (!fp)
            return ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL,
                                    "cannot open source '%s': no such file or not readable",
                                    s->name);
        const char *line = CPLReadLine2L(fp, 1 << 20, NULL);
        delim = line ? ctxprof_sniff_delimiter(line) : 0;
        int given_in_header = line && s->delimiter && strchr(line, s->delimiter);
        VSIFCloseL(fp);
        /* A delimiter the profile gives is the delimiter: GDAL would guess
         * its own from the header, so a different one is split by us. */
        char sniffed = delim;
        if (s->delimiter)
            delim = s->delimiter;
        if ((rc = check_quotes(ctx, path, delim ? delim : ',')))
            return rc;
        const char *dot = strrchr(path, '.');
        int gdal_can = (delim == ',' || delim == ';' || delim == '\t' || delim == 0) &&
                       delim == sniffed &&
                       (strcasecmp(dot, ".csv") == 0 || strcasecmp(dot, ".tsv") == 0);
        if (!gdal_can || !delim) {
            if ((rc = transcode(ctx, path, delim ? delim : ',',
                                !delim || (s->delimiter && !given_in_header), &o->mem_path)))
                return rc;
            path = o->mem_path;
        }
    }
    o->delimiter = delim;
    char **oo = s->open_options ? CSLTokenizeString2(s->open_options, ",",
                                                     CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES)
                                : NULL;
    o->ds =
        GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, (const char *const *)oo, NULL);
    CSLDestroy(oo);
    if (!o->ds) {
        int exists = strncmp(s->path, "PG:", 3) == 0 || access(s->path, F_OK) == 0;
        if (!exists)
            rc = ctxprof_error_at(ctx, CTXPROF_E_IO, s->path, 0, NULL,
                                  "cannot open source '%s': no such file", s->name);
        else if (access(s->path, R_OK) != 0 && strncmp(s->path, "PG:", 3) != 0)
            rc = ctxprof_error_at(ctx, CTXPROF_E_IO, s->path, 0, NULL,
                                  "cannot open source '%s': permission denied", s->name);
        else
            rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, s->path, 0, NULL,
                                  "cannot open source '%s': not a format GDAL reads as a vector "
                                  "layer",
                                  s->name);
        ctxprof_error_append_lib(ctx);
        ctxprof_source_close(ctx, o);
        return rc;
    }
    o->layer =
        s->layer ? GDALDatasetGetLayerByName(o->ds, s->layer) : GDALDatasetGetLayer(o->ds, 0);
    if (!o->layer) {
        rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, s->path, 0, NULL, "no layer '%s'",
                              s->layer ? s->layer : "(the file has no layers)");
        ctxprof_source_close(ctx, o);
        return rc;
    }
    o->n_unfiltered = -1;
    if (s->where) {
        o->n_unfiltered = OGR_L_GetFeatureCount(o->layer, TRUE);
        /* Rows keep their numbers in the file: FID - fid_first + 1. */
        OGR_L_ResetReading(o->layer);
        OGRFeatureH f0 = OGR_L_GetNextFeature(o->layer);
        o->fid_first = f0 ? OGR_F_GetFID(f0) : 0;
        if (f0)
            OGR_F_Destroy(f0);
        OGR_L_ResetReading(o->layer);
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(o->layer, s->where) != OGRERR_NONE) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_CONFIG, s->path, 0, NULL,
                                  "source '%s': where filter '%s' is not valid OGR SQL for this "
                                  "file",
                                  s->name, s->where);
            ctxprof_error_append_lib(ctx);
            ctxprof_source_close(ctx, o);
            return rc;
        }
    }
    return 0;
}

void ctxprof_source_close(ctxprof_ctx *ctx, ctxprof_opened *o)
{
    if (o->ds)
        GDALClose(o->ds);
    if (o->mem_path) {
        VSIUnlink(o->mem_path);
        ctxprof_free(ctx, o->mem_path);
    }
    memset(o, 0, sizeof *o);
}

int ctxprof_source_fast_csv(ctxprof_ctx *ctx, const ctxprof_source *s, const ctxprof_opened *src,
                            ctxprof_csv *r)
{
    const char *force = getenv("CTXPROF_CSV_OGR");
    if ((force && *force && strcmp(force, "0") != 0) || !src->delimiter || src->mem_path ||
        s->where || (s->open_options && *s->open_options))
        return 0;
    GDALDriverH drv = GDALGetDatasetDriver(src->ds);
    if (!drv || strcmp(GDALGetDriverShortName(drv), "CSV") != 0 ||
        OGR_L_GetGeomType(src->layer) != wkbNone)
        return 0;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(src->layer);
    int n = OGR_FD_GetFieldCount(defn);
    if (n < 2 || OGR_FD_GetGeomFieldCount(defn) != 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i)) != OFTString)
            return 0;
    const char *dot = strrchr(s->path, '.');
    char csvt[4096];
    if (!dot ||
        snprintf(csvt, sizeof csvt, "%.*st", (int)(dot - s->path + 4), s->path) >=
            (int)sizeof csvt ||
        access(csvt, F_OK) == 0)
        return 0;
    int rc = ctxprof_csv_open(ctx, r, s->path, src->delimiter);
    if (rc) {
        if (rc < 0)
            ctxprof_error_clear(ctx); /* OGR reads it, and says what is wrong */
        return 0;
    }
    int same = ctxprof_csv_next(ctx, r) == 1 && r->ncells == n;
    for (int i = 0; same && i < n; i++)
        same =
            strcmp(ctxprof_csv_cell(r, i), OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i))) == 0;
    if (!same) {
        ctxprof_csv_close(ctx, r);
        ctxprof_error_clear(ctx);
        return 0;
    }
    return 1;
}
