#include "write/sink_pg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <ogr_srs_api.h>

/* PostgreSQL identifiers are at most 63 bytes; the staging schema adds 5. */
#define STAGE_SUFFIX "__new"
#define SCHEMA_MAX   (63 - 5)
/* Marks the schemas ctxprof writes: a schema without it is never dropped. */
#define SCHEMA_COMMENT "ctxprof output"
/* First key of the per-schema advisory lock ("ctxp"). */
#define LOCK_CLASS 1668577392

typedef struct {
    char *tmp, *final;
} pg_tif;

typedef struct {
    ctxprof_sink base; /* base.display: the target as shown, password hidden, schema named */
    char *conninfo;    /* the connection string without active_schema, after "PG:" */
    char *password;
    char *schema, *stage, *raster_dir;
    GDALDatasetH ctl; /* control connection: lock, staging schema, swap */
    int stage_created, published;
    pg_tif *rasters;
    size_t n_rasters, cap_rasters;
} pg_sink;

/* ------------------------------------------------------------------------ */
/* Connection strings: libpq's keyword = value pairs, values either plain
 * (backslash escapes) or in single quotes. */

typedef struct {
    const char *start, *end; /* the whole pair in the text */
    const char *key;
    size_t key_len;
    char *value; /* decoded */
} conn_pair;

/* Reads one value at *p; returns the decoded value (malloc'd) or NULL. */
static char *scan_value(const char **pp)
{
    const char *p = *pp;
    size_t n = strlen(p);
    char *v = malloc(n + 1), *o = v;
    if (!v)
        return NULL;
    if (*p == '\'') {
        p++;
        while (*p && *p != '\'') {
            if (*p == '\\' && p[1])
                p++;
            *o++ = *p++;
        }
        if (*p != '\'') {
            free(v);
            return NULL;
        }
        p++;
    } else {
        while (*p && !isspace((unsigned char)*p)) {
            if (*p == '\\' && p[1])
                p++;
            *o++ = *p++;
        }
    }
    *o = '\0';
    *pp = p;
    return v;
}

static void free_pairs(ctxprof_ctx *ctx, conn_pair *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(pairs[i].value);
    ctxprof_free(ctx, pairs);
}

/* Splits a connection string into pairs; on a syntax error names the
 * character position only (the text may hold a password). */
static int parse_conninfo(ctxprof_ctx *ctx, const char *s, conn_pair **out, size_t *n_out)
{
    conn_pair *pairs = NULL;
    size_t n = 0, cap = 0;
    const char *p = s;
    *out = NULL;
    *n_out = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        conn_pair c = {.start = p, .key = p};
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        c.key_len = (size_t)(p - c.key);
        while (isspace((unsigned char)*p))
            p++;
        if (!c.key_len || *p != '=') {
            free_pairs(ctx, pairs, n);
            return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                 "PostgreSQL connection string: expected keyword=value at "
                                 "character %d (write -o PG:\"dbname=NAME host=HOST ...\")",
                                 (int)(c.start - s) + 4);
        }
        p++;
        while (isspace((unsigned char)*p))
            p++;
        if (!(c.value = scan_value(&p))) {
            free_pairs(ctx, pairs, n);
            return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                 "PostgreSQL connection string: unterminated quote after "
                                 "character %d",
                                 (int)(c.start - s) + 4);
        }
        c.end = p;
        if (ctxprof_grow(ctx, (void **)&pairs, &cap, n + 1, sizeof *pairs)) {
            free(c.value);
            free_pairs(ctx, pairs, n);
            return CTXPROF_E_NOMEM;
        }
        pairs[n++] = c;
    }
    *out = pairs;
    *n_out = n;
    return 0;
}

static int key_is(const conn_pair *c, const char *key)
{
    return c->key_len == strlen(key) && strncmp(c->key, key, c->key_len) == 0;
}

