/* Dates and times as agencies write them: UK day-first, ISO 8601, Excel
 * serial numbers, date only, month only (police.uk). Pure functions with no
 * context: they are fuzz targets.
 */
#ifndef CTXPROF_DATE_H
#define CTXPROF_DATE_H

#include <stdint.h>

typedef enum {
    CTXPROF_PREC_NONE = 0,
    CTXPROF_PREC_MONTH = 1,
    CTXPROF_PREC_DAY = 2,
    CTXPROF_PREC_MINUTE = 3
} ctxprof_date_precision;

typedef struct {
    int year, month, day, hour, minute, second;
    ctxprof_date_precision precision;
} ctxprof_datetime;

typedef enum { CTXPROF_DMY, CTXPROF_YMD, CTXPROF_EXCEL, CTXPROF_MONTH } ctxprof_date_format;

/* Parses s. ISO forms (year first) are recognised whatever the format; a
 * bare number is an Excel serial when format is EXCEL. Returns 0, or -1 with
 * *reason set to a static explanation ("month 13 does not exist", ...). */
int ctxprof_date_parse(const char *s, ctxprof_date_format format, ctxprof_datetime *out,
                       const char **reason);
/* Parses "HH:MM", "HH:MM:SS", "HHMM", "4pm", "16.20" into *out (hour,
 * minute), raising its precision to MINUTE. Returns 0 or -1 with *reason. */
int ctxprof_time_parse(const char *s, ctxprof_datetime *out, const char **reason);

int ctxprof_days_in_month(int year, int month);
/* Days since 1970-01-01 (proleptic Gregorian). */
int64_t ctxprof_days_from_civil(int year, int month, int day);
/* 0 = Monday .. 6 = Sunday. */
int ctxprof_weekday(int year, int month, int day);
/* Formats as ISO 8601 to its precision: "2025-03", "2025-03-14",
 * "2025-03-14T16:20:00". buf needs 20 bytes. */
void ctxprof_date_format_iso(const ctxprof_datetime *d, char *buf, int size);

#endif
