/* The loader on the core pool: the order sources start in, the same
 * incidents, rejects and counts for any number of threads ([profile]
 * threads), and two loaders on two threads at once (each with its own
 * context), as ctxprof serves two profiles in one process. Under TSAN the
 * last one fails on any state two loaders share (such as the process-wide
 * sort key the loader once sorted its sources with). */
#include "test_util.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/context.h"
#include "load/load.h"
#include "profile/profile.h"

static void test_order_largest_first(void **state)
{
    (void)state;
    double w[] = {5, 9, 5, 1, 9, 0, 5};
    size_t order[7];
    ctxprof_loader_order(order, w, 7);
    size_t want[] = {1, 4, 0, 2, 6, 3, 5};
    assert_memory_equal(order, want, sizeof want);
    ctxprof_loader_order(order, w, 0); /* nothing to do */
    ctxprof_loader_order(order, w, 1);
    assert_int_equal(order[0], 0);
}

/* Two threads sort different weights over and over: each gets its own
 * order every time (a sort through shared state mixes them up). */
enum { N_SORT = 200, N_ROUNDS = 20000 };
typedef struct {
    int descending;
    atomic_int *wrong;
    pthread_barrier_t *go;
} sorter;

static void *sort_many(void *arg)
{
    sorter *s = arg;
    double w[N_SORT];
    size_t order[N_SORT];
    for (int i = 0; i < N_SORT; i++)
        w[i] = s->descending ? N_SORT - i : i + 1;
    pthread_barrier_wait(s->go);
    for (int r = 0; r < N_ROUNDS; r++) {
        ctxprof_loader_order(order, w, N_SORT);
        for (int k = 0; k < N_SORT; k++)
            if (order[k] != (size_t)(s->descending ? k : N_SORT - 1 - k)) {
                atomic_fetch_add(s->wrong, 1);
                break;
            }
    }
    return NULL;
}

static void test_order_on_two_threads(void **state)
{
    (void)state;
    atomic_int wrong;
    atomic_init(&wrong, 0);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    sorter a = {0, &wrong, &go}, b = {1, &wrong, &go};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, sort_many, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, sort_many, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&go);
    assert_int_equal(atomic_load(&wrong), 0);
}

/* ------------------------------------------------------------------------- */

/* The sample's profile with [profile] threads = threads, in a folder of its
 * own beside links to the sample's files (its paths are relative). */
static char sample_dir[4][256];
static const char *sample_with_threads(int threads)
{
    static int slot;
    char *dir = sample_dir[slot++ % 4];
    snprintf(dir, sizeof sample_dir[0], "/tmp/ctxprof-test-load-XXXXXX");
    if (!mkdtemp(dir))
        fail_msg("cannot make a temporary folder");
    char src[1024];
    snprintf(src, sizeof src, "%s/../../gis-data/sample", test_data(""));
    char *abs = realpath(src, NULL);
    assert_non_null(abs);
    DIR *d = opendir(abs);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "sample.ini") == 0)
            continue;
        char from[1400], to[600];
        snprintf(from, sizeof from, "%s/%s", abs, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        assert_int_equal(symlink(from, to), 0);
    }
    closedir(d);
    char ini[1400], out[600];
    snprintf(ini, sizeof ini, "%s/sample.ini", abs);
    snprintf(out, sizeof out, "%s/sample.ini", dir);
    FILE *in = fopen(ini, "r"), *o = fopen(out, "w");
    assert_non_null(in);
    assert_non_null(o);
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        fputs(line, o);
        if (strncmp(line, "[profile]", 9) == 0)
            fprintf(o, "threads = %d\n", threads);
    }
    fclose(in);
    fclose(o);
    free(abs);
    static char path[4][700];
    static int ps;
    char *p = path[ps++ % 4];
    snprintf(p, sizeof path[0], "%s", out);
    return p;
}

static void remove_sample(const char *ini)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s", ini);
    *strrchr(dir, '/') = '\0';
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[1000];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

typedef struct {
    const char *ini;
    ctxprof_ctx *ctx;
    ctxprof_profile *p;
    ctxprof_loader *ld;
    ctxprof_incidents inc;
    ctxprof_rejects rej;
    ctxprof_source_counts *cnt;
    size_t ns;
    int rc;
    char err[1024];
} loaded;

/* Loads l->ini on this thread with a context of its own, made and freed
 * here (contexts are per thread); the results are plain memory. */