/* Appends len bytes to a growing string. */
static int append(ctxprof_ctx *ctx, char **s, size_t *len, size_t *cap, const char *text, size_t n)
{
    if (ctxprof_grow(ctx, (void **)s, cap, *len + n + 1, 1))
        return CTXPROF_E_NOMEM;
    memcpy(*s + *len, text, n);
    *len += n;
    (*s)[*len] = '\0';
    return 0;
}

char *ctxprof_output_redact(ctxprof_ctx *ctx, const char *text)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    const char *p = text;
    if (append(ctx, &s, &len, &cap, "", 0))
        return NULL;
    while (*p) {
        const char *hit = strstr(p, "password");
        if (!hit)
            break;
        const char *q = hit + 8;
        while (*q == ' ' || *q == '\t')
            q++;
        int at_word = hit == text || !(isalnum((unsigned char)hit[-1]) || hit[-1] == '_');
        if (*q != '=' || !at_word) {
            if (append(ctx, &s, &len, &cap, p, (size_t)(q - p)))
                goto fail;
            p = q;
            continue;
        }
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        const char *v = q;
        char *value = scan_value(&q);
        if (!value) /* an unterminated quote: hide the rest */
            q = v + strlen(v);
        /* A value that swallowed the closing quote of a quoted argument
         * gives it back, so that the argument line stays balanced. */
        int give_back = value && *v != '\'' && q > v && q[-1] == '\'';
        free(value);
        if (append(ctx, &s, &len, &cap, p, (size_t)(v - p)) ||
            append(ctx, &s, &len, &cap, "***", 3) ||
            (give_back && append(ctx, &s, &len, &cap, "'", 1)))
            goto fail;
        p = q;
    }
    if (append(ctx, &s, &len, &cap, p, strlen(p)))
        goto fail;
    return s;
fail:
    ctxprof_free(ctx, s);
    return NULL;
}

static int pg_accepts(const char *target)
{
    return target && strncmp(target, "PG:", 3) == 0;
}

int ctxprof_sink_pg_schema_name(ctxprof_ctx *ctx, char **schema, const char *text)
{
    char buf[SCHEMA_MAX + 1];
    size_t n = 0;
    int gap = 0;
    for (const char *p = text ? text : ""; *p && n < SCHEMA_MAX; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 128) {
            if (gap && n && n + 1 < SCHEMA_MAX)
                buf[n++] = '_';
            if (n == 0 && isdigit(c)) {
                buf[n++] = 'p';
                buf[n++] = '_';
            }
            buf[n++] = (char)tolower(c);
            gap = 0;
        } else {
            gap = 1;
        }
    }
    buf[n] = '\0';
    /* pg_ names are reserved, and a name ending like a staging schema would
     * be taken for one. */
    if (!n || strncmp(buf, "pg_", 3) == 0 || strcmp(buf, "public") == 0 ||
        (n >= 5 && strcmp(buf + n - 5, STAGE_SUFFIX) == 0))
        snprintf(buf, sizeof buf, "ctxprof");
    *schema = ctxprof_strdup(ctx, buf);
    return *schema ? 0 : CTXPROF_E_NOMEM;
}

/* A schema the user names must be a plain identifier, so that it needs no
 * quoting anywhere (GDAL's active_schema, SQL, QGIS), and must not be one
 * that PostgreSQL or PostGIS own. */
static int check_schema(ctxprof_ctx *ctx, const char *s)
{
    size_t n = strlen(s);
    int ok = n > 0 && n <= SCHEMA_MAX && (islower((unsigned char)s[0]) || s[0] == '_');
    for (size_t i = 0; ok && i < n; i++)
        ok = (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_');
    if (!ok)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "PostgreSQL schema '%.80s': use lowercase letters, digits and _ "
                             "(at most %d, starting with a letter or _)",
                             s, SCHEMA_MAX);
    static const char *const reserved[] = {"public", "information_schema", "topology",
                                           "tiger",  "tiger_data",         NULL};
    for (const char *const *r = reserved; *r; r++)
        if (strcmp(s, *r) == 0)
            return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                 "PostgreSQL schema '%s' is not ctxprof's to replace: choose "
                                 "another with --pg-schema",
                                 s);
    if (strncmp(s, "pg_", 3) == 0 || (n >= 5 && strcmp(s + n - 5, STAGE_SUFFIX) == 0))
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "PostgreSQL schema '%s': names starting with pg_ or ending with "
                             "%s are reserved",
                             s, STAGE_SUFFIX);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Errors: of GDAL's message only PostgreSQL's own ERROR or FATAL line is
 * kept (not the SQL command, nor the CONTEXT line that quotes a row: they
 * repeat data), on one line, and the password, should any message ever
 * quote it, is hidden. */

