/* Dates as agencies write them, with exact expected values. */
#include "test_util.h"

#include "load/date.h"

static void expect(const char *s, ctxprof_date_format f, const char *iso)
{
    ctxprof_datetime d;
    const char *reason = NULL;
    char buf[32];
    int rc = ctxprof_date_parse(s, f, &d, &reason);
    if (rc)
        fail_msg("'%s' rejected: %s", s, reason);
    ctxprof_date_format_iso(&d, buf, sizeof buf);
    if (strcmp(buf, iso) != 0)
        fail_msg("'%s' parsed as %s, expected %s", s, buf, iso);
}

static void reject(const char *s, ctxprof_date_format f, const char *why)
{
    ctxprof_datetime d;
    const char *reason = NULL;
    if (ctxprof_date_parse(s, f, &d, &reason) == 0)
        fail_msg("'%s' accepted", s);
    if (why && strcmp(reason, why) != 0)
        fail_msg("'%s' rejected with '%s', expected '%s'", s, reason, why);
}

static void test_uk_day_first(void **state)
{
    (void)state;
    expect("14/03/2025", CTXPROF_DMY, "2025-03-14");
    expect("03/04/2025", CTXPROF_DMY, "2025-04-03"); /* 3 April, not 4 March */
    expect("3/4/2025", CTXPROF_DMY, "2025-04-03");
    expect("14-03-2025", CTXPROF_DMY, "2025-03-14");
    expect("14.03.25", CTXPROF_DMY, "2025-03-14");
    expect("14/03/2025 16:20", CTXPROF_DMY, "2025-03-14T16:20:00");
    expect(" 14/03/2025 16:20:05 ", CTXPROF_DMY, "2025-03-14T16:20:05");
    expect("29/02/2024", CTXPROF_DMY, "2024-02-29");
}

static void test_iso_and_month(void **state)
{
    (void)state;
    expect("2025-03-14", CTXPROF_DMY, "2025-03-14"); /* year first is always ISO */
    expect("2025-03-14T16:20:00Z", CTXPROF_DMY, "2025-03-14T16:20:00");
    expect("2025-03-14 16:20", CTXPROF_YMD, "2025-03-14T16:20:00");
    expect("2025/03/14 16:20:00", CTXPROF_DMY, "2025-03-14T16:20:00"); /* GDAL's form */
    expect("2025-03-14T16:20:00.123+01:00", CTXPROF_YMD, "2025-03-14T16:20:00");
    expect("2025-03", CTXPROF_MONTH, "2025-03"); /* police.uk */
    expect("20250314", CTXPROF_YMD, "2025-03-14");
}

static void test_excel_serials(void **state)
{
    (void)state;
    /* 45730 is 14 March 2025 in Excel's 1900 system; .6875 is 16:30. */
    expect("45730", CTXPROF_EXCEL, "2025-03-14");
    expect("45730.6875", CTXPROF_EXCEL, "2025-03-14T16:30:00");
    expect("45730", CTXPROF_DMY, "2025-03-14"); /* five digits alone: a serial */
    expect("1", CTXPROF_EXCEL, "1900-01-01");
    expect("59", CTXPROF_EXCEL, "1900-02-28");
    expect("61", CTXPROF_EXCEL, "1900-03-01");
    reject("60", CTXPROF_EXCEL, "Excel date 60 is the non-existent 29/02/1900");
    expect("14/03/2025", CTXPROF_EXCEL, "2025-03-14"); /* text dates still read */
}

static void test_impossible_dates(void **state)
{
    (void)state;
    reject("31/02/2025", CTXPROF_DMY, "day does not exist in that month");
    reject("29/02/2025", CTXPROF_DMY, "day does not exist in that month");
    reject("14/13/2025", CTXPROF_DMY, "month does not exist");
    reject("2025-00-10", CTXPROF_YMD, "month does not exist");
    reject("01/01/1899", CTXPROF_DMY, "year is before 1900 or after 2100");
    reject("14/03/2025 25:00", CTXPROF_DMY, "time of day out of range");
    reject("14/03/2025 16:61", CTXPROF_DMY, "time of day out of range");
    reject("yesterday", CTXPROF_DMY, "not a date");
    reject("", CTXPROF_DMY, "empty");
    reject("14/03/202", CTXPROF_DMY, "year must have 2 or 4 digits");
    reject("14/03/2025 lunchtime", CTXPROF_DMY, "not a time");
    reject("03/14/2025", CTXPROF_DMY, "month does not exist"); /* US order is caught */
}

static void test_times(void **state)
{
    (void)state;
    ctxprof_datetime d = {2025, 3, 14, 0, 0, 0, CTXPROF_PREC_DAY};
    const char *reason;
    assert_int_equal(ctxprof_time_parse("1620", &d, &reason), 0);
    assert_int_equal(d.hour, 16);
    assert_int_equal(d.minute, 20);
    assert_int_equal(d.precision, CTXPROF_PREC_MINUTE);
    assert_int_equal(ctxprof_time_parse("4pm", &d, &reason), 0);
    assert_int_equal(d.hour, 16);
    assert_int_equal(ctxprof_time_parse("12am", &d, &reason), 0);
    assert_int_equal(d.hour, 0);
    assert_int_equal(ctxprof_time_parse("08.45", &d, &reason), 0);
    assert_int_equal(d.hour, 8);
    assert_int_equal(d.minute, 45);
    assert_int_not_equal(ctxprof_time_parse("13pm", &d, &reason), 0);
}

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(ctxprof_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ctxprof_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(ctxprof_weekday(2025, 3, 14), 4); /* a Friday */
    assert_int_equal(ctxprof_weekday(2024, 9, 1), 6);  /* a Sunday */
    assert_int_equal(ctxprof_days_in_month(2100, 2), 28);
    assert_int_equal(ctxprof_days_in_month(2000, 2), 29);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uk_day_first),  cmocka_unit_test(test_iso_and_month),
        cmocka_unit_test(test_excel_serials), cmocka_unit_test(test_impossible_dates),
        cmocka_unit_test(test_times),         cmocka_unit_test(test_calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
