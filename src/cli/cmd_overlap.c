/* `ctxprof overlap`: how many different young people across the silos. */
#include "cli/cli_people.h"
#include "cli/commands.h"
#include "people/people.h"

int cmd_overlap(int argc, char **argv)
{
    return cli_people_main("overlap", CTXPROF_PEOPLE_OVERLAP, argc, argv);
}
