/* One work pool for the engine: n tasks shared between the calling thread
 * and worker threads, and one thread of its own for a pipeline stage.
 *
 * Every thread that runs tasks, the calling one included, runs them with a
 * context of its own (made and freed on that thread: contexts are per
 * thread), so a task's GEOS handle, error slot and log are never shared.
 * The caller's context is used on the calling thread alone: it receives the
 * progress of the whole pool, its cancel, the error and the log lines.
 *
 * What the caller sees does not depend on the number of threads:
 *  - tasks are started in index order;
 *  - when tasks fail, the error is that of the failing task with the lowest
 *    index (every task below it has run, whatever the number of threads),
 *    moved to the caller's context with ctxprof_error_take; no task is
 *    started after a failure;
 *  - what tasks log reaches the caller's log in task order (as soon as every
 *    task before has finished);
 *  - a task's results belong in per-task slots the caller merges in task
 *    order (tasks[i] writes out[i]).
 */
#ifndef CTXPROF_POOL_H
#define CTXPROF_POOL_H

#include <stddef.h>

#include "core/context.h"

/* No pool uses more threads than this. */
#define CTXPROF_POOL_MAX_THREADS 64

/* Runs task number i (0..n-1) on ctx, the running thread's context, with
 * state what thread_init gave that thread (NULL without thread_init).
 * Returns 0, or a negative code with the error set on ctx. A task that
 * reports progress on ctx (0..1 of its own work) is seen as cancelled there
 * (ctxprof_progress returns CTXPROF_E_CANCELLED) when the pool stops. */
typedef int (*ctxprof_pool_task_fn)(ctxprof_ctx *ctx, size_t i, void *arg, void *state);

/* Makes one thread's state on that thread before its first task: thread 0
 * is the calling thread (which may use the caller's own objects: they are
 * not used elsewhere meanwhile), 1.. are workers (which must not). Returns
 * 0, or a negative code with the error set on ctx: the pool then fails
 * when it is thread 0's, and goes on without that worker otherwise. */
typedef int (*ctxprof_pool_init_fn)(ctxprof_ctx *ctx, int thread, void *arg, void **state);
/* Frees what thread_init made, on the same thread, after its last task
 * (also after a thread_init that failed: state is then what it set). It
 * must not set an error: a failed task's is taken from ctx after it. */
typedef void (*ctxprof_pool_free_fn)(ctxprof_ctx *ctx, int thread, void *arg, void *state);

#define CTXPROF_POOL_OPTIONS_VERSION 1

typedef struct {
    unsigned int version;
    /* Threads, the calling one included: 0 for one per online processor,
     * 1 for the calling thread alone. Never more than tasks. */
    int threads;
    /* At most this many threads (0: no cap but CTXPROF_POOL_MAX_THREADS). */
    int max_threads;
    /* The message of the pool's progress on the caller's context (0..1 of
     * the tasks, GDAL-style: monotonic, ends at 1, a 0 from the callback
     * cancels); NULL reports none (and cannot be cancelled). */
    const char *progress;
    /* Share of the work of each task, for progress (NULL: equal). */
    const double *weights;
    ctxprof_pool_init_fn thread_init; /* optional */
    ctxprof_pool_free_fn thread_free; /* optional */
} ctxprof_pool_options;

#define CTXPROF_POOL_OPTIONS_INIT                                                                  \
    {                                                                                              \
        .version = CTXPROF_POOL_OPTIONS_VERSION, .threads = 0, .max_threads = 0, .progress = NULL, \
        .weights = NULL, .thread_init = NULL, .thread_free = NULL                                  \
    }

/* The number of threads a pool of n tasks would use with these settings
 * (as ctxprof_pool_options says); at least 1. For work that is split by
 * thread count before it is a list of tasks, pass n = SIZE_MAX. */
int ctxprof_pool_threads(int threads, int max_threads, size_t n);

/* Runs tasks 0..n-1 (task(ctx_t, i, arg, state_t) on each thread t's own
 * context), the calling thread working too and alone reporting progress on
 * ctx. Returns 0 when every task returned 0; the lowest failing task's code
 * with its error moved to ctx; CTXPROF_E_CANCELLED (ctx's error set by
 * ctxprof_progress) when the progress callback cancelled: no task starts
 * after it, running ones see it through their progress. opts may be NULL
 * (the defaults: one thread per processor, no progress). */
int ctxprof_pool_run(ctxprof_ctx *ctx, size_t n, ctxprof_pool_task_fn task, void *arg,
                     const ctxprof_pool_options *opts);

/* A thread of its own for a pipeline stage (work that runs beside the
 * calling thread rather than as one of many tasks): fn(tctx, arg) runs on a
 * new thread with its own context tctx, whose log lines are kept for the
 * caller. */
typedef struct ctxprof_thread ctxprof_thread;
typedef int (*ctxprof_thread_fn)(ctxprof_ctx *tctx, void *arg);

/* Starts fn(tctx, arg) once the thread has its context; ctx is read for its
 * log level only. NULL when no thread (or no context for it) could be made:
 * fn is then not called, and the caller does the work itself. */
ctxprof_thread *ctxprof_thread_start(ctxprof_ctx *ctx, ctxprof_thread_fn fn, void *arg);

/* Waits for fn to return and frees t (NULL: returns 0). Returns fn's code;
 * when take_error is nonzero, fn's error is moved to ctx
 * (ctxprof_error_take). What the thread logged is passed to ctx's log. */
int ctxprof_thread_join(ctxprof_ctx *ctx, ctxprof_thread *t, int take_error);

#endif
