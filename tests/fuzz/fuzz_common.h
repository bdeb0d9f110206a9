/* Shared by the libFuzzer targets: the input as a NUL-terminated string
 * (libFuzzer's data is neither terminated nor text). */
#ifndef CTXPROF_FUZZ_COMMON_H
#define CTXPROF_FUZZ_COMMON_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
