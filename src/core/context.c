#include "core/context.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>

#define ERRMSG_MAX     1024
#define LIBMSG_MAX     512
#define PROGRESS_DEPTH 16

typedef struct {
    double start, end;
} progress_range;

struct ctxprof_ctx {
    GEOSContextHandle_t geos;
    int errcode;
    char errmsg[ERRMSG_MAX];
    char libmsg[LIBMSG_MAX]; /* last GDAL or GEOS error message */
    ctxprof_log_fn log_fn;
    void *log_payload;
    ctxprof_log_level log_min;
    long n_warnings;
    ctxprof_progress_fn progress_fn;
    void *progress_payload;
    /* Nested progress ranges: range[depth] is the current one. The first
     * PROGRESS_DEPTH live in the context; deeper nesting moves them to the
     * heap. A push that finds no memory is counted in lost and reports on
     * the enclosing range, so every pop still matches its push. */
    progress_range range_inline[PROGRESS_DEPTH];
    progress_range *range;
    int depth, cap, lost;
};

static void default_log(ctxprof_log_level level, const char *msg, void *payload)
{
    (void)payload;
    static const char *names[] = {"debug: ", "", "warning: ", "error: "};
    fprintf(stderr, "ctxprof: %s%s\n", names[level], msg);
}

static void geos_message(const char *msg, void *userdata)
{
    ctxprof_ctx *ctx = userdata;
    snprintf(ctx->libmsg, sizeof ctx->libmsg, "GEOS: %s", msg);
}

static void gdal_message(CPLErr cls, CPLErrorNum num, const char *msg)
{
    ctxprof_ctx *ctx = CPLGetErrorHandlerUserData();
    (void)num;
    if (!ctx)
        return;
    if (cls >= CE_Failure) {
        snprintf(ctx->libmsg, sizeof ctx->libmsg, "GDAL: %s", msg);
    } else if (cls == CE_Warning) {
        /* GDAL warnings may quote field values; keep them out of normal logs. */
        ctxprof_log(ctx, CTXPROF_LOG_DEBUG, "GDAL: %s", msg);
    }
}

/* GDAL's drivers, registered once for the process: GDALAllRegister is not
 * safe to run on two threads at once (contexts are made on each thread). */
static void register_gdal(void)
{
    GDALAllRegister();
}

ctxprof_ctx *ctxprof_ctx_new(void)
{
    ctxprof_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->geos = GEOS_init_r();
    if (!ctx->geos) {
        free(ctx);
        return NULL;
    }
    GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
    GEOSContext_setNoticeMessageHandler_r(ctx->geos, NULL, NULL);
    ctx->log_fn = default_log;
    ctx->log_min = CTXPROF_LOG_WARN;
    ctx->range = ctx->range_inline;
    ctx->cap = PROGRESS_DEPTH;
    ctx->range[0].end = 1.0;
    static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;
    pthread_once(&gdal_once, register_gdal);
    CPLPushErrorHandlerEx(gdal_message, ctx);
    return ctx;
}

void ctxprof_ctx_free(ctxprof_ctx *ctx)
{
    if (!ctx)
        return;
    CPLPopErrorHandler();
    GEOS_finish_r(ctx->geos);
    if (ctx->range != ctx->range_inline)
        free(ctx->range);
    free(ctx);
}

GEOSContextHandle_t ctxprof_geos(ctxprof_ctx *ctx)
{
    return ctx->geos;
}

int ctxprof_errcode(const ctxprof_ctx *ctx)
{
    return ctx->errcode;
}

const char *ctxprof_errmsg(const ctxprof_ctx *ctx)
{
    return ctx->errcode ? ctx->errmsg : "no error";
}

void ctxprof_error_clear(ctxprof_ctx *ctx)
{
    ctx->errcode = 0;
    ctx->errmsg[0] = '\0';
    ctx->libmsg[0] = '\0';
    CPLErrorReset();
}

const char *ctxprof_strerror(int code)
{
    switch (code) {
    case CTXPROF_OK:
        return "success";
    case CTXPROF_E_INPUT:
        return "bad input";
    case CTXPROF_E_IO:
        return "input/output error";
    case CTXPROF_E_CRS:
        return "coordinate reference system error";
    case CTXPROF_E_GEOM:
        return "geometry error";
    case CTXPROF_E_DB:
        return "database error";
    case CTXPROF_E_CANCELLED:
        return "cancelled";
    case CTXPROF_E_NOMEM:
        return "out of memory";
    case CTXPROF_E_CONFIG:
        return "bad profile or options";
    default:
        return "internal error";
    }
}

