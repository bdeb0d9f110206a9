#include "geocode/geocode.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "geocode/normalise.h"

const char *const ctxprof_gc_method_names[CTXPROF_GC_N_METHODS] = {
    "none", "geometry", "coord_bng", "coord_wgs84", "postcode", "address",
    "stop", "junction", "place",     "street",      "sector",   "district",
};

/* Scores: how far an analyst can trust the point (docs/geocoding.md). */
enum {
    SCORE_COORD = 100,
    SCORE_COORD_REPAIRED = 90,
    SCORE_POSTCODE = 95,
    SCORE_ADDRESS_UNIT = 90,
    SCORE_STOP = 85,
    SCORE_JUNCTION = 85,
    SCORE_PLACE = 80,
    SCORE_ADDRESS_STREET = 70,
    SCORE_STREET = 65,
    SCORE_FUZZY_PENALTY = 10, /* per edit needed to match a name */
    SCORE_AMBIGUOUS_PENALTY = 15,
    SCORE_SECTOR = 40,
    SCORE_DISTRICT = 20,
};

struct ctxprof_geocoder {
    const ctxprof_gazetteer *gz;
    const GEOSPreparedGeometry *study;
    OGRSpatialReferenceH target, bng, wgs;
    OGRCoordinateTransformationH bng_ct, wgs_ct;
    GEOSContextHandle_t h;
    double outside_tolerance_m; /* published points this close outside are kept */
    double text_check_m;        /* location text this far from the point: a finding (0: off) */
};

void ctxprof_geocoder_set_checks(ctxprof_geocoder *gc, double outside_tolerance_m,
                                 double text_check_m)
{
    gc->outside_tolerance_m = outside_tolerance_m > 0 ? outside_tolerance_m : 0;
    gc->text_check_m = text_check_m > 0 ? text_check_m : 0;
}

/* Metres from (x, y) to the study area (0 inside, or without one). */
static double outside_distance(const ctxprof_geocoder *gc, double x, double y)
{
    if (!gc->study)
        return 0;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gc->h, x, y);
    double d = NAN;
    if (!pt || !GEOSPreparedDistance_r(gc->h, gc->study, pt, &d))
        d = NAN;
    GEOSGeom_destroy_r(gc->h, pt);
    return d;
}

