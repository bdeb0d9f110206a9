#define _GNU_SOURCE /* sync_file_range */
#include "write/output.h"
#include "write/output_pg.h"
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
#include <ogr_srs_api.h>
#include <sqlite3.h>

struct ctxprof_output {
    char *target, *tmp;
    GDALDatasetH ds;
    OGRSpatialReferenceH srs;
    int in_transaction;
    char **meta_keys, **meta_values;
    size_t n_meta, cap_meta_keys, cap_meta_values;
    int finished;
    int shareable; /* finish leaves an ordinary file (0644 & ~umask), not 0600 */
    ctxprof_output_pg *pg; /* a PostGIS target (output_pg.c); NULL for a GeoPackage */
};

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

/* The temporary file is created (empty, by GDAL) when source is NULL, else
 * it is a copy of source, edited by edit through SQLite and then opened. */
static int output_open(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                       const char *srs_def, const char *source, ctxprof_output_edit_fn edit,
                       void *arg, int move);
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

int ctxprof_output_open(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                        const char *srs_def)
{
    return output_open(ctx, outp, target, srs_def, NULL, NULL, NULL, 0);
}

int ctxprof_output_open_copy(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                             const char *srs_def, const char *source,
                             ctxprof_output_edit_fn edit, void *arg)
{
    return output_open(ctx, outp, target, srs_def, source, edit, arg, 0);
}

int ctxprof_output_open_copied(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                               const char *srs_def, const char *copy,
                               ctxprof_output_edit_fn edit, void *arg)
{
    return output_open(ctx, outp, target, srs_def, copy, edit, arg, 1);
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
                 db ? sqlite3_errmsg(db) : src ? sqlite3_errmsg(src) : "out of memory");
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
static int copy_and_edit(ctxprof_ctx *ctx, const char *from, const char *to,
                         const char *target, ctxprof_output_edit_fn edit, void *arg, int copied)
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

static int output_open(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                       const char *srs_def, const char *source, ctxprof_output_edit_fn edit,
                       void *arg, int move)
{
    int rc = 0, sync_off = 0;
    *outp = NULL;
    if (ctxprof_output_is_pg(target))
        return ctxprof_output_open_pg(ctx, outp, target, srs_def, NULL);
    ctxprof_output *out = ctxprof_calloc(ctx, 1, sizeof *out);
    if (!out)
        return CTXPROF_E_NOMEM;
    const char *slash = strrchr(target, '/');
    out->target = ctxprof_strdup(ctx, target);
    out->tmp = slash ? ctxprof_sprintf(ctx, "%.*s/.%s.tmp-%ld.gpkg", (int)(slash - target),
                                       target, slash + 1, (long)getpid())
                     : ctxprof_sprintf(ctx, ".%s.tmp-%ld.gpkg", target, (long)getpid());
    if (!out->target || !out->tmp) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    if ((rc = mkdir_parents(ctx, target)))
        goto done;
    remove_stale_tmp(ctx, target);
    out->srs = OSRNewSpatialReference(NULL);
    if (OSRSetFromUserInput(out->srs, srs_def) != OGRERR_NONE) {
        rc = ctxprof_error(ctx, CTXPROF_E_CRS, "profile CRS '%s' is not a known CRS", srs_def);
        goto done;
    }
    OSRSetAxisMappingStrategy(out->srs, OAMS_TRADITIONAL_GIS_ORDER);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) {
        rc = ctxprof_error(ctx, CTXPROF_E_DB, "GDAL has no GPKG driver");
        goto done;
    }
    VSIUnlink(out->tmp);
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
        if (rename(source, out->tmp) != 0) {
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot move %s to %s: %s", target, source,
                               out->tmp, strerror(errno));
            goto done;
        }
        if ((rc = copy_and_edit(ctx, NULL, out->tmp, target, edit, arg, 1)))
            goto done;
        out->ds = GDALOpenEx(out->tmp, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    } else if (source) {
        /* Owner-only before the first byte of the copy is written. */
        int fd = open(out->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
            rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create %s: %s", target, out->tmp,
                               strerror(errno));
            goto done;
        }
        close(fd);
        if ((rc = copy_and_edit(ctx, source, out->tmp, target, edit, arg, 0)))
            goto done;
        out->ds = GDALOpenEx(out->tmp, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    } else
        out->ds = GDALCreate(drv, out->tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!out->ds) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create output", target);
        ctxprof_error_append_lib(ctx);
        goto done;
    }
    /* Profiles are identifiable: owner-only from before the first row is
     * written, whatever the umask (sharing is decided by finish). */
    if (chmod(out->tmp, 0600) != 0) {
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot make the output owner-only: %s",
                           target, strerror(errno));
        goto done;
    }
