/* The loader's fast CSV reader: tricky inputs, each read both by it and by
 * GDAL's OGR CSV driver, which must give the same header, the same rows
 * and the same cells; and the files it must leave to OGR. */
#include "test_util.h"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <unistd.h>

#include "core/context.h"
#include "load/csv.h"

/* Reads text (a .csv file) with both readers and compares them. Returns
 * the number of data rows. ogr_delim is only for documentation: GDAL picks
 * the delimiter of a .csv itself (, ; TAB). */
static int same_as_ogr(const char *text, size_t len, char delim)
{
    char path[] = "/tmp/ctxprof-test-csv-XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_csv r;
    assert_int_equal(ctxprof_csv_open(ctx, &r, path, delim), 0);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int nf = OGR_FD_GetFieldCount(defn);
    assert_int_equal(ctxprof_csv_next(ctx, &r), 1);
    if (r.ncells != nf)
        fail_msg("header: %d cells, OGR %d fields", r.ncells, nf);
    for (int i = 0; i < nf; i++)
        assert_string_equal(ctxprof_csv_cell(&r, i),
                            OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    OGRFeatureH f;
    int rows = 0;
    while ((f = OGR_L_GetNextFeature(layer))) {
        rows++;
        if (ctxprof_csv_next(ctx, &r) != 1)
            fail_msg("row %d: OGR has it, the reader does not", rows);
        for (int i = 0; i < nf; i++) {
            const char *o = OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsString(f, i) : "";
            const char *m = ctxprof_csv_cell(&r, i);
            if (strcmp(o, m ? m : "") != 0)
                fail_msg("row %d cell %d: reader '%s', OGR '%s'", rows, i, m ? m : "(none)", o);
        }
        OGR_F_Destroy(f);
    }
    if (ctxprof_csv_next(ctx, &r) != 0)
        fail_msg("the reader has a row %d that OGR does not", rows + 1);
    GDALClose(ds);
    ctxprof_csv_close(ctx, &r);
    ctxprof_ctx_free(ctx);
    unlink(path);
    return rows;
}

#define SAME(lit, delim) same_as_ogr(lit, sizeof lit - 1, delim)

static void expect_cells(ctxprof_csv *r, int n, const char *const *cells)
{
    assert_int_equal(ctxprof_csv_next(NULL, r), 1);
    assert_int_equal(r->ncells, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(ctxprof_csv_cell(r, i), cells[i]);
}

static void test_cells(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    static const char text[] = "\xEF\xBB\xBF"
                               "a,b,c\r\n"
                               "1,\"x, y\",\"say \"\"hi\"\"\"\r\n"
                               "\r\n"
                               "2,\"line1\r\nline2\",\r\n"
                               "3,,\n"
                               "\x1a";
    ctxprof_csv r;
    assert_int_equal(ctxprof_csv_open_mem(ctx, &r, text, sizeof text - 1, ','), 0);
    expect_cells(&r, 3, (const char *[]){"a", "b", "c"});
    expect_cells(&r, 3, (const char *[]){"1", "x, y", "say \"hi\""});
    expect_cells(&r, 3, (const char *[]){"2", "line1\nline2", ""});
    expect_cells(&r, 3, (const char *[]){"3", "", ""});
    expect_cells(&r, 1, (const char *[]){"\x1a"});
    assert_int_equal(ctxprof_csv_next(ctx, &r), 0);
    assert_null(ctxprof_csv_cell(&r, 1));
    ctxprof_csv_close(ctx, &r);
    ctxprof_ctx_free(ctx);
}

static void test_refused(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_csv r;
    static const char open_quote[] = "a,b\n1,\"never closed\n2,3\n";
    assert_int_equal(ctxprof_csv_open_mem(ctx, &r, open_quote, sizeof open_quote - 1, ','), 1);
    static const char nul[] = "a,b\n1,x\0y\n";
    assert_int_equal(ctxprof_csv_open_mem(ctx, &r, nul, sizeof nul - 1, ','), 1);
    ctxprof_ctx_free(ctx);
}

static void test_same_as_ogr(void **state)
{
    (void)state;
    /* UTF-8 with and without BOM, CRLF, LF, CR, a missing final newline. */
    assert_int_equal(SAME("id,name,v\r\n1,Zo\xC3\xAB,2\r\n2,Ann,3\r\n", ','), 2);
    assert_int_equal(SAME("\xEF\xBB\xBFid,name,v\n1,Zo\xC3\xAB,2\n2,Ann,3", ','), 2);
    assert_int_equal(SAME("id,name\r1,a\r2,b\r", ','), 2);
    /* Windows-1252 bytes are passed through as they are. */
    assert_int_equal(SAME("id,name\r\n1,Zo\xEB \x80 caf\xE9\r\n", ','), 1);
    /* Quoted delimiters, doubled quotes, line breaks in quotes (LF, CRLF,
     * blank lines), quotes in the middle of a cell. */
    assert_int_equal(SAME("id,text,n\r\n1,\"a, b\",\"say \"\"no\"\"\"\r\n"
                          "2,\"two\r\nlines\r\n\r\nand more\",x\r\n"
                          "3,ab\"c,d\"e,\"\"\r\n4,\"\"\"\",\"a\"\"\"\r\n",
                          ','),
                     4);
    /* Empty trailing fields, short and long rows, blank lines, spaces. */
    assert_int_equal(SAME("a,b,c\n1,,\n2\n\n3,4,5,6\n , ,\n,,\n", ','), 5);
    /* A trailing Ctrl-Z line (DOS end of file). */
    assert_int_equal(SAME("a,b\r\n1,2\r\n\x1a", ','), 2);
    assert_int_equal(SAME("a,b\r\n1,2\r\n\x1a\r\n", ','), 2);
    /* Semicolon and tab delimiters (GDAL finds them in a .csv). */
    assert_int_equal(SAME("a;b;c\r\n1;\"x;y\";2,5\r\n2;;\r\n", ';'), 2);
    assert_int_equal(SAME("a\tb\tc\n1\t\"x\ty\"\t2\n2\t\t\n", '\t'), 2);
    /* Line-break pairs: LF CR, CR CR inside and outside quotes. */
    assert_int_equal(SAME("a,b\n\r1,\"x\n\ry\"\r\r2,\"p\r\rq\"\n", ','), 2);
}

/* Every byte, alone and in a string, as CPLRecode gives it. */
static void test_cp1252(void **state)
{
    (void)state;
    char in[8], out[32];
    int undefined = 0;
    for (int b = 1; b < 256; b++) {
        snprintf(in, sizeof in, "a%cz", b);
        if (ctxprof_cp1252_to_utf8(in, out) < 0) {
            undefined++;
            continue;
        }
        char *ref = CPLRecode(in, "CP1252", CPL_ENC_UTF8);
        if (strcmp(out, ref) != 0)
            fail_msg("byte 0x%02X: '%s', CPLRecode '%s'", b, out, ref);
        CPLFree(ref);
    }
    assert_int_equal(undefined, 5); /* 0x81 0x8D 0x8F 0x90 0x9D */
    assert_int_equal(ctxprof_cp1252_to_utf8("Zo\xEB \x80 \x93q\x94", out), 0);
    assert_string_equal(out, "Zo\xC3\xAB \xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D");
}

/* A pipe-delimited file (GDAL's CSV driver does not split these; the
 * loader rewrites them for OGR). */
static void test_pipe(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    static const char text[] = "a|b|c\r\n1|\"x|y\"|\r\n2||\"q\"\"\"";
    ctxprof_csv r;
    assert_int_equal(ctxprof_csv_open_mem(ctx, &r, text, sizeof text - 1, '|'), 0);
    expect_cells(&r, 3, (const char *[]){"a", "b", "c"});
    expect_cells(&r, 3, (const char *[]){"1", "x|y", ""});
    expect_cells(&r, 3, (const char *[]){"2", "", "q\""});
    assert_int_equal(ctxprof_csv_next(ctx, &r), 0);
    ctxprof_csv_close(ctx, &r);
    ctxprof_ctx_free(ctx);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells),       cmocka_unit_test(test_refused),
        cmocka_unit_test(test_same_as_ogr), cmocka_unit_test(test_cp1252),
        cmocka_unit_test(test_pipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