int ctxprof_geocoder_new(ctxprof_ctx *ctx, ctxprof_geocoder **out, const char *crs,
                         const ctxprof_gazetteer *gz, const GEOSPreparedGeometry *study_area)
{
    *out = NULL;
    ctxprof_geocoder *gc = ctxprof_calloc(ctx, 1, sizeof *gc);
    if (!gc)
        return CTXPROF_E_NOMEM;
    gc->gz = gz;
    gc->study = study_area;
    gc->h = ctxprof_geos(ctx);
    gc->target = OSRNewSpatialReference(NULL);
    gc->bng = OSRNewSpatialReference(NULL);
    gc->wgs = OSRNewSpatialReference(NULL);
    if (OSRSetFromUserInput(gc->target, crs) != OGRERR_NONE ||
        OSRSetFromUserInput(gc->bng, "EPSG:27700") != OGRERR_NONE ||
        OSRSetFromUserInput(gc->wgs, "EPSG:4326") != OGRERR_NONE) {
        ctxprof_geocoder_free(ctx, gc);
        return ctxprof_error(ctx, CTXPROF_E_CRS, "CRS '%s' is unknown", crs);
    }
    OSRSetAxisMappingStrategy(gc->target, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(gc->bng, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(gc->wgs, OAMS_TRADITIONAL_GIS_ORDER);
    gc->bng_ct = OCTNewCoordinateTransformation(gc->bng, gc->target);
    gc->wgs_ct = OCTNewCoordinateTransformation(gc->wgs, gc->target);
    *out = gc;
    return 0;
}

void ctxprof_geocoder_free(ctxprof_ctx *ctx, ctxprof_geocoder *gc)
{
    if (!gc)
        return;
    if (gc->bng_ct)
        OCTDestroyCoordinateTransformation(gc->bng_ct);
    if (gc->wgs_ct)
        OCTDestroyCoordinateTransformation(gc->wgs_ct);
    OSRDestroySpatialReference(gc->target);
    OSRDestroySpatialReference(gc->bng);
    OSRDestroySpatialReference(gc->wgs);
    ctxprof_free(ctx, gc);
}

int ctxprof_geocoder_inside(ctxprof_ctx *ctx, const ctxprof_geocoder *gc, double x, double y)
{
    if (!isfinite(x) || !isfinite(y))
        return 0;
    if (!gc->study)
        return 1;
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    char in = pt ? GEOSPreparedIntersects_r(h, gc->study, pt) : 0;
    GEOSGeom_destroy_r(h, pt);
    return in == 1;
}

/* ---- 1. coordinates -------------------------------------------------------- */

static int bng_range(double e, double n)
{
    return e >= 0 && e <= 700000 && n >= 0 && n <= 1300000 && (e > 1000 || n > 1000);
}

static int gb_lonlat_range(double lon, double lat)
{
    return lon >= -9 && lon <= 3 && lat >= 49 && lat <= 61;
}

/* Tries (a, b) as BNG or WGS84, or in the source's own CRS when it declares
 * one other than BNG (any_range: BNG's range does not apply to Web Mercator
 * metres, say); returns 1 when it lands in the study area. */
static int try_point(ctxprof_ctx *ctx, ctxprof_geocoder *gc, int wgs, double a, double b,
                     OGRCoordinateTransformationH ct, int any_range, double *x, double *y,
                     int *valid)
{
    /* *valid: the pair is a point in Britain (in or out of the study area) */
    if (!any_range && (wgs ? !gb_lonlat_range(a, b) : !bng_range(a, b)))
        return 0;
    double z = 0;
    *x = a;
    *y = b;
    if (!OCTTransform(ct, 1, x, y, &z) || !isfinite(*x) || !isfinite(*y))
        return 0;
    *valid = 1;
    return ctxprof_geocoder_inside(ctx, gc, *x, *y);
}

static int geocode_coords(ctxprof_ctx *ctx, ctxprof_geocoder *gc, const ctxprof_geo_input *in,
                          ctxprof_geo_result *res)
{
    int declared_wgs = !(isfinite(in->x) || isfinite(in->y));
    double a = declared_wgs ? in->lon : in->x, b = declared_wgs ? in->lat : in->y;
    if (!isfinite(a) && !isfinite(b))
        return 0;
    if (!isfinite(a) || !isfinite(b)) {
        snprintf(res->reason, sizeof res->reason, "one coordinate is missing or not a number");
        return 0;
    }
    if (a == 0 && b == 0) {
        snprintf(res->reason, sizeof res->reason, "coordinates are zero");
        return 0;
    }
    OGRCoordinateTransformationH xy_ct = gc->bng_ct, own = NULL;
    int own_range = 0;
    if (in->xy_srs && !declared_wgs) {
        own = OCTNewCoordinateTransformation(in->xy_srs, gc->target);
        xy_ct = own;
        const char *code = OSRGetAuthorityCode(in->xy_srs, NULL);
        own_range = own && !(code && strcmp(code, "27700") == 0);
    }
    /* As declared; swapped; in the other system; in the other system swapped. */
    struct {
        int wgs;
        double a, b;
    } tries[4] = {
        {declared_wgs, a, b}, {declared_wgs, b, a}, {!declared_wgs, a, b}, {!declared_wgs, b, a}};
    int valid = 0, hit = 0, first = -1;
    double fx = NAN, fy = NAN;
    for (int t = 0; t < 4 && !hit; t++) {
        double x, y;
        int ok = try_point(ctx, gc, tries[t].wgs, tries[t].a, tries[t].b,
                           tries[t].wgs ? gc->wgs_ct : xy_ct, !tries[t].wgs && own_range, &x, &y,
                           &valid);
        if (valid && first < 0) { /* the first reading that is a point in Britain */
            first = t;
            fx = x;
            fy = y;
        }
        if (ok) {
            res->x = x;
            res->y = y;
            res->method = tries[t].wgs ? CTXPROF_GC_COORD_WGS84 : CTXPROF_GC_COORD_BNG;
            res->repaired = t > 0;
            res->score = t ? SCORE_COORD_REPAIRED : SCORE_COORD;
            if (t)
                snprintf(res->reason, sizeof res->reason, "%s",
                         t == 1   ? "coordinates were swapped"
                         : t == 2 ? "coordinates were in the other grid"
                                  : "coordinates were swapped and in the other grid");
            hit = 1;
        }
    }
    if (own)
        OCTDestroyCoordinateTransformation(own);
    if (hit || !valid) {
        if (!hit)
            snprintf(res->reason, sizeof res->reason,
                     "coordinates are neither British National Grid nor WGS84 in Britain");
        return hit;
    }
    /* A published point outside the study area stays where it was
     * published: kept within the tolerance, else rejected. Its location
     * text never moves it. */
    double d = outside_distance(gc, fx, fy);
    res->published = 1;
    if (isfinite(d) && d <= gc->outside_tolerance_m) {
        res->x = fx;
        res->y = fy;
        res->method = tries[first].wgs ? CTXPROF_GC_COORD_WGS84 : CTXPROF_GC_COORD_BNG;
        res->repaired = first > 0;
        res->score = first ? SCORE_COORD_REPAIRED : SCORE_COORD;
        res->outside_m = d;
        return 1;
    }
    if (isfinite(d))
        snprintf(res->reason, sizeof res->reason,
                 "point is %.0f m outside the study area (published coordinates are not moved "
                 "by the location text)",
                 d < 1 ? 1 : d);
    else
        snprintf(res->reason, sizeof res->reason, "point is outside the study area");
    return 0;
}

/* ---- text helpers ------------------------------------------------------------ */

static int is_blank(const char *s)
{
    return !s || s[strspn(s, " \t\r\n")] == '\0';
}

/* Picks among same-name candidates: the one in the wanted postcode district
 * (if given), else the one nearest a hint point (if given), else the first.
 * *ambiguous is set when more than one remained. */
static const ctxprof_gz_street *pick_street(const ctxprof_gazetteer *gz, int first,
                                            const char *district, const double *hint,
                                            int *ambiguous)
{
    const ctxprof_gz_street *best = NULL;
    int n = 0, n_district = 0;
    double best_d = INFINITY;
    for (int i = first; i >= 0; i = ctxprof_gz_street_at(gz, i)->next) {
        const ctxprof_gz_street *s = ctxprof_gz_street_at(gz, i);
        n++;
        if (district && *district && strcmp(s->district, district) == 0) {
            if (!n_district++)
                best = s;
            continue;
        }
        if (n_district)
            continue;
        double d = hint ? hypot(s->x - hint[0], s->y - hint[1]) : (double)n;
        if (d < best_d) {
            best_d = d;
            best = s;
        }
    }
    *ambiguous = n_district ? n_district > 1 : (n > 1 && !hint);
    return best;
}

static int starts_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    return strncmp(s, w, n) == 0 && (s[n] == ' ' || s[n] == '\0');
}

/* Removes the words that say where relative to a place ("ON OR NEAR",
 * "OUTSIDE", "AT THE STOP BY", "UPSTAIRS ON") from the start of a
 * normalised phrase, in place; sets *stop when they mention a bus stop.
 * "... BUS STOP" at the end goes too. */
static void strip_relations(char *s, int *stop)
{
    static const char *const words[] = {
        "ON",      "OR",     "NEAR",   "NR",     "AT",       "BY",         "OUTSIDE",  "OPPOSITE",
        "OPP",     "BEHIND", "INSIDE", "IN",     "THE",      "CORNER",     "JUNCTION", "OF",
        "TOP",     "BOTTOM", "END",    "OFF",    "UPSTAIRS", "DOWNSTAIRS", "BUS",      "STOP",
        "SHELTER", "ALLEY",  "FRONT",  "BACK",   "OUTSIDE",  "OPPOSITE",   "OUT",      "SIDE",
        "NEXT",    "TO",     "ROUND",  "AROUND", "ALONG",    "ACROSS",     "FROM",     NULL};
    for (;;) {
        const char *const *w;
        for (w = words; *w && !starts_word(s, *w); w++)
            ;
        if (!*w || !s[strlen(*w)]) /* keep a last word: "THE GREEN" stays "GREEN" at worst */
            break;
        if (strcmp(*w, "BUS") == 0 || strcmp(*w, "STOP") == 0 || strcmp(*w, "SHELTER") == 0)
            *stop = 1;
        size_t n = strlen(*w) + 1;
        memmove(s, s + n, strlen(s + n) + 1);
    }
    size_t len = strlen(s);
    if (len > 9 && strcmp(s + len - 9, " BUS STOP") == 0) {
        s[len - 9] = '\0';
        *stop = 1;
    } else if (len > 5 && strcmp(s + len - 5, " STOP") == 0) {
        s[len - 5] = '\0';
        *stop = 1;
    }
}

/* The first route mentioned as "ON THE 123" / "THE W8 BUS": removes it. */
static void strip_route(char *s)
{
    char *p = s;
    while ((p = strstr(p, "THE "))) {
        char *q = p + 4;
        char *r = q;
        while (isalnum((unsigned char)*r))
            r++;
        int digits = 0;
        for (char *t = q; t < r; t++)
            digits += isdigit((unsigned char)*t);
        if (digits && r - q <= 4) {
            /* drop "ON THE 123" or "THE 123 BUS" */
            char *start = p;
            if (start >= s + 3 && strncmp(start - 3, "ON ", 3) == 0)
                start -= 3;
            if (strncmp(r, " BUS", 4) == 0)
                r += 4;
            while (*r == ' ')
                r++;
            memmove(start, r, strlen(r) + 1);
            continue;
        }
        p = q;
    }
}

typedef struct {
    double x, y;
    int score;
    ctxprof_gc_method method;
} hit;

/* A place by exact name; bus stops preferred when asked (or when they serve
 * the route), ties broken by distance to a hint. */
static int find_place(const ctxprof_gazetteer *gz, const char *norm, int want_stop,
                      const char *route, const double *hint, hit *out)
{
    int first = ctxprof_gz_place_first(gz, norm);
    if (first < 0)
        return 0;
    if (want_stop < 0) { /* places other than stops only */
        int any = 0;
        for (int i = first; i >= 0 && !any; i = ctxprof_gz_place_at(gz, i)->next)
            any = strcmp(ctxprof_gz_place_at(gz, i)->kind, "bus_stop") != 0;
        if (!any)
            return 0;
    }
    const ctxprof_gz_place *best = NULL;
    int best_rank = -1, n = 0;
    double best_d = INFINITY;
    for (int i = first; i >= 0; i = ctxprof_gz_place_at(gz, i)->next) {
        const ctxprof_gz_place *p = ctxprof_gz_place_at(gz, i);
        int is_stop = strcmp(p->kind, "bus_stop") == 0;
        int on_route = 0;
        if (route && *route && p->routes) {
            char have[512], probe[64];
            snprintf(have, sizeof have, ";%s;", p->routes);
            snprintf(probe, sizeof probe, ";%s;", route);
            on_route = strstr(have, probe) != NULL;
        }
        if (want_stop < 0 && is_stop)
            continue;
        int rank = on_route * 4 + (is_stop == (want_stop > 0)) * 2;
        double d = hint ? hypot(p->x - hint[0], p->y - hint[1]) : 0;
        n++;
        if (rank > best_rank || (rank == best_rank && d < best_d)) {
            best = p;
            best_rank = rank;
            best_d = d;
        }
    }
    out->x = best->x;
    out->y = best->y;
    int is_stop = strcmp(best->kind, "bus_stop") == 0;
    out->method = is_stop ? CTXPROF_GC_STOP : CTXPROF_GC_PLACE;
    out->score = is_stop ? SCORE_STOP : SCORE_PLACE;
    if (n > 1 && !hint && best_rank < 4)
        out->score -= SCORE_AMBIGUOUS_PENALTY / 3; /* several stops share a name */
    return 1;
}

static int find_street(const ctxprof_gazetteer *gz, const char *norm, const char *district,
                       const double *hint, hit *out)
{
    int first = ctxprof_gz_street_first(gz, norm);
    if (first < 0)
        return 0;
    int ambiguous;
    const ctxprof_gz_street *s = pick_street(gz, first, district, hint, &ambiguous);
    out->x = s->x;
    out->y = s->y;
    out->method = CTXPROF_GC_STREET;
    out->score = SCORE_STREET - (ambiguous ? SCORE_AMBIGUOUS_PENALTY : 0);
    return 1;
}

/* Where two named streets meet (the nearest points of their lines). */
static int find_junction(ctxprof_ctx *ctx, const ctxprof_gazetteer *gz, const char *a,
                         const char *b, hit *out)
{
    GEOSContextHandle_t h = ctxprof_geos(ctx);
    int fa = ctxprof_gz_street_first(gz, a), fb = ctxprof_gz_street_first(gz, b);
    if (fa < 0 || fb < 0)
        return 0;
    double best = INFINITY;
    for (int i = fa; i >= 0; i = ctxprof_gz_street_at(gz, i)->next)
        for (int j = fb; j >= 0; j = ctxprof_gz_street_at(gz, j)->next) {
            const ctxprof_gz_street *sa = ctxprof_gz_street_at(gz, i),
                                    *sb = ctxprof_gz_street_at(gz, j);
            if (!sa->geom || !sb->geom)
                continue;
            GEOSCoordSequence *cs = GEOSNearestPoints_r(h, sa->geom, sb->geom);
            if (!cs)
                continue;
            double x1, y1, x2, y2;
            GEOSCoordSeq_getXY_r(h, cs, 0, &x1, &y1);
            GEOSCoordSeq_getXY_r(h, cs, 1, &x2, &y2);
            GEOSCoordSeq_destroy_r(h, cs);
            double d = hypot(x1 - x2, y1 - y2);
            if (d < best) {
                best = d;
                out->x = (x1 + x2) / 2;
                out->y = (y1 + y2) / 2;
            }
        }
    if (best > 100) /* streets that do not meet */
        return 0;
    out->method = CTXPROF_GC_JUNCTION;
    out->score = SCORE_JUNCTION;
    return 1;
}

/* A name through the fuzzy index: the best candidate within a few edits. */
static const char *fuzzy_name(const ctxprof_gazetteer *gz, const char *norm, int *edits)
{
    size_t len = strlen(norm);
    int max = len < 6 ? 0 : len < 12 ? 1 : 2;
    if (max == 0)
        return NULL;
    const char *found[4];
    int e[4];
    int n = ctxprof_gz_fuzzy(gz, norm, max, found, e, 4);
    if (n == 0)
        return NULL;
    /* Two different names equally close: too uncertain to choose. */
    if (n > 1 && e[1] == e[0])
        return NULL;
    *edits = e[0];
    return found[0];
}

/* Exact, then fuzzy. A bus stop when the text speaks of one; else a place
 * that is not a stop, then a street, then a stop named like the street. */
static int find_named(const ctxprof_gazetteer *gz, const char *norm, int want_stop,
                      const char *route, const char *district, const double *hint, hit *out)
{
    if (!*norm)
        return 0;
    if (want_stop && find_place(gz, norm, 1, route, hint, out))
        return 1;
    if (find_place(gz, norm, -1, route, hint, out) || find_street(gz, norm, district, hint, out) ||
        find_place(gz, norm, want_stop, route, hint, out))
        return 1;
    int edits;
    const char *alt = fuzzy_name(gz, norm, &edits);
    if (!alt)
        return 0;
    if ((want_stop && find_place(gz, alt, 1, route, hint, out)) ||
        find_place(gz, alt, -1, route, hint, out) || find_street(gz, alt, district, hint, out) ||
        find_place(gz, alt, want_stop, route, hint, out)) {
        out->score -= SCORE_FUZZY_PENALTY * edits;
        return 1;
    }
    return 0;
}

/* Free text: "bus stop outside Tesco, High Rd", "on or near Park Lane",
 * "EGERTON STREET / ALDER WAY", "Northbrook Park (benches)". */
static int text_match(ctxprof_ctx *ctx, const ctxprof_gazetteer *gz, const char *text, int is_stop,
                      const char *route, const char *district, hit *out)
{
    char raw[512];
    snprintf(raw, sizeof raw, "%s", text);
    /* Parenthesised asides ("(benches)") say nothing about where. */
    for (char *p; (p = strchr(raw, '('));) {
        char *q = strchr(p, ')');
        if (!q) {
            *p = '\0';
            break;
        }
        memmove(p, q + 1, strlen(q + 1) + 1);
    }
    /* Junctions: "A / B", "A & B", "junction of A and B", "corner of A and B". */
    const char *seps[] = {"/", "&", " junction with ", " JUNCTION WITH ", " j/w ", " J/W "};
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
        char *sep = strstr(raw, seps[k]);
        if (!sep)
            continue;
        char left[256], right[256];
        snprintf(left, sizeof left, "%.*s", (int)(sep - raw), raw);
        snprintf(right, sizeof right, "%s", sep + strlen(seps[k]));
        char na[256], nb[256];
        int dummy = 0;
        ctxprof_name_normalise(left, na, sizeof na);
        ctxprof_name_normalise(right, nb, sizeof nb);
        strip_relations(na, &dummy);
        strip_relations(nb, &dummy);
        if (find_junction(ctx, gz, na, nb, out))
            return 1;
    }
    char norm[512];
    ctxprof_name_normalise(raw, norm, sizeof norm);
    {
        char *and = strstr(norm, " AND ");
        if (and&&(starts_word(norm, "JUNCTION OF") || starts_word(norm, "CORNER OF"))) {
            char a[256], b[256];
            int dummy = 0;
            snprintf(a, sizeof a, "%.*s", (int)(and-norm), norm);
            snprintf(b, sizeof b, "%s", and+5);
            strip_relations(a, &dummy);
            strip_relations(b, &dummy);
            if (find_junction(ctx, gz, a, b, out))
                return 1;
        }
    }
    int want_stop = is_stop;
    if (find_place(gz, norm, -1, route, NULL, out)) /* "The Green", "Bus Garage" as named */
        return 1;
    strip_route(norm);
    strip_relations(norm, &want_stop);
    if (find_named(gz, norm, want_stop, route, district, NULL, out))
        return 1;
    /* police.uk's "Euston (station)": the aside says what the name is. */
    if (strchr(text, '(')) {
        char spaced[512], alt[512];
        snprintf(spaced, sizeof spaced, "%s", text);
        for (char *p = spaced; *p; p++)
            if (*p == '(' || *p == ')')
                *p = ' ';
        ctxprof_name_normalise(spaced, alt, sizeof alt);
        strip_relations(alt, &want_stop);
        if (find_named(gz, alt, want_stop, route, district, NULL, out))
            return 1;
    }
    /* Comma-separated parts: "Tesco, High Rd" is the Tesco nearest High Road. */
    char parts[6][256];
    int np = 0;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", raw);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",;", &save); t && np < 6; t = strtok_r(NULL, ",;", &save)) {
        ctxprof_name_normalise(t, parts[np], sizeof parts[np]);
        strip_route(parts[np]);
        strip_relations(parts[np], &want_stop);
        if (*parts[np] && !starts_word(parts[np], "ROUTE") && !starts_word(parts[np], "BUS ROUTE"))
            np++;
    }
    if (np < 2)
        return 0;
    hit street = {0};
    double hint[2];
    int have_hint = 0;
    for (int i = np - 1; i >= 0 && !have_hint; i--)
        if (find_street(gz, parts[i], district, NULL, &street)) {
            hint[0] = street.x;
            hint[1] = street.y;
            have_hint = 1;
        }
    for (int i = 0; i < np; i++)
        if (find_place(gz, parts[i], want_stop, route, have_hint ? hint : NULL, out))
            return 1;
    for (int i = 0; i < np; i++)
        if (find_named(gz, parts[i], want_stop, route, district, NULL, out))
            return 1;
    return 0;
}