static void pg_tidy_error(ctxprof_ctx *ctx, const pg_sink *pg)
{
    char msg[2048], lib[1024] = "";
    snprintf(msg, sizeof msg, "%s", ctxprof_errmsg(ctx));
    char *open = strstr(msg, " (GDAL: ");
    if (open) {
        const char *text = open + 8, *keep = text, *end;
        const char *err = strstr(text, "ERROR:"), *fatal = strstr(text, "FATAL:");
        const char *mark = err && (!fatal || err < fatal) ? err : fatal;
        if (mark) { /* the whole line that holds it */
            keep = mark;
            while (keep > text && keep[-1] != '\n')
                keep--;
            if (!(end = strchr(keep, '\n')))
                end = keep + strlen(keep);
        } else { /* all of it, less what quotes SQL or rows */
            end = keep + strlen(keep);
            static const char *const cut[] = {"\nCommand:", "\nCONTEXT:", "\nLINE ",
                                              "\nQUERY:", NULL};
            for (const char *const *c = cut; *c; c++) {
                const char *at = strstr(keep, *c);
                if (at && at < end)
                    end = at;
            }
        }
        if (!*end && end > keep && end[-1] == ')') /* the one append_lib added */
            end--;
        while (end > keep && isspace((unsigned char)end[-1]))
            end--;
        snprintf(lib, sizeof lib, "%.*s", (int)(end - keep), keep);
        snprintf(open, sizeof msg - (size_t)(open - msg), " (GDAL: %s)", lib);
    }
    char *w = msg; /* one line, single spaces */
    for (const char *r = msg; *r; r++) {
        char c = (*r == '\n' || *r == '\t' || *r == '\r') ? ' ' : *r;
        if (c == ' ' && w > msg && w[-1] == ' ')
            continue;
        *w++ = c;
    }
    *w = '\0';
    if (pg && pg->password && *pg->password) {
        size_t k = strlen(pg->password);
        char *at;
        while ((at = strstr(msg, pg->password)) != NULL) {
            memmove(at + 3, at + k, strlen(at + k) + 1);
            memcpy(at, "***", 3);
        }
    }
    ctxprof_error(ctx, ctxprof_errcode(ctx), "%s", msg);
}

