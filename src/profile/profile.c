#include "profile/profile.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <pthread.h>

#include "load/kinds.h"
#include "people/people.h"
#include "snap/contexts.h"

typedef enum { T_STR, T_PATH, T_NUM, T_LIST, T_CONTEXT_TYPES, T_REACHES } key_type;

typedef struct {
    const char *section; /* "source" stands for every [source.NAME] */
    const char *key;
    key_type type;
    const char *def;
    const char *help;
    int input; /* a dataset the output depends on: run_metadata records its SHA-256 */
} schema_key;

/* The whole profile schema. docs/profile.md is generated from this table
 * (ctxprof help profile), so the two cannot drift apart. */
static const schema_key BASE[] = {
    {"profile", "name", T_STR, NULL,
     "Profile name, shown in the summary and run_metadata (required).", 0},
    {"profile", "crs", T_STR, "EPSG:27700", "Projected metric CRS all work is done in.", 0},
    {"profile", "study_area", T_PATH, NULL,
     "Polygon layer of the study area; points outside it are rejected.", 1},
    {"profile", "output", T_PATH, "profile.gpkg", "Output GeoPackage (the -o option overrides it).",
     0},
    {"profile", "key_file", T_PATH, NULL,
     "File holding the pseudonym key (64 hex digits); see key_env.", 0},
    {"profile", "key_env", T_STR, "CTXPROF_KEY",
     "Environment variable holding the pseudonym key when key_file is not set.", 0},
    {"profile", "period_start", T_STR, NULL,
     "First day of the profile period (YYYY-MM-DD); earlier incidents are rejected.", 0},
    {"profile", "threads", T_NUM, "0",
     "Threads for loading sources (0: one per core). The output is the same for any number.", 0},
    {"profile", "period_end", T_STR, NULL,
     "Last day of the profile period (YYYY-MM-DD); later incidents are rejected.", 0},
    {"geocode", "outside_tolerance_m", T_NUM, "0",
     "Published coordinates up to this far outside the study area are kept (their distance is "
     "in the incidents' outside_m); further out they are rejected with the distance. Coordinates "
     "are never replaced by the location text.",
     0},
    {"geocode", "text_check_m", T_NUM, "1000",
     "A point placed by its coordinates whose location text the gazetteer places further away "
     "than this is counted in data_quality's text_disagrees (0: no check).",
     0},
    {"gazetteer", "postcodes", T_PATH, NULL,
     "Code-Point Open or ONSPD-style postcode CSVs, comma-separated.", 1},
    {"gazetteer", "streets", T_PATH, NULL,
     "Street lines (or a table with easting/northing) with a name field, comma-separated.", 1},
    {"gazetteer", "places", T_PATH, NULL,
     "Named places: point or polygon layers with a name field (stations, shops, schools, parks, "
     "bus stops), comma-separated.",
     1},
    {"gazetteer", "postcodes_licence", T_STR, NULL,
     "Licence line of the postcode sources (else read from a licence file beside them).", 0},
    {"gazetteer", "streets_licence", T_STR, NULL, "Licence line of the street sources.", 0},
    {"gazetteer", "places_licence", T_STR, NULL, "Licence line of the place sources.", 0},
    {"gazetteer", "gazetteer", T_PATH, NULL,
     "A gazetteer GeoPackage built with `ctxprof gazetteer build` (instead of the sources above).",
     1},
    /* one row per context type (the registry, snap/registry.c), then
     * id_field.KEY and name_field.KEY per type */
    {"contexts", NULL, T_CONTEXT_TYPES, NULL, NULL, 0},
    {"contexts", "bus_sequences", T_PATH, NULL, "TfL-style bus stop sequences CSV.", 1},
    {"contexts", "roads", T_PATH, NULL, "Road lines for the corridor network.", 1},
    {"contexts", "bus_routes_exclude", T_LIST, NULL,
     "Bus routes left out of the segments built from bus_sequences: patterns such as UL* "
     "(TfL rail-replacement routes), comma-separated.",
     0},
    {"contexts", "clip_margin_m", T_NUM, "500",
     "Context features further than this from the study area are left out (counted in "
     "run_metadata snap.LAYER.clipped); 0 keeps only features touching the study area. Without "
     "a study_area nothing is clipped.",
     0},
    {"contexts", "id_fields", T_LIST, NULL,
     "Id column per context layer when not found by name, e.g. areas=LSOA11CD, parks=ListEntry (or "
     "id_field.KEY).",
     0},
    /* the reach of every context type that links within one */
    {"snap", NULL, T_REACHES, NULL, NULL, 0},
    {"people", "min_group_size", T_NUM, "4",
     "Connected components of associated people this large or larger are peer groups.", 0},
    {"people", "community_min_size", T_NUM, "20",
     "Components larger than this are split into Louvain communities.", 0},
    {"people", "resolution", T_NUM, "1", "Louvain resolution (higher: smaller communities).", 0},
    {"people", "accept_matches", T_LIST, "none",
     "Possible match reasons taken as the same person when unambiguous: none, or any of "
     "transposed_dob, double_surname, accents, nickname, name_without_dob (see docs/people.md).",
     0},
    {"hotspots", "radius_m", T_NUM, NULL,
     "Kernel radius; when empty the ArcGIS rule of thumb chooses it.", 0},
    {"hotspots", "pixel_m", T_NUM, "25", "Cell size of the density surface.", 0},
    {"hotspots", "kernel", T_STR, "quartic",
     "quartic, triangular, uniform, triweight or epanechnikov.", 0},
    {"hotspots", "area_share", T_NUM, "0.05",
     "Share of the study area covered by hotspot polygons.", 0},
    {"hotspots", "gistar_cell_m", T_NUM, "100", "Cell size of the Gi* grid of incident counts.", 0},
    {"hotspots", "gistar_band_m", T_NUM, "300",
     "Gi* distance band: cells whose centres are this close are neighbours.", 0},
    {"hotspots", "categories", T_LIST, NULL,
     "Categories that also get a density surface of their own (hotspot_density_<category>), e.g. "
     "cse, syv.",
     0},
    {"corridors", "k", T_NUM, "3",
     "Each school is paired with its k nearest schools by network distance.", 0},
    {"corridors", "max_dist_m", T_NUM, "5000", "Longest school-to-school route considered.", 0},
    {"corridors", "corridor_width_m", T_NUM, "100", "Width of the corridor polygon around a route.",
     0},
    {"corridors", "phases", T_LIST, "Secondary", "School phases paired.", 0},
    {"corridors", "school_travel", T_LIST, "07:00-09:30,15:00-18:30",
     "School-travel time windows (weekdays).", 0},
    {"corridors", "pairs", T_PATH, NULL, "CSV of school id pairs, instead of k nearest.", 0},
    {"corridors", "snap_tolerance_m", T_NUM, "1",
     "Line vertices closer than this are one network node (line ends that nearly meet are joined).",
     0},
    {"corridors", "network", T_LIST, NULL,
     "Lines the routing network is built from: roads ([contexts] roads), bus_segments, or both; "
     "when empty, roads if given, else bus_segments.",
     0},
    {"corridors", "rank_by", T_STR, "n_school_travel",
     "Corridors are ranked by n_school_travel, n_incidents or per_km.", 0},
    {"share", "min_count", T_NUM, "5", "Counts from 1 to min_count-1 are suppressed.", 0},
    {"share", "round", T_NUM, "0", "Round shared counts to this base (0: no rounding).", 0},
    {"source", "path", T_PATH, NULL,
     "The incident file or layer (required); a list or a glob (police/2017-*.csv) reads several "
     "files of one layout as one source, in the list's order (a glob's in name order).",
     0},
    {"source", "where", T_STR, NULL,
     "Only rows matching this OGR SQL filter are read, e.g. \"Crime type\" = 'Robbery'; the rows "
     "left out are counted.",
     0},
    {"source", "kind", T_STR, NULL,
     "Source kind (required), e.g. police_referral; see docs/sources/.", 0},
    {"source", "encoding", T_STR, "UTF-8", "Character encoding of text files, e.g. CP1252.", 0},
    {"source", "delimiter", T_STR, NULL,
     "Delimiter of a text file: comma, semicolon, tab, pipe, space or one character; found from "
     "the header when not set.",
     0},
    {"source", "open_options", T_LIST, NULL,
     "GDAL open options, e.g. HEADERS=FORCE for a spreadsheet.", 0},
    {"source", "date_format", T_STR, "dmy",
     "dmy, ymd, excel or month: how the date field is written.", 0},
    {"source", "all_ages", T_STR, NULL,
     "yes: the records carry no age (police.uk street crime always does), so they never count "
     "in the youth silos cse, syv, hsb, tra, online.",
     0},
    {"source", "count_as_youth", T_STR, "no",
     "yes: count an all-ages source's records in the youth silos anyway; the summary and "
     "run_metadata say so.",
     0},
    {"source", "code_map", T_PATH, NULL, "CSV code,categories,flags mapping this source's codes.",
     0},
};
#define N_BASE (sizeof BASE / sizeof BASE[0])

