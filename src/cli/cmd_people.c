/* `ctxprof people`: `overlap` and `peers` in one run (src/cli/cli_people.c). */
#include "cli/cli_people.h"
#include "cli/commands.h"
#include "people/people.h"

/* The options of `people`, `overlap` and `peers`: the same interface. */
const cli_option cmd_people_options[] = {
    {"output", 'o', "OUT.gpkg", "Output GeoPackage (default: the profile's output)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

int cmd_people(int argc, char **argv)
{
    return cli_people_main("people", CTXPROF_PEOPLE_OVERLAP | CTXPROF_PEOPLE_GROUPS, argc, argv);
}
