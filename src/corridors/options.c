/* The corridors stage's option parsing: no dependency beyond the context,
 * so that the profile (and its fuzz target) can check the options. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "corridors/corridors_internal.h"

static int parse_hhmm(const char *s, const char *end, int *min)
{
    int h, m, n = 0;
    char buf[16];
    size_t len = (size_t)(end - s);
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (sscanf(buf, "%d:%d%n", &h, &m, &n) != 2 || (size_t)n != len || h < 0 || h > 24 || m < 0 ||
        m > 59 || (h == 24 && m))
        return -1;
    *min = h * 60 + m;
    return 0;
}

int ctxprof_corridors_parse_windows(ctxprof_ctx *ctx, ctxprof_corridors_options *o,
                                    const char *list)
{
    o->n_windows = 0;
    const char *p = list ? list : "";
    while (*p) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *dash = memchr(p, '-', (size_t)(end - p));
        int a, b;
        if (!dash || parse_hhmm(p, dash, &a) || parse_hhmm(dash + 1, end, &b) || b < a)
            return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                 "[corridors] school_travel: '%.*s' is not a window HH:MM-HH:MM",
                                 (int)(end - p), p);
        if (o->n_windows == CTXPROF_CORRIDORS_MAX_WINDOWS)
            return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                 "[corridors] school_travel: more than %d windows",
                                 CTXPROF_CORRIDORS_MAX_WINDOWS);
        o->window_start[o->n_windows] = a;
        o->window_end[o->n_windows++] = b;
        p = comma ? comma + 1 : end;
    }
    return 0;
}

int ctxprof_corridors_is_school_travel(const ctxprof_corridors_options *o,
                                       const ctxprof_datetime *d)
{
    if (d->precision != CTXPROF_PREC_MINUTE || ctxprof_weekday(d->year, d->month, d->day) > 4)
        return 0;
    int m = d->hour * 60 + d->minute;
    for (int i = 0; i < o->n_windows; i++)
        if (m >= o->window_start[i] && m <= o->window_end[i])
            return 1;
    return 0;
}

int ctxprof_corridors_parse_rank(ctxprof_ctx *ctx, ctxprof_corridors_options *o, const char *rb)
{
    if (!rb || strcmp(rb, "n_school_travel") == 0)
        o->rank_by = CTXPROF_RANK_SCHOOL_TRAVEL;
    else if (strcmp(rb, "n_incidents") == 0)
        o->rank_by = CTXPROF_RANK_INCIDENTS;
    else if (strcmp(rb, "per_km") == 0)
        o->rank_by = CTXPROF_RANK_PER_KM;
    else
        return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                             "[corridors] rank_by: '%s' is not n_school_travel, n_incidents or "
                             "per_km",
                             rb);
    return 0;
}

int ctxprof_corridors_parse_network(ctxprof_ctx *ctx, ctxprof_corridors_options *o, const char *net,
                                    const char *roads)
{
    o->roads = roads;
    o->use_roads = roads != NULL;
    o->use_bus = roads == NULL;
    if (net && *net) {
        o->use_bus = o->use_roads = 0;
        const char *s = net;
        while (*s) {
            while (*s == ' ' || *s == ',')
                s++;
            size_t len = strcspn(s, ", ");
            if (!len)
                break;
            if (len == 5 && strncmp(s, "roads", 5) == 0)
                o->use_roads = 1;
            else if (len == 12 && strncmp(s, "bus_segments", 12) == 0)
                o->use_bus = 1;
            else
                return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                     "[corridors] network: '%.*s' is neither roads nor "
                                     "bus_segments",
                                     (int)len, s);
            s += len;
        }
    }
    return 0;
}
