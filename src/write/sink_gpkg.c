/* The GeoPackage sink: one file, written to a temporary file beside the
 * target (".NAME.tmp-PID.gpkg", owner-only from its first byte) and renamed
 * onto the target by publish, so an interrupted run never leaves a broken
 * file where a good one was. It holds the raster layers and QGIS's styles
 * itself, and can start as an edited copy of another GeoPackage (snap's
 * in-place update). */
#define _GNU_SOURCE /* sync_file_range */
#include "write/sink.h"
#include "write/styles.h"

#include <fcntl.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <sqlite3.h>

typedef struct {
    ctxprof_sink base;
    char *tmp; /* the temporary file, renamed onto the target (base.display) */
} gpkg_sink;

static void gpkg_abort(ctxprof_ctx *ctx, ctxprof_sink *sink);
static void gpkg_close(ctxprof_ctx *ctx, ctxprof_sink *sink);

static int mkdir_parents(ctxprof_ctx *ctx, const char *path)
{
    char *dir = ctxprof_strdup(ctx, path);
    if (!dir)
        return CTXPROF_E_NOMEM;
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            mkdir(dir, 0777);
            *p = '/';
        }
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create folder: %s", dir,
                               strerror(errno));
    }
    ctxprof_free(ctx, dir);
    return rc;
}

/* A run killed while writing (SIGKILL, power loss) leaves its temporary
 * file, ".NAME.tmp-PID.gpkg" (and SQLite's -journal/-wal beside it), next to
 * the target. The next run for the same target removes those whose process
 * is gone; a live writer's file (another run of the same target) is kept. */
static void remove_stale_tmp(ctxprof_ctx *ctx, const char *target)
{
    const char *slash = strrchr(target, '/');
    char *dir = slash ? ctxprof_sprintf(ctx, "%.*s", (int)(slash - target), target)
                      : ctxprof_strdup(ctx, ".");
    char *prefix = ctxprof_sprintf(ctx, ".%s.tmp-", slash ? slash + 1 : target);
    DIR *d = dir && prefix ? opendir(*dir ? dir : "/") : NULL;
    struct dirent *e;
    size_t n = prefix ? strlen(prefix) : 0;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, n) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + n, &end, 10);
        if (pid <= 0 || end == e->d_name + n || strncmp(end, ".gpkg", 5) != 0 ||
            pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char *path = ctxprof_sprintf(ctx, "%s/%s", dir, e->d_name);
        if (path && unlink(path) == 0)
            ctxprof_log(ctx, CTXPROF_LOG_WARN,
                        "removed %s, left by an interrupted run (process %ld)", path, pid);
        ctxprof_free(ctx, path);
    }
    if (d)
        closedir(d);
    ctxprof_free(ctx, dir);
    ctxprof_free(ctx, prefix);
}

int ctxprof_output_copy_file(const char *source, const char *path, char *err, size_t n_err)
{
    sqlite3 *src = NULL, *db = NULL;
    sqlite3_backup *b = NULL;
    int rc = 0;
    /* Owner-only before the first byte of the copy is written. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        snprintf(err, n_err, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    if (sqlite3_open_v2(source, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", NULL, NULL, NULL) !=
            SQLITE_OK ||
        !(b = sqlite3_backup_init(db, "main", src, "main")) ||
        sqlite3_backup_step(b, -1) != SQLITE_DONE) {
        snprintf(err, n_err, "cannot copy %s: %s", source,
                 db    ? sqlite3_errmsg(db)
                 : src ? sqlite3_errmsg(src)
                       : "out of memory");
        rc = -1;
    }
    if (b && sqlite3_backup_finish(b) != SQLITE_OK && !rc) {
        snprintf(err, n_err, "cannot copy %s: %s", source, sqlite3_errmsg(db));
        rc = -1;
    }
    sqlite3_close(src);
    if (sqlite3_close(db) != SQLITE_OK && !rc) {
        snprintf(err, n_err, "cannot close the copy %s", path);
        rc = -1;
    }
    if (rc)
        unlink(path);
    return rc;
}

void ctxprof_output_writeback(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
#endif
}

/* A copy of a WAL database is in WAL mode: back to no journal. */
const char ctxprof_output_copy_pragmas[] =
    "PRAGMA journal_mode=DELETE; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
    "PRAGMA cache_size=-262144;";

/* Copies the SQLite database from to the new file to with SQLite's backup
 * API (right also while another program holds from open in WAL mode), then
 * runs edit on the copy through the same connection: no journal and no
 * syncing, as it is a private temporary file (a failure deletes it). */
static int copy_and_edit(ctxprof_ctx *ctx, const char *from, const char *to, const char *target,
                         ctxprof_output_edit_fn edit, void *arg, int copied)
{
    sqlite3 *src = NULL, *db = NULL;
    int rc = 0;
    if (copied) { /* to is a copy already (ctxprof_output_copy_file) */
        if (sqlite3_open_v2(to, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK) {
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot open the copy %s: %s", target, to,
                               db ? sqlite3_errmsg(db) : "out of memory");
            goto done;
        }
        goto copied;
    }
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot open: %s", from,
                           src ? sqlite3_errmsg(src) : "out of memory");
        goto done;
    }
    if (sqlite3_open_v2(to, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", NULL, NULL, NULL) !=
            SQLITE_OK) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create %s: %s", target, to,
                           db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    sqlite3_backup *b = sqlite3_backup_init(db, "main", src, "main");
    if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE) {
        sqlite3_backup_finish(b);
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot copy %s: %s", target, from,
                           sqlite3_errmsg(db));
        goto done;
    }
    if (sqlite3_backup_finish(b) != SQLITE_OK) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot copy %s: %s", target, from,
                           sqlite3_errmsg(db));
        goto done;
    }
