/* Every source of the sample loaded twice: through the loader's own CSV
 * reader and, with CTXPROF_CSV_OGR=1, through GDAL's OGR CSV driver. The
 * incidents, rejects and per-source counts (the data_quality table) must be
 * the same, value for value; and so must the people linking, which reads
 * the sources again for names, dates of birth and schools. */
#include "test_util.h"

#include <gdal.h>

#include "core/context.h"
#include "load/load.h"
#include "people/people.h"
#include "profile/profile.h"

typedef struct {
    ctxprof_ctx *ctx;
    ctxprof_profile *p;
    ctxprof_loader *ld;
    ctxprof_incidents inc;
    ctxprof_rejects rej;
    ctxprof_source_counts *cnt;
    size_t ns;
    ctxprof_people_result people;
} loaded;

static void load(loaded *l, const char *ogr)
{
    char ini[1024];
    snprintf(ini, sizeof ini, "%s/../../gis-data/sample/sample.ini", test_data(""));
    setenv("CTXPROF_CSV_OGR", ogr, 1);
    memset(l, 0, sizeof *l);
    l->ctx = ctxprof_ctx_new();
    if (ctxprof_profile_load(l->ctx, &l->p, ini) ||
        ctxprof_loader_new(l->ctx, &l->ld, ctxprof_profile_load_options(l->p)))
        fail_msg("%s", ctxprof_errmsg(l->ctx));
    l->ns = ctxprof_profile_n_sources(l->p);
    l->cnt = calloc(l->ns, sizeof *l->cnt);
    if (ctxprof_loader_run(l->ctx, l->ld, &l->inc, &l->rej, l->cnt) ||
        ctxprof_people_link(l->ctx, &l->people, ctxprof_profile_people_options(l->p),
                            ctxprof_loader_pseudonym(l->ld), &l->inc))
        fail_msg("%s", ctxprof_errmsg(l->ctx));
    unsetenv("CTXPROF_CSV_OGR");
}

static void unload(loaded *l)
{
    for (size_t i = 0; i < l->ns; i++)
        ctxprof_source_counts_clear(l->ctx, &l->cnt[i]);
    free(l->cnt);
    ctxprof_people_result_free(l->ctx, &l->people);
    ctxprof_incidents_free(l->ctx, &l->inc);
    ctxprof_rejects_free(l->ctx, &l->rej);
    ctxprof_loader_free(l->ctx, l->ld);
    ctxprof_profile_free(l->ctx, l->p);
    ctxprof_ctx_free(l->ctx);
}

