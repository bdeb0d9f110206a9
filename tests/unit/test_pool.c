/* The work pool (core/pool.h): every task runs once, the calling thread
 * works too, results, errors and log lines do not depend on the number of
 * threads, progress is monotonic and reaches 1, a cancel stops it, each
 * thread has a context of its own (with GEOS messages); and the thread of
 * a pipeline stage hands its error and log over the same way. */
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "core/context.h"
#include "core/pool.h"

/* cmocka's asserts are for the test's own thread: what tasks check on
 * workers is counted here and asserted afterwards. */
static atomic_int bad;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            atomic_fetch_add(&bad, 1);                                                             \
    } while (0)

static void nap_us(long us)
{
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

/* ------------------------------------------------------------------------- */

typedef struct {
    size_t n;
    atomic_int *runs; /* per task */
    uint64_t *out;    /* per task */
    pthread_t caller;
    atomic_int by_caller; /* tasks run on the calling thread */
    atomic_int inits, frees, init0_on_caller;
    long nap; /* microseconds per task */
    ctxprof_ctx *caller_ctx;
    atomic_int shared_ctx; /* a task was given the caller's context */
} count_job;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int count_task(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    count_job *j = arg;
    CHECK(state == (void *)j);
    if (ctx == j->caller_ctx)
        atomic_store(&j->shared_ctx, 1);
    atomic_fetch_add(&j->runs[i], 1);
    if (pthread_equal(pthread_self(), j->caller))
        atomic_fetch_add(&j->by_caller, 1);
    if (j->nap)
        nap_us(j->nap);
    j->out[i] = mix(i + 1);
    return 0;
}

static int count_init(ctxprof_ctx *ctx, int thread, void *arg, void **state)
{
    (void)ctx;
    count_job *j = arg;
    atomic_fetch_add(&j->inits, 1);
    if (thread == 0 && pthread_equal(pthread_self(), j->caller))
        atomic_store(&j->init0_on_caller, 1);
    *state = j;
    return 0;
}

static void count_free(ctxprof_ctx *ctx, int thread, void *arg, void *state)
{
    (void)ctx;
    (void)thread;
    count_job *j = arg;
    CHECK(state == (void *)j);
    atomic_fetch_add(&j->frees, 1);
}

static void count_job_init(count_job *j, ctxprof_ctx *ctx, size_t n, long nap)
{
    memset(j, 0, sizeof *j);
    j->n = n;
    j->runs = calloc(n, sizeof *j->runs);
    j->out = calloc(n, sizeof *j->out);
    j->caller = pthread_self();
    j->nap = nap;
    j->caller_ctx = ctx;
}

static void count_job_free(count_job *j)
{
    free(j->runs);
    free(j->out);
}

/* Every task runs exactly once, on 0, 1 and several threads, with the same
 * results; the calling thread runs tasks and thread 0's setup. */
static void test_every_task_once(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    enum { N = 2000 };
    uint64_t *first = NULL;
    int threads[] = {1, 0, 2, 3, 8};
    for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
        count_job j;
        count_job_init(&j, ctx, N, 0);
        ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
        o.threads = threads[k];
        o.thread_init = count_init;
        o.thread_free = count_free;
        assert_int_equal(ctxprof_pool_run(ctx, N, count_task, &j, &o), 0);
        for (size_t i = 0; i < N; i++)
            if (atomic_load(&j.runs[i]) != 1)
                fail_msg("threads %d: task %zu ran %d times", threads[k], i,
                         atomic_load(&j.runs[i]));
        assert_int_equal(atomic_load(&j.inits), ctxprof_pool_threads(threads[k], 0, N));
        assert_int_equal(atomic_load(&j.frees), atomic_load(&j.inits));
        assert_true(atomic_load(&j.init0_on_caller));
        assert_false(atomic_load(&j.shared_ctx)); /* each thread its own context */
        if (threads[k] == 1)
            assert_int_equal(atomic_load(&j.by_caller), N);
        if (!first) {
            first = j.out;
            j.out = NULL;
        } else {
            assert_memory_equal(first, j.out, N * sizeof *first);
        }
        count_job_free(&j);
    }
    free(first);
    /* No tasks: nothing runs, and that is a success. */
    assert_int_equal(ctxprof_pool_run(ctx, 0, count_task, NULL, NULL), 0);
    ctxprof_ctx_free(ctx);
}

