/* Shared helpers for the cmocka unit tests. */
#ifndef CTXPROF_TEST_UTIL_H
#define CTXPROF_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

/* cmocka 1.1.5 (Debian 12) has no assert_double_equal. */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                                    \
    } while (0)

/* Path of a file under tests/data (CTXPROF_TEST_DATA, set by CTest). */
static inline const char *test_data(const char *rel)
{
    static char buf[4][1024];
    static int slot;
    const char *dir = getenv("CTXPROF_TEST_DATA");
    char *b = buf[slot++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dir ? dir : "tests/data", rel);
    return b;
}

/* Writes text to a fresh temporary file and returns its path (static buffer). */
static inline const char *temp_file(const char *suffix, const char *text)
{
    static char path[4][256];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, sizeof path[0], "/tmp/ctxprof-test-XXXXXX%s", suffix);
    int fd = mkstemps(p, (int)strlen(suffix));
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

#endif
