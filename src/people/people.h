/* People: who is affected across the definitional silos, and in which peer
 * groups (docs/people.md).
 *
 * Three steps, each usable on its own:
 * - linking: pids of sources that know people only by a system id are
 *   rewritten to the name + date-of-birth pid of the same person through
 *   the profile's crosswalk sources; near-duplicate identities are reported
 *   as possible matches (a pid pair and a reason), never merged. Names and
 *   dates of birth are read from the sources and compared in memory only;
 *   nothing but pids leaves this stage.
 * - overlap: distinct people per category, every pairwise intersection and
 *   every exclusive combination (an UpSet table).
 * - peer groups: people linked by association records (igraph), connected
 *   components, Louvain communities within large components, degree and
 *   betweenness per member, the schools its members attend (from the
 *   sources' field.school; the school nearest a member's incidents when no
 *   record says) and the contexts its incidents link to.
 *
 * ctxprof_people_stage runs the whole stage from a profile for the
 * `ctxprof people`, `overlap` and `peers` commands.
 */
#ifndef CTXPROF_PEOPLE_H
#define CTXPROF_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "load/load.h"
#include "core/pseudonym.h"
#include "load/source.h"
#include "snap/contexts.h"
#include "snap/snap.h"
#include "write/layers.h"
#include "write/output.h"

#define CTXPROF_PEOPLE_N_SILOS 5 /* cse, syv, hsb, tra, online: taxonomy bits 0..4 */

/* Possible match reasons, as bits of ctxprof_people_options.accept_matches. */
enum {
    CTXPROF_MATCH_TRANSPOSED_DOB = 1,
    CTXPROF_MATCH_DOUBLE_SURNAME = 2,
    CTXPROF_MATCH_ACCENTS = 4,
    CTXPROF_MATCH_NICKNAME = 8,
    CTXPROF_MATCH_NAME_WITHOUT_DOB = 16
};
#define CTXPROF_MATCH_N_REASONS 5
/* Reason names in bit order: transposed_dob, double_surname, accents,
 * nickname, name_without_dob. */
extern const char *const ctxprof_match_reasons[CTXPROF_MATCH_N_REASONS];

typedef struct {
    unsigned int version;
    int min_group_size;     /* [people] min_group_size: smaller components are not groups */
    int community_min_size; /* [people] community_min_size: larger components are split (Louvain) */
    double resolution;      /* [people] resolution: Louvain resolution */
    unsigned accept_matches; /* [people] accept_matches: CTXPROF_MATCH_* bits; 0 = none */
    /* For ctxprof_people_link: */
    const char *accept_list;       /* [people] accept_matches as written; checked when linking */
    const char *file;              /* the profile file, named in messages */
    const ctxprof_source *sources; /* the profile's sources (crosswalks, associations, ...) */
    size_t n_sources;
} ctxprof_people_options;

#define CTXPROF_PEOPLE_OPTIONS_VERSION 1
#define CTXPROF_PEOPLE_OPTIONS_INIT                                                                \
    {                                                                                              \
        .version = CTXPROF_PEOPLE_OPTIONS_VERSION, .min_group_size = 4, .community_min_size = 20,  \
        .resolution = 1.0, .accept_matches = 0, .accept_list = "none"                              \
    }

/* Parses a comma-separated list of reasons ("none" or names of
 * ctxprof_match_reasons) into CTXPROF_MATCH_* bits. Returns 0, or
 * CTXPROF_E_CONFIG naming the profile and the word it does not know (ctx
 * may be NULL: no message then). */
int ctxprof_people_accept_parse(ctxprof_ctx *ctx, unsigned *mask, const char *list,
                                const char *origin);
/* The CTXPROF_MATCH_* bit of a reason name (ctxprof_match_reasons), or 0. */
unsigned ctxprof_match_reason_bit(const char *reason);

typedef char ctxprof_pid[CTXPROF_PID_LEN + 1];

typedef struct {
    ctxprof_pid a, b;    /* a < b */
    const char *reason;  /* transposed_dob, double_surname, accents, nickname,
                          * name_without_dob (static) */
    unsigned reason_bit; /* CTXPROF_MATCH_* */
    ctxprof_pid kept;    /* the pid both become when accepted: the one with a
                          * dob for name_without_dob, else a */
    int accepted;        /* 1 when [people] accept_matches took it as one person */
} ctxprof_possible_match;

/* Exclusive combination of silos (an UpSet row). */
typedef struct {
    uint32_t mask; /* bits 0..4 */
    int64_t n_people;
} ctxprof_combination;