/* The schema: BASE with the context types' rows in place of the markers,
 * built once (the registry is only known at run time). */
static schema_key *SCHEMA;
static size_t N_SCHEMA;
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static char *key_name(const char *prefix, const char *key)
{
    size_t n = strlen(prefix) + strlen(key) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", prefix, key);
    return s;
}

static void schema_build(void)
{
    size_t nt = ctxprof_n_context_types;
    schema_key *k = calloc(N_BASE + 3 * nt + nt, sizeof *k);
    if (!k)
        return;
    size_t n = 0;
    for (size_t i = 0; i < N_BASE; i++) {
        if (BASE[i].type == T_CONTEXT_TYPES) {
            for (size_t t = 0; t < nt; t++) {
                const ctxprof_context_type_def *d = &ctxprof_context_types[t];
                k[n++] = (schema_key){"contexts", d->key, T_PATH, NULL, d->help, 1};
            }
            for (size_t t = 0; t < nt; t++) {
                const ctxprof_context_type_def *d = &ctxprof_context_types[t];
                k[n++] = (schema_key){"contexts",
                                      key_name("id_field.", d->key),
                                      T_STR,
                                      NULL,
                                      "Id column of this context layer (else found by name).",
                                      0};
                k[n++] = (schema_key){"contexts",
                                      key_name("name_field.", d->key),
                                      T_STR,
                                      NULL,
                                      "Name column of this context layer (else found by name).",
                                      0};
                if (!k[n - 2].key || !k[n - 1].key)
                    return;
            }
        } else if (BASE[i].type == T_REACHES) {
            for (size_t t = 0; t < nt; t++) {
                const ctxprof_context_type_def *d = &ctxprof_context_types[t];
                if (d->reach_key)
                    k[n++] = (schema_key){"snap",           d->reach_key,  T_NUM,
                                          d->reach_default, d->reach_help, 0};
            }
        } else
            k[n++] = BASE[i];
    }
    SCHEMA = k;
    N_SCHEMA = n;
}

static void schema_init(void)
{
    pthread_once(&schema_once, schema_build);
}

/* field.<key> names a source column. */
static const char *FIELD_KEYS[] = {
    "id",
    "date",
    "time",
    "x",
    "y",
    "srs",
    "lon",
    "lat",
    "postcode",
    "address",
    "location",
    "code",
    "text",
    "flags",
    "person_id",
    "forename",
    "surname",
    "dob",
    "person_system",
    "person2_id",
    "person2_forename",
    "person2_surname",
    "person2_dob",
    "route",
    "stop",
    "school",
};
#define N_FIELD_KEYS (sizeof FIELD_KEYS / sizeof FIELD_KEYS[0])

typedef struct {
    char *section, *key, *value;
    int line, section_line;
} entry;

struct ctxprof_profile {
    char *file, *dir;
    entry *entries;
    size_t n_entries, cap_entries;
    ctxprof_source *sources;
    size_t n_sources, cap_sources;
    /* The stages' typed options, built once the profile is read; the
     * per-type arrays hold ctxprof_n_context_types entries. */
    ctxprof_contexts_options contexts;
    const char **ctx_uri, **ctx_id, **ctx_name;
    char **ctx_id_owned; /* id_fields entries copied out */
    double *reach_m;
    ctxprof_load_options load;
    ctxprof_hotspots_stage_options hotspots;
    ctxprof_people_options people;
    ctxprof_write_options write;
    ctxprof_people_stage_options people_stage;
    /* The schema's defaults of the keys not set, per section (and per
     * source), for run_metadata. */
    entry *defaults;
    size_t n_defaults, cap_defaults;
};

