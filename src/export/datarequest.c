/* Data-request sheets from the source-kind table: every field a kind reads
 * is asked for, with what it is, why the profile needs it and the sharing
 * level it needs. */
#include "export/datarequest.h"

#include <string.h>

#include "core/context.h"

typedef struct {
    const char *key;
    const char *what;
    const char *why;
    int level; /* 0 identifiable, 1 pseudonymised, 2 aggregate */
} field_use;

static const char *const level_names[] = {"identifiable", "pseudonymised", "aggregate"};

#define WHY_PERSON                                                                                 \
    "To count how many *different* young people are affected across the definitional silos "       \
    "(CSE, serious youth violence, harmful sexual behaviour, relationship abuse, online "          \
    "exploitation) and to link young people into peer groups. It is replaced by a pseudonym "      \
    "(`pid`, a keyed HMAC-SHA-256) as the data are loaded and is never written to any output, "    \
    "log or message."

static const field_use USES[] = {
    {"id", "Your record reference",
     "To recognise the same record sent twice (duplicates are counted, not double counted). "
     "It is not written to any output: records are known by source and row number.",
     1},
    {"date", "Date of the incident, referral or event",
     "To count by period, compare periods and see trends. Send it at the precision you hold "
     "(a month is enough where that is all you have).",
     1},
    {"time", "Time of the incident",
     "To see school-day, after-school and night-time patterns, and journeys to and from "
     "school.",
     1},
    {"x", "Easting (grid reference)",
     "To place the record in its contexts (school catchment, nearest school, park, bus route "
     "segment, area) and to map hotspots.",
     1},
    {"y", "Northing (grid reference)", "As the easting.", 1},
    {"lon", "Longitude",
     "To place the record in its contexts and to map hotspots, when you hold longitude and "
     "latitude rather than a grid reference.",
     1},
    {"lat", "Latitude", "As the longitude.", 1},
    {"postcode", "Postcode of where it happened",
     "To place the record when there are no coordinates.", 1},
    {"address", "Address or street where it happened",
     "To place the record when there are no coordinates or postcode. Only the placed point and "
     "its contexts are kept; the text is kept only for records that could not be placed, so "
     "that they can be corrected.",
     1},
    {"location", "Description of the place (a park, a bus stop, a shop, a street)",
     "To place the record by a named place when there is no address.", 1},
    {"text", "Free-text notes or summary",
     "Searched, in memory, for a fixed list of keywords (for example county lines, sexting, "
     "coercive control) to categorise records whose codes say little. The text is never "
     "written to any output. Notes often name people: they are treated as identifiable.",
     0},
    {"person_id", "The young person's id in your system", WHY_PERSON, 0},
#define AS_PERSON                                                                                  \
    "As the person id: names with dates of birth recognise the same young person in agencies "     \
    "that share no id. Replaced by the pseudonym as the data are loaded; never written to any "    \
    "output, log or message."
    {"forename", "The young person's forename", AS_PERSON, 0},
    {"surname", "The young person's surname", AS_PERSON, 0},
    {"dob", "The young person's date of birth", AS_PERSON, 0},
    {"person2_id", "The associate's id in your system",
     "To link the two young people of an association into a peer group. " AS_PERSON, 0},
    {"person2_forename", "The associate's forename", AS_PERSON, 0},
    {"person2_surname", "The associate's surname", AS_PERSON, 0},
    {"person2_dob", "The associate's date of birth", AS_PERSON, 0},
    {"person_system", "The system a person id belongs to",
     "To link ids of one system to the people of the others; it is not written to any output.", 1},
    {"code", "Category, reason or offence code",
     "Mapped onto one shared taxonomy (child sexual exploitation, serious youth violence, "
     "harmful sexual behaviour, teenage relationship abuse, online, and context indicators), so "
     "that different agencies' codes can be counted together.",
     1},
    {"flags", "Yes/no flags (youth involvement, vulnerability, weapon, MARAC)",
     "Counted per context: the share of records involving young people, vulnerability or a "
     "weapon.",
     1},
    {"route", "Bus route", "To place the record on the route segment between two stops.", 1},
    {"stop", "Bus stop", "To place the record on the route at the stop.", 1},
    {NULL, NULL, NULL, 1},
};

