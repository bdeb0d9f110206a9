/* Postcode parser: normalise a token, find one in free text, and derive the
 * sector and district of what was found. */
#include "fuzz_common.h"
#include "geocode/normalise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char pc[CTXPROF_PC_LEN], part[CTXPROF_PC_LEN];
    ctxprof_pc_level lv = ctxprof_postcode_normalise(s, pc);
    if (lv != CTXPROF_PC_NONE && strlen(pc) >= CTXPROF_PC_LEN)
        abort();
    if (lv == CTXPROF_PC_UNIT)
        ctxprof_postcode_sector(pc, part);
    if (lv >= CTXPROF_PC_DISTRICT)
        ctxprof_postcode_district(pc, part);
    size_t start = 0, end = 0;
    lv = ctxprof_postcode_find(s, pc, &start, &end);
    if (lv != CTXPROF_PC_NONE && (start > end || end > size))
        abort(); /* the span must lie inside the text */
    free(s);
    return 0;
}
