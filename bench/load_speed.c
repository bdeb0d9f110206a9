/* Times the load stage alone: ctxprof_loader_run over every source of a
 * profile (wall and CPU, all threads), and prints a digest of everything it
 * produced (incidents, rejects, per-source counts) so that two runs, say
 * with and without CTXPROF_CSV_OGR=1, can be compared.
 *
 *     build/bench/load_speed PROFILE.ini        (target load_speed)
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "load/load.h"
#include "profile/profile.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static uint64_t h = 1469598103934665603ULL;
static void mix(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
}
static void mixs(const char *s)
{
    mix(s ? s : "\x01", s ? strlen(s) + 1 : 1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: load_speed PROFILE.ini\n");
        return 2;
    }
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_profile *p = NULL;
    ctxprof_loader *ld = NULL;
    if (ctxprof_profile_load(ctx, &p, argv[1]) ||
        ctxprof_loader_new(ctx, &ld, ctxprof_profile_load_options(p))) {
        fprintf(stderr, "load_speed: %s\n", ctxprof_errmsg(ctx));
        return 1;
    }
    size_t ns = ctxprof_profile_n_sources(p);
    ctxprof_source_counts *cnt = calloc(ns, sizeof *cnt);
    ctxprof_incidents inc = {0};
    ctxprof_rejects rej = {0};
    double w0 = now_s(), c0 = cpu_s();
    if (ctxprof_loader_run(ctx, ld, &inc, &rej, cnt)) {
        fprintf(stderr, "load_speed: %s\n", ctxprof_errmsg(ctx));
        return 1;
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    int64_t rows = 0;
    for (size_t i = 0; i < ns; i++) {
        const ctxprof_source_counts *c = &cnt[i];
        rows += c->rows_read;
        mix(c, offsetof(ctxprof_source_counts, unmapped));
        for (size_t k = 0; k < c->n_unmapped; k++) {
            mixs(c->unmapped[k].code);
            mix(&c->unmapped[k].n, sizeof c->unmapped[k].n);
        }
    }
    for (size_t i = 0; i < inc.n; i++) {
        mix(&inc.x[i], sizeof inc.x[i]);
        mix(&inc.y[i], sizeof inc.y[i]);
        mix(&inc.when[i], sizeof inc.when[i]);
        mix(&inc.source[i], sizeof inc.source[i]);
        mix(&inc.row[i], sizeof inc.row[i]);
        mix(&inc.cats[i], sizeof inc.cats[i]);
        mix(&inc.flags[i], sizeof inc.flags[i]);
        mixs(inc.pid[i]);
        mix(&inc.geocode_method[i], 1);
        mix(&inc.geocode_score[i], 1);
    }
    for (size_t i = 0; i < rej.n; i++) {
        mix(&rej.source[i], sizeof rej.source[i]);
        mix(&rej.row[i], sizeof rej.row[i]);
        mix(&rej.stage[i], 1);
        mixs(rej.field[i]);
        mixs(rej.reason[i]);
        mixs(rej.location_text[i]);
    }
    printf("rows %lld incidents %zu rejects %zu digest %016llx\n", (long long)rows, inc.n, rej.n,
           (unsigned long long)h);
    printf("load %.2f s wall, %.2f s CPU: %.0f rows/s\n", wall, cpu, (double)rows / wall);
    for (size_t i = 0; i < ns; i++)
        ctxprof_source_counts_clear(ctx, &cnt[i]);
    free(cnt);
    ctxprof_incidents_free(ctx, &inc);
    ctxprof_rejects_free(ctx, &rej);
    ctxprof_loader_free(ctx, ld);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    return 0;
}
