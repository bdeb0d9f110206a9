/* Code-map loader: the input is the CSV text of a code map; whatever loads
 * is then used to look up codes and keywords. */
#include "fuzz_common.h"
#include "core/context.h"
#include "load/codemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ctxprof_ctx *ctx;
    if (!ctx)
        ctx = ctxprof_ctx_new();
    char *s = fuzz_cstr(data, size);
    ctxprof_codemap *map = NULL;
    if (ctxprof_codemap_load_text(ctx, &map, "fuzz", s) == 0) {
        uint32_t cats = 0, flags = 0;
        ctxprof_codemap_code(map, "SM", &cats, &flags);
        ctxprof_codemap_code(map, s, &cats, &flags);
        ctxprof_codemap_text(map, "concerns about county lines and a knife", &cats, &flags);
        ctxprof_codemap_text(map, s, &cats, &flags);
        (void)ctxprof_codemap_size(map);
        ctxprof_codemap_free(ctx, map);
    } else if (!ctxprof_errmsg(ctx)[0]) {
        abort(); /* a failure always says why */
    }
    free(s);
    return 0;
}
