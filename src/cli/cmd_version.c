#include <stdio.h>

#include <gdal.h>
#include <geos_c.h>
#include <igraph/igraph_version.h>
#include <proj.h>
#include <sodium.h>
#include <sqlite3.h>
#include <spatialite.h>

#include "cli/commands.h"

const cli_option cmd_version_options[] = {
    {"json", 0, NULL, "Print the versions as JSON"},
    {"help", 'h', NULL, "Show this help"},
    {NULL, 0, NULL, NULL},
};

int cmd_version(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cli_find("version"), argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_operands(cli_find("version"), &a, 0, 0)))
        return rc;
    const char *igraph;
    igraph_version(&igraph, NULL, NULL, NULL);
    const char *names[] = {"ctxprof",  "GDAL",   "PROJ",      "GEOS", "SpatiaLite",
                           "shapelib", "igraph", "libsodium", "inih"};
    const char *versions[] = {CTXPROF_VERSION,
                              GDALVersionInfo("RELEASE_NAME"),
                              proj_info().version,
                              GEOSversion(),
                              spatialite_version(),
                              CTXPROF_SHAPELIB_VERSION,
                              igraph,
                              sodium_version_string(),
                              CTXPROF_INIH_VERSION};
    size_t n = sizeof names / sizeof names[0];
    if (a.json) {
        printf("{");
        for (size_t i = 0; i < n; i++) {
            printf("%s", i ? ", " : "");
            cli_json_string(stdout, names[i]);
            printf(": ");
            cli_json_string(stdout, versions[i]);
        }
        printf("}\n");
    } else {
        printf("ctxprof %s\n", CTXPROF_VERSION);
        for (size_t i = 1; i < n; i++)
            printf("  %-11s %s\n", names[i], versions[i]);
    }
    return CLI_OK;
}
