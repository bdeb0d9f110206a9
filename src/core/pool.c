#include "core/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * Log lines kept on one thread and passed to the caller's log on another. */

typedef struct {
    ctxprof_log_level level;
    char *msg;
} log_line;

typedef struct {
    log_line *v;
    size_t n, cap;
} log_buf;

/* A line that cannot be kept (memory) is lost: logging never fails. */
static void log_buf_add(log_buf *b, ctxprof_log_level level, const char *msg)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        log_line *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return;
        b->v = v;
        b->cap = cap;
    }
    char *m = strdup(msg);
    if (m)
        b->v[b->n++] = (log_line){level, m};
}

/* Passes b's lines to ctx's log, in order, and empties b. */
static void log_buf_pass(ctxprof_ctx *ctx, log_buf *b)
{
    for (size_t i = 0; i < b->n; i++) {
        ctxprof_log(ctx, b->v[i].level, "%s", b->v[i].msg);
        free(b->v[i].msg);
    }
    free(b->v);
    memset(b, 0, sizeof *b);
}

static void log_buf_free(log_buf *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].msg);
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* What a thread's context keeps: what the caller shows, and warnings in any
 * case, so that the caller's count of warnings is right. */
static ctxprof_log_level kept_level(const ctxprof_ctx *ctx)
{
    ctxprof_log_level min = ctxprof_log_min(ctx);
    return min < CTXPROF_LOG_WARN ? min : CTXPROF_LOG_WARN;
}

/* ---------------------------------------------------------------------------
 * A thread with a context of its own. The context is made and freed on the
 * thread; between fn's return and the join the thread waits, so that the
 * joiner can take the error from a context that still exists. */

struct ctxprof_thread {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready;              /* 1: the context is made, -1: it could not be (under mu) */
    int finished, released; /* under mu */
    ctxprof_thread_fn fn;
    void *arg;
    ctxprof_ctx *ctx; /* the thread's */
    ctxprof_log_level min;
    int rc;
    log_buf log;
};

static void thread_log(ctxprof_log_level level, const char *msg, void *payload)
{
    ctxprof_thread *t = payload;
    log_buf_add(&t->log, level, msg);
}

static void *thread_main(void *arg)
{
    ctxprof_thread *t = arg;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    pthread_mutex_lock(&t->mu);
    t->ready = ctx ? 1 : -1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (!ctx)
        return NULL; /* ctxprof_thread_start joins it and says no thread */
    ctxprof_set_log(ctx, thread_log, t, t->min);
    int rc = t->fn(ctx, t->arg);
    pthread_mutex_lock(&t->mu);
    t->ctx = ctx;
    t->rc = rc;
    t->finished = 1;
    pthread_cond_broadcast(&t->cv);
    while (!t->released)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
    ctxprof_ctx_free(ctx);
    return NULL;
}

ctxprof_thread *ctxprof_thread_start(ctxprof_ctx *ctx, ctxprof_thread_fn fn, void *arg)
{
    ctxprof_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->min = kept_level(ctx);
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t);
        return NULL;
    }
    if (pthread_cond_init(&t->cv, NULL) != 0) {
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    int ready = -1;
    if (pthread_create(&t->th, NULL, thread_main, t) == 0) {
        /* fn runs only with a context: without one, there is no thread */
        pthread_mutex_lock(&t->mu);
        while (!t->ready)
            pthread_cond_wait(&t->cv, &t->mu);
        ready = t->ready;
        pthread_mutex_unlock(&t->mu);
        if (ready < 0)
            pthread_join(t->th, NULL);
    }
    if (ready < 0) {
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    return t;
}

/* Waits at most ms milliseconds for fn to return: 1 when it has. */
static int thread_wait(ctxprof_thread *t, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&t->mu);
    while (!t->finished && pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT)
        ;
    int finished = t->finished;
    pthread_mutex_unlock(&t->mu);
    return finished;
}

