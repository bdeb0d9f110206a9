/* ctxprof: contextual profiling of peer-on-peer abuse. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

/* Sorted by name; `ctxprof --help` prints it in this order. */
const cli_command cli_commands[] = {
    {"corridors", cmd_corridors, "Routes between schools as corridors, with incidents per km",
     "PROFILE.gpkg --profile PROFILE.ini [-o OUT.gpkg]",
     "Builds a routing network from the profile's bus segments and [contexts] roads, pairs\n"
     "each school with its k nearest schools by network distance (or reads [corridors]\n"
     "pairs), and writes corridor_routes (shortest paths) and corridors (buffers) with\n"
     "the incidents of PROFILE.gpkg counted by category, per km and in school-travel\n"
     "windows, ranked. The output is written to a temporary file and renamed into place.",
     cmd_corridors_options},
    {"datarequest", cmd_datarequest, "Write a data-request sheet for a partner agency",
     "KIND [-o FILE.md] [--retention PERIOD] | --all -o DIR",
     "Writes, in Markdown, the 'why profile' sheet an analyst sends a partner agency when\n"
     "asking for a source kind's data: the purpose of the profile, each field asked for\n"
     "and why, the sharing level each needs (identifiable, pseudonymised, aggregate), a\n"
     "lawful basis to fill in, how the data will be stored and for how long. --all writes\n"
     "one sheet per source kind into DIR ('ctxprof help kinds' lists the kinds).",
     cmd_datarequest_options},
    {"evaluate", cmd_evaluate, "Score hotspots of one period on a later one (PAI, RRI)",
     "--train FILES --test FILES [--coverage 1,2,5,10] [--radius R|auto-pai --validate FILES]",
     "Builds the density surface of the training points, takes the densest cells\n"
     "covering each share of the study area, and scores them on the test points:\n"
     "PAI = (n/N)/(a/A) (Chainey, Tompson & Uhlig 2008) and RRI = (n2/n1)/(N2/N1).\n"
     "--radius auto-pai picks the radius maximising PAI at 5% on --validate.",
     cmd_evaluate_options},
    {"export", cmd_export, "Export a profile GeoPackage as shapefiles (shapelib)",
     "shp PROFILE.gpkg -o DIR [--layers A,B,...]",
     "Writes each layer as .shp, .shx, .dbf, .prj (ESRI WKT) and .cpg (UTF-8); tables as\n"
     "a .dbf. Field names are cut to 10 characters and made unique; <layer>.fields.csv\n"
     "maps them. Dates become DBF dates, text over 254 bytes is cut (with a warning), a\n"
     "layer that mixes geometry types gives one shapefile per type (<layer>_point, ...).\n"
     "Exports over the format's 2 GB limit are refused before anything is written. The\n"
     "files are owner-only (0600): they are as identifiable as the profile.",
     cmd_export_options},
    {"gazetteer", cmd_gazetteer, "Build or describe a gazetteer for geocoding",
     "build -o GAZ.gpkg [--postcodes F] [--streets L] [--places L] [--profile P.ini] | info "
     "GAZ.gpkg",
     "Builds a gazetteer GeoPackage from Code-Point Open or ONSPD postcodes (units without\n"
     "coordinates are skipped and counted), street lines with a name field (same-name\n"
     "segments grouped into streets) and named places (stations, shops, schools, parks,\n"
     "bus stops, from any point or polygon layer), recording each source's licence line.",
     cmd_gazetteer_options},
    {"geocode", cmd_geocode, "Place records from coordinates, postcodes, addresses and places",
     "INPUT -o OUT.gpkg --gazetteer GAZ.gpkg [--x F --y F | --lon F --lat F] [--postcode F] "
     "[--address F] [--location F] [--stop F --route F]",
     "Runs the geocoding cascade of 'ctxprof run' on any OGR-readable table: coordinates\n"
     "(swaps repaired), full postcode, address, bus stop, junction, named place or 'on or\n"
     "near' street, postcode sector or district. Each record gets a geocode_method and\n"
     "a geocode_score (0-100); each failure a row in geocode_rejects with the reason.",
     cmd_geocode_options},
    {"help", cmd_help, "Show help for ctxprof, a command, the profile file or the source kinds",
     "[COMMAND | profile | kinds | kind KIND]", NULL, cmd_help_options},
    {"hotspots", cmd_hotspots, "Hotspot polygons with PAI, and Gi* cells, of a point layer",
     "INPUT -o OUT.gpkg [--share 0.05] [kde options]",
     "Writes hotspot_density (raster), hotspots (the densest cells covering --share of\n"
     "the study area, polygonised, with n_incidents, share_incidents, share_area and\n"
     "PAI) and hotspot_gistar (Getis-Ord Gi* of grid counts: z, p and a bin -3..3\n"
     "after Benjamini-Hochberg FDR correction) into one GeoPackage.",
     cmd_hotspots_options},
    {"kde", cmd_kde, "Kernel density surface of a point layer", "INPUT -o OUT.tif [options]",
     "Reads any OGR point layer (GeoPackage, shapefile, CSV with Longitude/Latitude or\n"
     "Easting/Northing columns, ...) and writes a Float32 density raster (NoData -9999).\n"
     "Default: each cell evaluated at its true centre, scaled kernels integrating to 1.\n"
     "--qgis-compat reproduces QGIS 3.22's Heatmap (Kernel Density Estimation) cell for\n"
     "cell. Without --radius the bandwidth is 0.9*min(SD, sqrt(1/ln 2)*Dm)*n^-0.2.",
     cmd_kde_options},
    {"overlap", cmd_overlap, "How many different young people across the silos",
     "PROFILE.ini [-o OUT.gpkg]",
     "Loads and places the profile's incidents, links id-only people to names through the\n"
     "crosswalk sources, and writes the incidents with their pids, overlap (distinct people\n"
     "per category, every pair, every exclusive combination: an UpSet table) and\n"
     "possible_matches (near-duplicate identities, counted apart unless [people]\n"
     "accept_matches accepts their kind). Prints the overlap in plain words.",
     cmd_people_options},
    {"people", cmd_people, "Overlap across the silos, peer groups and the contexts they share",
     "PROFILE.ini [-o OUT.gpkg]",
     "'overlap' and 'peers' in one run: loads and places the profile's incidents, links\n"
     "people across sources, and writes the incidents with overlap, possible_matches,\n"
     "peer_groups, peer_group_members and peer_group_contexts. Only pids are written.",
     cmd_people_options},
    {"peers", cmd_peers, "Peer groups, their members, schools and places",
     "PROFILE.ini [-o OUT.gpkg]",
     "Links the profile's people (as 'overlap' does), builds the association graph\n"
     "(igraph: components, Louvain communities in large ones, degree, betweenness), and\n"
     "writes peer_groups, peer_group_members and peer_group_contexts: the schools the\n"
     "members attend (basis 'attends', from field.school records; 'nearest' when none\n"
     "is known) and the catchments, parks and bus segments where their incidents happen.\n"
     "Prints how many groups, across how many schools, and how concentrated they are.",
     cmd_people_options},
    {"run", cmd_run, "Run every stage of a profile into one GeoPackage",
     "PROFILE.ini [-o OUT.gpkg | -o PG:CONNECTION]",
     "Loads every source of the profile, normalises and pseudonymises it, places each\n"
     "incident, and writes incidents, rejects and run_metadata into one GeoPackage.\n"
     "The output is written to a temporary file beside OUT and renamed into place\n"
     "when complete. Every input row ends as an incident or a reject with a reason.\n"
     "With -o PG:\"dbname=DB host=HOST\" every layer and table goes into one PostGIS schema\n"
     "(--pg-schema), replaced as a whole in one transaction: a failed run leaves the earlier\n"
     "schema as it was. Rasters go to GeoTIFF files in --raster-dir, named in run_metadata.",
     cmd_run_options},
    {"share", cmd_share, "Redacted aggregate-only share package for partners",
     "PROFILE.gpkg -o SHARE.gpkg [--min-count 5] [--round 5] [--layers LIST]",
     "Writes the context layers, corridors, hotspots, Gi* bins and the temporal table of a\n"
     "profile GeoPackage with only allow-listed columns: no incidents, points, pid, peer\n"
     "groups or free text. Counts 1..K-1 are suppressed (NULL, <column>_suppressed = 1),\n"
     "more cells so that no suppressed count can be recovered from row or column totals,\n"
     "hotspots and corridors with fewer than K incidents are dropped; every action is in\n"
     "the disclosure_log table and the readme table says how the package was made\n"
     "(docs/sharing.md).",
     cmd_share_options},
    {"snap", cmd_snap, "Link incidents to their contexts and profile each context",
     "PROFILE.gpkg --profile PROFILE.ini [-o OUT.gpkg]",
     "Reads the incidents of a GeoPackage written by 'ctxprof run', links each to its school\n"
     "catchment, nearest school, park, bus route segment and area (the profile's [contexts]),\n"
     "and writes a GeoPackage with every earlier layer, the incidents with the links, the\n"
     "context layers with counts, people, rates and ranks, and the temporal table. The\n"
     "output is written to a temporary file and renamed into place when complete.",
     cmd_snap_options},
    {"version", cmd_version, "Show the version of ctxprof and its libraries", "", NULL,
     cmd_version_options},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

void cli_print_main_help(FILE *f)
{
    fprintf(f, "usage: ctxprof [--version] [--help] COMMAND [ARGS]\n\n"
               "Contextual profiling of peer-on-peer abuse: incidents from many agencies,\n"
               "placed in their contexts (schools, parks, bus routes, peer groups).\n\n"
               "commands:\n");
    for (size_t i = 0; i < cli_n_commands; i++)
        fprintf(f, "  %-12s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(f, "\n'ctxprof help COMMAND' or 'ctxprof COMMAND --help' shows a command's options.\n"
               "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    for (size_t i = 0; i < cli_n_commands; i++)
        if (cli_check_options(&cli_commands[i]))
            return CLI_FAIL;
    if (argc < 2) {
        cli_print_main_help(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        cli_print_main_help(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0)
        name = "version";
    const cli_command *cmd = cli_find(name);
    if (!cmd) {
        cli_error("'%s' is not a ctxprof command (see 'ctxprof --help')", name);
        return CLI_USAGE;
    }
    return cmd->fn(argc - 1, argv + 1);
}