/* One member of the association graph (a vertex). */
typedef struct {
    ctxprof_pid pid;
    int32_t group;        /* index into groups, -1 when in no group */
    int32_t component;    /* connected component */
    int64_t degree;       /* distinct associates */
    double betweenness;   /* Freeman, undirected, unweighted */
    int64_t n_incidents;  /* incidents carrying the pid */
    int32_t school;       /* index in the schools layer, -1 when none */
    uint8_t school_basis; /* CTXPROF_SCHOOL_* */
} ctxprof_people_member;

/* How a member (or a peer_group_contexts line) is tied to a school. */
enum {
    CTXPROF_SCHOOL_NONE = 0,
    CTXPROF_SCHOOL_ATTENDS,  /* a record names the school the member attends */
    CTXPROF_SCHOOL_NEAREST,  /* no attendance known: the school nearest most of their incidents */
    CTXPROF_SCHOOL_INCIDENTS /* not a school tie: the group's incidents happen there */
};
/* "", "attends", "nearest", "incidents". */
extern const char *const ctxprof_school_basis_names[4];

/* One record naming the school a person attends (field.school). */
typedef struct {
    ctxprof_pid pid; /* after linking */
    char *school;    /* the value as written, trimmed: URN, id or name */
    int64_t day;     /* the record's date as days since 1970; INT64_MIN when unknown */
    int32_t source;  /* profile source index */
} ctxprof_attendance;

typedef struct {
    int32_t id; /* 1-based, largest group first */
    int64_t n_members;
    int64_t n_incidents; /* incidents of its members */
    uint32_t cats;       /* silos of its members' incidents */
    int64_t n_schools, n_contexts;
    double x, y;                /* centroid of its incidents with a position; NaN when none */
    int split;                  /* 1 when a Louvain community of a larger component */
    int64_t n_schools_attended; /* schools its members attend */
    int64_t n_members_attends;  /* members whose school a record names */
    int64_t n_members_nearest;  /* members placed at the school nearest their incidents */
} ctxprof_peer_group;

typedef struct {
    int32_t group;     /* index into groups */
    uint8_t type;      /* ctxprof_context_type */
    int32_t feature;   /* index in the context layer */
    int64_t n;         /* the group's incidents linked to it; for a school, the
                        * incidents of the members tied to it */
    uint8_t basis;     /* CTXPROF_SCHOOL_ATTENDS, _NEAREST (schools) or _INCIDENTS */
    int64_t n_members; /* members tied to it (schools) or with an incident there */
} ctxprof_group_context;

typedef struct {
    /* Linking */
    int64_t crosswalk_rows; /* rows read from crosswalk sources */
    int64_t crosswalk_ids;  /* distinct system ids with a name + dob */
    int64_t source_ids;     /* further ids linked by incident rows naming id and name + dob */
    int64_t links_made;     /* incidents whose pid was rewritten */
    int64_t ids_linked;     /* distinct id pids rewritten */
    int64_t association_rows, association_pairs; /* rows read; rows with two people */
    ctxprof_possible_match *matches;
    size_t n_matches;
    ctxprof_pid *pair_a, *pair_b; /* association pairs after linking, one per record */
    size_t n_pairs, cap_pairs;
    int64_t matches_accepted; /* possible matches taken as one person ([people] accept_matches) */
    int64_t pids_merged;      /* pids that became another through them */
    ctxprof_attendance *attendance; /* records naming a school, pids after linking */
    size_t n_attendance, cap_attendance;

    /* Overlap (incidents only, not associations) */
    int64_t n_people;     /* distinct people with any silo */
    int64_t n_people_all; /* distinct pids in incidents */
    int64_t by_cat[CTXPROF_PEOPLE_N_SILOS];
    int64_t pair[CTXPROF_PEOPLE_N_SILOS][CTXPROF_PEOPLE_N_SILOS];
    int64_t sum_lists;           /* sum of by_cat */
    ctxprof_combination *combos; /* most people first */
    size_t n_combos;
    char *summary; /* plain words, several lines */

    /* Peer groups */
    ctxprof_people_member *members; /* every vertex of the association graph */
    size_t n_members;
    int64_t n_edges;
    ctxprof_peer_group *groups;
    size_t n_groups;
    ctxprof_group_context *links;
    size_t n_links;
    char *group_summary;
    int64_t attendance_people;    /* distinct people with a school record */
    int64_t attendance_unmatched; /* records naming a school the schools layer lacks */
    int64_t n_schools;            /* distinct schools the groups are tied to (either basis) */
    int64_t n_schools_attended;   /* of which some member attends */
    int64_t group_people, group_incidents; /* members of groups, and their incidents */
    int top_n;                             /* groups and schools in the shares below (3) */
    double top_groups_share;  /* share of group incidents in the top_n groups by incidents */
    double top_schools_share; /* share held by members tied to the top_n schools */
} ctxprof_people_result;