static const field_use *use_of(const char *key)
{
    for (const field_use *u = USES; u->key; u++)
        if (strcmp(u->key, key) == 0)
            return u;
    return NULL;
}

const char *ctxprof_datarequest_level(const char *field_key)
{
    const field_use *u = use_of(field_key);
    return level_names[u ? u->level : 1];
}

/* The '|'-separated aliases as "A, B, C". */
static void aliases(FILE *f, const char *a)
{
    for (const char *p = a; *p; p++) {
        if (*p == '|')
            fputs(", ", f);
        else if (*p == ':') /* Column:flag */
            while (p[1] && p[1] != '|')
                p++;
        else
            fputc(*p, f);
    }
}

/* The kind's built-in code map as a list of the codes recognised. */
static void codes(FILE *f, const char *csv)
{
    const char *line = strchr(csv, '\n');
    int n = 0;
    while (line && line[1]) {
        line++;
        const char *end = strchr(line, '\n');
        const char *comma = strchr(line, ',');
        if (comma && (!end || comma < end)) {
            fprintf(f, "%s`%.*s`", n++ ? ", " : "", (int)(comma - line), line);
        }
        line = end;
    }
    if (n)
        fprintf(f, ".\n\nOther codes are welcome: send your code list with the data and we "
                   "will map them.\n");
    else
        fprintf(f, "none built in. Please send your code list (code and meaning) with the "
                   "data, so that we can map your codes.\n");
}

