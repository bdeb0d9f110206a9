#include "load/date.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctxprof_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/* Howard Hinnant's days_from_civil. */
int64_t ctxprof_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int ctxprof_weekday(int year, int month, int day)
{
    int64_t days = ctxprof_days_from_civil(year, month, day);
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    return (int)(((days % 7) + 7 + 3) % 7);
}

/* Reads 1..max digits; returns the count read. */
static int digits(const char **p, int max, int *value)
{
    int n = 0, v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *value = v;
    return n;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int check_ymd(ctxprof_datetime *o, const char **reason)
{
    if (o->year < 1900 || o->year > 2100) {
        *reason = "year is before 1900 or after 2100";
        return -1;
    }
    if (o->month < 1 || o->month > 12) {
        *reason = "month does not exist";
        return -1;
    }
    if (o->precision >= CTXPROF_PREC_DAY &&
        (o->day < 1 || o->day > ctxprof_days_in_month(o->year, o->month))) {
        *reason = "day does not exist in that month";
        return -1;
    }
    return 0;
}

/* Optional " HH:MM[:SS]" or "THH:MM[:SS][.fff][Z|+hh:mm]" after a date. */
static int parse_time_tail(const char *p, ctxprof_datetime *o, const char **reason)
{
    if (*p == 'T' || *p == ' ')
        p++;
    p = skip_space(p);
    if (!*p)
        return 0;
    return ctxprof_time_parse(p, o, reason);
}

static int parse_excel(const char *s, ctxprof_datetime *o, const char **reason)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *skip_space(end) || !isfinite(v)) {
        *reason = "not an Excel date number";
        return -1;
    }
    if (v < 1 || v >= 73051) { /* 1900-01-01 .. 2099-12-31 */
        *reason = "Excel date number out of range";
        return -1;
    }
    int64_t day = (int64_t)floor(v);
    /* Excel's 1900 system counts a 29 February 1900 that never was. */
    if (day == 60) {
        *reason = "Excel date 60 is the non-existent 29/02/1900";
        return -1;
    }
    int64_t base = ctxprof_days_from_civil(1899, 12, day < 60 ? 31 : 30);
    civil_from_days(base + day, &o->year, &o->month, &o->day);
    double frac = v - (double)day;
    int secs = (int)lround(frac * 86400.0);
    if (secs >= 86400)
        secs = 86399;
    o->hour = secs / 3600;
    o->minute = secs / 60 % 60;
    o->second = secs % 60;
    o->precision = secs ? CTXPROF_PREC_MINUTE : CTXPROF_PREC_DAY;
    return check_ymd(o, reason);
}

int ctxprof_date_parse(const char *s, ctxprof_date_format format, ctxprof_datetime *o,
                       const char **reason)
{
    memset(o, 0, sizeof *o);
    *reason = "empty";
    if (!s)
        return -1;
    const char *p = skip_space(s);
    if (!*p)
        return -1;
    int a, b, c, na, nb, nc;
    const char *q = p;
    na = digits(&q, 8, &a);
    if (na == 0) {
        *reason = "not a date";
        return -1;
    }
    char sep = *q;
    if (na == 4 && (sep == '-' || sep == '/' || sep == '.')) {
        /* Year first: ISO 8601, GDAL's YYYY/MM/DD, or police.uk's YYYY-MM. */
        q++;
        nb = digits(&q, 2, &b);
        if (nb == 0) {
            *reason = "not a date";
            return -1;
        }
        o->year = a;
        o->month = b;
        if (*q == '\0' || *skip_space(q) == '\0') {
            o->precision = CTXPROF_PREC_MONTH;
            return check_ymd(o, reason);
        }
        if (*q != sep) {
            *reason = "not a date";
            return -1;
        }
        q++;
        nc = digits(&q, 2, &c);
        if (nc == 0) {
            *reason = "not a date";
            return -1;
        }
        o->day = c;
        o->precision = CTXPROF_PREC_DAY;
        if (check_ymd(o, reason))
            return -1;
        return parse_time_tail(q, o, reason);
    }
    char *num_end;
    strtod(p, &num_end);
    if (*skip_space(num_end) == '\0' && (format == CTXPROF_EXCEL || na == 5))
        return parse_excel(p, o, reason);
    if ((na == 1 || na == 2) && (sep == '/' || sep == '-' || sep == '.')) {
        q++;
        nb = digits(&q, 2, &b);
        if (nb == 0 || *q != sep) {
            *reason = "not a date";
            return -1;
        }
        q++;
        nc = digits(&q, 4, &c);
        if (nc != 2 && nc != 4) {
            *reason = "year must have 2 or 4 digits";
            return -1;
        }
        if (nc == 2)
            c += c < 70 ? 2000 : 1900;
        o->year = c;
        if (format == CTXPROF_YMD) {
            *reason = "day-first date in a year-first source";
            return -1;
        }
        o->day = a;
        o->month = b;
        o->precision = CTXPROF_PREC_DAY;
        if (check_ymd(o, reason))
            return -1;
        return parse_time_tail(q, o, reason);
    }
    if (na == 8 && *skip_space(q) == '\0') { /* YYYYMMDD */
        o->year = a / 10000;
        o->month = a / 100 % 100;
        o->day = a % 100;
        o->precision = CTXPROF_PREC_DAY;
        return check_ymd(o, reason);
    }
    *reason = "not a date";
    return -1;
}