copied:
    if (sqlite3_exec(db, ctxprof_output_copy_pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        rc = ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot set up the copy: %s", target,
                           sqlite3_errmsg(db));
        goto done;
    }
    if (edit)
        rc = edit(ctx, db, arg);
done:
    sqlite3_close(src);
    if (sqlite3_close(db) != SQLITE_OK && !rc)
        rc = ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot close the copy", target);
    return rc;
}

/* The temporary file is created (empty, by GDAL) when source is NULL, else
 * it is a copy of source (move: source is a private copy, renamed into
 * place), edited by edit through SQLite and then opened. */
static int gpkg_start(ctxprof_ctx *ctx, ctxprof_sink **sinkp, ctxprof_output *out,
                      const char *target, const char *source, ctxprof_output_edit_fn edit,
                      void *arg, int move)
{
    int rc = 0, sync_off = 0;
    *sinkp = NULL;
    gpkg_sink *g = ctxprof_calloc(ctx, 1, sizeof *g);
    if (!g)
        return CTXPROF_E_NOMEM;
    g->base.ops = &ctxprof_sink_gpkg;
    g->base.out = out;
    const char *slash = strrchr(target, '/');
    g->base.display = ctxprof_strdup(ctx, target);
    g->tmp = slash ? ctxprof_sprintf(ctx, "%.*s/.%s.tmp-%ld.gpkg", (int)(slash - target), target,
                                     slash + 1, (long)getpid())
                   : ctxprof_sprintf(ctx, ".%s.tmp-%ld.gpkg", target, (long)getpid());
    if (!g->base.display || !g->tmp) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if ((rc = mkdir_parents(ctx, target)))
        goto done;
    remove_stale_tmp(ctx, target);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) {
        rc = ctxprof_error(ctx, CTXPROF_E_DB, "GDAL has no GPKG driver");
        goto done;
    }
    VSIUnlink(g->tmp);
    /* A larger SQLite page cache makes building the spatial indexes of big
     * layers (at close) much faster; a user's own setting wins. */
    if (!CPLGetConfigOption("OGR_SQLITE_CACHE", NULL))
        CPLSetConfigOption("OGR_SQLITE_CACHE", "256");
    /* The temporary file is private until finish: SQLite does not sync it
     * at each commit, and finish syncs it once before moving it into place
     * (a user's own OGR_SQLITE_SYNCHRONOUS wins). */
    if (!CPLGetConfigOption("OGR_SQLITE_SYNCHRONOUS", NULL)) {
        CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
        sync_off = 1;
    }
    if (source && move) { /* a private copy made already: renamed into place */
        if (rename(source, g->tmp) != 0) {
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot move %s to %s: %s", target, source,
                               g->tmp, strerror(errno));
            goto done;
        }
        if ((rc = copy_and_edit(ctx, NULL, g->tmp, target, edit, arg, 1)))
            goto done;
        g->base.ds = GDALOpenEx(g->tmp, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    } else if (source) {
        /* Owner-only before the first byte of the copy is written. */
        int fd = open(g->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create %s: %s", target, g->tmp,
                               strerror(errno));
            goto done;
        }
        close(fd);
        if ((rc = copy_and_edit(ctx, source, g->tmp, target, edit, arg, 0)))
            goto done;
        g->base.ds = GDALOpenEx(g->tmp, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    } else
        g->base.ds = GDALCreate(drv, g->tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!g->base.ds) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create output", target);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    /* Profiles are identifiable: owner-only from before the first row is
     * written, whatever the umask (sharing is decided by finish). */
    if (chmod(g->tmp, 0600) != 0) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot make the output owner-only: %s", target,
                           strerror(errno));
        goto done;
    }
done:
    if (sync_off)
        CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", NULL);
    if (rc) {
        gpkg_abort(ctx, &g->base);
        gpkg_close(ctx, &g->base);
        return rc;
    }
    *sinkp = &g->base;
    return 0;
}

