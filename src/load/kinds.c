#include "load/kinds.h"

#include <string.h>

/* Column names seen across agencies' exports, most specific first. */
#define A_ID "Ref|Reference|Ref No|Reference Number|Incident Ref|Incident ID|Record ID|ID"
#define A_DATE                                                                                     \
    "Date|Incident Date|Date Reported|Reported Date|Referral Date|Occurred|Date of "               \
    "Incident|Event Date"
#define A_TIME      "Time|Incident Time|Time Reported|Time of Incident"
#define A_X         "Easting|Eastings|X|Grid Easting|X Coordinate|Location_Easting"
#define A_Y         "Northing|Northings|Y|Grid Northing|Y Coordinate|Location_Northing"
#define A_LON       "Longitude|Lon|Long|Lng"
#define A_LAT       "Latitude|Lat"
#define A_POSTCODE  "Postcode|Post Code|Postal Code|PostCode"
#define A_ADDRESS   "Address|Incident Address|Location Address|Full Address"
#define A_LOCATION  "Location|Location Description|Place|Where"
#define A_TEXT      "Notes|Summary|Description|Details|Concerns|Narrative|Comments|Free Text"
#define A_PERSON_ID "Person ID|Child ID|Client ID|Subject ID|Nominal ID|UPN|NHS Number|System ID"
#define A_FORENAME  "Forename|First Name|Firstname|Given Name|First Names"
#define A_SURNAME   "Surname|Last Name|Lastname|Family Name"
#define A_DOB       "DOB|Date of Birth|D.O.B.|Birth Date|DateOfBirth"
/* The school a child attends: its URN (or the schools layer's id), else its name. */
#define A_SCHOOL "School URN|URN|School ID|School Id|School Code|School|School Name|School Attended"

#define COMMON_FIELDS                                                                              \
    {"id", A_ID}, {"date", A_DATE}, {"time", A_TIME}, {"x", A_X}, {"y", A_Y}, {"lon", A_LON},      \
        {"lat", A_LAT}, {"postcode", A_POSTCODE}, {"address", A_ADDRESS},                          \
        {"location", A_LOCATION}, {"text", A_TEXT}, {"person_id", A_PERSON_ID},                    \
        {"forename", A_FORENAME}, {"surname", A_SURNAME},                                          \
    {                                                                                              \
        "dob", A_DOB                                                                               \
    }

const char *const ctxprof_common_keywords = "code,categories,flags\n"
                                            "kw:sexual exploitation,cse,\n"
                                            "kw:cse,cse,\n"
                                            "kw:older boyfriend,cse,vulnerable\n"
                                            "kw:grooming,cse,vulnerable\n"
                                            "kw:exchange for,cse,\n"
                                            "kw:county lines,syv,vulnerable\n"
                                            "kw:criminal exploitation,syv,vulnerable\n"
                                            "kw:cce,syv,vulnerable\n"
                                            "kw:gang,syv,\n"
                                            "kw:stabbed,syv,weapon\n"
                                            "kw:stabbing,syv,weapon\n"
                                            "kw:stab wound,syv,weapon\n"
                                            "kw:knife,syv,weapon\n"
                                            "kw:bladed,syv,weapon\n"
                                            "kw:machete,syv,weapon\n"
                                            "kw:firearm,syv,weapon\n"
                                            "kw:robbery,syv,\n"
                                            "kw:harmful sexual behaviour,hsb,\n"
                                            "kw:sexual assault,hsb,\n"
                                            "kw:upskirting,hsb+online,\n"
                                            "kw:sexting,online+hsb,\n"
                                            "kw:nude image,online+hsb,\n"
                                            "kw:indecent image,online+hsb,\n"
                                            "kw:sextortion,online+cse,vulnerable\n"
                                            "kw:online grooming,online+cse,vulnerable\n"
                                            "kw:social media,online,\n"
                                            "kw:coercive control,tra,\n"
                                            "kw:relationship abuse,tra,\n"
                                            "kw:boyfriend,tra,\n"
                                            "kw:girlfriend,tra,\n"
                                            "kw:went missing,missing,\n"
                                            "kw:missing from,missing,\n";