/* With slow tasks on several threads the calling thread still takes its
 * share (it is not only waiting for the workers). */
static void test_caller_works(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    count_job j;
    count_job_init(&j, ctx, 40, 2000);
    ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
    o.threads = 4;
    o.thread_init = count_init;
    assert_int_equal(ctxprof_pool_run(ctx, j.n, count_task, &j, &o), 0);
    assert_true(atomic_load(&j.by_caller) > 0);
    assert_true(atomic_load(&j.by_caller) < (int)j.n);
    count_job_free(&j);
    ctxprof_ctx_free(ctx);
}

static void test_thread_count(void **state)
{
    (void)state;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int expect = online < 1                          ? 1
                 : online > CTXPROF_POOL_MAX_THREADS ? CTXPROF_POOL_MAX_THREADS
                                                     : (int)online;
    assert_int_equal(ctxprof_pool_threads(0, 0, SIZE_MAX), expect);
    assert_int_equal(ctxprof_pool_threads(-3, 0, SIZE_MAX), expect);
    assert_int_equal(ctxprof_pool_threads(0, 1, SIZE_MAX), 1);
    assert_int_equal(ctxprof_pool_threads(5, 0, SIZE_MAX), 5);
    assert_int_equal(ctxprof_pool_threads(5, 3, SIZE_MAX), 3);
    assert_int_equal(ctxprof_pool_threads(5, 0, 2), 2);
    assert_int_equal(ctxprof_pool_threads(5, 0, 0), 1);
    assert_int_equal(ctxprof_pool_threads(1000, 0, SIZE_MAX), CTXPROF_POOL_MAX_THREADS);
}

/* ------------------------------------------------------------------------- */

typedef struct {
    double v[4096];
    int n;
    double cancel_at; /* > 1: never */
} progress_log;

static int record_progress(double complete, const char *msg, void *payload)
{
    progress_log *l = payload;
    assert_non_null(msg);
    if (l->n < 4096)
        l->v[l->n++] = complete;
    return complete < l->cancel_at;
}

typedef struct {
    atomic_int started;
    atomic_int saw_cancel;
    long nap;
    int steps;
} step_job;

/* A task of steps, reporting its own progress after each. */
static int step_task(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    (void)i;
    (void)state;
    step_job *j = arg;
    atomic_fetch_add(&j->started, 1);
    for (int s = 1; s <= j->steps; s++) {
        nap_us(j->nap);
        int rc = ctxprof_progress(ctx, (double)s / j->steps, "step");
        if (rc) {
            CHECK(rc == CTXPROF_E_CANCELLED);
            atomic_fetch_add(&j->saw_cancel, 1);
            return rc;
        }
    }
    return 0;
}

/* Progress on the caller's context is monotonic, stays within the caller's
 * range, and ends at 1 (of that range), weights or not. */