done:
    if (sync_off)
        CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", NULL);
    if (rc) {
        ctxprof_output_close(ctx, out);
        return rc;
    }
    *outp = out;
    return 0;
}

int ctxprof_output_end_layer(ctxprof_ctx *ctx, ctxprof_output *out)
{
    if (!out->in_transaction)
        return 0;
    out->in_transaction = 0;
    if (GDALDatasetCommitTransaction(out->ds) != OGRERR_NONE) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot commit layer", out->target);
        ctxprof_error_append_lib(ctx);
        if (out->pg)
            ctxprof_output_pg_tidy_error(ctx, out->pg);
        return CTXPROF_E_DB;
    }
    return 0;
}

int ctxprof_output_layer(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH *layer,
                         const char *name, OGRwkbGeometryType geom,
                         const ctxprof_column *cols, size_t n_cols)
{
    int rc;
    if ((rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    char **opts;
    if (out->pg) {
        opts = ctxprof_output_pg_layer_options(out->pg, geom);
    } else {
        opts = CSLSetNameValue(NULL, "SPATIAL_INDEX", geom == wkbNone ? "NO" : "YES");
        if (geom == wkbNone)
            opts = CSLSetNameValue(opts, "ASPATIAL_VARIANT", "GPKG_ATTRIBUTES");
    }
    *layer = GDALDatasetCreateLayer(out->ds, name, geom == wkbNone ? NULL : out->srs, geom,
                                    opts);
    CSLDestroy(opts);
    if (!*layer) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot create layer %s", out->target, name);
        ctxprof_error_append_lib(ctx);
        if (out->pg)
            ctxprof_output_pg_tidy_error(ctx, out->pg);
        return CTXPROF_E_DB;
    }
    for (size_t i = 0; i < n_cols; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(cols[i].name, cols[i].type);
        OGRErr err = OGR_L_CreateField(*layer, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) {
            ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot add field %s to layer %s",
                          out->target, cols[i].name, name);
            ctxprof_error_append_lib(ctx);
            if (out->pg)
                ctxprof_output_pg_tidy_error(ctx, out->pg);
            return CTXPROF_E_DB;
        }
    }
    if (GDALDatasetStartTransaction(out->ds, FALSE) != OGRERR_NONE) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot start a transaction", out->target);
        return CTXPROF_E_DB;
    }
    out->in_transaction = 1;
    return 0;
}

int ctxprof_output_write(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH layer,
                         OGRFeatureH feat)
{
    if (OGR_L_CreateFeature(layer, feat) != OGRERR_NONE) {
        ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot write a feature to layer %s", out->target,
                      OGR_L_GetName(layer));
        ctxprof_error_append_lib(ctx);
        if (out->pg) /* PostgreSQL quotes the row */
            ctxprof_output_pg_tidy_error(ctx, out->pg);
        return CTXPROF_E_DB;
    }
    return 0;
}

OGRSpatialReferenceH ctxprof_output_srs(const ctxprof_output *out) { return out->srs; }

void ctxprof_output_set_shareable(ctxprof_output *out) { out->shareable = 1; }

const char *ctxprof_output_target(const ctxprof_output *out) { return out->target; }

int ctxprof_output_meta(ctxprof_ctx *ctx, ctxprof_output *out, const char *key,
                        const char *value)
{
    if (ctxprof_grow(ctx, (void **)&out->meta_keys, &out->cap_meta_keys, out->n_meta + 1,
                     sizeof(char *)) ||
        ctxprof_grow(ctx, (void **)&out->meta_values, &out->cap_meta_values, out->n_meta + 1,
                     sizeof(char *)))
        return CTXPROF_E_NOMEM;
    out->meta_keys[out->n_meta] = ctxprof_strdup(ctx, key);
    out->meta_values[out->n_meta] = ctxprof_strdup(ctx, value ? value : "");
    out->n_meta++;
    if (!out->meta_keys[out->n_meta - 1] || !out->meta_values[out->n_meta - 1])
        return CTXPROF_E_NOMEM;
    return 0;
}

int ctxprof_output_metaf(ctxprof_ctx *ctx, ctxprof_output *out, const char *key,
                         const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return ctxprof_output_meta(ctx, out, key, buf);
}