static int streq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void test_same_both_ways(void **state)
{
    (void)state;
    loaded fast, ogr;
    load(&fast, "0");
    load(&ogr, "1");
    assert_int_equal(fast.ns, ogr.ns);
    int n_fast = 0;
    for (size_t i = 0; i < fast.ns; i++) {
        const ctxprof_source_counts *a = &fast.cnt[i], *b = &ogr.cnt[i];
        const char *name = ctxprof_profile_source(fast.p, i)->name;
        assert_false(b->fast_csv);
        n_fast += a->fast_csv;
        if (memcmp(a, b, offsetof(ctxprof_source_counts, unmapped)) != 0)
            fail_msg("source %s: counts differ (rows %lld/%lld, incidents %lld/%lld, "
                     "rejects %lld/%lld, recoded %lld/%lld)",
                     name, (long long)a->rows_read, (long long)b->rows_read,
                     (long long)a->incidents, (long long)b->incidents, (long long)a->rejects_load,
                     (long long)b->rejects_load, (long long)a->recoded, (long long)b->recoded);
        assert_int_equal(a->n_unmapped, b->n_unmapped);
        for (size_t k = 0; k < a->n_unmapped; k++) {
            assert_string_equal(a->unmapped[k].code, b->unmapped[k].code);
            assert_int_equal(a->unmapped[k].n, b->unmapped[k].n);
        }
        assert_true(a->rows_read > 0);
    }
    /* Every CSV of the sample (all but the XLSX and the GeoJSON). */
    assert_int_equal(n_fast, (int)fast.ns - 2);
    assert_int_equal(fast.inc.n, ogr.inc.n);
    for (size_t i = 0; i < fast.inc.n; i++) {
        if (fast.inc.source[i] != ogr.inc.source[i] || fast.inc.row[i] != ogr.inc.row[i] ||
            fast.inc.x[i] != ogr.inc.x[i] || fast.inc.y[i] != ogr.inc.y[i] ||
            memcmp(&fast.inc.when[i], &ogr.inc.when[i], sizeof fast.inc.when[i]) != 0 ||
            fast.inc.cats[i] != ogr.inc.cats[i] || fast.inc.flags[i] != ogr.inc.flags[i] ||
            strcmp(fast.inc.pid[i], ogr.inc.pid[i]) != 0 ||
            fast.inc.geocode_method[i] != ogr.inc.geocode_method[i] ||
            fast.inc.geocode_score[i] != ogr.inc.geocode_score[i])
            fail_msg("incident %zu (source %u row %lld) differs", i, fast.inc.source[i],
                     (long long)fast.inc.row[i]);
    }
    assert_int_equal(fast.rej.n, ogr.rej.n);
    for (size_t i = 0; i < fast.rej.n; i++)
        if (fast.rej.source[i] != ogr.rej.source[i] || fast.rej.row[i] != ogr.rej.row[i] ||
            fast.rej.stage[i] != ogr.rej.stage[i] || !streq(fast.rej.field[i], ogr.rej.field[i]) ||
            !streq(fast.rej.reason[i], ogr.rej.reason[i]) ||
            !streq(fast.rej.location_text[i], ogr.rej.location_text[i]))
            fail_msg("reject %zu (source %u row %lld: %s) differs from OGR's (row %lld: %s)", i,
                     fast.rej.source[i], (long long)fast.rej.row[i], fast.rej.reason[i],
                     (long long)ogr.rej.row[i], ogr.rej.reason[i]);
    /* The people linking: the same links, pairs, possible matches and
     * school records (the incidents' pids, linked, were compared above). */
    const ctxprof_people_result *a = &fast.people, *b = &ogr.people;
    assert_true(a->crosswalk_rows > 0 && a->association_rows > 0 && a->n_attendance > 0);
    assert_int_equal(a->crosswalk_rows, b->crosswalk_rows);
    assert_int_equal(a->crosswalk_ids, b->crosswalk_ids);
    assert_int_equal(a->source_ids, b->source_ids);
    assert_int_equal(a->links_made, b->links_made);
    assert_int_equal(a->ids_linked, b->ids_linked);
    assert_int_equal(a->association_rows, b->association_rows);
    assert_int_equal(a->association_pairs, b->association_pairs);
    assert_int_equal(a->n_pairs, b->n_pairs);
    assert_memory_equal(a->pair_a, b->pair_a, a->n_pairs * sizeof *a->pair_a);
    assert_memory_equal(a->pair_b, b->pair_b, a->n_pairs * sizeof *a->pair_b);
    assert_int_equal(a->n_matches, b->n_matches);
    for (size_t k = 0; k < a->n_matches; k++) {
        assert_string_equal(a->matches[k].a, b->matches[k].a);
        assert_string_equal(a->matches[k].b, b->matches[k].b);
        assert_string_equal(a->matches[k].reason, b->matches[k].reason);
    }
    assert_int_equal(a->n_attendance, b->n_attendance);
    for (size_t k = 0; k < a->n_attendance; k++) {
        assert_string_equal(a->attendance[k].pid, b->attendance[k].pid);
        assert_string_equal(a->attendance[k].school, b->attendance[k].school);
        assert_true(a->attendance[k].day == b->attendance[k].day &&
                    a->attendance[k].source == b->attendance[k].source);
    }
    unload(&fast);
    unload(&ogr);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