/* What ctxprof_people_stage computes and writes. */
enum { CTXPROF_PEOPLE_OVERLAP = 1, CTXPROF_PEOPLE_GROUPS = 2 };

/* Rewrites id-only pids of inc to name + dob pids through the profile's
 * crosswalk sources, reads the association pairs and the school attendance
 * records, finds possible matches and merges those [people] accept_matches
 * accepts (unambiguous ones only, see docs/people.md). Fills the linking
 * part of res. */
int ctxprof_people_link(ctxprof_ctx *ctx, ctxprof_people_result *res,
                        const ctxprof_people_options *o, const ctxprof_pseudonym *ps,
                        ctxprof_incidents *inc);

/* The overlap part of res from the incidents' pids and categories. */
int ctxprof_people_overlap(ctxprof_ctx *ctx, ctxprof_people_result *res,
                           const ctxprof_incidents *inc);

/* Adds an association pair (after linking) to res; used by
 * ctxprof_people_link and by tests. */
int ctxprof_people_add_pair(ctxprof_ctx *ctx, ctxprof_people_result *res, const char *pid_a,
                            const char *pid_b);

/* The peer-group part of res from the pairs and attendance records in res;
 * snap and c may be NULL (no context links and no schools then). */
int ctxprof_people_groups(ctxprof_ctx *ctx, ctxprof_people_result *res,
                          const ctxprof_incidents *inc, const ctxprof_snap_result *snap,
                          const ctxprof_contexts *c, const ctxprof_people_options *opts);

/* Layers overlap, possible_matches, peer_groups, peer_group_members,
 * peer_group_contexts (when c is given) and run_metadata rows people.*. */
int ctxprof_people_write(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *res,
                         const ctxprof_contexts *c);
/* The overlap half: overlap, possible_matches and their people.* rows. */
int ctxprof_people_write_overlap(ctxprof_ctx *ctx, ctxprof_output *out,
                                 const ctxprof_people_result *res);
/* The peer-group half: peer_groups, peer_group_members, peer_group_contexts
 * (when c is given) and their people.* rows. */
int ctxprof_people_write_groups(ctxprof_ctx *ctx, ctxprof_output *out,
                                const ctxprof_people_result *res, const ctxprof_contexts *c);

/* The people stage from a profile's options, for the commands: loads and places the
 * incidents, links people, computes what `what` asks (CTXPROF_PEOPLE_*
 * bits; groups also snap the incidents to their contexts), and writes the
 * incidents, those layers and run_metadata to output (the profile's output
 * when NULL), renamed into place when complete. arguments goes to
 * run_metadata. res is filled for the summary (free it with
 * ctxprof_people_result_free, also after a failure). */
typedef struct {
    unsigned int version;
    const ctxprof_load_options *load;
    const ctxprof_contexts_options *contexts;
    ctxprof_snap_options snap;
    const ctxprof_people_options *people;
    const ctxprof_write_options *write;
    const char *output; /* the profile's output, used when the call gives none */
    const char *crs;    /* the profile CRS */
} ctxprof_people_stage_options;

#define CTXPROF_PEOPLE_STAGE_OPTIONS_VERSION 1
#define CTXPROF_PEOPLE_STAGE_OPTIONS_INIT                                                          \
    {                                                                                              \
        .version = CTXPROF_PEOPLE_STAGE_OPTIONS_VERSION, .snap = CTXPROF_SNAP_OPTIONS_INIT,        \
        .crs = "EPSG:27700"                                                                        \
    }

int ctxprof_people_stage(ctxprof_ctx *ctx, ctxprof_people_result *res,
                         const ctxprof_people_stage_options *o, const char *output, unsigned what,
                         const char *arguments);

void ctxprof_people_result_free(ctxprof_ctx *ctx, ctxprof_people_result *res);

/* Identity comparison, exposed for tests. Names are normalised with
 * ctxprof_normalise_name; dob is "YYYY-MM-DD". Returns the reason two
 * different identities may be the same person, or NULL. */
const char *ctxprof_people_near_match(const char *forename_a, const char *surname_a,
                                      const char *dob_a, const char *forename_b,
                                      const char *surname_b, const char *dob_b);

#endif