int ctxprof_thread_join(ctxprof_ctx *ctx, ctxprof_thread *t, int take_error)
{
    if (!t)
        return 0;
    pthread_mutex_lock(&t->mu);
    while (!t->finished)
        pthread_cond_wait(&t->cv, &t->mu);
    int rc = t->rc;
    /* The thread waits for released: its context and log are still there. */
    if (take_error && rc && !ctxprof_error_take(ctx, t->ctx))
        ctxprof_error(ctx, rc, "%s", ctxprof_strerror(rc));
    log_buf_pass(ctx, &t->log);
    t->released = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->th, NULL);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
    return rc;
}

/* ---------------------------------------------------------------------------
 * The pool. */

#define NONE SIZE_MAX

typedef struct pool pool;

/* One thread of the pool: 0 is the calling thread. Everything but value is
 * written by its own thread only (and read by the caller once that thread
 * has finished). */
typedef struct {
    pool *p;
    int index;
    ctxprof_thread *thread; /* workers */
    void *state;            /* thread_init's */
    size_t task;            /* the task running, or NONE */
    double done;            /* weight of the tasks it has finished */
    double task_w, task_f;  /* the running task's weight and fraction done */
    _Atomic double value;   /* done + task_w * task_f: the caller sums these */
    size_t failed;          /* the task that failed here (its context has the error) */
    int rc;                 /* its code */
    int init_rc;
    log_buf *out;            /* where its lines go now */
    log_buf setup, teardown; /* thread_init's and thread_free's (thread 0's are passed on) */
} pool_thread;

struct pool {
    ctxprof_ctx *ctx; /* the caller's */
    size_t n;
    ctxprof_pool_task_fn task;
    void *arg;
    const ctxprof_pool_options *o;
    double total; /* of the weights */
    int equal;    /* weights all 1 */
    ctxprof_log_level min;
    atomic_size_t next;     /* the next task to start */
    atomic_size_t fail_min; /* the lowest task that failed, or NONE */
    atomic_int cancel;      /* the caller's progress callback cancelled */
    atomic_int abort;       /* thread 0 could not be set up */
    atomic_uchar *finished; /* per task */
    log_buf *logs;          /* per task */
    size_t flushed;         /* tasks whose lines have been passed on */
    double reported;        /* the last progress reported */
    pool_thread *th;
    int n_threads;
};

static double weight(const pool *p, size_t i)
{
    return p->equal ? 1.0 : p->o->weights[i];
}

/* Whether task i (NONE: none) should stop: a cancel, or a failure of a
 * task before it (the ones after a failure do not change the result). */
static int stopping(pool *p, size_t i)
{
    return atomic_load(&p->cancel) || atomic_load(&p->abort) ||
           (i != NONE && i > atomic_load(&p->fail_min));
}

/* The calling thread: the pool's progress on the caller's context. */
static void report(pool *p)
{
    if (!p->o->progress || atomic_load(&p->cancel))
        return;
    double v = 0;
    for (int t = 0; t < p->n_threads; t++)
        v += atomic_load(&p->th[t].value);
    v = p->total > 0 ? v / p->total : 0;
    if (v > 1)
        v = 1;
    if (v < p->reported)
        v = p->reported;
    p->reported = v;
    if (ctxprof_progress(p->ctx, v, p->o->progress))
        atomic_store(&p->cancel, 1);
}

/* The calling thread: passes on the lines of thread 0's setup and of the
 * tasks finished in a row from the first; all: of every finished task (the
 * others never ran). */
static void flush(pool *p, int all)
{
    log_buf_pass(p->ctx, &p->th[0].setup);
    while (p->flushed < p->n) {
        size_t i = p->flushed;
        if (atomic_load_explicit(&p->finished[i], memory_order_acquire))
            log_buf_pass(p->ctx, &p->logs[i]);
        else if (!all)
            break;
        p->flushed++;
    }
}

/* A task's context's progress: the task's fraction, and whether to go on. */
static int task_progress(double complete, const char *msg, void *payload)
{
    (void)msg;
    pool_thread *t = payload;
    pool *p = t->p;
    if (t->task != NONE && complete > t->task_f) {
        t->task_f = complete;
        atomic_store(&t->value, t->done + t->task_w * complete);
    }
    if (t->index == 0)
        report(p);
    return !stopping(p, t->task);
}