typedef struct {
    ctxprof_ctx *ctx;
    ctxprof_profile *p;
    FILE *fp;
    int line;
    int section_line; /* line of the last [section] header */
    int rc;
    char *long_value; /* the value of a line longer than inih's buffer */
} parse_state;

/* Profile errors say "FILE line N: ..." (line 0: "FILE: ..."). */
static int perr(ctxprof_ctx *ctx, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int perr(ctxprof_ctx *ctx, int code, const char *file, int line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        return ctxprof_error(ctx, code, "%s line %d: %s", file, line, msg);
    return ctxprof_error(ctx, code, "%s: %s", file, msg);
}

static const schema_key *schema_find(const char *section, const char *key)
{
    schema_init();
    const char *s = strncmp(section, "source.", 7) == 0 ? "source" : section;
    for (size_t i = 0; i < N_SCHEMA; i++)
        if (strcmp(SCHEMA[i].section, s) == 0 && strcmp(SCHEMA[i].key, key) == 0)
            return &SCHEMA[i];
    return NULL;
}

static int section_known(const char *section)
{
    schema_init();
    if (strncmp(section, "source.", 7) == 0)
        return section[7] != '\0';
    for (size_t i = 0; i < N_SCHEMA; i++)
        if (strcmp(SCHEMA[i].section, section) == 0 && strcmp(section, "source") != 0)
            return 1;
    return 0;
}

static int is_field_key(const char *key)
{
    if (strncmp(key, "field.", 6) != 0)
        return 0;
    for (size_t i = 0; i < N_FIELD_KEYS; i++)
        if (strcmp(key + 6, FIELD_KEYS[i]) == 0)
            return 1;
    return 0;
}

/* inih calls the reader once per line, then the handler for that line, so
 * counting lines here gives the handler its line number. */
/* A value is what follows the first '=' or ':', trimmed, less an inline
 * comment (';' after a space), as inih reads it. */
static char *long_line_value(ctxprof_ctx *ctx, const char *v)
{
    v += strspn(v, " \t");
    size_t n = strcspn(v, "\r\n");
    for (size_t i = 1; i < n; i++)
        if (v[i] == ';' && (v[i - 1] == ' ' || v[i - 1] == '\t')) {
            n = i;
            break;
        }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return ctxprof_sprintf(ctx, "%.*s", (int)n, v);
}

/* inih reads lines into a fixed buffer of num bytes (Debian's libinih: 200).
 * A longer line (a long absolute path, a list of places) is read whole here:
 * inih gets "key = \x01" and the handler takes the value from long_value. */
static char *line_reader(char *str, int num, void *stream)
{
    parse_state *st = stream;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, st->fp);
    if (n < 0) {
        free(line);
        return NULL;
    }
    st->line++;
    if (line[strspn(line, " \t")] == '[')
        st->section_line = st->line;
    if (n < num) {
        memcpy(str, line, (size_t)n + 1);
    } else {
        size_t key = strcspn(line, "=:");
        ctxprof_free(st->ctx, st->long_value);
        st->long_value = NULL;
        if (line[key] && key + 6 < (size_t)num)
            st->long_value = long_line_value(st->ctx, line + key + 1);
        if (!st->long_value) {
            if (!st->rc)
                st->rc = perr(st->ctx, CTXPROF_E_CONFIG, st->p->file, st->line,
                              "a line of %zd characters with no 'key = value' in its first %d", n,
                              num - 6);
            snprintf(str, (size_t)num, ";\n");
        } else
            snprintf(str, (size_t)num, "%.*s= \x01\n", (int)key, line);
    }
    free(line);
    return str;
}

static char *resolve_path(ctxprof_ctx *ctx, const char *dir, const char *value)
{
    if (value[0] == '/' || strncmp(value, "PG:", 3) == 0 || strncmp(value, "/vsi", 4) == 0)
        return ctxprof_strdup(ctx, value);
    return ctxprof_sprintf(ctx, "%s/%s", dir, value);
}

/* Resolves each comma-separated path of a list. */
static char *resolve_paths(ctxprof_ctx *ctx, const char *dir, const char *value)
{
    char *out = ctxprof_strdup(ctx, "");
    size_t n;
    for (const char *p = value, *it; out && (it = ctxprof_list_next(&p, &n));) {
        char *item = ctxprof_sprintf(ctx, "%.*s", (int)n, it);
        char *res = item ? resolve_path(ctx, dir, item) : NULL;
        char *joined = res ? ctxprof_sprintf(ctx, "%s%s%s", out, *out ? "," : "", res) : NULL;
        ctxprof_free(ctx, item);
        ctxprof_free(ctx, res);
        ctxprof_free(ctx, out);
        out = joined;
    }
    return out;
}

static int add_entry(parse_state *st, const char *section, const char *key, const char *value)
{
    ctxprof_profile *p = st->p;
    if (ctxprof_grow(st->ctx, (void **)&p->entries, &p->cap_entries, p->n_entries + 1,
                     sizeof(entry)))
        return CTXPROF_E_NOMEM;
    entry *e = &p->entries[p->n_entries];
    e->section = ctxprof_strdup(st->ctx, section);
    e->key = ctxprof_strdup(st->ctx, key);
    e->value = ctxprof_strdup(st->ctx, value);
    e->line = st->line;
    e->section_line = st->section_line;
    p->n_entries++;
    if (!e->section || !e->key || !e->value)
        return CTXPROF_E_NOMEM;
    return 0;
}

