/* Every subcommand's entry point and its table entry data. */
#ifndef CTXPROF_COMMANDS_H
#define CTXPROF_COMMANDS_H

#include "cli/cli.h"
#include "hotspots/kde.h"

int cmd_corridors(int argc, char **argv);
int cmd_gazetteer(int argc, char **argv);
int cmd_geocode(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_hotspots(int argc, char **argv);
int cmd_kde(int argc, char **argv);
int cmd_people(int argc, char **argv);
int cmd_overlap(int argc, char **argv);
int cmd_peers(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_snap(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_datarequest(int argc, char **argv);

extern const cli_option cmd_help_options[], cmd_run_options[], cmd_version_options[];
extern const cli_option cmd_gazetteer_options[], cmd_geocode_options[];
extern const cli_option cmd_snap_options[];
extern const cli_option cmd_people_options[]; /* also overlap and peers */
extern const cli_option cmd_corridors_options[];
extern const cli_option cmd_export_options[], cmd_datarequest_options[];
extern const cli_option cmd_share_options[];

/* kde, hotspots, evaluate (cmd_kde.c): the shared kernel density options. */
extern const cli_option cmd_kde_options[], cmd_hotspots_options[], cmd_evaluate_options[];
int cli_number(const char *cmd, const char *name, const char *v, double *out);
int cli_kde_options(const cli_command *cmd, const cli_args *a, ctxprof_kde_options *o);

/* Prints the top-level help (the sorted command table). */
void cli_print_main_help(FILE *f);

#endif
