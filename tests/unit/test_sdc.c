/* Disclosure control core (src/share/sdc.c): primary and secondary
 * suppression on small hand-made tables with their exact expected patterns,
 * and the attacker that solves equations with one unknown, iteratively. */
#include "test_util.h"

#include "share/sdc.h"

static ctxprof_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    ctx = ctxprof_ctx_new();
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ctxprof_ctx_free(ctx);
    return 0;
}

/* A rows x (1 + cols) table: column 0 the row total, the others its parts;
 * one equation per row (total with its parts) and one per column (the
 * column total is known). Cell (r, c) has index r * (cols + 1) + c. */
static ctxprof_sdc *grid(size_t rows, size_t cols, const int64_t *v)
{
    ctxprof_sdc *s = ctxprof_sdc_new(ctx);
    assert_non_null(s);
    size_t w = cols + 1;
    for (size_t i = 0; i < rows * w; i++)
        assert_int_equal(ctxprof_sdc_cell(ctx, s, v[i]), (long)i);
    long eq[64];
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < w; c++)
            eq[c] = (long)(r * w + c);
        assert_int_equal(ctxprof_sdc_equation(ctx, s, eq, w), 0);
    }
    for (size_t c = 0; c < w; c++) {
        for (size_t r = 0; r < rows; r++)
            eq[r] = (long)(r * w + c);
        assert_int_equal(ctxprof_sdc_equation(ctx, s, eq, rows), 0);
    }
    return s;
}

/* states as a string: '.' published, 'P' primary, 'S' secondary, 'D' dropped */
static void assert_pattern(const ctxprof_sdc *s, const char *want)
{
    char got[256];
    size_t n = ctxprof_sdc_n_cells(s);
    assert_true(n < sizeof got);
    for (size_t i = 0; i < n; i++)
        got[i] = ".PSD"[ctxprof_sdc_get(s, (long)i)];
    got[n] = '\0';
    assert_string_equal(got, want);
}

/* One small cell: its row and its column each get a second hidden cell, and
 * the row and column of those a second one too: a rectangle of four. */
static void test_rectangle(void **state)
{
    (void)state;
    static const int64_t v[] = {20, 3, 7, 10, /**/ 30, 10, 12, 8, /**/ 25, 6, 9, 10};
    ctxprof_sdc *s = grid(3, 3, v);
    assert_int_equal(ctxprof_sdc_attack(ctx, s, NULL), 0);
    assert_int_equal(ctxprof_sdc_primary(s, 5), 1);
    assert_pattern(s, ".P.."
                      "...."
                      "....");
    /* before secondary suppression the attacker gets it back from its row */
    unsigned char rec[12];
    assert_int_equal(ctxprof_sdc_attack(ctx, s, rec), 1);
    assert_int_equal(rec[1], 1);
    size_t sec, unprot;
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    assert_int_equal(sec, 3);
    assert_int_equal(unprot, 0);
    /* row 0: the next smallest part (7); column x: 6 (row 2); row 2 then
     * has 6 hidden and needs its smallest other part, 9 (column y, which
     * already has 7 hidden). */
    assert_pattern(s, ".PS."
                      "...."
                      ".SS.");
    assert_int_equal(ctxprof_sdc_attack(ctx, s, rec), 0);
    ctxprof_sdc_free(ctx, s);
}

/* 0 stays 0 (never primary); the row total is hidden only when it is the
 * smallest cell left; zeros are hidden only when nothing else is left. */