/* The longest run of words in a phrase that names a place or a street
 * ("SAINSBURYS LOCAL DORSET ROAD", "NEAR OAKFIELD SCHOOL GATES"); a street
 * named elsewhere in the phrase breaks ties between same-name places. */
static int longest_name(const ctxprof_gazetteer *gz, const char *norm, int want_stop,
                        const char *route, const char *district, hit *out)
{
    char words[24][64];
    int nw = 0;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", norm);
    char *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w && nw < 24; w = strtok_r(NULL, " ", &save))
        snprintf(words[nw++], sizeof words[0], "%s", w);
    for (int len = nw - 1; len >= 1; len--)
        for (int start = 0; start + len <= nw; start++) {
            char phrase[512] = "";
            for (int k = start; k < start + len; k++) {
                strcat(phrase, k > start ? " " : "");
                strcat(phrase, words[k]);
            }
            /* A lone common word is not a name. */
            if (len == 1 && strlen(phrase) < 5)
                continue;
            /* The rest of the phrase may name a street that locates the place. */
            char rest[512] = "";
            for (int k = start + len; k < nw; k++) {
                strcat(rest, k > start + len ? " " : "");
                strcat(rest, words[k]);
            }
            hit street;
            double hint[2];
            int have_hint = *rest && find_street(gz, rest, district, NULL, &street);
            if (have_hint) {
                hint[0] = street.x;
                hint[1] = street.y;
            }
            if ((want_stop && find_place(gz, phrase, 1, route, have_hint ? hint : NULL, out)) ||
                find_place(gz, phrase, -1, route, have_hint ? hint : NULL, out) ||
                find_street(gz, phrase, district, NULL, out)) {
                out->score -= SCORE_FUZZY_PENALTY; /* the text said more than the name */
                return 1;
            }
        }
    return 0;
}