static int gpkg_open(ctxprof_ctx *ctx, ctxprof_sink **sink, ctxprof_output *out, const char *target,
                     const ctxprof_output_options *o)
{
    (void)o; /* nothing to choose: one file */
    return gpkg_start(ctx, sink, out, target, NULL, NULL, NULL, 0);
}

static int gpkg_open_copy(ctxprof_ctx *ctx, ctxprof_sink **sink, ctxprof_output *out,
                          const char *target, const ctxprof_output_options *o, const char *source,
                          ctxprof_output_edit_fn edit, void *arg, int move)
{
    (void)o;
    return gpkg_start(ctx, sink, out, target, source, edit, arg, move);
}

static int gpkg_create_layer(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH *layer,
                             const char *name, OGRwkbGeometryType geom, OGRSpatialReferenceH srs,
                             const ctxprof_column *cols, size_t n_cols)
{
    char **opts = CSLSetNameValue(NULL, "SPATIAL_INDEX", geom == wkbNone ? "NO" : "YES");
    if (geom == wkbNone)
        opts = CSLSetNameValue(opts, "ASPATIAL_VARIANT", "GPKG_ATTRIBUTES");
    int rc = ctxprof_sink_gdal_create_layer(ctx, sink, layer, name, geom, srs, cols, n_cols, opts);
    CSLDestroy(opts);
    return rc;
}

/* A raster layer beside the vector layers: GDAL opens the same GeoPackage a
 * second time with APPEND_SUBDATASET (a raster table cannot be added through
 * the vector handle), after the open layer transaction is committed. */
static int gpkg_raster(ctxprof_ctx *ctx, ctxprof_sink *sink, const char *name, const float *data,
                       int cols, int rows, const double gt[6], OGRSpatialReferenceH srs,
                       double nodata)
{
    gpkg_sink *g = (gpkg_sink *)sink;
    char **co = CSLSetNameValue(NULL, "APPEND_SUBDATASET", "YES");
    co = CSLSetNameValue(co, "RASTER_TABLE", name);
    co = CSLSetNameValue(co, "TILE_FORMAT", "TIFF");
    int rc = ctxprof_sink_write_band(ctx, "GPKG", co, g->tmp, sink->display, name, data, cols, rows,
                                     gt, srs, nodata);
    CSLDestroy(co);
    return rc;
}

/* Every GeoPackage opens styled in QGIS (layer_styles, styles/). */
static int gpkg_styles(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    return ctxprof_styles_write(ctx, sink->ds, sink->display, NULL);
}

static int gpkg_publish(ctxprof_ctx *ctx, ctxprof_sink *sink, int shareable)
{
    gpkg_sink *g = (gpkg_sink *)sink;
    int rc;
    if ((rc = ctxprof_sink_gdal_close(ctx, sink)))
        return rc;
    if (shareable) {
        mode_t mask = umask(0);
        umask(mask);
        if (chmod(g->tmp, 0644 & ~mask) != 0)
            return ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot set the output's mode: %s",
                                 sink->display, strerror(errno));
    }
    /* Written without syncing (gpkg_start): on disk before it replaces
     * the earlier output. */
    int fd = open(g->tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write the output to disk: %s",
                             sink->display, strerror(e));
    }
    close(fd);
    if (rename(g->tmp, sink->display) != 0)
        return ctxprof_error(ctx, CTXPROF_E_IO,
                             "%s: cannot move the finished output into place: %s", sink->display,
                             strerror(errno));
    return 0;
}

static void gpkg_abort(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    gpkg_sink *g = (gpkg_sink *)sink;
    (void)ctx;
    ctxprof_sink_gdal_discard(sink);
    if (g->tmp)
        VSIUnlink(g->tmp);
}

static void gpkg_close(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    gpkg_sink *g = (gpkg_sink *)sink;
    ctxprof_sink_gdal_discard(sink);
    ctxprof_free(ctx, sink->display);
    ctxprof_free(ctx, g->tmp);
    ctxprof_free(ctx, g);
}

const ctxprof_sink_ops ctxprof_sink_gpkg = {
    .name = "GeoPackage",
    .caps = CTXPROF_SINK_STYLES | CTXPROF_SINK_RASTER_LAYERS | CTXPROF_SINK_UPDATE_COPY,
    .accepts = NULL, /* any path */
    .open = gpkg_open,
    .open_copy = gpkg_open_copy,
    .create_layer = gpkg_create_layer,
    .write = ctxprof_sink_gdal_write,
    .commit = ctxprof_sink_gdal_commit,
    .drop_layer = ctxprof_sink_gdal_drop_layer,
    .raster = gpkg_raster,
    .styles = gpkg_styles,
    .publish = gpkg_publish,
    .abort = gpkg_abort,
    .close = gpkg_close,
};