static void test_progress_monotonic(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    static progress_log l;
    double weights[24];
    for (int i = 0; i < 24; i++)
        weights[i] = i % 5 == 0 ? 10.0 : 1.0;
    int threads[] = {1, 3};
    for (int w = 0; w < 2; w++)
        for (int k = 0; k < 2; k++) {
            memset(&l, 0, sizeof l);
            l.cancel_at = 2;
            ctxprof_set_progress(ctx, record_progress, &l);
            ctxprof_progress_push(ctx, 0.5, 1.0);
            step_job j = {0, 0, 300, 4};
            ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
            o.threads = threads[k];
            o.progress = "stepping";
            o.weights = w ? weights : NULL;
            assert_int_equal(ctxprof_pool_run(ctx, 24, step_task, &j, &o), 0);
            ctxprof_progress_pop(ctx);
            assert_true(l.n >= 3);
            for (int i = 0; i < l.n; i++) {
                assert_true(l.v[i] >= 0.5 && l.v[i] <= 1.0);
                if (i && l.v[i] < l.v[i - 1])
                    fail_msg("progress went back from %g to %g (call %d)", l.v[i - 1], l.v[i], i);
            }
            assert_true(l.v[l.n - 1] == 1.0);
            /* something in between was said, not only 0 and 1 */
            int between = 0;
            for (int i = 0; i < l.n; i++)
                between |= l.v[i] > 0.5 && l.v[i] < 1.0;
            assert_true(between);
        }
    ctxprof_set_progress(ctx, NULL, NULL);
    ctxprof_ctx_free(ctx);
}

/* A cancel from the progress callback: tasks after it do not start,
 * running ones see it, the pool returns CTXPROF_E_CANCELLED with the
 * caller's error set (and, under ASAN, nothing leaks). */
static void test_cancel(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    static progress_log l;
    int threads[] = {1, 4};
    for (int k = 0; k < 2; k++) {
        memset(&l, 0, sizeof l);
        l.cancel_at = 0.2;
        ctxprof_set_progress(ctx, record_progress, &l);
        step_job j = {0, 0, 1000, 5};
        ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
        o.threads = threads[k];
        o.progress = "stepping";
        ctxprof_error_clear(ctx);
        assert_int_equal(ctxprof_pool_run(ctx, 100, step_task, &j, &o), CTXPROF_E_CANCELLED);
        assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_CANCELLED);
        assert_non_null(strstr(ctxprof_errmsg(ctx), "cancelled"));
        assert_non_null(strstr(ctxprof_errmsg(ctx), "stepping"));
        int started = atomic_load(&j.started);
        if (started >= 50)
            fail_msg("threads %d: %d of 100 tasks started after a cancel at 20%%", threads[k],
                     started);
        assert_true(atomic_load(&j.saw_cancel) >= 1);
        /* after the cancel the callback is not asked again */
        assert_true(l.v[l.n - 1] >= 0.2);
        for (int i = 0; i + 1 < l.n; i++)
            assert_true(l.v[i] < 0.2);
    }
    /* cancelled before anything starts */
    memset(&l, 0, sizeof l);
    l.cancel_at = 0;
    count_job c;
    count_job_init(&c, ctx, 10, 0);
    ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
    o.threads = 3;
    o.progress = "counting";
    o.thread_init = count_init;
    o.thread_free = count_free;
    assert_int_equal(ctxprof_pool_run(ctx, 10, count_task, &c, &o), CTXPROF_E_CANCELLED);
    for (int i = 0; i < 10; i++)
        assert_int_equal(atomic_load(&c.runs[i]), 0);
    assert_int_equal(atomic_load(&c.inits), atomic_load(&c.frees));
    count_job_free(&c);
    ctxprof_set_progress(ctx, NULL, NULL);
    ctxprof_ctx_free(ctx);
}

/* ------------------------------------------------------------------------- */

typedef struct {
    const int *fails; /* tasks that fail, -1 ended */
    unsigned seed;
    atomic_int ran_after; /* tasks started after the lowest failure was known */
} fail_job;

static int fail_task(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    (void)state;
    fail_job *j = arg;
    /* uneven durations shuffle which thread meets which failure first */
    nap_us((long)((mix(i * 7919 + j->seed) % 400)));
    for (const int *f = j->fails; *f >= 0; f++)
        if ((size_t)*f == i)
            return ctxprof_error_at(ctx, CTXPROF_E_INPUT, "tasks.csv", (long)i, "value",
                                    "task %zu failed", i);
    return 0;
}

