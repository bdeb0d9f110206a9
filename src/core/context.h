/* ctxprof engine context: the first argument of every engine call.
 *
 * A context owns the GEOS handle, the error slot, the log sink and the
 * progress callback. One context per thread. Every ctxprof_*_new/_open has a
 * _free/_close that accepts NULL.
 */
#ifndef CTXPROF_CONTEXT_H
#define CTXPROF_CONTEXT_H

#include <stdarg.h>
#include <stddef.h>

#include <geos_c.h>
#include <ogr_srs_api.h>

/* CTXPROF_VERSION ("0.1.0") is CMake's project(VERSION) in CMakeLists.txt,
 * the one place the version is written; the build passes it to every file
 * (src/CMakeLists.txt) and a test checks the QGIS plugin's metadata.txt
 * against it (cli_plugin_version). */
#ifndef CTXPROF_VERSION
#error "CTXPROF_VERSION is defined by the build: project(VERSION) in CMakeLists.txt"
#endif

/* Return codes: 0 on success, negative codes grouped by kind. */
enum {
    CTXPROF_OK = 0,
    CTXPROF_E_INPUT = -1,     /* bad input content: a row, a field, a layer */
    CTXPROF_E_IO = -2,        /* missing, unreadable or unwritable file */
    CTXPROF_E_CRS = -3,       /* unknown CRS or failed transformation */
    CTXPROF_E_GEOM = -4,      /* geometry engine failure */
    CTXPROF_E_DB = -5,        /* GeoPackage, SQLite or PostGIS failure */
    CTXPROF_E_CANCELLED = -6, /* the progress callback asked to stop */
    CTXPROF_E_NOMEM = -7,     /* allocation failed */
    CTXPROF_E_CONFIG = -8,    /* bad profile or options */
    CTXPROF_E_INTERNAL = -9   /* a bug: should never be seen */
};

typedef enum {
    CTXPROF_LOG_DEBUG = 0,
    CTXPROF_LOG_INFO = 1,
    CTXPROF_LOG_WARN = 2,
    CTXPROF_LOG_ERROR = 3
} ctxprof_log_level;

/* GDAL's progress signature: return nonzero to continue, 0 to cancel
 * (GDALProgressFunc semantics, so GDAL's own progress can be passed through). */
typedef int (*ctxprof_progress_fn)(double complete, const char *msg, void *payload);
typedef void (*ctxprof_log_fn)(ctxprof_log_level level, const char *msg, void *payload);

typedef struct ctxprof_ctx ctxprof_ctx;

/* Creates a context (GEOS handle, GDAL drivers registered, GDAL errors routed
 * to the context's log). Returns NULL only when memory is exhausted. */
ctxprof_ctx *ctxprof_ctx_new(void);
void ctxprof_ctx_free(ctxprof_ctx *ctx);

GEOSContextHandle_t ctxprof_geos(ctxprof_ctx *ctx);

/* Error slot, like sqlite3_errmsg: the last error's code and message. */
int ctxprof_errcode(const ctxprof_ctx *ctx);
const char *ctxprof_errmsg(const ctxprof_ctx *ctx);
void ctxprof_error_clear(ctxprof_ctx *ctx);
const char *ctxprof_strerror(int code);

