#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "load/kinds.h"
#include "load/kinds_doc.h"
#include "profile/profile.h"
#include "snap/contexts.h"

const cli_option cmd_help_options[] = {
    {"help", 'h', NULL, "Show this help"},
    {NULL, 0, NULL, NULL},
};

int cmd_help(int argc, char **argv)
{
    cli_args a;
    const cli_command *help = cli_find("help");
    int rc = cli_parse(help, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_operands(help, &a, 0,
                           a.n_positional && strcmp(a.positional[0], "kind") == 0 ? 2 : 1)))
        return rc;
    if (a.n_positional == 0) {
        cli_print_main_help(stdout);
        return CLI_OK;
    }
    if (strcmp(a.positional[0], "profile") == 0) {
        printf("Profile file reference (INI). Paths are relative to the profile's folder;\n"
               "a layer is chosen QGIS-style: file.gpkg|layername=NAME.\n");
        ctxprof_profile_schema_markdown(stdout);
        return CLI_OK;
    }
    if (strcmp(a.positional[0], "contexts") == 0) {
        /* the context-type registry, for the plugin and the docs */
        ctxprof_context_types_json(stdout);
        return CLI_OK;
    }
    if (strcmp(a.positional[0], "kinds") == 0) {
        ctxprof_kinds_index_markdown(stdout);
        return CLI_OK;
    }
    if (strcmp(a.positional[0], "kind") == 0) {
        const ctxprof_kind *k = a.n_positional > 1 ? ctxprof_kind_find(a.positional[1]) : NULL;
        if (!k) {
            cli_error("help kind: expected a source kind (see 'ctxprof help kinds')");
            return CLI_USAGE;
        }
        ctxprof_kind_markdown(stdout, k);
        return CLI_OK;
    }
    const cli_command *cmd = cli_find(a.positional[0]);
    if (!cmd) {
        cli_error("'%s' is not a ctxprof command (see 'ctxprof --help')", a.positional[0]);
        return CLI_USAGE;
    }
    cli_print_help(stdout, cmd);
    return CLI_OK;
}
