/* The people stage's option parsing: no dependency beyond the context, so
 * that the profile (and its fuzz target) can check the options. */
#include <stdio.h>
#include <string.h>

#include <cpl_string.h>

#include "people/people.h"

const char *const ctxprof_match_reasons[CTXPROF_MATCH_N_REASONS] = {
    "transposed_dob", "double_surname", "accents", "nickname", "name_without_dob"};

unsigned ctxprof_match_reason_bit(const char *reason)
{
    for (int i = 0; i < CTXPROF_MATCH_N_REASONS; i++)
        if (strcmp(reason, ctxprof_match_reasons[i]) == 0)
            return 1u << i;
    return 0;
}

int ctxprof_people_accept_parse(ctxprof_ctx *ctx, unsigned *mask, const char *list,
                                const char *origin)
{
    *mask = 0;
    char **items =
        CSLTokenizeString2(list ? list : "", ",", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
    int rc = 0;
    for (int i = 0; items && items[i] && !rc; i++) {
        if (!items[i][0] || strcmp(items[i], "none") == 0)
            continue;
        unsigned bit = ctxprof_match_reason_bit(items[i]);
        if (!bit && !ctx)
            rc = CTXPROF_E_CONFIG;
        else if (!bit)
            rc = ctxprof_error(ctx, CTXPROF_E_CONFIG,
                               "%s: [people] accept_matches: '%s' is not a possible match "
                               "reason (none, transposed_dob, double_surname, accents, "
                               "nickname, name_without_dob)",
                               origin, items[i]);
        *mask |= bit;
    }
    CSLDestroy(items);
    return rc;
}

/* The record's date as days since 1970, for "the latest record" ties. */