static int pg_fail(ctxprof_ctx *ctx, const pg_sink *pg, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int pg_fail(ctxprof_ctx *ctx, const pg_sink *pg, int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctxprof_error(ctx, code, "%s", msg);
    ctxprof_error_append_lib(ctx);
    pg_tidy_error(ctx, pg);
    return code;
}

/* Runs one statement on the control connection. */
static int pg_exec(ctxprof_ctx *ctx, pg_sink *pg, const char *sql, const char *what)
{
    CPLErrorReset();
    OGRLayerH res = GDALDatasetExecuteSQL(pg->ctl, sql, NULL, NULL);
    if (res)
        GDALDatasetReleaseResultSet(pg->ctl, res);
    if (CPLGetLastErrorType() >= CE_Failure)
        return pg_fail(ctx, pg, CTXPROF_E_DB, "%s: cannot %s", pg->base.display, what);
    return 0;
}

/* The first column of the first row of a query as text ("" when NULL);
 * *found is 0 when there is no row. */
static int pg_query(ctxprof_ctx *ctx, pg_sink *pg, const char *sql, const char *what, char *buf,
                    size_t size, int *found)
{
    CPLErrorReset();
    *found = 0;
    buf[0] = '\0';
    OGRLayerH res = GDALDatasetExecuteSQL(pg->ctl, sql, NULL, NULL);
    if (!res || CPLGetLastErrorType() >= CE_Failure) {
        if (res)
            GDALDatasetReleaseResultSet(pg->ctl, res);
        return pg_fail(ctx, pg, CTXPROF_E_DB, "%s: cannot %s", pg->base.display, what);
    }
    OGRFeatureH f = OGR_L_GetNextFeature(res);
    if (f) {
        *found = 1;
        if (OGR_F_IsFieldSetAndNotNull(f, 0))
            snprintf(buf, size, "%s", OGR_F_GetFieldAsString(f, 0));
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(pg->ctl, res);
    return 0;
}

/* Refuses to replace a schema that ctxprof did not write. */
static int check_owned(ctxprof_ctx *ctx, pg_sink *pg, const char *schema)
{
    char sql[256], comment[256];
    int found, rc;
    snprintf(sql, sizeof sql,
             "SELECT coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace "
             "WHERE nspname = '%s'",
             schema);
    if ((rc = pg_query(ctx, pg, sql, "look up the schema", comment, sizeof comment, &found)))
        return rc;
    if (found && strncmp(comment, SCHEMA_COMMENT, strlen(SCHEMA_COMMENT)) != 0)
        return ctxprof_error(ctx, CTXPROF_E_DB,
                             "%s: schema %s exists and was not written by ctxprof: it is left "
                             "alone; choose another --pg-schema or drop it yourself",
                             pg->base.display, schema);
    return 0;
}

static GDALDatasetH pg_connect(const char *conninfo)
{
    static const char *const drivers[] = {"PostgreSQL", NULL};
    char *dsn = CPLStrdup(CPLSPrintf("PG:%s", conninfo));
    GDALDatasetH ds = GDALOpenEx(dsn, GDAL_OF_VECTOR | GDAL_OF_UPDATE, drivers, NULL, NULL);
    CPLFree(dsn);
    return ds;
}

/* mkdir -p */
static int make_dirs(ctxprof_ctx *ctx, const char *dir)
{
    char *d = ctxprof_strdup(ctx, dir);
    if (!d)
        return CTXPROF_E_NOMEM;
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(d, 0777);
        *p = '/';
    }
    int rc = 0;
    if (mkdir(d, 0777) != 0 && errno != EEXIST)
        rc = ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot create the raster folder: %s", d,
                           strerror(errno));
    ctxprof_free(ctx, d);
    return rc;
}

/* The folder the rasters go to: the one given, else that of the first of
 * the files named to be beside (a profile's own output GeoPackage, the
 * profile), else the current folder. */
static char *raster_folder(ctxprof_ctx *ctx, const ctxprof_output_options *o)
{
    if (o->raster_dir)
        return ctxprof_strdup(ctx, *o->raster_dir ? o->raster_dir : ".");
    const char *base = NULL;
    for (int i = 0; i < 2 && !base; i++)
        if (o->raster_beside[i] && !pg_accepts(o->raster_beside[i]))
            base = o->raster_beside[i];
    const char *slash = base ? strrchr(base, '/') : NULL;
    return slash ? ctxprof_sprintf(ctx, "%.*s", slash == base ? 1 : (int)(slash - base), base)
                 : ctxprof_strdup(ctx, ".");
}

