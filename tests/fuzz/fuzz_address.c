/* Address normaliser: split an address into its parts, normalise it as a
 * name into buffers of several sizes, and compare its halves by edit
 * distance. */
#include "fuzz_common.h"
#include "geocode/normalise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    ctxprof_address a;
    ctxprof_address_parse(s, &a);
    static const size_t sizes[] = {1, 8, 64, 512};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *out = malloc(sizes[i]);
        ctxprof_name_normalise(s, out, sizes[i]);
        if (strnlen(out, sizes[i]) == sizes[i])
            abort(); /* not terminated within its buffer */
        free(out);
    }
    size_t half = size / 2;
    char *b = fuzz_cstr(data + half, size - half);
    s[half] = '\0';
    int d = ctxprof_edit_distance(s, b, 3);
    if (d < 0 || d > 4)
        abort();
    free(b);
    free(s);
    return 0;
}
