/* The context-type registry: the one table of the kinds of context. */
#include <stdio.h>
#include <string.h>

#include "snap/contexts.h"

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Output order is registry order: a new kind goes at the end, so that the
 * columns and layers of the earlier kinds keep their places. */
const ctxprof_context_type_def ctxprof_context_types[] = {
    {.key = "catchments",
     .layer = "school_catchments",
     .title = "School catchments",
     .help = "School catchment polygons; derived from schools when absent.",
     .link = CTXPROF_LINK_COVERS,
     .id_column = "catchment_id",
     .measure = CTXPROF_MEASURE_HECTARES,
     .polygons_only = 1,
     .id_candidates = LIST("catchment_id", "id"),
     .name_candidates = LIST("name"),
     .share_keep = LIST("school_id", "area_ha")},
    {.key = "schools",
     .layer = "schools",
     .title = "Schools",
     .help = "School points or site polygons (phase, pupils where known).",
     .link = CTXPROF_LINK_NEAREST,
     .id_column = "school_id",
     .dist_column = "school_dist_m",
     .measure = CTXPROF_MEASURE_PUPILS,
     .id_candidates = LIST("school_id", "urn", "id"),
     .name_candidates = LIST("name", "SCHOOL_NAM", "school_name", "EstablishmentName"),
     .share_keep = LIST("phase", "pupils"),
     .share_as_table = 1},
    {.key = "parks",
     .layer = "parks",
     .title = "Parks and public spaces",
     .help = "Parks and other public space polygons.",
     .link = CTXPROF_LINK_WITHIN,
     .reach_key = "park_buffer_m",
     .reach_default = "25",
     .reach_help = "An incident within this distance of a park counts for it.",
     .id_column = "park_id",
     .dist_column = "park_dist_m",
     .measure = CTXPROF_MEASURE_HECTARES,
     .polygons_only = 1,
     .id_candidates = LIST("park_id", "ListEntry", "osm_id", "id"),
     .name_candidates = LIST("name"),
     .share_keep = LIST("kind", "area_ha")},
    {.key = "bus_segments",
     .layer = "bus_segments",
     .title = "Bus route segments",
     .help = "Bus route segment lines (instead of bus_sequences).",
     .link = CTXPROF_LINK_WITHIN,
     .reach_key = "bus_max_dist_m",
     .reach_default = "30",
     .reach_help = "Maximum distance from an incident to its bus segment.",
     .id_column = "bus_segment_id",
     .dist_column = "bus_segment_dist_m",
     .measure = CTXPROF_MEASURE_KM,
     .id_candidates = LIST("bus_segment_id", "segment_id", "id"),
     .name_candidates = LIST("name"),
     .share_keep =
         LIST("routes", "n_routes", "from_stop", "to_stop", "from_code", "to_code", "length_m")},
    {.key = "areas",
     .layer = "areas",
     .title = "Areas",
     .help = "Area polygons (LSOA or ward).",
     .link = CTXPROF_LINK_COVERS,
     .id_column = "area_code",
     .measure = CTXPROF_MEASURE_HECTARES,
     .polygons_only = 1,
     .id_candidates =
         LIST("area_code", "LSOA11CD", "LSOA21CD", "lsoa_code", "ward_code", "code", "id"),
     .name_candidates = LIST("name"),
     .share_keep = LIST("ward", "ward_code", "area_ha")},
    {.key = "places_of_concern",
     .layer = "places_of_concern",
     .title = "Places of concern",
     .help = "Places where abuse happens (disused houses and garages, stairwells, take-aways, "
             "youth clubs): point or polygon layers with a place_type column, comma-separated.",
     .link = CTXPROF_LINK_WITHIN,
     .reach_key = "place_reach_m",
     .reach_default = "50",
     .reach_help = "An incident within this distance of a place of concern (inside or within "
                   "it for a polygon) counts for the nearest.",
     .id_column = "place_id",
     .dist_column = "place_dist_m",
     .measure = CTXPROF_MEASURE_NONE,
     .many_layers = 1,
     .id_candidates = LIST("place_id", "id"),
     .name_candidates = LIST("name"),
     .share_keep = LIST("place_type"),
     .share_as_table = 1},
};
const size_t ctxprof_n_context_types =
    sizeof ctxprof_context_types / sizeof ctxprof_context_types[0];

int ctxprof_context_type_find(const char *name)
{
    for (size_t t = 0; name && t < ctxprof_n_context_types; t++)
        if (strcmp(name, ctxprof_context_types[t].key) == 0 ||
            strcmp(name, ctxprof_context_types[t].layer) == 0)
            return (int)t;
    return -1;
}

static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_list(FILE *f, const char *const *l)
{
    fputc('[', f);
    for (size_t i = 0; l && l[i]; i++) {
        if (i)
            fputs(", ", f);
        json_str(f, l[i]);
    }
    fputc(']', f);
}

void ctxprof_context_types_json(void *file)
{
    static const char *const links[] = {"covers", "nearest", "within"};
    static const char *const measures[] = {"hectares", "km", "pupils", "none"};
    FILE *f = file;
    fputs("[\n", f);
    for (size_t t = 0; t < ctxprof_n_context_types; t++) {
        const ctxprof_context_type_def *d = &ctxprof_context_types[t];
        fputs("  {\"key\": ", f);
        json_str(f, d->key);
        fputs(", \"layer\": ", f);
        json_str(f, d->layer);
        fputs(", \"title\": ", f);
        json_str(f, d->title);
        fprintf(f, ", \"link\": \"%s\", \"reach_key\": ", links[d->link]);
        json_str(f, d->reach_key);
        fputs(", \"reach_default_m\": ", f);
        fputs(d->reach_default ? d->reach_default : "null", f);
        fputs(", \"id_column\": ", f);
        json_str(f, d->id_column);
        fputs(", \"dist_column\": ", f);
        json_str(f, d->dist_column);
        fprintf(f, ", \"measure\": \"%s\", \"polygons_only\": %s, \"many_layers\": %s",
                measures[d->measure], d->polygons_only ? "true" : "false",
                d->many_layers ? "true" : "false");
        fputs(", \"id_candidates\": ", f);
        json_list(f, d->id_candidates);
        fputs(", \"share_keep\": ", f);
        json_list(f, d->share_keep);
        fputs(", \"style\": ", f);
        json_str(f, d->layer);
        fputs(", \"help\": ", f);
        json_str(f, d->help);
        fprintf(f, "}%s\n", t + 1 < ctxprof_n_context_types ? "," : "");
    }
    fputs("]\n", f);
}
