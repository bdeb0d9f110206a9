/* `ctxprof peers`: peer groups, their members, schools and places. */
#include "cli/cli_people.h"
#include "cli/commands.h"
#include "people/people.h"

int cmd_peers(int argc, char **argv)
{
    return cli_people_main("peers", CTXPROF_PEOPLE_GROUPS, argc, argv);
}
