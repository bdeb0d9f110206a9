#include "run/run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "corridors/corridors.h"
#include "hotspots/stage.h"
#include "people/people.h"
#include "snap/contexts.h"
#include "snap/snap.h"
#include "core/layer.h"
#include "core/uri.h"
#include "write/layers.h"
#include "write/output.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int ctxprof_file_sha256(ctxprof_ctx *ctx, const char *path, char *hex)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot read file");
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536], out[crypto_hash_sha256_BYTES];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    int err = ferror(fp);
    fclose(fp);
    if (err)
        return ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "read error");
    crypto_hash_sha256_final(&st, out);
    sodium_bin2hex(hex, 65, out, sizeof out);
    return 0;
}

/* input.<name>.path and .sha256 for one dataset URI. */
static int meta_input(ctxprof_ctx *ctx, ctxprof_output *out, const char *name, const char *uri)
{
    char *path = NULL, *layer = NULL, *subset = NULL, key[256], hex[65];
    int rc = ctxprof_split_uri_subset(ctx, uri, &path, &layer, &subset);
    if (rc)
        return rc;
    snprintf(key, sizeof key, "input.%s.path", name);
    rc = ctxprof_output_meta(ctx, out, key, uri);
    if (!rc && strncmp(path, "PG:", 3) != 0) {
        snprintf(key, sizeof key, "input.%s.sha256", name);
        rc = ctxprof_file_sha256(ctx, path, hex);
        if (!rc)
            rc = ctxprof_output_meta(ctx, out, key, hex);
    }
    ctxprof_free(ctx, path);
    ctxprof_free(ctx, layer);
    ctxprof_free(ctx, subset);
    return rc;
}

/* 1 when the list item (it, n) names the same file as the list's first. */
static int same_file(const char *list, const char *it, size_t n)
{
    size_t a = strcspn(list, "|,"), b = strcspn(it, "|,");
    while (a && list[a - 1] == ' ')
        a--;
    if (b > n)
        b = n;
    while (b && it[b - 1] == ' ')
        b--;
    return a == b && strncmp(list, it, a) == 0;
}