static void task_log(ctxprof_log_level level, const char *msg, void *payload)
{
    pool_thread *t = payload;
    log_buf_add(t->out, level, msg);
}

static void thread_setup(pool_thread *t, ctxprof_ctx *ctx)
{
    ctxprof_set_log(ctx, task_log, t, t->p->min);
    ctxprof_set_progress(ctx, task_progress, t);
    t->out = &t->setup;
}

/* Runs tasks on one thread until there are none, or the pool stops. A
 * failed task is the thread's last (its context keeps the error). */
static void run_tasks(pool_thread *t, ctxprof_ctx *ctx)
{
    pool *p = t->p;
    while (!stopping(p, NONE) && atomic_load(&p->fail_min) == NONE) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            break;
        t->task_w = weight(p, i);
        t->task_f = 0;
        t->out = &p->logs[i];
        t->task = i;
        int rc = p->task(ctx, i, p->arg, t->state);
        t->task = NONE;
        t->out = &t->setup;
        t->done += t->task_w;
        atomic_store(&t->value, t->done);
        if (rc) {
            t->failed = i;
            t->rc = rc;
            size_t cur = atomic_load(&p->fail_min);
            while (i < cur && !atomic_compare_exchange_weak(&p->fail_min, &cur, i))
                ;
        }
        atomic_store_explicit(&p->finished[i], 1, memory_order_release);
        if (rc)
            break;
        if (t->index == 0) {
            flush(p, 0);
            report(p);
        }
    }
}

/* One worker: set up, run tasks, free what was set up. Its code is that of
 * the task that failed on it. */
static int worker_main(ctxprof_ctx *ctx, void *arg)
{
    pool_thread *t = arg;
    pool *p = t->p;
    thread_setup(t, ctx);
    if (p->o->thread_init)
        t->init_rc = p->o->thread_init(ctx, t->index, p->arg, &t->state);
    if (!t->init_rc)
        run_tasks(t, ctx);
    t->out = &t->teardown;
    if (p->o->thread_free)
        p->o->thread_free(ctx, t->index, p->arg, t->state);
    /* A worker's setup lines repeat thread 0's (or say why it did not
     * help): dropped, so that the log is the same for any number of threads. */
    log_buf_free(&t->setup);
    log_buf_free(&t->teardown);
    return t->failed != NONE ? t->rc : 0;
}

int ctxprof_pool_threads(int threads, int max_threads, size_t n)
{
    long t = threads;
    if (t <= 0) {
        t = sysconf(_SC_NPROCESSORS_ONLN);
        if (t < 1)
            t = 1;
    }
    if (max_threads > 0 && t > max_threads)
        t = max_threads;
    if (t > CTXPROF_POOL_MAX_THREADS)
        t = CTXPROF_POOL_MAX_THREADS;
    if (n < (size_t)t)
        t = n ? (long)n : 1;
    return (int)t;
}