static int geocode_text(ctxprof_ctx *ctx, const ctxprof_gazetteer *gz, const char *text,
                        int is_stop, const char *route, const char *district, hit *out)
{
    if (text_match(ctx, gz, text, is_stop, route, district, out))
        return 1;
    char norm[512];
    int want_stop = is_stop;
    ctxprof_name_normalise(text, norm, sizeof norm);
    strip_route(norm);
    strip_relations(norm, &want_stop);
    return longest_name(gz, norm, want_stop, route, district, out);
}

/* ---- the cascade ---------------------------------------------------------------- */

static int accept(ctxprof_ctx *ctx, ctxprof_geocoder *gc, const hit *h, ctxprof_geo_result *res)
{
    if (!ctxprof_geocoder_inside(ctx, gc, h->x, h->y))
        return 0;
    res->x = h->x;
    res->y = h->y;
    res->method = h->method;
    res->score = h->score < 1 ? 1 : h->score;
    return 1;
}

/* A point placed by its coordinates whose location text places it more
 * than text_check_m away: res->text_off_m, a data-quality finding (the
 * point stays). */
static void text_check(ctxprof_ctx *ctx, ctxprof_geocoder *gc, const ctxprof_geo_input *in,
                       ctxprof_geo_result *res)
{
    if (!gc->text_check_m || !gc->gz)
        return;
    ctxprof_geo_input t = *in;
    t.x = t.y = t.lon = t.lat = NAN;
    ctxprof_geo_result r;
    if (ctxprof_geocode(ctx, gc, &t, &r) && r.method != CTXPROF_GC_SECTOR &&
        r.method != CTXPROF_GC_DISTRICT) {
        double d = hypot(r.x - res->x, r.y - res->y);
        if (d > gc->text_check_m)
            res->text_off_m = d;
    }
}