static int set_error(ctxprof_ctx *ctx, int code, const char *prefix, const char *fmt, va_list ap)
{
    size_t n = (size_t)snprintf(ctx->errmsg, sizeof ctx->errmsg, "%s", prefix);
    if (n < sizeof ctx->errmsg)
        vsnprintf(ctx->errmsg + n, sizeof ctx->errmsg - n, fmt, ap);
    ctx->errcode = code;
    return code;
}

int ctxprof_error(ctxprof_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(ctx, code, "", fmt, ap);
    va_end(ap);
    return code;
}

int ctxprof_error_at(ctxprof_ctx *ctx, int code, const char *file, long row, const char *field,
                     const char *fmt, ...)
{
    char where[512];
    size_t n = 0;
    where[0] = '\0';
    if (file)
        n += (size_t)snprintf(where + n, sizeof where - n, "%s", file);
    if (row > 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, "%srow %ld", n ? " " : "", row);
    if (field && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, "%sfield '%s'", n ? " " : "", field);
    if (n && n < sizeof where)
        snprintf(where + n, sizeof where - n, ": ");
    va_list ap;
    va_start(ap, fmt);
    set_error(ctx, code, where, fmt, ap);
    va_end(ap);
    return code;
}

void ctxprof_error_append_lib(ctxprof_ctx *ctx)
{
    const char *lib = ctx->libmsg;
    char gdal[LIBMSG_MAX];
    if (!*lib && CPLGetLastErrorType() >= CE_Failure && *CPLGetLastErrorMsg()) {
        snprintf(gdal, sizeof gdal, "GDAL: %s", CPLGetLastErrorMsg());
        lib = gdal;
    }
    if (!*lib)
        return;
    size_t n = strlen(ctx->errmsg);
    if (n + 3 < sizeof ctx->errmsg)
        snprintf(ctx->errmsg + n, sizeof ctx->errmsg - n, " (%s)", lib);
    ctx->libmsg[0] = '\0';
}

void ctxprof_set_log(ctxprof_ctx *ctx, ctxprof_log_fn fn, void *payload,
                     ctxprof_log_level min_level)
{
    ctx->log_fn = fn ? fn : default_log;
    ctx->log_payload = fn ? payload : NULL;
    ctx->log_min = min_level;
}

void ctxprof_log(ctxprof_ctx *ctx, ctxprof_log_level level, const char *fmt, ...)
{
    if (level >= CTXPROF_LOG_WARN)
        ctx->n_warnings++;
    if (level < ctx->log_min)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->log_fn(level, msg, ctx->log_payload);
}

long ctxprof_warning_count(const ctxprof_ctx *ctx)
{
    return ctx->n_warnings;
}

void ctxprof_set_progress(ctxprof_ctx *ctx, ctxprof_progress_fn fn, void *payload)
{
    ctx->progress_fn = fn;
    ctx->progress_payload = payload;
}

int ctxprof_progress(ctxprof_ctx *ctx, double complete, const char *msg)
{
    if (!ctx->progress_fn)
        return 0;
    if (complete < 0)
        complete = 0;
    if (complete > 1)
        complete = 1;
    double s = ctx->range[ctx->depth].start, e = ctx->range[ctx->depth].end;
    if (!ctx->progress_fn(s + (e - s) * complete, msg, ctx->progress_payload))
        return ctxprof_error(ctx, CTXPROF_E_CANCELLED, "cancelled%s%s", msg ? " during " : "",
                             msg ? msg : "");
    return 0;
}

/* Doubles the range stack, moving it to the heap; nonzero without memory. */
static int grow_progress(ctxprof_ctx *ctx)
{
    size_t cap = (size_t)ctx->cap * 2;
    if (cap > INT_MAX)
        return -1;
    progress_range *r = ctx->range == ctx->range_inline ? NULL : ctx->range;
    r = realloc(r, ctxprof_size_mul(cap, sizeof *r));
    if (!r)
        return -1;
    if (ctx->range == ctx->range_inline)
        memcpy(r, ctx->range_inline, sizeof ctx->range_inline);
    ctx->range = r;
    ctx->cap = (int)cap;
    return 0;
}