static const ctxprof_kind_field police_fields[] = {
    COMMON_FIELDS,
    {"code", "Offence Code|Crime Code|HO Code|Offence|Category|Flag Code|Flags"},
    {NULL, NULL}};

static const ctxprof_kind_field mash_fields[] = {
    COMMON_FIELDS,
    {"code",
     "Category|Primary Category|Concern Category|Referral Category|Abuse Type|Presenting Need"},
    {NULL, NULL}};

static const ctxprof_kind_field police_uk_fields[] = {
    {"id", "Crime ID"},       {"date", "Month"},      {"lon", "Longitude"}, {"lat", "Latitude"},
    {"location", "Location"}, {"code", "Crime type"}, {NULL, NULL}};

static const ctxprof_kind_field exclusion_fields[] = {
    COMMON_FIELDS,
    {"code", "Reason|Reason Code|Exclusion Reason|Category|Exclusion Type|Type|Exclusion Category"},
    {"school", A_SCHOOL},
    {NULL, NULL}};

static const ctxprof_kind_field missing_fields[] = {COMMON_FIELDS,
                                                    {"code", "Reason|Reason Code|Category|Outcome"},
                                                    {"school", A_SCHOOL},
                                                    {NULL, NULL}};

static const ctxprof_kind_field health_fields[] = {
    COMMON_FIELDS,
    {"code", "Presenting Complaint|Reason for Attendance|Injury|Concern|Category|Code|Reason"},
    {NULL, NULL}};

static const ctxprof_kind_field asb_fields[] = {
    COMMON_FIELDS,
    {"code", "ASB Type|Type|Category|Problem Type|Complaint Type|Code"},
    {NULL, NULL}};

static const ctxprof_kind_field da_fields[] = {
    COMMON_FIELDS,
    {"code", "Relationship|Risk Level|Category|Type|Code"},
    {"flags", "MARAC:marac|MARAC Flag:marac|Heard at MARAC:marac"},
    {NULL, NULL}};

static const ctxprof_kind_field bus_fields[] = {
    COMMON_FIELDS,
    {"code", "Cause Code|Cause|Incident Type|Category|Code"},
    {"flags", "Youth Flag:youth|Youth:youth|Under 18:youth|Vulnerability "
              "Flag:vulnerable|Vulnerable:vulnerable|Weapon:weapon"},
    {"route", "Route|Route No|Bus Route"},
    {"stop", "Stop|Stop Name|Bus Stop|Nearest Stop"},
    {NULL, NULL}};

static const ctxprof_kind_field travel_card_fields[] = {
    COMMON_FIELDS,
    {"code", "Reason|Withdrawal Reason|Category|Code"},
    {"route", "Route|Route No|Bus Route"},
    {"school", A_SCHOOL},
    {NULL, NULL}};

static const ctxprof_kind_field association_fields[] = {
    {"id", A_ID},
    {"date", A_DATE},
    {"person_id", "Person A ID|Subject ID|Person 1 ID|Person ID"},
    {"forename", "Person A Forename|Person A First Name|Forename 1|Forename"},
    {"surname", "Person A Surname|Person A Last Name|Surname 1|Surname"},
    {"dob", "Person A DOB|DOB 1|DOB"},
    {"person2_id", "Person B ID|Associate ID|Person 2 ID"},
    {"person2_forename", "Person B Forename|Person B First Name|Forename 2|Associate Forename"},
    {"person2_surname", "Person B Surname|Person B Last Name|Surname 2|Associate Surname"},
    {"person2_dob", "Person B DOB|DOB 2|Associate DOB"},
    {NULL, NULL}};

