/* Date parser: the first byte picks the date format, the rest is the text;
 * every date accepted must be a real calendar date that formats. */
#include <stdio.h>

#include "fuzz_common.h"
#include "load/date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ctxprof_date_format fmt = (ctxprof_date_format)(data[0] % 4);
    char *s = fuzz_cstr(data + 1, size - 1);
    ctxprof_datetime d;
    const char *reason = NULL;
    if (ctxprof_date_parse(s, fmt, &d, &reason) == 0) {
        if (d.month < 1 || d.month > 12)
            abort();
        if (d.precision >= CTXPROF_PREC_DAY &&
            (d.day < 1 || d.day > ctxprof_days_in_month(d.year, d.month)))
            abort();
        char buf[20];
        ctxprof_date_format_iso(&d, buf, sizeof buf);
        (void)ctxprof_weekday(d.year, d.month, d.precision >= CTXPROF_PREC_DAY ? d.day : 1);
        if (ctxprof_time_parse(s, &d, &reason) == 0 &&
            (d.hour < 0 || d.hour > 23 || d.minute < 0 || d.minute > 59))
            abort();
    } else if (!reason) {
        abort(); /* a rejection always says why */
    }
    free(s);
    return 0;
}