static int check_value(parse_state *st, const schema_key *sk, const char *section,
                       const char *value)
{
    if (sk->type == T_NUM) {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        while (*end == ' ' || *end == '\t')
            end++;
        if (end == value || *end || errno || !isfinite(v) || v < 0)
            return perr(st->ctx, CTXPROF_E_CONFIG, st->p->file, st->line,
                        "[%s] %s: '%s' is not a non-negative number", section, sk->key, value);
    }
    return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_state *st = user;
    ctxprof_ctx *ctx = st->ctx;
    if (st->rc)
        return 0;
    if (!name) /* a new section header (INI_CALL_HANDLER_ON_NEW_SECTION) */
        return 1;
    if (value && strcmp(value, "\x01") == 0 && st->long_value)
        value = st->long_value;
    if (!section_known(section)) {
        st->rc =
            perr(ctx, CTXPROF_E_CONFIG, st->p->file, st->line, "unknown section [%s]", section);
        return 0;
    }
    const schema_key *sk = schema_find(section, name);
    int field = strncmp(section, "source.", 7) == 0 && is_field_key(name);
    if (!sk && !field) {
        st->rc = perr(ctx, CTXPROF_E_CONFIG, st->p->file, st->line, "unknown key '%s' in [%s]",
                      name, section);
        return 0;
    }
    for (size_t i = 0; i < st->p->n_entries; i++) {
        entry *e = &st->p->entries[i];
        if (strcmp(e->section, section) == 0 && strcmp(e->key, name) == 0) {
            st->rc = perr(ctx, CTXPROF_E_CONFIG, st->p->file, st->line,
                          "'%s' in [%s] is already set on line %d", name, section, e->line);
            return 0;
        }
    }
    if (sk && (st->rc = check_value(st, sk, section, value)))
        return 0;
    if (sk && sk->type == T_PATH && *value) {
        char *resolved = resolve_paths(ctx, st->p->dir, value);
        if (!resolved || add_entry(st, section, name, resolved)) {
            ctxprof_free(ctx, resolved);
            st->rc = CTXPROF_E_NOMEM;
            return 0;
        }
        ctxprof_free(ctx, resolved);
        return 1;
    }
    if (add_entry(st, section, name, value)) {
        st->rc = CTXPROF_E_NOMEM;
        return 0;
    }
    return 1;
}

static const char *entry_get(const ctxprof_profile *p, const char *section, const char *key,
                             int *line)
{
    for (size_t i = 0; i < p->n_entries; i++)
        if (strcmp(p->entries[i].section, section) == 0 && strcmp(p->entries[i].key, key) == 0) {
            if (line)
                *line = p->entries[i].line;
            return p->entries[i].value;
        }
    return NULL;
}

static const char *profile_str(const ctxprof_profile *p, const char *section, const char *key);
static double profile_num(const ctxprof_profile *p, const char *section, const char *key);

static int add_source_path(ctxprof_ctx *ctx, ctxprof_source *s, const char *path)
{
    size_t cap = s->n_paths;
    if (ctxprof_grow(ctx, (void **)&s->paths, &cap, s->n_paths + 1, sizeof *s->paths) ||
        !(s->paths[s->n_paths] = ctxprof_strdup(ctx, path)))
        return CTXPROF_E_NOMEM;
    s->n_paths++;
    return 0;
}

/* A source's path: one dataset, or a list of them, each possibly a glob;
 * every file with the same layer (|layername= on the first item). */
static int source_paths(ctxprof_ctx *ctx, const ctxprof_profile *p, ctxprof_source *s,
                        const char *section, const char *list, int line)
{
    size_t n;
    int rc = 0;
    for (const char *q = list, *it; !rc && (it = ctxprof_list_next(&q, &n));) {
        char *item = ctxprof_sprintf(ctx, "%.*s", (int)n, it), *path = NULL, *layer = NULL;
        if (!item || ctxprof_split_uri(ctx, item, &path, &layer)) {
            ctxprof_free(ctx, item);
            return CTXPROF_E_NOMEM;
        }
        if (layer && !s->layer)
            s->layer = layer;
        else
            ctxprof_free(ctx, layer);
        if (strpbrk(path, "*?[") && strncmp(path, "PG:", 3) != 0) {
            glob_t g;
            int gr = glob(path, GLOB_ERR, NULL, &g);
            if (gr == GLOB_NOMATCH)
                rc = perr(ctx, CTXPROF_E_CONFIG, p->file, line, "[%s] path '%s' matches no file",
                          section, path);
            else if (gr)
                rc = perr(ctx, CTXPROF_E_IO, p->file, line, "[%s] path '%s' cannot be read",
                          section, path);
            for (size_t k = 0; !rc && k < g.gl_pathc; k++)
                rc = add_source_path(ctx, s, g.gl_pathv[k]);
            if (gr != GLOB_NOMATCH)
                globfree(&g);
        } else
            rc = add_source_path(ctx, s, path);
        ctxprof_free(ctx, item);
        ctxprof_free(ctx, path);
    }
    if (!rc && !s->n_paths)
        rc = perr(ctx, CTXPROF_E_CONFIG, p->file, line, "[%s] has no path", section);
    if (!rc && !(s->path = ctxprof_strdup(ctx, s->paths[0])))
        rc = CTXPROF_E_NOMEM;
    for (size_t i = 1; !rc && i < s->n_paths; i++)
        for (size_t j = 0; !rc && j < i; j++)
            if (strcmp(s->paths[i], s->paths[j]) == 0)
                rc = perr(ctx, CTXPROF_E_CONFIG, p->file, line, "[%s] path lists '%s' twice",
                          section, s->paths[i]);
    if (!rc && s->n_paths > 1 && strncmp(s->path, "PG:", 3) == 0)
        rc = perr(ctx, CTXPROF_E_CONFIG, p->file, line,
                  "[%s] path: a PostGIS table cannot be listed with other datasets", section);
    return rc;
}