/* Sets the error slot and returns code, so callers can `return ctxprof_error(...)`. */
int ctxprof_error(ctxprof_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, prefixed with where: "FILE row ROW field 'FIELD': ". row <= 0 and
 * field == NULL leave those parts out. */
int ctxprof_error_at(ctxprof_ctx *ctx, int code, const char *file, long row, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Appends GDAL's or GEOS's last message (if any) to the current error. */
void ctxprof_error_append_lib(ctxprof_ctx *ctx);

/* Logging. The default sink writes "ctxprof: warning: ..." to stderr at
 * level WARN and above. */
void ctxprof_set_log(ctxprof_ctx *ctx, ctxprof_log_fn fn, void *payload,
                     ctxprof_log_level min_level);
void ctxprof_log(ctxprof_ctx *ctx, ctxprof_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Number of warnings logged since the context was made. */
long ctxprof_warning_count(const ctxprof_ctx *ctx);

/* Progress. Stages report 0..1 of their own work; ctxprof_progress_push maps
 * that onto [start, end] of the enclosing range (as GDALCreateScaledProgress),
 * to any depth; each push is undone by one pop, and a pop without a push does
 * nothing. */
void ctxprof_set_progress(ctxprof_ctx *ctx, ctxprof_progress_fn fn, void *payload);
/* Returns 0, or CTXPROF_E_CANCELLED (with the error set) when cancelled. */
int ctxprof_progress(ctxprof_ctx *ctx, double complete, const char *msg);
void ctxprof_progress_push(ctxprof_ctx *ctx, double start, double end);
void ctxprof_progress_pop(ctxprof_ctx *ctx);

/* Allocation through the context: a failure sets CTXPROF_E_NOMEM and
 * returns NULL. Free with ctxprof_free. */
void *ctxprof_malloc(ctxprof_ctx *ctx, size_t n);
void *ctxprof_calloc(ctxprof_ctx *ctx, size_t count, size_t size);
void *ctxprof_realloc(ctxprof_ctx *ctx, void *p, size_t n);
/* Arrays of count elements of size bytes: a count * size that overflows
 * size_t fails as CTXPROF_E_NOMEM with a message, and reallocarray leaves p
 * as it was (as OpenBSD's reallocarray). Every n * size allocation goes
 * through these, ctxprof_calloc or ctxprof_size_mul. */
void *ctxprof_mallocarray(ctxprof_ctx *ctx, size_t count, size_t size);
void *ctxprof_reallocarray(ctxprof_ctx *ctx, void *p, size_t count, size_t size);

/* Checked size arithmetic (libgit2's GIT_ERROR_CHECK_ALLOC_MULTIPLY): sets
 * *out = a * b and returns 0, or returns nonzero when that overflows size_t. */
static inline int ctxprof_mul_overflow(size_t *out, size_t a, size_t b)
{
    return __builtin_mul_overflow(a, b, out);
}
/* a * b, or SIZE_MAX when that overflows: no allocator returns SIZE_MAX
 * bytes, so malloc(ctxprof_size_mul(n, size)) fails with NULL instead of
 * returning a short block. For code that allocates without a context, and
 * for the inner product of a three-factor size. */
static inline size_t ctxprof_size_mul(size_t a, size_t b)
{
    size_t r;
    return ctxprof_mul_overflow(&r, a, b) ? (size_t)-1 : r;
}
char *ctxprof_strdup(ctxprof_ctx *ctx, const char *s);
void ctxprof_free(ctxprof_ctx *ctx, void *p);
/* Grows *array (of *cap elements of size elem) to hold at least need. */
int ctxprof_grow(ctxprof_ctx *ctx, void **array, size_t *cap, size_t need, size_t elem);

/* A spatial reference from any definition OGR accepts ("EPSG:27700", WKT,
 * PROJ), in traditional GIS axis order (x = easting/longitude); NULL when
 * unknown. Free with OSRDestroySpatialReference. */
OGRSpatialReferenceH ctxprof_srs_new(const char *def);

/* printf into a new string allocated through the context. */
char *ctxprof_sprintf(ctxprof_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Moves from's error (code and message) to ctx and clears it on from:
 * how an error made on a worker's context reaches the caller's (contexts
 * are per thread; the caller takes it once the worker is done with from).
 * Returns the code moved, or 0 (ctx unchanged) when from has no error. */
int ctxprof_error_take(ctxprof_ctx *ctx, ctxprof_ctx *from);

/* The least level ctx's log sink is given (ctxprof_set_log), so that a
 * worker's context can keep what its caller would show. */
ctxprof_log_level ctxprof_log_min(const ctxprof_ctx *ctx);

#endif
