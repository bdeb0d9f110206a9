#define _GNU_SOURCE /* strcasestr */
#include "load/fields.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cpl_string.h>

#include "load/taxonomy.h"

/* Finds a column by name: exact first, then ignoring case and surrounding
 * spaces (agencies' exports vary in both). */
static int find_col(OGRFeatureDefnH defn, const char *name, size_t len)
{
    while (len && *name == ' ')
        name++, len--;
    while (len && name[len - 1] == ' ')
        len--;
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
        const char *c = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        if (strlen(c) == len && strncmp(c, name, len) == 0)
            return i;
    }
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
        const char *c = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        size_t lc = strlen(c);
        while (lc && *c == ' ')
            c++, lc--;
        while (lc && c[lc - 1] == ' ')
            lc--;
        if (lc == len && strncasecmp(c, name, len) == 0)
            return i;
    }
    return -1;
}

const char *ctxprof_column_name(OGRFeatureDefnH defn, int col)
{
    return col >= 0 ? OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, col)) : "";
}

static const char *kind_aliases(const ctxprof_kind *kind, const char *key)
{
    for (const ctxprof_kind_field *f = kind ? kind->fields : NULL; f && f->key; f++)
        if (strcmp(f->key, key) == 0)
            return f->aliases;
    return NULL;
}

/* The flag a column stands for, from its name ("Youth Flag" -> youth). */
static int flag_from_name(const char *name)
{
    static const struct {
        const char *part;
        const char *flag;
    } hints[] = {{"youth", "youth"},     {"young", "youth"},         {"under 18", "youth"},
                 {"u18", "youth"},       {"vulnerab", "vulnerable"}, {"marac", "marac"},
                 {"weapon", "weapon"},   {"knife", "weapon"},        {"permanent", "permanent"},
                 {"fixed", "fixed_term"}};
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (strcasestr(name, hints[i].part))
            for (int f = 0; f < CTXPROF_N_FLAGS; f++)
                if (strcmp(ctxprof_flag_names[f], hints[i].flag) == 0)
                    return f;
    return -1;
}

/* Parses "Column" or "Column:flag" into a flag column. */
static int flag_spec(ctxprof_ctx *ctx, const ctxprof_source *s, OGRFeatureDefnH defn,
                     const char *spec, int required, ctxprof_flag_col *out)
{
    const char *colon = strrchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    out->col = find_col(defn, spec, len);
    if (out->col < 0) {
        if (required)
            return ctxprof_error_at(ctx, CTXPROF_E_INPUT, s->path, 0, NULL,
                                    "field.flags names column '%.*s', which the file does not "
                                    "have",
                                    (int)len, spec);
        return 1;
    }
    out->flag = -1;
    out->explicit_flag = colon != NULL;
    if (colon) {
        for (int f = 0; f < CTXPROF_N_FLAGS; f++)
            if (strcasecmp(colon + 1, ctxprof_flag_names[f]) == 0)
                out->flag = f;
        if (out->flag < 0)
            return ctxprof_error_at(ctx, CTXPROF_E_CONFIG, s->path, 0, NULL,
                                    "field.flags: '%s' is not a flag (youth, vulnerable, "
                                    "weapon, marac, permanent, fixed_term)",
                                    colon + 1);
    } else {
        out->flag = flag_from_name(ctxprof_column_name(defn, out->col));
    }
    return 0;
}

/* One column key: the profile's column (which must exist) or the first of
 * the kind's aliases that exists. */