static int build_sources(ctxprof_ctx *ctx, ctxprof_profile *p)
{
    int rc;
    for (size_t i = 0; i < p->n_entries; i++) {
        entry *e = &p->entries[i];
        if (strncmp(e->section, "source.", 7) != 0)
            continue;
        ctxprof_source *s = NULL;
        for (size_t j = 0; j < p->n_sources; j++)
            if (strcmp(p->sources[j].name, e->section + 7) == 0)
                s = &p->sources[j];
        if (!s) {
            if (ctxprof_grow(ctx, (void **)&p->sources, &p->cap_sources, p->n_sources + 1,
                             sizeof *s))
                return CTXPROF_E_NOMEM;
            s = &p->sources[p->n_sources++];
            memset(s, 0, sizeof *s);
            s->line = e->section_line;
            if (!(s->name = ctxprof_strdup(ctx, e->section + 7)))
                return CTXPROF_E_NOMEM;
        }
        if (strncmp(e->key, "field.", 6) == 0) {
            if (ctxprof_grow(ctx, (void **)&s->fields, &s->cap_fields, s->n_fields + 1,
                             sizeof *s->fields))
                return CTXPROF_E_NOMEM;
            ctxprof_field_map *f = &s->fields[s->n_fields++];
            f->key = ctxprof_strdup(ctx, e->key + 6);
            f->value = ctxprof_strdup(ctx, e->value);
            if (!f->key || !f->value)
                return CTXPROF_E_NOMEM;
        }
    }
    for (size_t j = 0; j < p->n_sources; j++) {
        ctxprof_source *s = &p->sources[j];
        char section[256];
        snprintf(section, sizeof section, "source.%s", s->name);
        const char *path = entry_get(p, section, "path", NULL);
        const char *kind = entry_get(p, section, "kind", NULL);
        if (!path || !*path)
            return perr(ctx, CTXPROF_E_CONFIG, p->file, s->line, "[%s] has no path", section);
        if (!kind || !*kind)
            return perr(ctx, CTXPROF_E_CONFIG, p->file, s->line, "[%s] has no kind", section);
        int path_line = 0;
        entry_get(p, section, "path", &path_line);
        if ((rc = source_paths(ctx, p, s, section, path, path_line)))
            return rc;
        const ctxprof_kind *kd = ctxprof_kind_find(kind);
        s->all_ages = ctxprof_kind_all_ages(kd);
        static const char *const bools[] = {"all_ages", "count_as_youth"};
        for (int b = 0; b < 2; b++) {
            int bl = 0;
            const char *v = entry_get(p, section, bools[b], &bl);
            if (!v || !*v)
                continue;
            int yes =
                strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
            if (!yes && strcasecmp(v, "no") && strcasecmp(v, "false") && strcmp(v, "0"))
                return perr(ctx, CTXPROF_E_CONFIG, p->file, bl, "[%s] %s '%s' is not yes or no",
                            section, bools[b], v);
            *(b ? &s->count_as_youth : &s->all_ages) = yes;
        }
        const char *where = entry_get(p, section, "where", NULL);
        if (where && *where && !(s->where = ctxprof_strdup(ctx, where)))
            return CTXPROF_E_NOMEM;
        s->kind = ctxprof_strdup(ctx, kind);
        s->encoding = ctxprof_strdup(ctx, profile_str(p, section, "encoding"));
        s->open_options = ctxprof_strdup(ctx, profile_str(p, section, "open_options"));
        s->date_format = ctxprof_strdup(ctx, profile_str(p, section, "date_format"));
        s->code_map = ctxprof_strdup(ctx, profile_str(p, section, "code_map"));
        if (!s->kind || !s->date_format || !s->encoding)
            return CTXPROF_E_NOMEM;
        const char *delim = entry_get(p, section, "delimiter", NULL);
        if (delim) {
            static const struct {
                const char *name;
                char c;
            } named[] = {
                {"tab", '\t'}, {"comma", ','}, {"semicolon", ';'}, {"pipe", '|'}, {"space", ' '}};
            for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
                if (strcasecmp(delim, named[k].name) == 0)
                    s->delimiter = named[k].c;
            if (s->delimiter)
                ;
            else if (strlen(delim) == 1)
                s->delimiter = delim[0];
            else {
                int line = 0;
                entry_get(p, section, "delimiter", &line);
                return perr(ctx, CTXPROF_E_CONFIG, p->file, line,
                            "[%s] delimiter '%s' is not one character or tab, comma, semicolon, "
                            "pipe, space",
                            section, delim);
            }
        }
        if (strcmp(s->date_format, "dmy") && strcmp(s->date_format, "ymd") &&
            strcmp(s->date_format, "excel") && strcmp(s->date_format, "month")) {
            int line = 0;
            entry_get(p, section, "date_format", &line);
            return perr(ctx, CTXPROF_E_CONFIG, p->file, line,
                        "[%s] date_format '%s' is not dmy, ymd, excel or month", section,
                        s->date_format);
        }
    }
    return 0;
}

/* The id_fields entry for key ("areas=LSOA11CD, parks:ListEntry"), or NULL. */
static char *id_fields_entry(ctxprof_ctx *ctx, const char *list, const char *key)
{
    size_t klen = strlen(key);
    for (const char *s = list; s && *s;) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        if ((size_t)(end - s) > klen && strncasecmp(s, key, klen) == 0 &&
            (s[klen] == '=' || s[klen] == ':')) {
            const char *v = s + klen + 1;
            while (*v == ' ')
                v++;
            size_t n = (size_t)(end - v);
            while (n && v[n - 1] == ' ')
                n--;
            return ctxprof_sprintf(ctx, "%.*s", (int)n, v);
        }
        s = end;
    }
    return NULL;
}

static int add_default(ctxprof_ctx *ctx, ctxprof_profile *p, const char *section, const char *key,
                       const char *value)
{
    if (ctxprof_grow(ctx, (void **)&p->defaults, &p->cap_defaults, p->n_defaults + 1,
                     sizeof *p->defaults))
        return CTXPROF_E_NOMEM;
    entry *e = &p->defaults[p->n_defaults++];
    memset(e, 0, sizeof *e);
    e->section = ctxprof_strdup(ctx, section);
    e->key = ctxprof_strdup(ctx, key);
    e->value = ctxprof_strdup(ctx, value);
    return e->section && e->key && e->value ? 0 : CTXPROF_E_NOMEM;
}

/* Every schema key with a default that the profile does not set, in schema
 * order; the [source.*] keys once per source. */