/* Several tasks fail: the caller gets the lowest one's code and message,
 * whatever the number of threads and the timing. */
static void test_lowest_error_wins(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    static const int fails[] = {57, 23, 90, 24, -1};
    int threads[] = {1, 2, 4, 7};
    for (int k = 0; k < 4; k++)
        for (unsigned seed = 0; seed < 6; seed++) {
            fail_job j = {fails, seed, 0};
            ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
            o.threads = threads[k];
            ctxprof_error_clear(ctx);
            assert_int_equal(ctxprof_pool_run(ctx, 120, fail_task, &j, &o), CTXPROF_E_INPUT);
            assert_string_equal(ctxprof_errmsg(ctx),
                                "tasks.csv row 23 field 'value': task 23 failed");
        }
    /* the first task fails on the calling thread alone */
    static const int first[] = {0, 3, -1};
    fail_job j = {first, 1, 0};
    ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
    o.threads = 1;
    assert_int_equal(ctxprof_pool_run(ctx, 10, fail_task, &j, &o), CTXPROF_E_INPUT);
    assert_string_equal(ctxprof_errmsg(ctx), "tasks.csv field 'value': task 0 failed");
    ctxprof_ctx_free(ctx);
}

typedef struct {
    atomic_int ran[64];
} after_job;

static int fail_at_5(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    (void)state;
    after_job *j = arg;
    atomic_store(&j->ran[i], 1);
    return i == 5 ? ctxprof_error(ctx, CTXPROF_E_GEOM, "task 5: bad geometry") : 0;
}

/* On the calling thread alone, no task starts after a failure. */
static void test_no_task_after_failure(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    after_job j;
    memset(&j, 0, sizeof j);
    ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
    o.threads = 1;
    assert_int_equal(ctxprof_pool_run(ctx, 64, fail_at_5, &j, &o), CTXPROF_E_GEOM);
    assert_string_equal(ctxprof_errmsg(ctx), "task 5: bad geometry");
    for (int i = 0; i < 64; i++)
        assert_int_equal(atomic_load(&j.ran[i]), i <= 5);
    ctxprof_ctx_free(ctx);
}

/* ------------------------------------------------------------------------- */

static char logged[200][64];
static int n_logged;
static void capture(ctxprof_log_level level, const char *msg, void *payload)
{
    (void)payload;
    if (n_logged < 200)
        snprintf(logged[n_logged++], sizeof logged[0], "%d %s", (int)level, msg);
}

static int log_task(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    (void)arg;
    (void)state;
    nap_us((long)(mix(i) % 300));
    ctxprof_log(ctx, CTXPROF_LOG_DEBUG, "task %zu: details", i);
    ctxprof_log(ctx, CTXPROF_LOG_WARN, "task %zu: warning", i);
    return 0;
}

static int log_init(ctxprof_ctx *ctx, int thread, void *arg, void **state)
{
    (void)arg;
    (void)state;
    ctxprof_log(ctx, CTXPROF_LOG_WARN, "setting up thread %d", thread);
    return 0;
}

/* Tasks' lines reach the caller's log in task order, at the caller's level,
 * and count as its warnings; the setup is said once. */