int ctxprof_output_finish(ctxprof_ctx *ctx, ctxprof_output *out)
{
    int rc;
    OGRLayerH meta;
    static const ctxprof_column cols[] = {{"key", OFTString}, {"value", OFTString}};
    if ((rc = ctxprof_output_layer(ctx, out, &meta, "run_metadata", wkbNone, cols, 2)))
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(meta));
    for (size_t i = 0; i < out->n_meta && !rc; i++) {
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, out->meta_keys[i]);
        OGR_F_SetFieldString(f, 1, out->meta_values[i]);
        rc = ctxprof_output_write(ctx, out, meta, f);
    }
    OGR_F_Destroy(f);
    if (rc || (rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    /* Every GeoPackage opens styled in QGIS (layer_styles, styles/). QGIS
     * reads a PostGIS database's styles from public.layer_styles, which is
     * not ctxprof's to write: there the plugin styles the layers. */
    if (!out->pg && (rc = ctxprof_styles_write(ctx, out->ds, out->target, NULL)))
        return rc;
    CPLErrorReset();
    GDALClose(out->ds);
    out->ds = NULL;
    if (CPLGetLastErrorType() >= CE_Failure) {
        ctxprof_error(ctx, CTXPROF_E_IO, "%s: closing the output failed", out->target);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_IO;
    }
    if (out->pg) {
        if ((rc = ctxprof_output_pg_publish(ctx, out->pg)))
            return rc;
        out->finished = 1;
        return 0;
    }
    if (out->shareable) {
        mode_t mask = umask(0);
        umask(mask);
        if (chmod(out->tmp, 0644 & ~mask) != 0)
            return ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot set the output's mode: %s",
                                 out->target, strerror(errno));
    }
    /* Written without syncing (output_open): on disk before it replaces
     * the earlier output. */
    int fd = open(out->tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write the output to disk: %s",
                             out->target, strerror(e));
    }
    close(fd);
    if (rename(out->tmp, out->target) != 0)
        return ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot move the finished output into place: %s",
                             out->target, strerror(errno));
    out->finished = 1;
    return 0;
}

void ctxprof_output_close(ctxprof_ctx *ctx, ctxprof_output *out)
{
    if (!out)
        return;
    if (out->ds) {
        if (out->in_transaction)
            GDALDatasetRollbackTransaction(out->ds);
        GDALClose(out->ds);
    }
    ctxprof_output_pg_free(ctx, out->pg); /* after its writing connection is closed */
    if (!out->finished && out->tmp)
        VSIUnlink(out->tmp);
    if (out->srs)
        OSRDestroySpatialReference(out->srs);
    for (size_t i = 0; i < out->n_meta; i++) {
        ctxprof_free(ctx, out->meta_keys[i]);
        ctxprof_free(ctx, out->meta_values[i]);
    }
    ctxprof_free(ctx, out->meta_keys);
    ctxprof_free(ctx, out->meta_values);
    ctxprof_free(ctx, out->target);
    ctxprof_free(ctx, out->tmp);
    ctxprof_free(ctx, out);
}

/* One Float32 band written to path by drv with the creation options co:
 * geotransform, the output's CRS, NoData; errors name display and name. */
int ctxprof_output_write_band(ctxprof_ctx *ctx, ctxprof_output *out, const char *driver,
                              char **co, const char *path, const char *display,
                              const char *name, const float *data, int cols, int rows,
                              const double gt[6], double nodata)
{
    GDALDriverH drv = GDALGetDriverByName(driver);
    GDALDatasetH ds = drv ? GDALCreate(drv, path, cols, rows, 1, GDT_Float32, co) : NULL;
    if (!ds) {
        ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create raster %s", display, name);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_IO;
    }
    double g[6];
    memcpy(g, gt, sizeof g);
    GDALSetGeoTransform(ds, g);
    char *wkt = NULL;
    if (OSRExportToWkt(out->srs, &wkt) == OGRERR_NONE)
        GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, nodata);
    CPLErrorReset();
    CPLErr err = GDALRasterIO(band, GF_Write, 0, 0, cols, rows, (void *)data, cols, rows,
                              GDT_Float32, 0, 0);
    GDALClose(ds);
    if (err != CE_None || CPLGetLastErrorType() >= CE_Failure) {
        ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot write raster %s", display, name);
        ctxprof_error_append_lib(ctx);
        return CTXPROF_E_IO;
    }
    return 0;
}

/* A raster layer beside the vector layers: GDAL opens the same GeoPackage a
 * second time with APPEND_SUBDATASET (a raster table cannot be added through
 * the vector handle), after the open layer transaction is committed. */