void ctxprof_progress_push(ctxprof_ctx *ctx, double start, double end)
{
    if (ctx->lost || (ctx->depth + 1 >= ctx->cap && grow_progress(ctx))) {
        ctx->lost++; /* no memory: report on the enclosing range */
        return;
    }
    double s = ctx->range[ctx->depth].start, e = ctx->range[ctx->depth].end;
    ctx->depth++;
    ctx->range[ctx->depth].start = s + (e - s) * start;
    ctx->range[ctx->depth].end = s + (e - s) * end;
}

/* A pop without its push does nothing. */
void ctxprof_progress_pop(ctxprof_ctx *ctx)
{
    if (ctx->lost > 0)
        ctx->lost--;
    else if (ctx->depth > 0)
        ctx->depth--;
}

/* No object can be larger than PTRDIFF_MAX (malloc refuses it), and a size
 * of SIZE_MAX is ctxprof_size_mul's mark of an overflowed product. */
static int size_overflows(ctxprof_ctx *ctx, size_t count, size_t size, size_t *bytes)
{
    if (!ctxprof_mul_overflow(bytes, count, size) && *bytes <= PTRDIFF_MAX)
        return 0;
    ctxprof_error(ctx, CTXPROF_E_NOMEM,
                  "out of memory: %zu x %zu bytes is more than can be allocated", count, size);
    return 1;
}

void *ctxprof_malloc(ctxprof_ctx *ctx, size_t n)
{
    size_t bytes;
    if (size_overflows(ctx, n, 1, &bytes))
        return NULL;
    void *p = malloc(n ? n : 1);
    if (!p)
        ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory allocating %zu bytes", n);
    return p;
}

void *ctxprof_calloc(ctxprof_ctx *ctx, size_t count, size_t size)
{
    size_t bytes;
    if (size_overflows(ctx, count, size, &bytes))
        return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory allocating %zu x %zu bytes", count,
                      size);
    return p;
}

void *ctxprof_realloc(ctxprof_ctx *ctx, void *p, size_t n)
{
    size_t bytes;
    if (size_overflows(ctx, n, 1, &bytes))
        return NULL;
    void *q = realloc(p, n ? n : 1);
    if (!q)
        ctxprof_error(ctx, CTXPROF_E_NOMEM, "out of memory growing to %zu bytes", n);
    return q;
}

void *ctxprof_mallocarray(ctxprof_ctx *ctx, size_t count, size_t size)
{
    size_t bytes;
    if (size_overflows(ctx, count, size, &bytes))
        return NULL;
    return ctxprof_malloc(ctx, bytes);
}

void *ctxprof_reallocarray(ctxprof_ctx *ctx, void *p, size_t count, size_t size)
{
    size_t bytes;
    if (size_overflows(ctx, count, size, &bytes))
        return NULL;
    return ctxprof_realloc(ctx, p, bytes);
}

char *ctxprof_strdup(ctxprof_ctx *ctx, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = ctxprof_malloc(ctx, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void ctxprof_free(ctxprof_ctx *ctx, void *p)
{
    (void)ctx;
    free(p);
}

int ctxprof_grow(ctxprof_ctx *ctx, void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n = n > (size_t)-1 / 2 ? need : n * 2;
    void *p = ctxprof_reallocarray(ctx, *array, n, elem);
    if (!p)
        return CTXPROF_E_NOMEM;
    *array = p;
    *cap = n;
    return 0;
}

char *ctxprof_sprintf(ctxprof_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ctxprof_error(ctx, CTXPROF_E_INTERNAL, "bad format '%s'", fmt);
        return NULL;
    }
    char *s = ctxprof_malloc(ctx, (size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

OGRSpatialReferenceH ctxprof_srs_new(const char *def)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (!def || OSRSetFromUserInput(s, def) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

int ctxprof_error_take(ctxprof_ctx *ctx, ctxprof_ctx *from)
{
    int code = from ? from->errcode : 0;
    if (!code)
        return 0;
    if (ctx != from) {
        ctx->errcode = code;
        memcpy(ctx->errmsg, from->errmsg, sizeof ctx->errmsg);
        from->errcode = 0;
        from->errmsg[0] = '\0';
    }
    return code;
}

ctxprof_log_level ctxprof_log_min(const ctxprof_ctx *ctx)
{
    return ctx->log_min;
}