int ctxprof_datarequest_markdown(FILE *f, const ctxprof_kind *k,
                                 const ctxprof_datarequest_options *o)
{
    ctxprof_datarequest_options def = CTXPROF_DATAREQUEST_OPTIONS_INIT;
    if (!o || !o->retention)
        o = &def;
    fprintf(f, "# Data request: %s\n\n", k->title);
    fprintf(f,
            "Source kind `%s`. Generated by ctxprof %s from the source kinds the profile "
            "reads.\n\n",
            k->name, CTXPROF_VERSION);
    fprintf(f, "| | |\n|---|---|\n| To (agency, team) | _to be filled in_ |\n"
               "| From (analyst, organisation) | _to be filled in_ |\n"
               "| Date of request | _to be filled in_ |\n"
               "| Period of data asked for | _to be filled in_ |\n\n");

    fprintf(f, "## Why we are asking: a contextual safeguarding profile\n\n"
               "We are building a *contextual safeguarding* profile of peer-on-peer abuse in "
               "the area: harm young people do to one another, such as child sexual "
               "exploitation, serious youth violence and gangs, harmful sexual behaviour, "
               "teenage relationship abuse and online exploitation. Each agency sees only part "
               "of it. Joined together, records from police, social care, education, health, "
               "community safety and transport answer three questions no single agency can:\n\n"
               "1. How many *different* young people are affected across these categories "
               "(30 on one list and 30 on another is 60 young people, or 45 if 15 are on "
               "both)?\n"
               "2. *Where* does the abuse happen, and in which contexts: schools, peer groups, "
               "parks and other public spaces, bus routes and the journeys between schools?\n"
               "3. Do different forms of abuse share the same places and peer groups?\n\n"
               "The answers direct safeguarding work at places and groups (a park, a bus "
               "route at school closing time, a peer group across schools) as well as at "
               "individual children.\n\n");

    fprintf(f, "## What your data adds\n\n%s\n\n", k->about);
    if (k->linkage)
        fprintf(f, "These are linkage records: they are used only to link records of the "
                   "same young people (or of young people known to be together); they are not "
                   "counted as incidents or placed on the map.\n\n");
    else if (*k->categories)
        fprintf(f, "Every record of this kind is counted under: %s.\n\n", k->categories);

    fprintf(f, "## Fields we ask for\n\n"
               "Send the columns you hold; none is compulsory, and a column that is not sent "
               "is simply not used. Your own column names are fine: we recognise the names "
               "listed, and map any others.\n\n"
               "| field | what it is | why we need it | sharing level | column names we "
               "recognise |\n|---|---|---|---|---|\n");
    int counts[3] = {0, 0, 0};
    for (const ctxprof_kind_field *fl = k->fields; fl->key; fl++) {
        const field_use *u = use_of(fl->key);
        int level = u ? u->level : 1;
        counts[level]++;
        fprintf(f, "| `field.%s` | %s | %s | %s | ", fl->key, u ? u->what : fl->key,
                u ? u->why : "Used by the profile as described in its documentation.",
                level_names[level]);
        aliases(f, fl->aliases);
        fputs(" |\n", f);
    }

    fprintf(f, "\n## Sharing levels\n\n"
               "- **identifiable**: identifies a young person (a name, a date of birth, a "
               "system id, notes that may name people). Needed so that the same young person "
               "is counted once across agencies. It is replaced by a pseudonym (`pid`) as the "
               "data are loaded and never reaches any output.\n"
               "- **pseudonymised**: record-level detail with no identity (a date, a place, a "
               "category). Kept in the analyst's profile against the pseudonym only.\n"
               "- **aggregate**: counts per area, school, park, bus route segment, corridor or "
               "hotspot. This is all that is shared beyond the analyst's team, with small "
               "counts suppressed.\n\n");
    fprintf(f, "This request asks for %d identifiable and %d pseudonymised fields", counts[0],
            counts[1]);
    if (counts[0])
        fprintf(f, "; if you can only share aggregates, the profile cannot count young people "
                   "across agencies, but your counts per place can still be mapped.\n\n");
    else
        fprintf(f, ": no young person is identified by them.\n\n");
    fputs("Identifiable fields asked for: ", f);
    int n = 0;
    for (const ctxprof_kind_field *fl = k->fields; fl->key; fl++)
        if (use_of(fl->key) && use_of(fl->key)->level == 0)
            fprintf(f, "%s`field.%s`", n++ ? ", " : "", fl->key);
    fputs(n ? ".\n\n" : "none.\n\n", f);

    int has_code = 0;
    for (const ctxprof_kind_field *fl = k->fields; fl->key; fl++)
        has_code |= strcmp(fl->key, "code") == 0;
    if (!k->linkage && has_code) {
        fprintf(f, "## Codes\n\nCodes we already recognise for this kind of record: ");
        codes(f, k->codes);
        fputc('\n', f);
    }

    fprintf(f, "## Lawful basis\n\n"
               "_To be filled in by the analyst with the data protection officer:_\n\n"
               "- Lawful basis for processing (UK GDPR Article 6): _to be filled in_\n"
               "- Condition for special category or criminal offence data (Article 9 / 10, "
               "Data Protection Act 2018 Schedule 1): _to be filled in_\n"
               "- Information sharing agreement or protocol (name, reference): _to be filled "
               "in_\n"
               "- Data protection impact assessment (reference): _to be filled in_\n\n");

    fprintf(f,
            "## How the data will be stored, and for how long\n\n"
            "- Files you send are stored only on the analyst's secured system, readable by "
            "the analyst's account alone.\n"
            "- As the data are loaded, names, dates of birth and system ids are replaced "
            "by a pseudonym: a keyed hash (HMAC-SHA-256) whose key is held by the analyst "
            "and is never written to any file the profile produces. Free-text notes are "
            "searched for keywords and not stored.\n"
            "- The profile (a GeoPackage) and any shapefile export of it are created "
            "readable by their owner only (file mode 0600).\n"
            "- Only aggregate counts, with small numbers suppressed, are shared beyond the "
            "analyst's team.\n"
            "- Retention: the files you send and the profiles made from them are kept for "
            "**%s** from receipt, then deleted. Aggregate reports may be kept longer.\n\n",
            o->retention);
    fprintf(f, "## Questions\n\nContact: _to be filled in_\n");
    return ferror(f) ? -1 : 0;
}