static int build_defaults(ctxprof_ctx *ctx, ctxprof_profile *p)
{
    schema_init();
    for (size_t k = 0; k < N_SCHEMA; k++) {
        const schema_key *sk = &SCHEMA[k];
        if (!sk->def)
            continue;
        if (strcmp(sk->section, "source") != 0) {
            if (!entry_get(p, sk->section, sk->key, NULL) &&
                add_default(ctx, p, sk->section, sk->key, sk->def))
                return CTXPROF_E_NOMEM;
            continue;
        }
        for (size_t j = 0; j < p->n_sources; j++) {
            char section[256];
            snprintf(section, sizeof section, "source.%s", p->sources[j].name);
            if (!entry_get(p, section, sk->key, NULL) &&
                add_default(ctx, p, section, sk->key, sk->def))
                return CTXPROF_E_NOMEM;
        }
    }
    return 0;
}

/* The typed options of the stages, from the entries (checked already). */
static int build_options(ctxprof_ctx *ctx, ctxprof_profile *p)
{
    if (build_defaults(ctx, p))
        return CTXPROF_E_NOMEM;
    size_t nt = ctxprof_n_context_types;
    char key[128];
    if (!(p->ctx_uri = ctxprof_calloc(ctx, nt, sizeof *p->ctx_uri)) ||
        !(p->ctx_id = ctxprof_calloc(ctx, nt, sizeof *p->ctx_id)) ||
        !(p->ctx_name = ctxprof_calloc(ctx, nt, sizeof *p->ctx_name)) ||
        !(p->ctx_id_owned = ctxprof_calloc(ctx, nt, sizeof *p->ctx_id_owned)) ||
        !(p->reach_m = ctxprof_calloc(ctx, nt, sizeof *p->reach_m)))
        return CTXPROF_E_NOMEM;
    const char *list = profile_str(p, "contexts", "id_fields");
    for (size_t t = 0; t < nt; t++) {
        const ctxprof_context_type_def *d = &ctxprof_context_types[t];
        p->ctx_uri[t] = profile_str(p, "contexts", d->key);
        snprintf(key, sizeof key, "id_field.%s", d->key);
        p->ctx_id[t] = profile_str(p, "contexts", key);
        if (list && (p->ctx_id_owned[t] = id_fields_entry(ctx, list, d->key))) {
            if (p->ctx_id[t] && strcmp(p->ctx_id[t], p->ctx_id_owned[t]) != 0)
                return perr(ctx, CTXPROF_E_CONFIG, p->file, 0,
                            "[contexts] id_field.%s = %s and id_fields %s=%s disagree", d->key,
                            p->ctx_id[t], d->key, p->ctx_id_owned[t]);
            p->ctx_id[t] = p->ctx_id_owned[t];
        }
        snprintf(key, sizeof key, "name_field.%s", d->key);
        p->ctx_name[t] = profile_str(p, "contexts", key);
        p->reach_m[t] = d->reach_key ? strtod(profile_str(p, "snap", d->reach_key), NULL) : NAN;
    }
    ctxprof_contexts_options co = CTXPROF_CONTEXTS_OPTIONS_INIT;
    co.crs = profile_str(p, "profile", "crs");
    co.study_area = profile_str(p, "profile", "study_area");
    co.uri = p->ctx_uri;
    co.id_field = p->ctx_id;
    co.name_field = p->ctx_name;
    co.bus_sequences = profile_str(p, "contexts", "bus_sequences");
    co.bus_routes_exclude = profile_str(p, "contexts", "bus_routes_exclude");
    co.clip_margin_m = profile_num(p, "contexts", "clip_margin_m");
    p->contexts = co;

    ctxprof_load_options lo = CTXPROF_LOAD_OPTIONS_INIT;
    lo.file = p->file;
    lo.crs = profile_str(p, "profile", "crs");
    lo.study_area = profile_str(p, "profile", "study_area");
    lo.key_file = profile_str(p, "profile", "key_file");
    lo.key_env = profile_str(p, "profile", "key_env");
    lo.period_start = profile_str(p, "profile", "period_start");
    lo.period_end = profile_str(p, "profile", "period_end");
    lo.threads = (int)profile_num(p, "profile", "threads");
    lo.outside_tolerance_m = profile_num(p, "geocode", "outside_tolerance_m");
    lo.text_check_m = profile_num(p, "geocode", "text_check_m");
    lo.sources = p->sources;
    lo.n_sources = p->n_sources;
    ctxprof_gazetteer_options *g = &lo.gazetteer;
    g->crs = lo.crs;
    g->postcodes = profile_str(p, "gazetteer", "postcodes");
    g->streets = profile_str(p, "gazetteer", "streets");
    g->places = profile_str(p, "gazetteer", "places");
    g->postcodes_licence = profile_str(p, "gazetteer", "postcodes_licence");
    g->streets_licence = profile_str(p, "gazetteer", "streets_licence");
    g->places_licence = profile_str(p, "gazetteer", "places_licence");
    g->gazetteer = profile_str(p, "gazetteer", "gazetteer");
    p->load = lo;

    ctxprof_hotspots_stage_options ho = CTXPROF_HOTSPOTS_STAGE_OPTIONS_INIT;
    ho.file = p->file;
    ho.radius_m = profile_num(p, "hotspots", "radius_m");
    ho.pixel_m = profile_num(p, "hotspots", "pixel_m");
    ho.kernel = profile_str(p, "hotspots", "kernel");
    ho.area_share = profile_num(p, "hotspots", "area_share");
    ho.gistar_cell_m = profile_num(p, "hotspots", "gistar_cell_m");
    ho.gistar_band_m = profile_num(p, "hotspots", "gistar_band_m");
    ho.categories = profile_str(p, "hotspots", "categories");
    ho.study_area = lo.study_area;
    ho.crs = lo.crs;
    p->hotspots = ho;

    ctxprof_people_options po = CTXPROF_PEOPLE_OPTIONS_INIT;
    double v = profile_num(p, "people", "min_group_size");
    if (v >= 2)
        po.min_group_size = (int)v;
    v = profile_num(p, "people", "community_min_size");
    if (v >= 2)
        po.community_min_size = (int)v;
    v = profile_num(p, "people", "resolution");
    if (v > 0)
        po.resolution = v;
    po.accept_list = profile_str(p, "people", "accept_matches");
    po.file = p->file;
    po.sources = p->sources;
    po.n_sources = p->n_sources;
    unsigned mask = 0;
    /* An unknown reason is reported by ctxprof_people_link (the commands
     * that do not link still run); here it is left out. */
    if (ctxprof_people_accept_parse(NULL, &mask, po.accept_list, p->file) == 0)
        po.accept_matches = mask;
    p->people = po;

    ctxprof_write_options wo = CTXPROF_WRITE_OPTIONS_INIT;
    wo.sources = p->sources;
    wo.n_sources = p->n_sources;
    p->write = wo;

    ctxprof_people_stage_options so = CTXPROF_PEOPLE_STAGE_OPTIONS_INIT;
    so.load = &p->load;
    so.contexts = &p->contexts;
    so.snap = ctxprof_profile_snap_options(p);
    so.people = &p->people;
    so.write = &p->write;
    so.output = profile_str(p, "profile", "output");
    so.crs = lo.crs;
    p->people_stage = so;
    return 0;
}