static void test_logs_in_task_order(void **state)
{
    (void)state;
    int threads[] = {1, 4};
    for (int k = 0; k < 2; k++) {
        ctxprof_ctx *ctx = ctxprof_ctx_new();
        ctxprof_set_log(ctx, capture, NULL, CTXPROF_LOG_WARN);
        n_logged = 0;
        ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
        o.threads = threads[k];
        o.thread_init = log_init;
        assert_int_equal(ctxprof_pool_run(ctx, 50, log_task, NULL, &o), 0);
        assert_int_equal(n_logged, 51);
        assert_string_equal(logged[0], "2 setting up thread 0");
        for (int i = 0; i < 50; i++) {
            char want[64];
            snprintf(want, sizeof want, "2 task %d: warning", i);
            assert_string_equal(logged[i + 1], want);
        }
        assert_int_equal(ctxprof_warning_count(ctx), 51);
        /* with --quiet the warnings are not shown, but still counted */
        ctxprof_set_log(ctx, capture, NULL, CTXPROF_LOG_ERROR);
        n_logged = 0;
        assert_int_equal(ctxprof_pool_run(ctx, 50, log_task, NULL, &o), 0);
        assert_int_equal(n_logged, 0);
        assert_int_equal(ctxprof_warning_count(ctx), 102);
        /* and with --verbose the details too */
        ctxprof_set_log(ctx, capture, NULL, CTXPROF_LOG_DEBUG);
        n_logged = 0;
        assert_int_equal(ctxprof_pool_run(ctx, 50, log_task, NULL, &o), 0);
        assert_int_equal(n_logged, 101);
        assert_string_equal(logged[1], "0 task 0: details");
        assert_string_equal(logged[2], "2 task 0: warning");
        ctxprof_ctx_free(ctx);
    }
}

/* ------------------------------------------------------------------------- */

typedef struct {
    GEOSContextHandle_t caller;
    atomic_int other_handle;
} geos_job;

/* Each thread's context has a GEOS handle of its own, whose messages reach
 * the task's error (ctxprof_error_append_lib). */
static int geos_task(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    (void)state;
    geos_job *j = arg;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    if (h != j->caller)
        atomic_fetch_add(&j->other_handle, 1);
    nap_us(200);
    GEOSGeometry *g = GEOSGeomFromWKT_r(h, i == 9 ? "POLYGON((0 0, 1" : "POINT(1 2)");
    if (!g) {
        ctxprof_error(ctx, CTXPROF_E_GEOM, "task %zu: cannot read the geometry", i);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_GEOM;
    }
    GEOSGeom_destroy_r(h, g);
    return 0;
}

static void test_worker_geos_messages(void **state)
{
    (void)state;
    int threads[] = {1, 3};
    for (int k = 0; k < 2; k++) {
        ctxprof_ctx *ctx = ctxprof_ctx_new();
        geos_job j = {ctxprof_geos(ctx), 0};
        ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
        o.threads = threads[k];
        assert_int_equal(ctxprof_pool_run(ctx, 30, geos_task, &j, &o), CTXPROF_E_GEOM);
        const char *m = ctxprof_errmsg(ctx);
        assert_non_null(strstr(m, "task 9: cannot read the geometry (GEOS: "));
        assert_true(atomic_load(&j.other_handle) >= 10);
        ctxprof_ctx_free(ctx);
    }
}

/* ------------------------------------------------------------------------- */

static int init_fails_on(ctxprof_ctx *ctx, int thread, void *arg, void **state)
{
    int *which = arg;
    *state = NULL;
    if (thread == *which || (*which < 0 && thread > 0))
        return ctxprof_error(ctx, CTXPROF_E_CRS, "thread %d: CRS 'EPSG:0' is unknown", thread);
    *state = arg;
    return 0;
}

static int needs_state(ctxprof_ctx *ctx, size_t i, void *arg, void *state)
{
    (void)ctx;
    (void)i;
    CHECK(state == arg);
    nap_us(100);
    return 0;
}

/* A worker that cannot be set up leaves its share to the others; the
 * calling thread's setup failing fails the pool with its error. */