static const ctxprof_kind_field records_fields[] = {{"id", A_ID},
                                                    {"x", A_X},
                                                    {"y", A_Y},
                                                    {"lon", A_LON},
                                                    {"lat", A_LAT},
                                                    {"postcode", A_POSTCODE},
                                                    {"address", A_ADDRESS},
                                                    {"location", A_LOCATION},
                                                    {NULL, NULL}};

static const ctxprof_kind_field crosswalk_fields[] = {{"person_system", "System|Source System"},
                                                      {"person_id", "System ID|Person ID|ID"},
                                                      {"forename", A_FORENAME},
                                                      {"surname", A_SURNAME},
                                                      {"dob", A_DOB},
                                                      {NULL, NULL}};

static const ctxprof_kind KINDS[] = {
    {"ae_youth_worker", "A&E and youth worker reports",
     "Young people seen in emergency departments, often by a youth worker embedded in A&E, "
     "with the reason they came (an assault, a stab wound, intoxication). Health data show "
     "violence that never reaches the police.",
     "dmy", "", health_fields,
     "code,categories,flags\n"
     "ASSAULT,syv,\n"
     "STAB WOUND,syv,weapon\n"
     "STABBING,syv,weapon\n"
     "KNIFE INJURY,syv,weapon\n"
     "GUNSHOT,syv,weapon\n"
     "SEXUAL ASSAULT,hsb,\n"
     "DOG BITE,,\n"
     "INTOXICATION,,vulnerable\n"
     "OVERDOSE,,vulnerable\n"
     "SELF HARM,,vulnerable\n",
     0},
    {"asb", "Anti-social behaviour",
     "Council and police anti-social behaviour reports. Youth nuisance in a park, an estate or "
     "a shopping parade shows where groups gather and which places feel unsafe.",
     "dmy", "asb", asb_fields,
     "code,categories,flags\n"
     "YOUTH NUISANCE,asb,youth\n"
     "YOUTHS,asb,youth\n"
     "GROUPS,asb,\n"
     "DRUGS,asb,\n"
     "INTIMIDATION,asb,\n"
     "VANDALISM,asb,\n"
     "NOISE,asb+disturbance,\n"
     "FIREWORKS,asb,\n"
     "VEHICLE,asb,\n",
     0},
    {"association", "Person-to-person association records",
     "Pairs of young people known to be together (seen together, stopped together, named as "
     "associates). They link people into peer groups; they are linkage records, not incidents.",
     "dmy", "", association_fields, "code,categories,flags\n", 1},
    {"bus_asb_form", "Bus anti-social behaviour incident forms",
     "Forms bus operators complete after anti-social behaviour on a bus or at a stop, usually "
     "with free text. They show which routes and stops young people are threatened on.",
     "dmy", "transport+asb", bus_fields,
     "code,categories,flags\n"
     "ASB,asb,\n"
     "ASSAULT,syv,\n"
     "ROBBERY,syv,\n"
     "THREAT,syv,\n"
     "SEXUAL,hsb,\n",
     0},
    {"bus_driver_incident", "Bus driver incident reports",
     "Reports bus drivers make through the operator, with a cause code and flags for youth "
     "involvement and vulnerability. Clusters on a route segment near school closing time "
     "often mark a journey where young people are at risk.",
     "dmy", "transport", bus_fields,
     "code,categories,flags\n"
     "ASB,asb,\n"
     "ASB-YTH,asb,youth\n"
     "ASLT,syv,\n"
     "ASSAULT,syv,\n"
     "ROB,syv,\n"
     "WPN,syv,weapon\n"
     "SEX,hsb,\n"
     "MISS,missing,vulnerable\n"
     "DMG,asb,\n"
     "FARE,,\n"
     "MEDICAL,,\n",
     0},
    {"camhs", "CAMHS referrals",
     "Child and adolescent mental health referrals naming trauma from exploitation, relationship "
     "abuse or harmful sexual behaviour.",
     "dmy", "", health_fields,
     "code,categories,flags\n"
     "CSE,cse,vulnerable\n"
     "EXPLOITATION,cse+syv,vulnerable\n"
     "HSB,hsb,\n"
     "TRAUMA - VIOLENCE,syv,\n"
     "TRAUMA - SEXUAL,hsb,\n"
     "RELATIONSHIP ABUSE,tra,\n"
     "SELF HARM,,vulnerable\n",
     0},
    {"crosswalk", "Person crosswalk",
     "A table linking one system's person ids to names and dates of birth, so that sources that "
     "identify people only by a system id can be linked to the rest. Linkage records, not "
     "incidents.",
     "dmy", "", crosswalk_fields, "code,categories,flags\n", 1},
    {"disturbance", "Household disturbance and noise",
     "Noise and disturbance complaints. Parties and gatherings at an address can be where "
     "exploitation happens.",
     "dmy", "disturbance", asb_fields,
     "code,categories,flags\n"
     "NOISE,disturbance,\n"
     "PARTY,disturbance,\n"
     "MUSIC,disturbance,\n"
     "SHOUTING,disturbance,\n"
     "DISTURBANCE,disturbance,\n",
     0},
    {"domestic_abuse", "Domestic abuse and MARAC",
     "Domestic abuse incidents and MARAC cases. Where both people are under 18 the abuse is "
     "teenage relationship abuse.",
     "dmy", "da", da_fields,
     "code,categories,flags\n"
     "INTIMATE PARTNER U18,tra,\n"
     "TEEN RELATIONSHIP,tra,\n"
     "TRA,tra,\n"
     "INTIMATE PARTNER,,\n"
     "FAMILY,,\n"
     "CHILD TO PARENT,,\n"
     "HIGH,,vulnerable\n"
     "MEDIUM,,\n"
     "STANDARD,,\n",
     0},
    {"mash_referral", "Social care and MASH referrals",
     "Referrals to children's social care, usually through the Multi-Agency Safeguarding Hub, "
     "with a category of concern and free-text concerns.",
     "dmy", "", mash_fields,
     "code,categories,flags\n"
     "CSE,cse,\n"
     "CHILD SEXUAL EXPLOITATION,cse,\n"
     "CCE,syv,vulnerable\n"
     "CRIMINAL EXPLOITATION,syv,vulnerable\n"
     "GANGS,syv,\n"
     "SYV,syv,\n"
     "HSB,hsb,\n"
     "HARMFUL SEXUAL BEHAVIOUR,hsb,\n"
     "TRA,tra,\n"
     "TEENAGE RELATIONSHIP ABUSE,tra,\n"
     "ONLINE,online,\n"
     "MISSING,missing,\n"
     "DOMESTIC ABUSE,da,\n"
     "NEGLECT,,\n"
     "EMOTIONAL ABUSE,,\n"
     "PHYSICAL ABUSE,,\n",
     0},
    {"missing_education", "Children missing education",
     "Children not on a school roll or not receiving suitable education. Being out of school is "
     "a known risk factor for exploitation.",
     "dmy", "missing", missing_fields, "code,categories,flags\n", 0},
    {"missing_school_day", "Missing during the school day",
     "Pupils who leave school during the day or do not arrive, with the time they went missing. "
     "Times and places show the windows and routes exploitation uses.",
     "dmy", "missing", missing_fields, "code,categories,flags\n", 0},
    {"police_referral", "Police referrals",
     "Police referrals and crime reports concerning young people, with offence codes or "
     "exploitation flags and, often, coordinates.",
     "dmy", "", police_fields,
     "code,categories,flags\n"
     "CSE,cse,\n"
     "CCE,syv,vulnerable\n"
     "GANG,syv,\n"
     "SYV,syv,\n"
     "KNIFE,syv,weapon\n"
     "WEAPON,syv,weapon\n"
     "ROBBERY,syv,\n"
     "ASSAULT,syv,\n"
     "SEXUAL,hsb,\n"
     "HSB,hsb,\n"
     "TRA,tra,\n"
     "ONLINE,online,\n"
     "DA,da,\n"
     "MISSING,missing,\n",
     0},
    {"police_uk", "police.uk street-level crime",
     "The public street-level crime and anti-social behaviour file from data.police.uk: month "
     "only, an anonymised map point snapped to a street, and a broad crime type. It gives the "
     "background of all crime against which youth incidents stand out.",
     "month", "", police_uk_fields,
     "code,categories,flags\n"
     "Anti-social behaviour,asb,\n"
     "Violence and sexual offences,violence_all_ages,\n"
     "Robbery,robbery_all_ages,\n"
     "Possession of weapons,weapons_all_ages,weapon\n"
     "Public order,public_order_all_ages,\n"
     "Drugs,drugs_all_ages,\n"
     "Burglary,,\n"
     "Vehicle crime,,\n"
     "Criminal damage and arson,,\n"
     "Other theft,,\n"
     "Shoplifting,,\n"
     "Bicycle theft,,\n"
     "Theft from the person,,\n"
     "Other crime,,\n",
     0},
    {"records", "Records to place (any agency)",
     "Any table of records to be placed on the map, as `ctxprof geocode` reads it: only "
     "the location columns are used. No date, category or person is read.",
     "dmy", "", records_fields, "code,categories,flags\n", 0},
    {"school_exclusion", "School exclusions",
     "Fixed-term (suspensions) and permanent exclusions with the DfE reason code. Sexual "
     "misconduct, assault and weapon codes point at harmful sexual behaviour and violence "
     "inside schools.",
     "dmy", "exclusion", exclusion_fields,
     "code,categories,flags\n"
     "SM,hsb,\n"
     "PP,syv,\n"
     "PA,syv,\n"
     "VP,,\n"
     "VA,,\n"
     "BU,,\n"
     "RA,,\n"
     "LG,,\n"
     "DS,,\n"
     "MT,online,\n"
     "WE,syv,weapon\n"
     "DA,,\n"
     "DM,,\n"
     "TH,,\n"
     "PD,,\n"
     "OT,,\n"
     "FIXED,,fixed_term\n"
     "FIXED TERM,,fixed_term\n"
     "FIXED-TERM,,fixed_term\n"
     "FTE,,fixed_term\n"
     "SUSPENSION,,fixed_term\n"
     "PERMANENT,,permanent\n"
     "PEX,,permanent\n",
     0},
    {"sexual_health", "Sexual health services",
     "Sexual health clinic attendances with a safeguarding concern (a risk assessment such as "
     "Spotting the Signs).",
     "dmy", "", health_fields,
     "code,categories,flags\n"
     "CSE CONCERN,cse,vulnerable\n"
     "CSE,cse,vulnerable\n"
     "OLDER PARTNER,cse,vulnerable\n"
     "COERCION,tra,\n"
     "TRA,tra,\n"
     "SEXUAL ASSAULT,hsb,\n",
     0},
    {"travel_card_withdrawn", "Withdrawn under-18 travel cards",
     "Zip Oyster photocards withdrawn from under-18s after misbehaviour on the network. They "
     "show which young people, routes and times are involved.",
     "dmy", "transport", travel_card_fields,
     "code,categories,flags\n"
     "ASB,asb,youth\n"
     "ASSAULT,syv,youth\n"
     "FARE EVASION,,youth\n"
     "DAMAGE,asb,youth\n"
     "THREATENING,syv,youth\n",
     0},
};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

int ctxprof_kind_all_ages(const ctxprof_kind *k)
{
    return k && strcmp(k->name, "police_uk") == 0;
}

const ctxprof_kind *ctxprof_kind_find(const char *name)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(KINDS[i].name, name) == 0)
            return &KINDS[i];
    return NULL;
}

size_t ctxprof_kind_count(void)
{
    return N_KINDS;
}

const ctxprof_kind *ctxprof_kind_at(size_t i)
{
    return i < N_KINDS ? &KINDS[i] : NULL;
}
