#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "export/datarequest.h"
#include "load/kinds.h"

const cli_option cmd_datarequest_options[] = {
    {"output", 'o', "FILE.md|DIR",
     "Write the sheet to FILE.md (default: stdout); with --all, "
     "the folder for one KIND.md per kind"},
    {"all", 0, NULL, "One sheet for every source kind"},
    {"retention", 0, "PERIOD", "How long the data and profiles are kept (default: 12 months)"},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, NULL},
};

/* Writes one sheet to path through a temporary file renamed into place. */
static int write_sheet(const char *path, const ctxprof_kind *k,
                       const ctxprof_datarequest_options *o)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
    /* the folders of -o are made when missing */
    char *slash = strrchr(tmp, '/');
    if (slash && slash != tmp) {
        *slash = '\0';
        int made = cli_mkdirs(tmp);
        *slash = '/';
        if (made != 0) {
            cli_error("%s: cannot create its folder: %s", path, strerror(errno));
            free(tmp);
            return CLI_FAIL;
        }
    }
    FILE *f = fopen(tmp, "w");
    int rc = CLI_OK;
    if (!f) {
        cli_error("%s: cannot create: %s", path, strerror(errno));
        rc = CLI_FAIL;
    } else {
        int bad = ctxprof_datarequest_markdown(f, k, o) != 0;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path) != 0) {
            cli_error("%s: cannot write: %s", path, strerror(errno));
            unlink(tmp);
            rc = CLI_FAIL;
        }
    }
    free(tmp);
    return rc;
}

static void list_kinds(void)
{
    fprintf(stderr, "ctxprof: valid kinds:");
    for (size_t i = 0; i < ctxprof_kind_count(); i++)
        fprintf(stderr, " %s", ctxprof_kind_at(i)->name);
    fprintf(stderr, "\n");
}

int cmd_datarequest(int argc, char **argv)
{
    const cli_command *cmd = cli_find("datarequest");
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    ctxprof_datarequest_options o = CTXPROF_DATAREQUEST_OPTIONS_INIT;
    const char *ret = cli_get(&a, cmd, "retention"), *out = cli_get(&a, cmd, "output");
    if (ret) {
        if (!*ret) {
            cli_error("datarequest: --retention needs a period, e.g. '12 months'");
            return CLI_USAGE;
        }
        o.retention = ret;
    }
    if (cli_get(&a, cmd, "all")) {
        if (a.n_positional || !out || !*out) {
            cli_error("datarequest: --all takes no KIND and needs -o DIR (usage: ctxprof "
                      "datarequest %s)",
                      cmd->usage);
            return CLI_USAGE;
        }
        if (cli_mkdirs(out) != 0) {
            cli_error("%s: cannot create folder: %s", out, strerror(errno));
            return CLI_FAIL;
        }
        for (size_t i = 0; i < ctxprof_kind_count(); i++) {
            const ctxprof_kind *k = ctxprof_kind_at(i);
            size_t n = strlen(out) + strlen(k->name) + 8;
            char *path = malloc(n);
            if (!path) {
                cli_error("out of memory");
                return CLI_FAIL;
            }
            snprintf(path, n, "%s/%s.md", out, k->name);
            rc = write_sheet(path, k, &o);
            free(path);
            if (rc)
                return rc;
        }
        if (a.json) {
            printf("{\"sheets\": %zu, \"output\": ", ctxprof_kind_count());
            cli_json_string(stdout, out);
            printf("}\n");
        } else if (!a.quiet)
            printf("Wrote %zu data-request sheets into %s\n", ctxprof_kind_count(), out);
        return CLI_OK;
    }
    if (a.n_positional != 1) {
        cli_error("datarequest: expected one source kind or --all (usage: ctxprof datarequest "
                  "%s)",
                  cmd->usage);
        return CLI_USAGE;
    }
    const ctxprof_kind *k = ctxprof_kind_find(a.positional[0]);
    if (!k) {
        cli_error("datarequest: '%s' is not a source kind", a.positional[0]);
        list_kinds();
        return CLI_FAIL;
    }
    if (!out || strcmp(out, "-") == 0)
        return ctxprof_datarequest_markdown(stdout, k, &o) ? CLI_FAIL : CLI_OK;
    if ((rc = write_sheet(out, k, &o)))
        return rc;
    if (a.json) {
        printf("{\"kind\": \"%s\", \"output\": ", k->name);
        cli_json_string(stdout, out);
        printf("}\n");
    }
    return CLI_OK;
}
