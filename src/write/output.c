/* The output front end: the calls every stage makes, the CRS and the
 * run_metadata rows, over a sink (write/sink.h) that holds the layers. */
#include "write/output.h"
#include "write/sink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ogr_srs_api.h>

struct ctxprof_output {
    ctxprof_sink *sink;
    OGRSpatialReferenceH srs;
    char **meta_keys, **meta_values;
    size_t n_meta, cap_meta_keys, cap_meta_values;
    int finished;
    int shareable; /* finish leaves an ordinary file (0644 & ~umask), not 0600 */
};

/* The common part (CRS, run_metadata), then the sink: by open_copy when
 * source is given, else by open. */
static int output_open(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                       const char *srs_def, const ctxprof_output_options *o, const char *source,
                       ctxprof_output_edit_fn edit, void *arg, int move)
{
    static const ctxprof_output_options defaults = CTXPROF_OUTPUT_OPTIONS_INIT;
    int rc = 0;
    *outp = NULL;
    const ctxprof_sink_ops *ops = ctxprof_sink_for(target);
    if (!ops)
        return ctxprof_error(ctx, CTXPROF_E_CONFIG, "no output given");
    if (source && !ops->open_copy)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "%s output cannot start as a copy of %s",
                             ops->name, source);
    ctxprof_output *out = ctxprof_calloc(ctx, 1, sizeof *out);
    if (!out)
        return CTXPROF_E_NOMEM;
    out->srs = OSRNewSpatialReference(NULL);
    if (OSRSetFromUserInput(out->srs, srs_def) != OGRERR_NONE) {
        rc = ctxprof_error(ctx, CTXPROF_E_CRS, "profile CRS '%s' is not a known CRS", srs_def);
        goto done;
    }
    OSRSetAxisMappingStrategy(out->srs, OAMS_TRADITIONAL_GIS_ORDER);
    if (!o)
        o = &defaults;
    rc = source ? ops->open_copy(ctx, &out->sink, out, target, o, source, edit, arg, move)
                : ops->open(ctx, &out->sink, out, target, o);
done:
    if (rc) {
        ctxprof_output_close(ctx, out);
        return rc;
    }
    *outp = out;
    return 0;
}

int ctxprof_output_open(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                        const char *srs_def)
{
    return output_open(ctx, outp, target, srs_def, NULL, NULL, NULL, NULL, 0);
}

int ctxprof_output_open_with(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                             const char *srs_def, const ctxprof_output_options *o)
{
    return output_open(ctx, outp, target, srs_def, o, NULL, NULL, NULL, 0);
}

int ctxprof_output_open_copy(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                             const char *srs_def, const char *source, ctxprof_output_edit_fn edit,
                             void *arg)
{
    return output_open(ctx, outp, target, srs_def, NULL, source, edit, arg, 0);
}

int ctxprof_output_open_copied(ctxprof_ctx *ctx, ctxprof_output **outp, const char *target,
                               const char *srs_def, const char *copy, ctxprof_output_edit_fn edit,
                               void *arg)
{
    return output_open(ctx, outp, target, srs_def, NULL, copy, edit, arg, 1);
}

unsigned int ctxprof_output_target_caps(const char *target)
{
    const ctxprof_sink_ops *ops = ctxprof_sink_for(target);
    return ops ? ops->caps : 0;
}

unsigned int ctxprof_output_caps(const ctxprof_output *out)
{
    return out->sink->ops->caps;
}

int ctxprof_output_end_layer(ctxprof_ctx *ctx, ctxprof_output *out)
{
    return out->sink->ops->commit(ctx, out->sink);
}

