/* Profile parser: the input is the text of a profile file, written to a
 * temporary file (the parser reads files); whatever loads is then read back
 * through the typed accessors. */
#include <stdio.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "core/context.h"
#include "profile/profile.h"

static char path[64];

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ctxprof_ctx *ctx;
    if (!ctx) {
        ctx = ctxprof_ctx_new();
        snprintf(path, sizeof path, "/tmp/ctxprof-fuzz-profile-%d.ini", (int)getpid());
        atexit(remove_file);
    }
    FILE *fp = fopen(path, "wb");
    if (!fp)
        abort();
    fwrite(data, 1, size, fp);
    fclose(fp);
    ctxprof_profile *p = NULL;
    if (ctxprof_profile_load(ctx, &p, path) == 0) {
        (void)ctxprof_profile_name(p);
        (void)ctxprof_profile_load_options(p)->threads;
        for (size_t i = 0; i < ctxprof_profile_n_sources(p); i++) {
            const ctxprof_source *src = ctxprof_profile_source(p, i);
            (void)ctxprof_source_field(src, "date");
        }
        for (size_t i = 0; i < ctxprof_profile_n_entries(p); i++) {
            const char *sec, *key, *val;
            ctxprof_profile_entry(p, i, &sec, &key, &val);
            if (!sec || !key || !val)
                abort();
        }
        ctxprof_profile_free(ctx, p);
    } else if (!ctxprof_errmsg(ctx)[0]) {
        abort();
    }
    return 0;
}