static int resolve_one(ctxprof_ctx *ctx, const ctxprof_source *s, const ctxprof_kind *kind,
                       OGRFeatureDefnH defn, const char *key, int *col)
{
    const char *name = ctxprof_source_field(s, key);
    *col = -1;
    if (name) {
        if ((*col = find_col(defn, name, strlen(name))) < 0)
            return ctxprof_error_at(ctx, CTXPROF_E_INPUT, s->path, 0, NULL,
                                    "field.%s names column '%s', which the file does not have", key,
                                    name);
        return 0;
    }
    const char *aliases = kind_aliases(kind, key);
    while (aliases && *aliases && *col < 0) {
        const char *bar = strchr(aliases, '|');
        size_t len = bar ? (size_t)(bar - aliases) : strlen(aliases);
        *col = find_col(defn, aliases, len);
        aliases = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* A list key (code, flags): the profile's comma-separated columns, or every
 * alias of the kind that exists. */
static int resolve_list(ctxprof_ctx *ctx, const ctxprof_source *s, const ctxprof_kind *kind,
                        OGRFeatureDefnH defn, const char *key, ctxprof_columns *c)
{
    const char *list = ctxprof_source_field(s, key);
    int from_profile = list != NULL;
    char **items =
        from_profile
            ? CSLTokenizeString2(list, ",", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES)
            : CSLTokenizeString2(kind_aliases(kind, key) ? kind_aliases(kind, key) : "", "|", 0);
    int rc = 0;
    for (int i = 0; items && items[i]; i++) {
        if (strcmp(key, "code") == 0) {
            int col = find_col(defn, items[i], strlen(items[i]));
            if (col < 0 && from_profile) {
                rc = ctxprof_error_at(ctx, CTXPROF_E_INPUT, s->path, 0, NULL,
                                      "field.code names column '%s', which the file does not "
                                      "have",
                                      items[i]);
                break;
            }
            if (col >= 0 && c->n_code < CTXPROF_MAX_COLS)
                c->code[c->n_code++] = col;
        } else if (c->n_flags < CTXPROF_MAX_COLS) {
            int r = flag_spec(ctx, s, defn, items[i], from_profile, &c->flags[c->n_flags]);
            if (r < 0) {
                rc = r;
                break;
            }
            if (r == 0)
                c->n_flags++;
        }
    }
    CSLDestroy(items);
    return rc;
}

int ctxprof_columns_resolve(ctxprof_ctx *ctx, ctxprof_columns *c, const ctxprof_source *s,
                            const ctxprof_kind *kind, OGRFeatureDefnH defn)
{
    static const char *keys[] = {"id",
                                 "date",
                                 "time",
                                 "x",
                                 "y",
                                 "lon",
                                 "lat",
                                 "postcode",
                                 "address",
                                 "location",
                                 "text",
                                 "person_id",
                                 "forename",
                                 "surname",
                                 "dob",
                                 "person2_id",
                                 "person2_forename",
                                 "person2_surname",
                                 "person2_dob",
                                 "route",
                                 "stop",
                                 "school"};
    int *cols[] = {&c->id,
                   &c->date,
                   &c->time,
                   &c->x,
                   &c->y,
                   &c->lon,
                   &c->lat,
                   &c->postcode,
                   &c->address,
                   &c->location,
                   &c->text,
                   &c->person_id,
                   &c->forename,
                   &c->surname,
                   &c->dob,
                   &c->person2_id,
                   &c->person2_forename,
                   &c->person2_surname,
                   &c->person2_dob,
                   &c->route,
                   &c->stop,
                   &c->school};
    int rc;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((rc = resolve_one(ctx, s, kind, defn, keys[i], cols[i])))
            return rc;
    if ((rc = resolve_list(ctx, s, kind, defn, "code", c)) ||
        (rc = resolve_list(ctx, s, kind, defn, "flags", c)))
        return rc;
    /* A half pair found through aliases is unusable: drop it. */
    if ((c->x < 0) != (c->y < 0) && !ctxprof_source_field(s, "x") && !ctxprof_source_field(s, "y"))
        c->x = c->y = -1;
    if ((c->lon < 0) != (c->lat < 0) && !ctxprof_source_field(s, "lon") &&
        !ctxprof_source_field(s, "lat"))
        c->lon = c->lat = -1;
    c->system = ctxprof_source_field(s, "person_system");
    if (!c->system)
        c->system = s->kind;
    return 0;
}

int ctxprof_flag_value(const char *v)
{
    while (isspace((unsigned char)*v))
        v++;
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    char buf[8];
    if (n >= sizeof buf)
        return -1; /* longer than any flag word */
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)toupper((unsigned char)v[i]);
    buf[n] = '\0';
    static const char *yes[] = {"Y", "YES", "TRUE", "1", "X", "T"};
    static const char *no[] = {"", "N", "NO", "FALSE", "0", "F"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcmp(buf, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcmp(buf, no[i]) == 0)
            return 0;
    return -1;
}