static int build_strings(ctxprof_ctx *ctx, pg_sink *pg, const char *conninfo,
                         const ctxprof_output_options *o)
{
    conn_pair *pairs;
    size_t n, blen = 0, bcap = 0, dlen = 0, dcap = 0;
    int rc;
    if (strstr(conninfo, "://"))
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "PostgreSQL output: write the connection as keyword=value pairs "
                             "(PG:\"dbname=NAME host=HOST user=USER\"), not as a URI");
    if ((rc = parse_conninfo(ctx, conninfo, &pairs, &n)))
        return rc;
    const char *active = NULL;
    rc = append(ctx, &pg->conninfo, &blen, &bcap, "", 0) ||
         append(ctx, &pg->base.display, &dlen, &dcap, "PG:", 3);
    for (size_t i = 0; i < n && !rc; i++) {
        const conn_pair *c = &pairs[i];
        if (key_is(c, "active_schema")) { /* GDAL's key: ours to set */
            active = c->value;
            continue;
        }
        if (key_is(c, "password") && !pg->password &&
            !(pg->password = ctxprof_strdup(ctx, c->value)))
            rc = CTXPROF_E_NOMEM;
        if (!rc && blen)
            rc = append(ctx, &pg->conninfo, &blen, &bcap, " ", 1);
        if (!rc)
            rc = append(ctx, &pg->conninfo, &blen, &bcap, c->start, (size_t)(c->end - c->start));
        if (!rc && dlen > 3)
            rc = append(ctx, &pg->base.display, &dlen, &dcap, " ", 1);
        if (!rc && key_is(c, "password"))
            rc = append(ctx, &pg->base.display, &dlen, &dcap, "password=***", 12);
        else if (!rc)
            rc =
                append(ctx, &pg->base.display, &dlen, &dcap, c->start, (size_t)(c->end - c->start));
    }
    if (rc) {
        free_pairs(ctx, pairs, n);
        return CTXPROF_E_NOMEM;
    }
    /* The schema given, else the connection's, else one named after what
     * is written (a profile), else ctxprof. */
    if (o->schema)
        pg->schema = ctxprof_strdup(ctx, o->schema);
    else if (o->name && !strstr(conninfo, "active_schema="))
        rc = ctxprof_sink_pg_schema_name(ctx, &pg->schema, o->name);
    else
        pg->schema = ctxprof_strdup(ctx, active ? active : "ctxprof");
    free_pairs(ctx, pairs, n);
    if (rc || !pg->schema)
        return CTXPROF_E_NOMEM;
    if ((rc = check_schema(ctx, pg->schema)))
        return rc;
    pg->stage = ctxprof_sprintf(ctx, "%s%s", pg->schema, STAGE_SUFFIX);
    char *shown = ctxprof_sprintf(ctx, "%s, schema %s", pg->base.display, pg->schema);
    if (!pg->stage || !shown) {
        ctxprof_free(ctx, shown);
        return CTXPROF_E_NOMEM;
    }
    ctxprof_free(ctx, pg->base.display);
    pg->base.display = shown;
    pg->raster_dir = raster_folder(ctx, o);
    return pg->raster_dir ? 0 : CTXPROF_E_NOMEM;
}

static void pg_abort(ctxprof_ctx *ctx, ctxprof_sink *sink);
static void pg_close(ctxprof_ctx *ctx, ctxprof_sink *sink);

/* Connects (a control connection holding a per-schema advisory lock, and
 * the writing connection, base.ds), checks PostGIS, refuses a schema that
 * ctxprof did not write, and creates the empty staging schema. */
