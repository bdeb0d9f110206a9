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
 *   betweenness per member, and the contexts each group's incidents link to.
 */
#ifndef CTXPROF_PEOPLE_H
#define CTXPROF_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "load/load.h"
#include "people/pseudonym.h"
#include "profile/profile.h"
#include "snap/contexts.h"
#include "snap/snap.h"
#include "write/output.h"

#define CTXPROF_PEOPLE_N_SILOS 5 /* cse, syv, hsb, tra, online: taxonomy bits 0..4 */

typedef struct {
    int min_group_size;     /* [people] min_group_size: smaller components are not groups */
    int community_min_size; /* [people] community_min_size: larger components are split (Louvain) */
    double resolution;      /* [people] resolution: Louvain resolution */
} ctxprof_people_options;

#define CTXPROF_PEOPLE_OPTIONS_INIT {4, 20, 1.0}

/* Fills o from the profile's [people] section. */
void ctxprof_people_options_from_profile(ctxprof_people_options *o, const ctxprof_profile *p);

typedef char ctxprof_pid[CTXPROF_PID_LEN + 1];

typedef struct {
    ctxprof_pid a, b;   /* a < b */
    const char *reason; /* transposed_dob, double_surname, accents, nickname,
                        * name_without_dob (static) */
} ctxprof_possible_match;

/* Exclusive combination of silos (an UpSet row). */
typedef struct {
    uint32_t mask; /* bits 0..4 */
    int64_t n_people;
} ctxprof_combination;

/* One member of the association graph (a vertex). */
typedef struct {
    ctxprof_pid pid;
    int32_t group;      /* index into groups, -1 when in no group */
    int32_t component;  /* connected component */
    int64_t degree;     /* distinct associates */
    double betweenness; /* Freeman, undirected, unweighted */
} ctxprof_people_member;

typedef struct {
    int32_t id;          /* 1-based, largest group first */
    int64_t n_members;
    int64_t n_incidents; /* incidents of its members */
    uint32_t cats;       /* silos of its members' incidents */
    int64_t n_schools, n_contexts;
    double x, y;         /* centroid of its incidents with a position; NaN when none */
    int split;           /* 1 when a Louvain community of a larger component */
} ctxprof_peer_group;

typedef struct {
    int32_t group;   /* index into groups */
    uint8_t type;    /* ctxprof_context_type */
    int32_t feature; /* index in the context layer */
    int64_t n;       /* the group's incidents linked to it */
} ctxprof_group_context;

typedef struct {
    /* Linking */
    int64_t crosswalk_rows;     /* rows read from crosswalk sources */
    int64_t crosswalk_ids;      /* distinct system ids with a name + dob */
    int64_t source_ids;         /* further ids linked by incident rows naming id and name + dob */
    int64_t links_made;         /* incidents whose pid was rewritten */
    int64_t ids_linked;         /* distinct id pids rewritten */
    int64_t association_rows, association_pairs; /* rows read; rows with two people */
    ctxprof_possible_match *matches;
    size_t n_matches;
    ctxprof_pid *pair_a, *pair_b; /* association pairs after linking, one per record */
    size_t n_pairs, cap_pairs;

    /* Overlap (incidents only, not associations) */
    int64_t n_people;       /* distinct people with any silo */
    int64_t n_people_all;   /* distinct pids in incidents */
    int64_t by_cat[CTXPROF_PEOPLE_N_SILOS];
    int64_t pair[CTXPROF_PEOPLE_N_SILOS][CTXPROF_PEOPLE_N_SILOS];
    int64_t sum_lists;      /* sum of by_cat */
    ctxprof_combination *combos; /* most people first */
    size_t n_combos;
    char *summary;          /* plain words, several lines */

    /* Peer groups */
    ctxprof_people_member *members; /* every vertex of the association graph */
    size_t n_members;
    int64_t n_edges;
    ctxprof_peer_group *groups;
    size_t n_groups;
    ctxprof_group_context *links;
    size_t n_links;
    char *group_summary;
} ctxprof_people_result;

/* Rewrites id-only pids of inc to name + dob pids through the profile's
 * crosswalk sources, reads the association pairs and finds possible matches.
 * Fills the linking part of res. */
int ctxprof_people_link(ctxprof_ctx *ctx, ctxprof_people_result *res, const ctxprof_profile *p,
                        const ctxprof_pseudonym *ps, ctxprof_incidents *inc);

/* The overlap part of res from the incidents' pids and categories. */
int ctxprof_people_overlap(ctxprof_ctx *ctx, ctxprof_people_result *res,
                           const ctxprof_incidents *inc);

/* Adds an association pair (after linking) to res; used by
 * ctxprof_people_link and by tests. */
int ctxprof_people_add_pair(ctxprof_ctx *ctx, ctxprof_people_result *res, const char *pid_a,
                            const char *pid_b);

/* The peer-group part of res from the pairs in res; snap and c may be NULL
 * (no context counts then). */
int ctxprof_people_groups(ctxprof_ctx *ctx, ctxprof_people_result *res,
                          const ctxprof_incidents *inc, const ctxprof_snap_result *snap,
                          const ctxprof_people_options *opts);

/* All three steps. snap may be NULL. inc's pids are rewritten. */
int ctxprof_people_run(ctxprof_ctx *ctx, ctxprof_people_result *res, const ctxprof_profile *p,
                       const ctxprof_pseudonym *ps, ctxprof_incidents *inc,
                       const ctxprof_snap_result *snap);

/* Layers overlap, possible_matches, peer_groups, peer_group_members,
 * peer_group_contexts (when c is given) and run_metadata rows people.*. */
int ctxprof_people_write(ctxprof_ctx *ctx, ctxprof_output *out, const ctxprof_people_result *res,
                         const ctxprof_contexts *c);

void ctxprof_people_result_free(ctxprof_ctx *ctx, ctxprof_people_result *res);

/* Identity comparison, exposed for tests. Names are normalised with
 * ctxprof_normalise_name; dob is "YYYY-MM-DD". Returns the reason two
 * different identities may be the same person, or NULL. */
const char *ctxprof_people_near_match(const char *forename_a, const char *surname_a,
                                      const char *dob_a, const char *forename_b,
                                      const char *surname_b, const char *dob_b);

#endif