static void test_zeros_and_totals(void **state)
{
    (void)state;
    /* one row, no column equations: total 6 = 4 + 0 + 2 -> both parts
     * primary, nothing else needed */
    ctxprof_sdc *s = ctxprof_sdc_new(ctx);
    long c[4];
    const int64_t v1[] = {6, 4, 0, 2};
    for (int i = 0; i < 4; i++)
        c[i] = ctxprof_sdc_cell(ctx, s, v1[i]);
    assert_int_equal(ctxprof_sdc_equation(ctx, s, c, 4), 0);
    assert_int_equal(ctxprof_sdc_primary(s, 5), 2);
    size_t sec, unprot;
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    assert_int_equal(sec, 0);
    assert_pattern(s, ".P.P");
    ctxprof_sdc_free(ctx, s);

    /* total 9 = 3 + 0 + 6: 3 primary, then the smallest non-zero is 6 */
    s = ctxprof_sdc_new(ctx);
    const int64_t v2[] = {9, 3, 0, 6};
    for (int i = 0; i < 4; i++)
        c[i] = ctxprof_sdc_cell(ctx, s, v2[i]);
    assert_int_equal(ctxprof_sdc_equation(ctx, s, c, 4), 0);
    ctxprof_sdc_primary(s, 5);
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    assert_pattern(s, ".P.S");
    ctxprof_sdc_free(ctx, s);

    /* total 3 = 3 + 0 + 0: the total and its part are both primary */
    s = ctxprof_sdc_new(ctx);
    const int64_t v3[] = {3, 3, 0, 0};
    for (int i = 0; i < 4; i++)
        c[i] = ctxprof_sdc_cell(ctx, s, v3[i]);
    assert_int_equal(ctxprof_sdc_equation(ctx, s, c, 4), 0);
    ctxprof_sdc_primary(s, 5);
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    assert_pattern(s, "PP..");
    ctxprof_sdc_free(ctx, s);

    /* a column with a known total: 0, 2, 0, 0: only zeros are left, and
     * the first of them is hidden */
    s = ctxprof_sdc_new(ctx);
    const int64_t v4[] = {0, 2, 0, 0};
    for (int i = 0; i < 4; i++)
        c[i] = ctxprof_sdc_cell(ctx, s, v4[i]);
    assert_int_equal(ctxprof_sdc_equation(ctx, s, c, 4), 0);
    ctxprof_sdc_primary(s, 5);
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    assert_int_equal(sec, 1);
    assert_pattern(s, "SP..");
    assert_int_equal(ctxprof_sdc_attack(ctx, s, NULL), 0);
    ctxprof_sdc_free(ctx, s);
}

/* Two rows, each 12 = parts; one cell of row 0 small and row 1 all large:
 * the column of the hidden cells forces a cell of row 1, whose row then
 * needs a second one (a cascade across rows and columns). */
static void test_cascade(void **state)
{
    (void)state;
    static const int64_t v[] = {12, 2, 10, 0, /**/ 30, 5, 15, 10};
    ctxprof_sdc *s = grid(2, 3, v);
    assert_int_equal(ctxprof_sdc_primary(s, 5), 1);
    size_t sec, unprot;
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    /* row 0: 2 hidden, next smallest non-zero 10; column x: 5; column y:
     * 15; row 1: 5 and 15 hidden: done. Row total 12 stays published. */
    assert_pattern(s, ".PS."
                      ".SS.");
    assert_int_equal(sec, 3);
    assert_int_equal(ctxprof_sdc_attack(ctx, s, NULL), 0);
    ctxprof_sdc_free(ctx, s);
}

/* A dropped feature counts as unknown in its columns: one dropped row makes
 * the column give it back, so the smallest other cell is hidden; two dropped
 * rows protect each other. */
static void test_dropped(void **state)
{
    (void)state;
    for (int two = 0; two <= 1; two++) {
        ctxprof_sdc *s = ctxprof_sdc_new(ctx);
        const int64_t v[] = {10, 4, 7, 3};
        long c[4];
        for (int i = 0; i < 4; i++)
            c[i] = ctxprof_sdc_cell(ctx, s, v[i]);
        assert_int_equal(ctxprof_sdc_equation(ctx, s, c, 4), 0);
        ctxprof_sdc_drop(s, c[1]);
        if (two)
            ctxprof_sdc_drop(s, c[3]);
        /* primary at k=3 hides nothing here (3 >= 3, 4 dropped) */
        assert_int_equal(ctxprof_sdc_primary(s, 3), 0);
        if (!two)
            assert_int_equal(ctxprof_sdc_attack(ctx, s, NULL), 1);
        size_t sec, unprot;
        assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
        assert_pattern(s, two ? ".D.D" : ".D.S");
        assert_int_equal(ctxprof_sdc_attack(ctx, s, NULL), 0);
        ctxprof_sdc_free(ctx, s);
    }
}