int ctxprof_time_parse(const char *s, ctxprof_datetime *o, const char **reason)
{
    const char *p = skip_space(s);
    int h, m = 0, sec = 0, nh, nm;
    nh = digits(&p, 4, &h);
    if (nh == 0) {
        *reason = "not a time";
        return -1;
    }
    if (nh == 3 || nh == 4) { /* HHMM */
        m = h % 100;
        h /= 100;
    } else if (*p == ':' || *p == '.') {
        p++;
        nm = digits(&p, 2, &m);
        if (nm != 2) {
            *reason = "not a time";
            return -1;
        }
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec) != 2) {
                *reason = "not a time";
                return -1;
            }
            if (*p == '.') { /* fractions of a second */
                p++;
                int frac;
                digits(&p, 9, &frac);
            }
        }
    }
    p = skip_space(p);
    if ((p[0] == 'a' || p[0] == 'A' || p[0] == 'p' || p[0] == 'P') &&
        (p[1] == 'm' || p[1] == 'M')) {
        if (h < 1 || h > 12) {
            *reason = "hour out of range for am/pm";
            return -1;
        }
        if (p[0] == 'p' || p[0] == 'P')
            h = h % 12 + 12;
        else
            h = h % 12;
        p += 2;
    } else if (*p == 'Z') {
        p++;
    } else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
        /* A UTC offset: local clock time is what analysts need; keep it. */
        p++;
        while (isdigit((unsigned char)*p) || *p == ':')
            p++;
    }
    if (*skip_space(p)) {
        *reason = "not a time";
        return -1;
    }
    if (h > 23 || m > 59 || sec > 59) {
        *reason = "time of day out of range";
        return -1;
    }
    o->hour = h;
    o->minute = m;
    o->second = sec;
    if (o->precision < CTXPROF_PREC_MINUTE)
        o->precision = CTXPROF_PREC_MINUTE;
    return 0;
}

void ctxprof_date_format_iso(const ctxprof_datetime *d, char *buf, int size)
{
    switch (d->precision) {
    case CTXPROF_PREC_MONTH:
        snprintf(buf, (size_t)size, "%04d-%02d", d->year, d->month);
        break;
    case CTXPROF_PREC_DAY:
        snprintf(buf, (size_t)size, "%04d-%02d-%02d", d->year, d->month, d->day);
        break;
    case CTXPROF_PREC_MINUTE:
        snprintf(buf, (size_t)size, "%04d-%02d-%02dT%02d:%02d:%02d", d->year, d->month, d->day,
                 d->hour, d->minute, d->second);
        break;
    default:
        if (size > 0)
            buf[0] = '\0';
    }
}