static int pg_open(ctxprof_ctx *ctx, ctxprof_sink **sink, ctxprof_output *out, const char *target,
                   const ctxprof_output_options *o)
{
    int rc, found;
    char sql[512], buf[256];
    *sink = NULL;
    pg_sink *pg = ctxprof_calloc(ctx, 1, sizeof *pg);
    if (!pg)
        return CTXPROF_E_NOMEM;
    pg->base.ops = &ctxprof_sink_pg;
    pg->base.out = out;
    if ((rc = build_strings(ctx, pg, target + 3, o)))
        goto done;
    if (!GDALGetDriverByName("PostgreSQL")) {
        rc = ctxprof_error(ctx, CTXPROF_E_DB, "GDAL has no PostgreSQL driver");
        goto done;
    }
    /* COPY instead of one INSERT per row: a user's own setting wins. */
    if (!CPLGetConfigOption("PG_USE_COPY", NULL))
        CPLSetConfigOption("PG_USE_COPY", "YES");
    CPLErrorReset();
    if (!(pg->ctl = pg_connect(pg->conninfo))) {
        rc = pg_fail(ctx, pg, CTXPROF_E_DB, "%s: cannot connect to PostgreSQL", pg->base.display);
        goto done;
    }
    if ((rc = pg_query(ctx, pg, "SELECT extversion FROM pg_extension WHERE extname = 'postgis'",
                       "look up PostGIS", buf, sizeof buf, &found)))
        goto done;
    if (!found) {
        rc = ctxprof_error(ctx, CTXPROF_E_DB,
                           "%s: the database has no PostGIS (its owner can add it with "
                           "CREATE EXTENSION postgis;)",
                           pg->base.display);
        goto done;
    }
    /* One writer per schema: the lock ends with the control connection. */
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN pg_try_advisory_lock(%d, hashtext('%s')) THEN 'yes' ELSE 'no' END",
             LOCK_CLASS, pg->schema);
    if ((rc = pg_query(ctx, pg, sql, "take the schema's lock", buf, sizeof buf, &found)))
        goto done;
    if (strcmp(buf, "yes") != 0) {
        rc = ctxprof_error(ctx, CTXPROF_E_DB,
                           "%s: another ctxprof run is writing this schema; try again when it "
                           "has finished",
                           pg->base.display);
        goto done;
    }
    if ((rc = check_owned(ctx, pg, pg->schema)) || (rc = check_owned(ctx, pg, pg->stage)))
        goto done;
    /* A staging schema left by a killed run is ours: start afresh. */
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", pg->stage);
    if ((rc = pg_exec(ctx, pg, sql, "drop an old staging schema")))
        goto done;
    snprintf(sql, sizeof sql, "CREATE SCHEMA \"%s\"", pg->stage);
    if ((rc = pg_exec(ctx, pg, sql, "create the staging schema")))
        goto done;
    pg->stage_created = 1;
    snprintf(sql, sizeof sql, "COMMENT ON SCHEMA \"%s\" IS '" SCHEMA_COMMENT "'", pg->stage);
    if ((rc = pg_exec(ctx, pg, sql, "mark the staging schema")))
        goto done;
    char *conninfo = ctxprof_sprintf(ctx, "%s active_schema=%s", pg->conninfo, pg->stage);
    if (!conninfo) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    CPLErrorReset();
    pg->base.ds = pg_connect(conninfo);
    ctxprof_free(ctx, conninfo);
    if (!pg->base.ds) {
        rc = pg_fail(ctx, pg, CTXPROF_E_DB, "%s: cannot connect to PostgreSQL", pg->base.display);
        goto done;
    }
    rc = ctxprof_output_meta(ctx, out, "output.pg_schema", pg->schema);
done:
    if (rc) {
        pg_abort(ctx, &pg->base);
        pg_close(ctx, &pg->base);
        return rc;
    }
    *sink = &pg->base;
    return 0;
}

static int pg_create_layer(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH *layer, const char *name,
                           OGRwkbGeometryType geom, OGRSpatialReferenceH srs,
                           const ctxprof_column *cols, size_t n_cols)
{
    pg_sink *pg = (pg_sink *)sink;
    /* The GeoPackage's names: geom and fid columns, field names as given. */
    char **opts = CSLSetNameValue(NULL, "SCHEMA", pg->stage);
    opts = CSLSetNameValue(opts, "LAUNDER", "NO");
    opts = CSLSetNameValue(opts, "FID", "fid");
    if (geom != wkbNone) {
        opts = CSLSetNameValue(opts, "GEOMETRY_NAME", "geom");
        opts = CSLSetNameValue(opts, "SPATIAL_INDEX", "GIST");
    }
    int rc = ctxprof_sink_gdal_create_layer(ctx, sink, layer, name, geom, srs, cols, n_cols, opts);
    CSLDestroy(opts);
    if (rc)
        pg_tidy_error(ctx, pg);
    return rc;
}