/* The attacker solves iteratively: b from {b, c}, then a from {a, b}. */
static void test_attack_iterates(void **state)
{
    (void)state;
    ctxprof_sdc *s = ctxprof_sdc_new(ctx);
    long a = ctxprof_sdc_cell(ctx, s, 1), b = ctxprof_sdc_cell(ctx, s, 2),
         c = ctxprof_sdc_cell(ctx, s, 9);
    long e1[] = {a, b}, e2[] = {b, c};
    assert_int_equal(ctxprof_sdc_equation(ctx, s, e1, 2), 0);
    assert_int_equal(ctxprof_sdc_equation(ctx, s, e2, 2), 0);
    assert_int_equal(ctxprof_sdc_primary(s, 5), 2);
    unsigned char rec[3];
    assert_int_equal(ctxprof_sdc_attack(ctx, s, rec), 2);
    assert_int_equal(rec[0] + rec[1] + rec[2], 2);
    size_t sec, unprot;
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    assert_pattern(s, "PPS");
    assert_int_equal(ctxprof_sdc_attack(ctx, s, NULL), 0);
    ctxprof_sdc_free(ctx, s);
}

/* A one-cell equation (a layer of one row whose total is known) cannot be
 * protected: reported, not looped on. */
static void test_unprotectable(void **state)
{
    (void)state;
    ctxprof_sdc *s = ctxprof_sdc_new(ctx);
    long a = ctxprof_sdc_cell(ctx, s, 2);
    assert_int_equal(ctxprof_sdc_equation(ctx, s, &a, 1), 0);
    ctxprof_sdc_primary(s, 5);
    size_t sec, unprot;
    assert_int_equal(ctxprof_sdc_secondary(ctx, s, &sec, &unprot), 0);
    assert_int_equal(sec, 0);
    assert_int_equal(unprot, 1);
    assert_int_equal(ctxprof_sdc_attack(ctx, s, NULL), 1);
    long bad = 7;
    assert_true(ctxprof_sdc_equation(ctx, s, &bad, 1) < 0);
    assert_true(ctxprof_sdc_cell(ctx, s, -1) < 0);
    ctxprof_sdc_free(ctx, s);
}

/* The exact audit (GLPK) on planted attackable structures: a total with
 * one suppressed cell (pinned), a row whose suppressed cells sum to a
 * known small amount (each below k), and a grid of at most n_total. */
static void test_exact_planted(void **state)
{
    (void)state;
    ctxprof_sdc *s = ctxprof_sdc_new(ctx);
    long t = ctxprof_sdc_cell(ctx, s, 20), a = ctxprof_sdc_cell(ctx, s, 3),
         b = ctxprof_sdc_cell(ctx, s, 17);
    long row1[] = {t, a, b};
    int coef1[] = {-1, 1, 1};
    assert_int_equal(ctxprof_sdc_constraint(ctx, s, row1, coef1, 3, CTXPROF_SDC_EQ, 0), 0);
    long t2 = ctxprof_sdc_cell(ctx, s, 30), c = ctxprof_sdc_cell(ctx, s, 2),
         d = ctxprof_sdc_cell(ctx, s, 1), e = ctxprof_sdc_cell(ctx, s, 27);
    long row2[] = {t2, c, d, e};
    int coef2[] = {-1, 1, 1, 1};
    assert_int_equal(ctxprof_sdc_constraint(ctx, s, row2, coef2, 4, CTXPROF_SDC_EQ, 0), 0);
    assert_int_equal(ctxprof_sdc_primary(s, 5), 3);
    int64_t lo[7], hi[7];
    unsigned char ex[7];
    assert_int_equal(ctxprof_sdc_exact(ctx, s, 5, lo, hi, ex), 3);
    assert_int_equal(hi[a], 3); /* pinned: 20 - 17 */
    assert_int_equal(hi[c], 3); /* c + d = 3: each at most 3 */
    assert_int_equal(hi[d], 3);
    size_t sec, stuck;
    assert_int_equal(ctxprof_sdc_protect_exact(ctx, s, 5, &sec, &stuck), 0);
    assert_int_equal(stuck, 0);
    assert_true(sec >= 2);
    assert_int_equal(ctxprof_sdc_exact(ctx, s, 5, lo, hi, ex), 0);
    for (long x = 0; x < 7; x++)
        if (ctxprof_sdc_get(s, x) != CTXPROF_SDC_PUBLISHED)
            assert_true(hi[x] >= 5 && hi[x] != lo[x]);
    ctxprof_sdc_free(ctx, s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rectangle),       cmocka_unit_test(test_zeros_and_totals),
        cmocka_unit_test(test_cascade),         cmocka_unit_test(test_dropped),
        cmocka_unit_test(test_attack_iterates), cmocka_unit_test(test_unprotectable),
        cmocka_unit_test(test_exact_planted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
