/* What `ctxprof people`, `ctxprof overlap` and `ctxprof peers` share: one
 * driver that parses the common options, runs the people stage and prints
 * its summary (text or --json). */
#ifndef CTXPROF_CLI_PEOPLE_H
#define CTXPROF_CLI_PEOPLE_H

/* name: the command; what: CTXPROF_PEOPLE_OVERLAP and/or _GROUPS. */
int cli_people_main(const char *name, unsigned what, int argc, char **argv);

#endif