/* GDAL's writing, with PostgreSQL's messages tidied (they may quote a row). */
static int pg_write(ctxprof_ctx *ctx, ctxprof_sink *sink, OGRLayerH layer, OGRFeatureH feat)
{
    int rc = ctxprof_sink_gdal_write(ctx, sink, layer, feat);
    if (rc)
        pg_tidy_error(ctx, (pg_sink *)sink);
    return rc;
}

static int pg_commit(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    int rc = ctxprof_sink_gdal_commit(ctx, sink);
    if (rc)
        pg_tidy_error(ctx, (pg_sink *)sink);
    return rc;
}

static int pg_drop_layer(ctxprof_ctx *ctx, ctxprof_sink *sink, const char *name)
{
    int rc = ctxprof_sink_gdal_drop_layer(ctx, sink, name);
    if (rc)
        pg_tidy_error(ctx, (pg_sink *)sink);
    return rc;
}

/* A Float32 GeoTIFF written to a temporary file in the raster folder, its
 * final path named in run_metadata (raster.NAME.path); publish moves it
 * into place after the commit. */
static int pg_raster(ctxprof_ctx *ctx, ctxprof_sink *sink, const char *name, const float *data,
                     int cols, int rows, const double gt[6], OGRSpatialReferenceH srs,
                     double nodata)
{
    pg_sink *pg = (pg_sink *)sink;
    int rc;
    char real[PATH_MAX], key[256];
    if ((rc = make_dirs(ctx, pg->raster_dir)))
        return rc;
    if (!realpath(pg->raster_dir, real))
        return ctxprof_error(ctx, CTXPROF_E_IO, "%s: cannot resolve the raster folder: %s",
                             pg->raster_dir, strerror(errno));
    if (ctxprof_grow(ctx, (void **)&pg->rasters, &pg->cap_rasters, pg->n_rasters + 1,
                     sizeof *pg->rasters))
        return CTXPROF_E_NOMEM;
    pg_tif *r = &pg->rasters[pg->n_rasters];
    r->final = ctxprof_sprintf(ctx, "%s/%s.%s.tif", real, pg->schema, name);
    r->tmp =
        ctxprof_sprintf(ctx, "%s/.%s.%s.tif.tmp-%ld.tif", real, pg->schema, name, (long)getpid());
    if (!r->final || !r->tmp) {
        ctxprof_free(ctx, r->final);
        ctxprof_free(ctx, r->tmp);
        return CTXPROF_E_NOMEM;
    }
    pg->n_rasters++;
    char **co = CSLSetNameValue(NULL, "COMPRESS", "DEFLATE");
    co = CSLSetNameValue(co, "PREDICTOR", "3");
    co = CSLSetNameValue(co, "TILED", "YES");
    VSIUnlink(r->tmp);
    rc = ctxprof_sink_write_band(ctx, "GTiff", co, r->tmp, r->final, name, data, cols, rows, gt,
                                 srs, nodata);
    CSLDestroy(co);
    if (rc)
        return rc;
    snprintf(key, sizeof key, "raster.%s.path", name);
    return ctxprof_output_meta(ctx, sink->out, key, r->final);
}

/* The writing connection is closed first (GDAL finishes its COPY and
 * builds the indexes); then the schema is replaced by the staging schema
 * in one transaction, and the rasters moved into place. */