static void *load_on_thread(void *arg)
{
    loaded *l = arg;
    l->ctx = ctxprof_ctx_new();
    if (!(l->rc = ctxprof_profile_load(l->ctx, &l->p, l->ini)) &&
        !(l->rc = ctxprof_loader_new(l->ctx, &l->ld, ctxprof_profile_load_options(l->p)))) {
        l->ns = ctxprof_profile_n_sources(l->p);
        l->cnt = calloc(l->ns, sizeof *l->cnt);
        l->rc = ctxprof_loader_run(l->ctx, l->ld, &l->inc, &l->rej, l->cnt);
    }
    snprintf(l->err, sizeof l->err, "%s", ctxprof_errmsg(l->ctx));
    ctxprof_loader_free(l->ctx, l->ld);
    ctxprof_profile_free(l->ctx, l->p);
    ctxprof_ctx_free(l->ctx);
    l->ctx = NULL;
    return NULL;
}

static void unload(loaded *l)
{
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    for (size_t i = 0; l->cnt && i < l->ns; i++)
        ctxprof_source_counts_clear(ctx, &l->cnt[i]);
    free(l->cnt);
    ctxprof_incidents_free(ctx, &l->inc);
    ctxprof_rejects_free(ctx, &l->rej);
    ctxprof_ctx_free(ctx);
}

static int streq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The same incidents, rejects and counts, value for value and in order. */
static void assert_same_load(const loaded *a, const loaded *b, const char *what)
{
    if (a->rc || b->rc)
        fail_msg("%s: %s / %s", what, a->err, b->err);
    const ctxprof_incidents *x = &a->inc, *y = &b->inc;
    if (x->n != y->n)
        fail_msg("%s: %zu incidents, not %zu", what, y->n, x->n);
    assert_true(x->n > 1000);
#define SAME(f)                                                                                    \
    if (memcmp(x->f, y->f, x->n * sizeof *x->f) != 0)                                              \
        fail_msg("%s: incidents differ in %s", what, #f);
    /* clang-format off */
    SAME(x) SAME(y) SAME(when) SAME(source) SAME(row) SAME(cats) SAME(flags) SAME(geocode_method) SAME(geocode_score)
    /* clang-format on */
#undef SAME
            for (size_t i = 0; i < x->n; i++) if (strcmp(x->pid[i], y->pid[i]) != 0)
                fail_msg("%s: incident %zu has another pid", what, i);
    const ctxprof_rejects *r = &a->rej, *s = &b->rej;
    assert_int_equal(r->n, s->n);
    for (size_t i = 0; i < r->n; i++)
        if (r->source[i] != s->source[i] || r->row[i] != s->row[i] || r->stage[i] != s->stage[i] ||
            !streq(r->field[i], s->field[i]) || !streq(r->reason[i], s->reason[i]) ||
            !streq(r->location_text[i], s->location_text[i]))
            fail_msg("%s: reject %zu differs", what, i);
    assert_int_equal(a->ns, b->ns);
    for (size_t i = 0; i < a->ns; i++)
        if (memcmp(&a->cnt[i], &b->cnt[i], offsetof(ctxprof_source_counts, unmapped)) != 0)
            fail_msg("%s: the counts of source %zu differ", what, i);
}

static void test_same_for_any_thread_count(void **state)
{
    (void)state;
    loaded one = {.ini = sample_with_threads(1)};
    load_on_thread(&one);
    int threads[] = {0, 2, 5};
    for (int k = 0; k < 3; k++) {
        loaded many = {.ini = sample_with_threads(threads[k])};
        load_on_thread(&many);
        char what[64];
        snprintf(what, sizeof what, "threads = %d", threads[k]);
        assert_same_load(&one, &many, what);
        unload(&many);
        remove_sample(many.ini);
    }
    unload(&one);
    remove_sample(one.ini);
}

static void test_two_loaders_at_once(void **state)
{
    (void)state;
    loaded alone = {.ini = sample_with_threads(1)};
    load_on_thread(&alone);
    loaded a = {.ini = sample_with_threads(2)}, b = {.ini = sample_with_threads(3)};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, load_on_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, load_on_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_same_load(&alone, &a, "first of two at once");
    assert_same_load(&alone, &b, "second of two at once");
    unload(&a);
    unload(&b);
    unload(&alone);
    remove_sample(a.ini);
    remove_sample(b.ini);
    remove_sample(alone.ini);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_largest_first),
        cmocka_unit_test(test_order_on_two_threads),
        cmocka_unit_test(test_same_for_any_thread_count),
        cmocka_unit_test(test_two_loaders_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