static void test_thread_init_failure(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_pool_options o = CTXPROF_POOL_OPTIONS_INIT;
    o.threads = 3;
    o.thread_init = init_fails_on;
    int which = -1; /* every worker */
    assert_int_equal(ctxprof_pool_run(ctx, 40, needs_state, &which, &o), 0);
    which = 2;
    assert_int_equal(ctxprof_pool_run(ctx, 40, needs_state, &which, &o), 0);
    which = 0;
    assert_int_equal(ctxprof_pool_run(ctx, 40, needs_state, &which, &o), CTXPROF_E_CRS);
    assert_string_equal(ctxprof_errmsg(ctx), "thread 0: CRS 'EPSG:0' is unknown");
    o.version = 99;
    assert_int_equal(ctxprof_pool_run(ctx, 40, needs_state, &which, &o), CTXPROF_E_INTERNAL);
    ctxprof_ctx_free(ctx);
}

/* ------------------------------------------------------------------------- */

static int stage_fails(ctxprof_ctx *ctx, void *arg)
{
    int *ran = arg;
    *ran = 1;
    ctxprof_log(ctx, CTXPROF_LOG_WARN, "stage: something odd");
    return ctxprof_error(ctx, CTXPROF_E_DB, "out.gpkg: cannot commit");
}

/* A pipeline stage's thread: its error is moved to the caller's context
 * (or dropped), its lines passed on. */
static void test_stage_thread(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_set_log(ctx, capture, NULL, CTXPROF_LOG_WARN);
    n_logged = 0;
    int ran = 0;
    ctxprof_thread *t = ctxprof_thread_start(ctx, stage_fails, &ran);
    assert_non_null(t);
    assert_int_equal(ctxprof_thread_join(ctx, t, 1), CTXPROF_E_DB);
    assert_true(ran);
    assert_int_equal(ctxprof_errcode(ctx), CTXPROF_E_DB);
    assert_string_equal(ctxprof_errmsg(ctx), "out.gpkg: cannot commit");
    assert_int_equal(n_logged, 1);
    assert_string_equal(logged[0], "2 stage: something odd");

    ctxprof_error(ctx, CTXPROF_E_CANCELLED, "cancelled");
    t = ctxprof_thread_start(ctx, stage_fails, &ran);
    assert_int_equal(ctxprof_thread_join(ctx, t, 0), CTXPROF_E_DB);
    assert_string_equal(ctxprof_errmsg(ctx), "cancelled"); /* kept */
    assert_int_equal(ctxprof_thread_join(ctx, NULL, 1), 0);
    ctxprof_ctx_free(ctx);
}

static void test_error_take(void **state)
{
    (void)state;
    ctxprof_ctx *a = ctxprof_ctx_new(), *b = ctxprof_ctx_new();
    ctxprof_error(a, CTXPROF_E_IO, "a's own");
    assert_int_equal(ctxprof_error_take(a, b), 0); /* b has none: a unchanged */
    assert_string_equal(ctxprof_errmsg(a), "a's own");
    ctxprof_error_at(b, CTXPROF_E_INPUT, "x.csv", 4, NULL, "bad date");
    assert_int_equal(ctxprof_error_take(a, b), CTXPROF_E_INPUT);
    assert_int_equal(ctxprof_errcode(a), CTXPROF_E_INPUT);
    assert_string_equal(ctxprof_errmsg(a), "x.csv row 4: bad date");
    assert_int_equal(ctxprof_errcode(b), 0);
    assert_int_equal(ctxprof_error_take(a, NULL), 0);
    ctxprof_ctx_free(b);
    ctxprof_ctx_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_once),
        cmocka_unit_test(test_caller_works),
        cmocka_unit_test(test_thread_count),
        cmocka_unit_test(test_progress_monotonic),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_lowest_error_wins),
        cmocka_unit_test(test_no_task_after_failure),
        cmocka_unit_test(test_logs_in_task_order),
        cmocka_unit_test(test_worker_geos_messages),
        cmocka_unit_test(test_thread_init_failure),
        cmocka_unit_test(test_stage_thread),
        cmocka_unit_test(test_error_take),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (atomic_load(&bad)) {
        fprintf(stderr, "%d checks on worker threads failed\n", atomic_load(&bad));
        return 1;
    }
    return failed;
}