static int write_metadata(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_profile *p,
                          const ctxprof_run_summary *sum, const char *arguments)
{
    int rc = 0;
    char key[256], hex[65], stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)))                                                                            \
            return rc;                                                                             \
    } while (0)
    TRY(ctxprof_output_meta(ctx, out, "version", CTXPROF_VERSION));
    TRY(ctxprof_output_meta(ctx, out, "created_at", stamp));
    char *shown = ctxprof_output_redact(ctx, arguments); /* a PG: password */
    if (!shown)
        return CTXPROF_E_NOMEM;
    rc = ctxprof_output_meta(ctx, out, "arguments", shown);
    ctxprof_free(ctx, shown);
    if (rc)
        return rc;
    TRY(ctxprof_output_meta(ctx, out, "profile.path", ctxprof_profile_path(p)));
    if (access(ctxprof_profile_path(p), R_OK) == 0) { /* not for options-built profiles */
        TRY(ctxprof_file_sha256(ctx, ctxprof_profile_path(p), hex));
        TRY(ctxprof_output_meta(ctx, out, "profile.sha256", hex));
    }
    TRY(ctxprof_output_meta(ctx, out, "pseudonym_key",
                            sum->demo_key ? "demo key (sample area only)" : "supplied"));
    /* Every profile setting, resolved, as param.<section>.<key>; then the
     * defaults of the keys it leaves unset, so that each key's effective
     * value is recorded. */
    for (size_t i = 0; i < ctxprof_profile_n_entries(p); i++) {
        const char *section, *k, *v;
        ctxprof_profile_entry(p, i, &section, &k, &v);
        snprintf(key, sizeof key, "param.%s.%s", section, k);
        TRY(ctxprof_output_meta(ctx, out, key, v));
    }
    for (size_t i = 0; i < ctxprof_profile_n_defaults(p); i++) {
        const char *section, *k, *v;
        ctxprof_profile_default(p, i, &section, &k, &v);
        snprintf(key, sizeof key, "param.%s.%s", section, k);
        TRY(ctxprof_output_meta(ctx, out, key, v));
    }
    /* Every input dataset the schema marks, by its key (name.K for each of
     * a list's files when it names several). */
    const char *name, *uri;
    for (size_t i = 0; ctxprof_profile_input(p, i, &name, &uri); i++) {
        size_t n, k = 0;
        int files = 1;
        for (const char *q = uri, *it; files == 1 && (it = ctxprof_list_next(&q, &n));)
            files += !same_file(uri, it, n);
        if (files == 1) { /* one file, perhaps several of its layers */
            TRY(meta_input(ctx, out, name, uri));
            continue;
        }
        for (const char *q = uri, *it; (it = ctxprof_list_next(&q, &n));) {
            char *one = ctxprof_sprintf(ctx, "%.*s", (int)n, it);
            if (!one)
                return CTXPROF_E_NOMEM;
            snprintf(key, sizeof key, "%s.%zu", name, ++k);
            rc = meta_input(ctx, out, key, one);
            ctxprof_free(ctx, one);
            if (rc)
                return rc;
        }
    }
    for (size_t i = 0; i < sum->n_sources; i++) {
        const ctxprof_source *s = ctxprof_profile_source(p, i);
        const ctxprof_source_counts *c = &sum->counts[i];
        for (size_t f = 0; f < ctxprof_source_n_files(s); f++) {
            if (s->n_paths > 1)
                snprintf(key, sizeof key, "source.%s.%zu", s->name, f + 1);
            else
                snprintf(key, sizeof key, "source.%s", s->name);
            TRY(meta_input(ctx, out, key, s->paths ? s->paths[f] : s->path));
        }
        if (s->all_ages) {
            snprintf(key, sizeof key, "ages.%s", s->name);
            TRY(ctxprof_output_meta(ctx, out, key,
                                    s->count_as_youth
                                        ? "all ages, counted in the youth silos (count_as_youth)"
                                        : "all ages: not counted in the youth silos"));
        }
        if (s->where) {
            snprintf(key, sizeof key, "where.%s", s->name);
            TRY(ctxprof_output_meta(ctx, out, key, s->where));
        }
        static const char *names[] = {"rows_read",       "incidents", "rejects_load",
                                      "rejects_geocode", "linkage",   "unmapped_codes",
                                      "filtered"};
        const int64_t vals[] = {c->rows_read,       c->incidents, c->rejects_load,
                                c->rejects_geocode, c->linkage,   c->unmapped_codes,
                                c->filtered};
        for (int k = 0; k < 7; k++) {
            snprintf(key, sizeof key, "rows.%s.%s", s->name, names[k]);
            TRY(ctxprof_output_metaf(ctx, out, key, "%lld", (long long)vals[k]));
        }
        snprintf(key, sizeof key, "time.load.%s_s", s->name);
        TRY(ctxprof_output_metaf(ctx, out, key, "%.3f", c->seconds));
    }
    const ctxprof_source_counts *c = &sum->total;
    TRY(ctxprof_output_metaf(ctx, out, "rows.total.rows_read", "%lld", (long long)c->rows_read));
    TRY(ctxprof_output_metaf(ctx, out, "rows.total.incidents", "%lld", (long long)c->incidents));
    TRY(ctxprof_output_metaf(ctx, out, "rows.total.rejects_load", "%lld",
                             (long long)c->rejects_load));
    TRY(ctxprof_output_metaf(ctx, out, "rows.total.rejects_geocode", "%lld",
                             (long long)c->rejects_geocode));
    TRY(ctxprof_output_metaf(ctx, out, "rows.total.linkage", "%lld", (long long)c->linkage));
    for (int m = 1; m < CTXPROF_GC_N_METHODS; m++) {
        snprintf(key, sizeof key, "geocode.method.%s", ctxprof_gc_method_names[m]);
        TRY(ctxprof_output_metaf(ctx, out, key, "%lld", (long long)c->by_method[m]));
    }
    TRY(ctxprof_output_metaf(ctx, out, "geocode.with_location", "%lld",
                             (long long)c->with_location));
    TRY(ctxprof_output_metaf(ctx, out, "geocode.hit_rate", "%.4f",
                             c->with_location ? (double)c->incidents / (double)c->with_location
                                              : 0));
    TRY(ctxprof_output_metaf(ctx, out, "geocode.repaired", "%lld", (long long)c->repaired));
    TRY(ctxprof_output_metaf(ctx, out, "time.load_s", "%.3f", sum->seconds_load));
    TRY(ctxprof_output_metaf(ctx, out, "time.snap_s", "%.3f", sum->seconds_snap));
    TRY(ctxprof_output_metaf(ctx, out, "time.write_s", "%.3f", sum->seconds_write));
#undef TRY
    return 0;
}