static int pg_publish(ctxprof_ctx *ctx, ctxprof_sink *sink, int shareable)
{
    pg_sink *pg = (pg_sink *)sink;
    int rc;
    char sql[512];
    (void)shareable; /* the database's own grants decide who reads it */
    if ((rc = ctxprof_sink_gdal_close(ctx, sink)))
        return rc;
    /* Readers hold locks only while a query runs; wait for them, but not
     * for ever. */
    if ((rc = pg_exec(ctx, pg, "SET lock_timeout = '60s'", "set a lock timeout")))
        return rc;
    if (GDALDatasetStartTransaction(pg->ctl, FALSE) != OGRERR_NONE)
        return pg_fail(ctx, pg, CTXPROF_E_DB, "%s: cannot start a transaction", pg->base.display);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", pg->schema);
    rc = pg_exec(ctx, pg, sql, "drop the earlier results");
    snprintf(sql, sizeof sql, "ALTER SCHEMA \"%s\" RENAME TO \"%s\"", pg->stage, pg->schema);
    if (!rc)
        rc = pg_exec(ctx, pg, sql, "rename the staging schema");
    if (rc) {
        GDALDatasetRollbackTransaction(pg->ctl);
        return rc;
    }
    CPLErrorReset();
    if (GDALDatasetCommitTransaction(pg->ctl) != OGRERR_NONE)
        return pg_fail(ctx, pg, CTXPROF_E_DB, "%s: cannot commit the new results",
                       pg->base.display);
    pg->published = 1;
    for (size_t i = 0; i < pg->n_rasters; i++)
        if (rename(pg->rasters[i].tmp, pg->rasters[i].final) != 0)
            return ctxprof_error(ctx, CTXPROF_E_IO,
                                 "%s: cannot move the finished raster into place: %s",
                                 pg->rasters[i].final, strerror(errno));
    return 0;
}

/* The writing connection closed first, then the staging schema dropped
 * and the temporary rasters removed, unless published. */
static void pg_abort(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    pg_sink *pg = (pg_sink *)sink;
    (void)ctx;
    ctxprof_sink_gdal_discard(sink);
    if (pg->published)
        return;
    if (pg->ctl && pg->stage_created) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", pg->stage);
        CPLPushErrorHandler(CPLQuietErrorHandler); /* keep the first error */
        OGRLayerH res = GDALDatasetExecuteSQL(pg->ctl, sql, NULL, NULL);
        if (res)
            GDALDatasetReleaseResultSet(pg->ctl, res);
        CPLPopErrorHandler();
        pg->stage_created = 0;
    }
    for (size_t i = 0; i < pg->n_rasters; i++)
        VSIUnlink(pg->rasters[i].tmp);
}

/* Disconnects (which ends the schema's lock) and frees. */
static void pg_close(ctxprof_ctx *ctx, ctxprof_sink *sink)
{
    pg_sink *pg = (pg_sink *)sink;
    ctxprof_sink_gdal_discard(sink);
    if (pg->ctl)
        GDALClose(pg->ctl);
    for (size_t i = 0; i < pg->n_rasters; i++) {
        ctxprof_free(ctx, pg->rasters[i].tmp);
        ctxprof_free(ctx, pg->rasters[i].final);
    }
    ctxprof_free(ctx, pg->rasters);
    /* The password is not left in freed memory. */
    if (pg->password)
        memset(pg->password, 0, strlen(pg->password));
    if (pg->conninfo)
        memset(pg->conninfo, 0, strlen(pg->conninfo));
    ctxprof_free(ctx, pg->password);
    ctxprof_free(ctx, pg->conninfo);
    ctxprof_free(ctx, pg->base.display);
    ctxprof_free(ctx, pg->schema);
    ctxprof_free(ctx, pg->stage);
    ctxprof_free(ctx, pg->raster_dir);
    ctxprof_free(ctx, pg);
}

const ctxprof_sink_ops ctxprof_sink_pg = {
    .name = "PostGIS",
    /* QGIS reads a PostGIS database's styles from public.layer_styles,
     * which is not ctxprof's to write: there the plugin styles the layers. */
    .caps = CTXPROF_SINK_RASTER_FILES | CTXPROF_SINK_SCHEMA | CTXPROF_SINK_REMOTE,
    .accepts = pg_accepts,
    .open = pg_open,
    .open_copy = NULL,
    .create_layer = pg_create_layer,
    .write = pg_write,
    .commit = pg_commit,
    .drop_layer = pg_drop_layer,
    .raster = pg_raster,
    .styles = NULL,
    .publish = pg_publish,
    .abort = pg_abort,
    .close = pg_close,
};