const ctxprof_load_options *ctxprof_profile_load_options(const ctxprof_profile *p)
{
    return &p->load;
}

const ctxprof_hotspots_stage_options *ctxprof_profile_hotspots_options(const ctxprof_profile *p)
{
    return &p->hotspots;
}

const ctxprof_people_options *ctxprof_profile_people_options(const ctxprof_profile *p)
{
    return &p->people;
}

const ctxprof_write_options *ctxprof_profile_write_options(const ctxprof_profile *p)
{
    return &p->write;
}

const ctxprof_people_stage_options *ctxprof_profile_people_stage_options(const ctxprof_profile *p)
{
    return &p->people_stage;
}

int ctxprof_profile_corridors_options(ctxprof_ctx *ctx, const ctxprof_profile *p,
                                      ctxprof_corridors_options *o)
{
    double k = profile_num(p, "corridors", "k");
    o->k = isfinite(k) && k >= 0 ? (int)k : 3;
    o->max_dist_m = profile_num(p, "corridors", "max_dist_m");
    o->corridor_width_m = profile_num(p, "corridors", "corridor_width_m");
    o->snap_tolerance_m = profile_num(p, "corridors", "snap_tolerance_m");
    o->phases = profile_str(p, "corridors", "phases");
    o->pairs = profile_str(p, "corridors", "pairs");
    if (!isfinite(o->max_dist_m) || o->max_dist_m <= 0 || !isfinite(o->corridor_width_m) ||
        o->corridor_width_m <= 0 || !isfinite(o->snap_tolerance_m) || o->snap_tolerance_m < 0)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "[corridors]: max_dist_m and corridor_width_m must be more than 0 "
                             "and snap_tolerance_m 0 or more");
    int rc;
    if ((rc = ctxprof_corridors_parse_rank(ctx, o, profile_str(p, "corridors", "rank_by"))) ||
        (rc = ctxprof_corridors_parse_network(ctx, o, profile_str(p, "corridors", "network"),
                                              profile_str(p, "contexts", "roads"))))
        return rc;
    return ctxprof_corridors_parse_windows(ctx, o, profile_str(p, "corridors", "school_travel"));
}

const char *ctxprof_profile_name(const ctxprof_profile *p)
{
    return profile_str(p, "profile", "name");
}

const char *ctxprof_profile_output(const ctxprof_profile *p)
{
    return profile_str(p, "profile", "output");
}

const char *ctxprof_profile_crs(const ctxprof_profile *p)
{
    return p->load.crs;
}

const ctxprof_contexts_options *ctxprof_profile_contexts_options(const ctxprof_profile *p)
{
    return &p->contexts;
}

ctxprof_snap_options ctxprof_profile_snap_options(const ctxprof_profile *p)
{
    ctxprof_snap_options o = CTXPROF_SNAP_OPTIONS_INIT;
    o.reach_m = p->reach_m;
    return o;
}

int ctxprof_profile_load(ctxprof_ctx *ctx, ctxprof_profile **out, const char *path)
{
    int rc = 0;
    parse_state st = {ctx, NULL, NULL, 0, 0, 0, NULL};
    *out = NULL;
    ctxprof_profile *p = ctxprof_calloc(ctx, 1, sizeof *p);
    if (!p)
        return CTXPROF_E_NOMEM;
    st.p = p;
    p->file = ctxprof_strdup(ctx, path);
    const char *slash = strrchr(path, '/');
    p->dir =
        slash ? ctxprof_sprintf(ctx, "%.*s", (int)(slash - path), path) : ctxprof_strdup(ctx, ".");
    if (!p->file || !p->dir) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    st.fp = fopen(path, "r");
    if (!st.fp) {
        rc = perr(ctx, CTXPROF_E_IO, path, 0, "cannot open profile: %s", strerror(errno));
        goto done;
    }
    int r = ini_parse_stream(line_reader, &st, handler, &st);
    if (st.rc) {
        rc = st.rc;
        goto done;
    }
    if (r != 0) {
        rc = perr(ctx, CTXPROF_E_CONFIG, path, r > 0 ? r : 0,
                  "syntax error (expected [section] or key = value)");
        goto done;
    }
    if (!entry_get(p, "profile", "name", NULL)) {
        rc = perr(ctx, CTXPROF_E_CONFIG, path, 0, "[profile] name is required");
        goto done;
    }
    if (!(rc = build_sources(ctx, p)))
        rc = build_options(ctx, p);
done:
    if (st.fp)
        fclose(st.fp);
    ctxprof_free(ctx, st.long_value);
    if (rc) {
        ctxprof_profile_free(ctx, p);
        return rc;
    }
    *out = p;
    return 0;
}