/* A database's schema is made from the profile's name and rasters kept
 * beside it go beside the profile's own output GeoPackage, unless the
 * options say otherwise (or the connection string names an active_schema). */
static int open_output(ctxprof_ctx *ctx, ctxprof_output **out, const ctxprof_profile *p,
                       const char *output, const ctxprof_run_options *o)
{
    ctxprof_output_options oo = CTXPROF_OUTPUT_OPTIONS_INIT;
    oo.name = ctxprof_profile_name(p);
    oo.schema = o ? o->pg_schema : NULL;
    oo.raster_dir = o ? o->raster_dir : NULL;
    oo.raster_beside[0] = ctxprof_profile_output(p);
    oo.raster_beside[1] = ctxprof_profile_path(p);
    return ctxprof_output_open_with(ctx, out, output, ctxprof_profile_crs(p), &oo);
}

int ctxprof_run(ctxprof_ctx *ctx, ctxprof_run_summary *sum, const ctxprof_profile *p,
                const char *output, const char *arguments)
{
    return ctxprof_run_with(ctx, sum, p, output, arguments, NULL);
}

int ctxprof_run_with(ctxprof_ctx *ctx, ctxprof_run_summary *sum, const ctxprof_profile *p,
                     const char *output, const char *arguments, const ctxprof_run_options *o)
{
    int rc;
    double t0 = now_s();
    ctxprof_output *out = NULL;
    ctxprof_loader *ld = NULL;
    ctxprof_incidents inc = {0};
    ctxprof_rejects rej = {0};
    ctxprof_contexts *contexts = NULL;
    ctxprof_snap_result snap = {0};
    ctxprof_snap_options so = CTXPROF_SNAP_OPTIONS_INIT;
    ctxprof_corridors_result corr = {0};
    ctxprof_corridors_options co = CTXPROF_CORRIDORS_OPTIONS_INIT;
    const ctxprof_extra_column *extra = NULL;
    size_t n_extra = 0;
    ctxprof_people_result people = {0};
    ctxprof_people_options po = CTXPROF_PEOPLE_OPTIONS_INIT;
    memset(sum, 0, sizeof *sum);
    sum->n_sources = ctxprof_profile_n_sources(p);
    if (!(sum->counts =
              ctxprof_calloc(ctx, sum->n_sources ? sum->n_sources : 1, sizeof *sum->counts)))
        return CTXPROF_E_NOMEM;
    if (!output)
        output = ctxprof_profile_output(p);
    /* A database is reached first: a wrong connection fails at once, not
     * after the load. */
    if ((ctxprof_output_target_caps(output) & CTXPROF_SINK_REMOTE) &&
        (rc = open_output(ctx, &out, p, output, o)))
        goto done;
    if ((rc = ctxprof_loader_new(ctx, &ld, ctxprof_profile_load_options(p))))
        goto done;
    sum->demo_key =
        ctxprof_loader_pseudonym(ld) && ctxprof_pseudonym_is_demo(ctxprof_loader_pseudonym(ld));
    if (sum->demo_key)
        ctxprof_log(ctx, CTXPROF_LOG_WARN,
                    "using the sample area's demo pseudonym key: never use it for real data");
    if (!out && (rc = open_output(ctx, &out, p, output, o)))
        goto done;
    snprintf(sum->output, sizeof sum->output, "%s", ctxprof_output_target(out));

    ctxprof_progress_push(ctx, 0.0, 0.7);
    rc = ctxprof_loader_run(ctx, ld, &inc, &rej, sum->counts);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    for (size_t i = 0; i < sum->n_sources; i++) {
        const ctxprof_source_counts *c = &sum->counts[i];
        sum->total.rows_read += c->rows_read;
        sum->total.incidents += c->incidents;
        sum->total.rejects_load += c->rejects_load;
        sum->total.rejects_geocode += c->rejects_geocode;
        sum->total.linkage += c->linkage;
        sum->total.filtered += c->filtered;
        sum->total.youth_not_counted += c->youth_not_counted;
        sum->total.unmapped_codes += c->unmapped_codes;
        sum->total.with_location += c->with_location;
        sum->total.repaired += c->repaired;
        sum->total.outside_kept += c->outside_kept;
        sum->total.text_disagrees += c->text_disagrees;
        for (int m = 0; m < CTXPROF_GC_N_METHODS; m++)
            sum->total.by_method[m] += c->by_method[m];
        if (c->rows_read !=
            c->incidents + c->rejects_load + c->rejects_geocode + c->linkage + c->filtered) {
            rc = ctxprof_error(ctx, CTXPROF_E_INTERNAL,
                               "row accounting for source %s does not add up",
                               ctxprof_profile_source(p, i)->name);
            goto done;
        }
    }
    double t1 = now_s();
    sum->seconds_load = t1 - t0;

    /* People: id-only pids linked to their person through the crosswalk
     * (before snap, so that n_people counts people, not ids), and the
     * overlap across the silos. */
    po = *ctxprof_profile_people_options(p);
    if ((rc = ctxprof_people_link(ctx, &people, &po, ctxprof_loader_pseudonym(ld), &inc)) ||
        (rc = ctxprof_people_overlap(ctx, &people, &inc)))
        goto done;

    /* Snap: each incident's contexts, and each context's profile. The extra
     * columns point into contexts and snap: both live until written. Then
     * the peer groups, which use the links. */
    so = ctxprof_profile_snap_options(p);
    ctxprof_progress_push(ctx, 0.7, 0.8);
    rc = ctxprof_contexts_load(ctx, &contexts, ctxprof_profile_contexts_options(p));
    if (!rc)
        rc = ctxprof_snap_run(ctx, &snap, contexts, &inc, &so);
    if (!rc)
        rc = ctxprof_snap_columns(ctx, &snap, contexts, &extra, &n_extra);
    if (!rc)
        rc = ctxprof_people_groups(ctx, &people, &inc, &snap, contexts, &po);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    double t2 = now_s();
    sum->seconds_snap = t2 - t1;

    /* Corridors: routes between schools over the network, with the
     * incidents along them. */
    if ((rc = ctxprof_profile_corridors_options(ctx, p, &co)))
        goto done;
    ctxprof_progress_push(ctx, 0.8, 0.85);
    rc = ctxprof_corridors_run(ctx, &corr, contexts, &inc, &co);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;

    ctxprof_progress_push(ctx, 0.85, 1.0);
    ctxprof_write_options wo = *ctxprof_profile_write_options(p);
    wo.counts = sum->counts;
    rc = ctxprof_write_incidents(ctx, out, &wo, &inc, extra, n_extra);
    if (!rc)
        rc = ctxprof_snap_write_layers(ctx, out, contexts, &snap, &so);
    if (!rc)
        rc = ctxprof_corridors_write(ctx, out, &corr, &co);
    if (!rc)
        rc = ctxprof_people_write(ctx, out, &people, contexts);
    if (!rc)
        rc = ctxprof_hotspots_stage(ctx, out, ctxprof_profile_hotspots_options(p), inc.x, inc.y,
                                    inc.cats, inc.n);
    if (!rc)
        rc = ctxprof_write_rejects(ctx, out, &wo, &rej);
    if (!rc)
        rc = ctxprof_write_data_quality(ctx, out, &wo, sum->counts);
    ctxprof_progress_pop(ctx);
    if (rc)
        goto done;
    sum->seconds_write = now_s() - t2;
    if ((rc = write_metadata(ctx, out, p, sum, arguments)) ||
        (rc = ctxprof_output_finish(ctx, out)))
        goto done;
    sum->seconds_total = now_s() - t0;
    snprintf(sum->overlap, sizeof sum->overlap, "%s%s%s", people.summary ? people.summary : "",
             people.group_summary ? "\n" : "", people.group_summary ? people.group_summary : "");
    rc = ctxprof_progress(ctx, 1.0, "done");
done:
    ctxprof_output_close(ctx, out);
    ctxprof_corridors_result_free(ctx, &corr);
    ctxprof_people_result_free(ctx, &people);
    ctxprof_snap_result_free(ctx, &snap);
    ctxprof_contexts_free(ctx, contexts);
    ctxprof_loader_free(ctx, ld);
    ctxprof_incidents_free(ctx, &inc);
    ctxprof_rejects_free(ctx, &rej);
    if (rc)
        ctxprof_run_summary_free(ctx, sum);
    return rc;
}

void ctxprof_run_summary_free(ctxprof_ctx *ctx, ctxprof_run_summary *summary)
{
    for (size_t i = 0; i < summary->n_sources && summary->counts; i++)
        ctxprof_source_counts_clear(ctx, &summary->counts[i]);
    ctxprof_free(ctx, summary->counts);
    summary->counts = NULL;
    summary->n_sources = 0;
}