int ctxprof_output_raster(ctxprof_ctx *ctx, ctxprof_output *out, const char *name,
                          const float *data, int cols, int rows, const double gt[6],
                          double nodata)
{
    int rc;
    if ((rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    if (out->pg)
        return ctxprof_output_pg_raster(ctx, out->pg, out, name, data, cols, rows, gt, nodata);
    char **co = CSLSetNameValue(NULL, "APPEND_SUBDATASET", "YES");
    co = CSLSetNameValue(co, "RASTER_TABLE", name);
    co = CSLSetNameValue(co, "TILE_FORMAT", "TIFF");
    rc = ctxprof_output_write_band(ctx, out, "GPKG", co, out->tmp, out->target, name, data,
                                   cols, rows, gt, nodata);
    CSLDestroy(co);
    return rc;
}

int ctxprof_output_copy_layer(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH in)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(in);
    int nf = OGR_FD_GetFieldCount(defn);
    ctxprof_column *cols = ctxprof_mallocarray(ctx, (size_t)(nf ? nf : 1), sizeof *cols);
    if (!cols)
        return CTXPROF_E_NOMEM;
    for (int i = 0; i < nf; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        cols[i] = (ctxprof_column){OGR_Fld_GetNameRef(fd), OGR_Fld_GetType(fd)};
    }
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, OGR_L_GetName(in), OGR_L_GetGeomType(in),
                                  cols, (size_t)nf);
    ctxprof_free(ctx, cols);
    if (rc)
        return rc;
    OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(layer)), f;
    OGR_L_ResetReading(in);
    while (!rc && (f = OGR_L_GetNextFeature(in))) {
        OGR_F_SetFrom(g, f, TRUE);
        OGR_F_SetFID(g, OGRNullFID);
        rc = ctxprof_output_write(ctx, out, layer, g);
        OGR_F_Destroy(f);
    }
    OGR_F_Destroy(g);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

int ctxprof_output_copy_meta(ctxprof_ctx *ctx, ctxprof_output *out, GDALDatasetH in,
                             const char *const *drop)
{
    OGRLayerH meta = GDALDatasetGetLayerByName(in, "run_metadata");
    if (!meta)
        return 0;
    int rc = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(meta);
    while (!rc && (f = OGR_L_GetNextFeature(meta))) {
        const char *k = OGR_F_GetFieldAsString(f, 0);
        int keep = 1;
        for (const char *const *d = drop; d && *d && keep; d++)
            keep = strncmp(k, *d, strlen(*d)) != 0;
        if (keep)
            rc = ctxprof_output_meta(ctx, out, k, OGR_F_GetFieldAsString(f, 1));
        OGR_F_Destroy(f);
    }
    return rc;
}

/* The PostGIS backend: the common part of the output (CRS, layers,
 * run_metadata) with the connection, staging schema and rasters of
 * output_pg.c. */
int ctxprof_output_open_pg(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                           const char *srs_def, const ctxprof_output_pg_options *o)
{
    int rc = 0;
    *outp = NULL;
    ctxprof_output *out = ctxprof_calloc(ctx, 1, sizeof *out);
    if (!out)
        return CTXPROF_E_NOMEM;
    out->srs = OSRNewSpatialReference(NULL);
    if (OSRSetFromUserInput(out->srs, srs_def) != OGRERR_NONE) {
        rc = ctxprof_error(ctx, CTXPROF_E_CRS, "profile CRS '%s' is not a known CRS", srs_def);
        goto done;
    }
    OSRSetAxisMappingStrategy(out->srs, OAMS_TRADITIONAL_GIS_ORDER);
    if ((rc = ctxprof_output_pg_open(ctx, &out->pg, &out->ds, &out->target, target, o)))
        goto done;
    rc = ctxprof_output_meta(ctx, out, "output.pg_schema", ctxprof_output_pg_schema(out->pg));
done:
    if (rc) {
        ctxprof_output_close(ctx, out);
        return rc;
    }
    *outp = out;
    return 0;
}

int ctxprof_output_drop_layer(ctxprof_ctx *ctx, ctxprof_output *out, const char *name)
{
    int rc;
    if ((rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    for (int i = 0; i < GDALDatasetGetLayerCount(out->ds); i++)
        if (strcmp(OGR_L_GetName(GDALDatasetGetLayer(out->ds, i)), name) == 0) {
            if (GDALDatasetDeleteLayer(out->ds, i) != OGRERR_NONE) {
                ctxprof_error(ctx, CTXPROF_E_DB, "%s: cannot drop layer %s", out->target, name);
                ctxprof_error_append_lib(ctx);
                return CTXPROF_E_DB;
            }
            return 0;
        }
    return 0;
}