int ctxprof_output_layer(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH *layer, const char *name,
                         OGRwkbGeometryType geom, const ctxprof_column *cols, size_t n_cols)
{
    int rc;
    if ((rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    return out->sink->ops->create_layer(ctx, out->sink, layer, name, geom,
                                        geom == wkbNone ? NULL : out->srs, cols, n_cols);
}

int ctxprof_output_write(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH layer, OGRFeatureH feat)
{
    return out->sink->ops->write(ctx, out->sink, layer, feat);
}

int ctxprof_output_drop_layer(ctxprof_ctx *ctx, ctxprof_output *out, const char *name)
{
    int rc;
    if ((rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    return out->sink->ops->drop_layer(ctx, out->sink, name);
}

OGRSpatialReferenceH ctxprof_output_srs(const ctxprof_output *out)
{
    return out->srs;
}

void ctxprof_output_set_shareable(ctxprof_output *out)
{
    out->shareable = 1;
}

const char *ctxprof_output_target(const ctxprof_output *out)
{
    return out->sink->display;
}

int ctxprof_output_meta(ctxprof_ctx *ctx, ctxprof_output *out, const char *key, const char *value)
{
    if (ctxprof_grow(ctx, (void **)&out->meta_keys, &out->cap_meta_keys, out->n_meta + 1,
                     sizeof(char *)) ||
        ctxprof_grow(ctx, (void **)&out->meta_values, &out->cap_meta_values, out->n_meta + 1,
                     sizeof(char *)))
        return CTXPROF_E_NOMEM;
    out->meta_keys[out->n_meta] = ctxprof_strdup(ctx, key);
    out->meta_values[out->n_meta] = ctxprof_strdup(ctx, value ? value : "");
    out->n_meta++;
    if (!out->meta_keys[out->n_meta - 1] || !out->meta_values[out->n_meta - 1])
        return CTXPROF_E_NOMEM;
    return 0;
}

int ctxprof_output_metaf(ctxprof_ctx *ctx, ctxprof_output *out, const char *key, const char *fmt,
                         ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return ctxprof_output_meta(ctx, out, key, buf);
}

int ctxprof_output_finish(ctxprof_ctx *ctx, ctxprof_output *out)
{
    int rc;
    OGRLayerH meta;
    static const ctxprof_column cols[] = {{"key", OFTString}, {"value", OFTString}};
    if ((rc = ctxprof_output_layer(ctx, out, &meta, "run_metadata", wkbNone, cols, 2)))
        return rc;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(meta));
    for (size_t i = 0; i < out->n_meta && !rc; i++) {
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetFieldString(f, 0, out->meta_keys[i]);
        OGR_F_SetFieldString(f, 1, out->meta_values[i]);
        rc = ctxprof_output_write(ctx, out, meta, f);
    }
    OGR_F_Destroy(f);
    if (rc || (rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    /* The output opens styled in QGIS where it can hold styles. */
    const ctxprof_sink_ops *ops = out->sink->ops;
    if (ops->styles && (rc = ops->styles(ctx, out->sink)))
        return rc;
    if ((rc = ops->publish(ctx, out->sink, out->shareable)))
        return rc;
    out->finished = 1;
    return 0;
}

void ctxprof_output_close(ctxprof_ctx *ctx, ctxprof_output *out)
{
    if (!out)
        return;
    if (out->sink) {
        if (!out->finished)
            out->sink->ops->abort(ctx, out->sink);
        out->sink->ops->close(ctx, out->sink);
    }
    if (out->srs)
        OSRDestroySpatialReference(out->srs);
    for (size_t i = 0; i < out->n_meta; i++) {
        ctxprof_free(ctx, out->meta_keys[i]);
        ctxprof_free(ctx, out->meta_values[i]);
    }
    ctxprof_free(ctx, out->meta_keys);
    ctxprof_free(ctx, out->meta_values);
    ctxprof_free(ctx, out);
}

int ctxprof_output_raster(ctxprof_ctx *ctx, ctxprof_output *out, const char *name,
                          const float *data, int cols, int rows, const double gt[6], double nodata)
{
    int rc;
    if ((rc = ctxprof_output_end_layer(ctx, out)))
        return rc;
    if (!out->sink->ops->raster)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "%s: a %s output holds no rasters (%s)",
                             out->sink->display, out->sink->ops->name, name);
    return out->sink->ops->raster(ctx, out->sink, name, data, cols, rows, gt, out->srs, nodata);
}

int ctxprof_output_copy_layer(ctxprof_ctx *ctx, ctxprof_output *out, OGRLayerH in)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(in);
    int nf = OGR_FD_GetFieldCount(defn);
    ctxprof_column *cols = ctxprof_mallocarray(ctx, (size_t)(nf ? nf : 1), sizeof *cols);
    if (!cols)
        return CTXPROF_E_NOMEM;
    for (int i = 0; i < nf; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        cols[i] = (ctxprof_column){OGR_Fld_GetNameRef(fd), OGR_Fld_GetType(fd)};
    }
    OGRLayerH layer;
    int rc = ctxprof_output_layer(ctx, out, &layer, OGR_L_GetName(in), OGR_L_GetGeomType(in), cols,
                                  (size_t)nf);
    ctxprof_free(ctx, cols);
    if (rc)
        return rc;
    OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(layer)), f;
    OGR_L_ResetReading(in);
    while (!rc && (f = OGR_L_GetNextFeature(in))) {
        OGR_F_SetFrom(g, f, TRUE);
        OGR_F_SetFID(g, OGRNullFID);
        rc = ctxprof_output_write(ctx, out, layer, g);
        OGR_F_Destroy(f);
    }
    OGR_F_Destroy(g);
    return rc ? rc : ctxprof_output_end_layer(ctx, out);
}

int ctxprof_output_copy_meta(ctxprof_ctx *ctx, ctxprof_output *out, GDALDatasetH in,
                             const char *const *drop)
{
    OGRLayerH meta = GDALDatasetGetLayerByName(in, "run_metadata");
    if (!meta)
        return 0;
    int rc = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(meta);
    while (!rc && (f = OGR_L_GetNextFeature(meta))) {
        const char *k = OGR_F_GetFieldAsString(f, 0);
        int keep = 1;
        for (const char *const *d = drop; d && *d && keep; d++)
            keep = strncmp(k, *d, strlen(*d)) != 0;
        if (keep)
            rc = ctxprof_output_meta(ctx, out, k, OGR_F_GetFieldAsString(f, 1));
        OGR_F_Destroy(f);
    }
    return rc;
}