int ctxprof_geocode(ctxprof_ctx *ctx, ctxprof_geocoder *gc, const ctxprof_geo_input *in,
                    ctxprof_geo_result *res)
{
    memset(res, 0, sizeof *res);
    res->x = res->y = NAN;
    char coord_reason[200] = "";
    /* 1. Coordinates: when they are a point, they win. */
    if (geocode_coords(ctx, gc, in, res)) {
        text_check(ctx, gc, in, res);
        return 1;
    }
    if (res->published)
        return 0;
    snprintf(coord_reason, sizeof coord_reason, "%s", res->reason);
    res->reason[0] = '\0';
    const ctxprof_gazetteer *gz = gc->gz;
    int has_text = !is_blank(in->postcode) || !is_blank(in->address) || !is_blank(in->location) ||
                   !is_blank(in->stop);
    if (!has_text) {
        snprintf(res->reason, sizeof res->reason, "%s",
                 *coord_reason ? coord_reason : "no location given");
        return 0;
    }
    if (!gz) {
        snprintf(res->reason, sizeof res->reason,
                 "%.150s%sno gazetteer to look up the location text", coord_reason,
                 *coord_reason ? "; " : "");
        return 0;
    }
    hit h = {0};
    char pc[CTXPROF_PC_LEN] = "", district[CTXPROF_PC_LEN] = "", partial[CTXPROF_PC_LEN] = "";
    ctxprof_pc_level partial_level = CTXPROF_PC_NONE;
    /* 2. Full postcode. */
    if (!is_blank(in->postcode)) {
        ctxprof_pc_level lv = ctxprof_postcode_normalise(in->postcode, pc);
        if (lv == CTXPROF_PC_UNIT) {
            const ctxprof_gz_postcode *u = ctxprof_gz_unit(gz, pc);
            if (u) {
                h = (hit){u->x, u->y, SCORE_POSTCODE, CTXPROF_GC_POSTCODE};
                if (accept(ctx, gc, &h, res))
                    return 1;
            }
        }
        if (lv >= CTXPROF_PC_DISTRICT) {
            ctxprof_postcode_district(pc, district);
            snprintf(partial, sizeof partial, "%s", pc);
            partial_level = lv;
        }
    }
    /* 3. Address: its postcode unit, else its street (in its district). */
    if (!is_blank(in->address)) {
        ctxprof_address a;
        int parsed = ctxprof_address_parse(in->address, &a) == 0;
        if (a.pc_level == CTXPROF_PC_UNIT) {
            const ctxprof_gz_postcode *u = ctxprof_gz_unit(gz, a.postcode);
            if (u) {
                h = (hit){u->x, u->y, SCORE_ADDRESS_UNIT, CTXPROF_GC_ADDRESS};
                if (accept(ctx, gc, &h, res))
                    return 1;
            }
        }
        if (a.pc_level >= CTXPROF_PC_DISTRICT) {
            ctxprof_postcode_district(a.postcode, district);
            if (a.pc_level > partial_level) {
                snprintf(partial, sizeof partial, "%s", a.postcode);
                partial_level = a.pc_level;
            }
        }
        if (parsed && find_named(gz, a.street, 0, NULL, district, NULL, &h) &&
            h.method == CTXPROF_GC_STREET) {
            h.method = CTXPROF_GC_ADDRESS;
            h.score += SCORE_ADDRESS_STREET - SCORE_STREET;
            if (accept(ctx, gc, &h, res))
                return 1;
        }
    }
    /* 4. Bus stop, junction, named place, "on or near" street. */
    if (!is_blank(in->stop) && geocode_text(ctx, gz, in->stop, 1, in->route, district, &h) &&
        accept(ctx, gc, &h, res))
        return 1;
    if (!is_blank(in->location) &&
        geocode_text(ctx, gz, in->location, 0, in->route, district, &h) && accept(ctx, gc, &h, res))
        return 1;
    /* 5. Postcode sector or district: a rough area, scored low. */
    if (partial_level >= CTXPROF_PC_SECTOR) {
        char sector[CTXPROF_PC_LEN];
        ctxprof_postcode_sector(partial, sector);
        const ctxprof_gz_postcode *s = ctxprof_gz_sector(gz, sector);
        if (s) {
            h = (hit){s->x, s->y, SCORE_SECTOR, CTXPROF_GC_SECTOR};
            if (accept(ctx, gc, &h, res))
                return 1;
        }
    }
    if (partial_level >= CTXPROF_PC_DISTRICT) {
        const ctxprof_gz_postcode *d = ctxprof_gz_district(gz, district);
        if (d) {
            h = (hit){d->x, d->y, SCORE_DISTRICT, CTXPROF_GC_DISTRICT};
            if (accept(ctx, gc, &h, res))
                return 1;
        }
    }
    /* Say why, most specific first. */
    if (*pc && partial_level == CTXPROF_PC_NONE && !is_blank(in->postcode))
        snprintf(res->reason, sizeof res->reason, "postcode not recognised");
    else if (*partial)
        snprintf(res->reason, sizeof res->reason, "postcode %s is not in the gazetteer", partial);
    else if (!is_blank(in->postcode) && is_blank(in->address) && is_blank(in->location) &&
             is_blank(in->stop))
        snprintf(res->reason, sizeof res->reason, "not a postcode");
    else
        snprintf(res->reason, sizeof res->reason,
                 "no street, stop or place in the gazetteer matches");
    if (*coord_reason) {
        size_t n = strlen(res->reason);
        snprintf(res->reason + n, sizeof res->reason - n, "; %s", coord_reason);
    }
    return 0;
}