int ctxprof_profile_from_settings(ctxprof_ctx *ctx, ctxprof_profile **out, const char *origin,
                                  const char *const *settings, size_t n)
{
    int rc = 0;
    parse_state st = {ctx, NULL, NULL, 0, 0, 0, NULL};
    *out = NULL;
    ctxprof_profile *p = ctxprof_calloc(ctx, 1, sizeof *p);
    if (!p)
        return CTXPROF_E_NOMEM;
    st.p = p;
    p->file = ctxprof_strdup(ctx, origin);
    p->dir = ctxprof_strdup(ctx, ".");
    if (!p->file || !p->dir) {
        rc = CTXPROF_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i + 2 < n + 2 && i < n; i += 3)
        if (settings[i + 2] && !handler(&st, settings[i], settings[i + 1], settings[i + 2]))
            break;
    if ((rc = st.rc))
        goto done;
    if (!entry_get(p, "profile", "name", NULL)) {
        rc = perr(ctx, CTXPROF_E_CONFIG, origin, 0, "[profile] name is required");
        goto done;
    }
    if (!(rc = build_sources(ctx, p)))
        rc = build_options(ctx, p);
done:
    if (rc) {
        ctxprof_profile_free(ctx, p);
        return rc;
    }
    *out = p;
    return 0;
}

void ctxprof_profile_free(ctxprof_ctx *ctx, ctxprof_profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_entries; i++) {
        ctxprof_free(ctx, p->entries[i].section);
        ctxprof_free(ctx, p->entries[i].key);
        ctxprof_free(ctx, p->entries[i].value);
    }
    for (size_t j = 0; j < p->n_sources; j++) {
        ctxprof_source *s = &p->sources[j];
        for (size_t k = 0; k < s->n_fields; k++) {
            ctxprof_free(ctx, s->fields[k].key);
            ctxprof_free(ctx, s->fields[k].value);
        }
        ctxprof_free(ctx, s->fields);
        ctxprof_free(ctx, s->name);
        ctxprof_free(ctx, s->kind);
        ctxprof_free(ctx, s->path);
        for (size_t k = 0; k < s->n_paths; k++)
            ctxprof_free(ctx, s->paths[k]);
        ctxprof_free(ctx, s->paths);
        ctxprof_free(ctx, s->where);
        ctxprof_free(ctx, s->layer);
        ctxprof_free(ctx, s->encoding);
        ctxprof_free(ctx, s->open_options);
        ctxprof_free(ctx, s->date_format);
        ctxprof_free(ctx, s->code_map);
    }
    for (size_t t = 0; p->ctx_id_owned && t < ctxprof_n_context_types; t++)
        ctxprof_free(ctx, p->ctx_id_owned[t]);
    ctxprof_free(ctx, p->ctx_id_owned);
    ctxprof_free(ctx, p->ctx_uri);
    ctxprof_free(ctx, p->ctx_id);
    ctxprof_free(ctx, p->ctx_name);
    ctxprof_free(ctx, p->reach_m);
    ctxprof_free(ctx, p->sources);
    ctxprof_free(ctx, p->entries);
    for (size_t i = 0; i < p->n_defaults; i++) {
        ctxprof_free(ctx, p->defaults[i].section);
        ctxprof_free(ctx, p->defaults[i].key);
        ctxprof_free(ctx, p->defaults[i].value);
    }
    ctxprof_free(ctx, p->defaults);
    ctxprof_free(ctx, p->file);
    ctxprof_free(ctx, p->dir);
    ctxprof_free(ctx, p);
}

const char *ctxprof_profile_path(const ctxprof_profile *p)
{
    return p->file;
}

/* A [section] key's value, falling back to the schema's default (an empty
 * value counts as unset). Path-typed values come back resolved. */
static const char *profile_str(const ctxprof_profile *p, const char *section, const char *key)
{
    const char *v = entry_get(p, section, key, NULL);
    if (v && *v)
        return v;
    const schema_key *sk = schema_find(section, key);
    return sk ? sk->def : NULL;
}

static double profile_num(const ctxprof_profile *p, const char *section, const char *key)
{
    const char *v = profile_str(p, section, key);
    return v ? strtod(v, NULL) : NAN;
}

int ctxprof_profile_input(const ctxprof_profile *p, size_t i, const char **key, const char **uri)
{
    schema_init();
    for (size_t k = 0; k < N_SCHEMA; k++) {
        const char *v;
        if (!SCHEMA[k].input || !(v = profile_str(p, SCHEMA[k].section, SCHEMA[k].key)))
            continue;
        if (i-- == 0) {
            *key = SCHEMA[k].key;
            *uri = v;
            return 1;
        }
    }
    return 0;
}

size_t ctxprof_profile_n_sources(const ctxprof_profile *p)
{
    return p->n_sources;
}

const ctxprof_source *ctxprof_profile_source(const ctxprof_profile *p, size_t i)
{
    return i < p->n_sources ? &p->sources[i] : NULL;
}

size_t ctxprof_profile_n_entries(const ctxprof_profile *p)
{
    return p->n_entries;
}

size_t ctxprof_profile_n_defaults(const ctxprof_profile *p)
{
    return p->n_defaults;
}

void ctxprof_profile_default(const ctxprof_profile *p, size_t i, const char **section,
                             const char **key, const char **value)
{
    *section = p->defaults[i].section;
    *key = p->defaults[i].key;
    *value = p->defaults[i].value;
}

void ctxprof_profile_entry(const ctxprof_profile *p, size_t i, const char **section,
                           const char **key, const char **value)
{
    *section = p->entries[i].section;
    *key = p->entries[i].key;
    *value = p->entries[i].value;
}

void ctxprof_profile_schema_markdown(void *file)
{
    FILE *f = file;
    static const char *types[] = {"text", "path", "number", "list"};
    const char *last = "";
    schema_init();
    for (size_t i = 0; i < N_SCHEMA; i++) {
        const schema_key *k = &SCHEMA[i];
        if (strcmp(k->section, last) != 0) {
            fprintf(f, "\n### [%s%s]\n\n| key | type | default | meaning |\n|---|---|---|---|\n",
                    k->section, strcmp(k->section, "source") == 0 ? ".NAME" : "");
            last = k->section;
        }
        fprintf(f, "| `%s` | %s | %s | %s |\n", k->key, types[k->type], k->def ? k->def : "",
                k->help);
    }
    fprintf(f, "\nSource field map keys (`field.KEY = column`):");
    for (size_t i = 0; i < N_FIELD_KEYS; i++)
        fprintf(f, "%s `%s`", i ? "," : "", FIELD_KEYS[i]);
    fprintf(f, ".\n");
}