int ctxprof_pool_run(ctxprof_ctx *ctx, size_t n, ctxprof_pool_task_fn task, void *arg,
                     const ctxprof_pool_options *opts)
{
    static const ctxprof_pool_options defaults = CTXPROF_POOL_OPTIONS_INIT;
    const ctxprof_pool_options *o = opts ? opts : &defaults;
    if (o->version != CTXPROF_POOL_OPTIONS_VERSION)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "pool: options version %u, not %u",
                             o->version, CTXPROF_POOL_OPTIONS_VERSION);
    if (!task)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "pool: no task");
    if (n == 0)
        return o->progress ? ctxprof_progress(ctx, 1.0, o->progress) : 0;

    int rc = 0;
    ctxprof_ctx *tctx = NULL; /* thread 0's */
    pool p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.n = n;
    p.task = task;
    p.arg = arg;
    p.o = o;
    p.min = kept_level(ctx);
    p.n_threads = ctxprof_pool_threads(o->threads, o->max_threads, n);
    atomic_init(&p.next, 0);
    atomic_init(&p.fail_min, NONE);
    atomic_init(&p.cancel, 0);
    atomic_init(&p.abort, 0);
    p.equal = !o->weights;
    for (size_t i = 0; i < n && !p.equal; i++)
        if (!(o->weights[i] >= 0))
            p.equal = 1; /* a bad weight: equal shares, rather than odd progress */
    if (p.equal)
        p.total = (double)n;
    else
        for (size_t i = 0; i < n; i++)
            p.total += o->weights[i];
    if (!p.equal && !(p.total > 0)) {
        p.equal = 1;
        p.total = (double)n;
    }
    p.finished = calloc(n, sizeof *p.finished);
    p.logs = calloc(n, sizeof *p.logs);
    p.th = calloc((size_t)p.n_threads, sizeof *p.th);
    if (!p.finished || !p.logs || !p.th || !(tctx = ctxprof_ctx_new())) {
        rc = ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory starting %d threads for %zu tasks",
                           p.n_threads, n);
        goto done;
    }
    for (int t = 0; t < p.n_threads; t++) {
        pool_thread *pt = &p.th[t];
        pt->p = &p;
        pt->index = t;
        pt->task = NONE;
        pt->failed = NONE;
        pt->out = &pt->setup;
        atomic_init(&pt->value, 0.0);
    }
    thread_setup(&p.th[0], tctx);
    report(&p);
    for (int t = 1; t < p.n_threads && !atomic_load(&p.cancel); t++)
        p.th[t].thread = ctxprof_thread_start(ctx, worker_main, &p.th[t]);

    /* The calling thread works too. */
    pool_thread *t0 = &p.th[0];
    if (!atomic_load(&p.cancel)) {
        if (o->thread_init && (t0->init_rc = o->thread_init(tctx, 0, arg, &t0->state)))
            atomic_store(&p.abort, 1);
        else
            run_tasks(t0, tctx);
        t0->out = &t0->teardown;
        if (o->thread_free)
            o->thread_free(tctx, 0, arg, t0->state);
    }
    /* and reports progress until the workers are done */
    for (int t = 1; t < p.n_threads; t++)
        while (p.th[t].thread && !thread_wait(p.th[t].thread, 50)) {
            flush(&p, 0);
            report(&p);
        }

    int take = -1; /* the thread whose context has the error */
    if (t0->init_rc) {
        rc = t0->init_rc;
        if (!ctxprof_error_take(ctx, tctx))
            ctxprof_error(ctx, rc, "%s", ctxprof_strerror(rc));
    } else if (atomic_load(&p.cancel)) {
        rc = CTXPROF_E_CANCELLED; /* ctx's error says so (ctxprof_progress) */
    } else if (atomic_load(&p.fail_min) != NONE) {
        for (int t = 0; t < p.n_threads; t++)
            if (p.th[t].failed == atomic_load(&p.fail_min))
                take = t;
        rc = take >= 0 ? p.th[take].rc
                       : ctxprof_error(ctx, CTXPROF_E_INTERNAL, "pool: a failed task was lost");
        if (take == 0 && !ctxprof_error_take(ctx, tctx))
            ctxprof_error(ctx, rc, "%s", ctxprof_strerror(rc));
    }
    for (int t = 1; t < p.n_threads; t++)
        ctxprof_thread_join(ctx, p.th[t].thread, t == take);
    flush(&p, 1);
    log_buf_pass(ctx, &t0->teardown);
    if (!rc && o->progress)
        rc = ctxprof_progress(ctx, 1.0, o->progress);
done:
    if (p.th)
        for (int t = 0; t < p.n_threads; t++) {
            log_buf_free(&p.th[t].setup);
            log_buf_free(&p.th[t].teardown);
        }
    for (size_t i = 0; p.logs && i < n; i++)
        log_buf_free(&p.logs[i]);
    free(p.logs);
    free(p.finished);
    free(p.th);
    ctxprof_ctx_free(tctx);
    return rc;
}
