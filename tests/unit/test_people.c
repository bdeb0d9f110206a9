/* People: overlap, crosswalk linking, possible matches, peer groups. */
#include "test_util.h"

#include <unistd.h>

#include "load/date.h"
#include "people/people.h"
#include "profile/profile.h"
#include "snap/contexts.h"
#include "snap/snap.h"

#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* Incidents with only the fields the people stage reads. */
typedef struct {
    ctxprof_incidents inc;
    double x[16], y[16];
    uint32_t cats[16];
    char pid[16][CTXPROF_PID_LEN + 1];
} fixture;

static void add(fixture *f, const char *pid, uint32_t cats, double x, double y)
{
    size_t i = f->inc.n++;
    snprintf(f->pid[i], sizeof f->pid[i], "%.*s", CTXPROF_PID_LEN, pid);
    f->cats[i] = cats;
    f->x[i] = x;
    f->y[i] = y;
    f->inc.pid = f->pid;
    f->inc.cats = f->cats;
    f->inc.x = f->x;
    f->inc.y = f->y;
}

enum { CSE = 1, SYV = 2, HSB = 4, TRA = 8, ONLINE = 16, ASB = 1 << 7 };

static void test_overlap_exact(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    fixture f = {0};
    add(&f, "a000000000000001", CSE, 0, 0);
    add(&f, "a000000000000001", CSE | ASB, 0, 0); /* same person, same list: once */
    add(&f, "a000000000000002", CSE, 0, 0);
    add(&f, "a000000000000002", SYV, 0, 0); /* on both lists */
    add(&f, "a000000000000003", SYV, 0, 0);
    add(&f, "a000000000000004", ONLINE | HSB, 0, 0);
    add(&f, "a000000000000005", ASB, 0, 0); /* a person on no list */
    add(&f, "", CSE, 0, 0);                 /* nobody named: not a person */
    ctxprof_people_result r = {0};
    assert_int_equal(ctxprof_people_overlap(ctx, &r, &f.inc), 0);
    assert_int_equal(r.n_people_all, 5);
    assert_int_equal(r.n_people, 4);
    assert_int_equal(r.by_cat[0], 2); /* cse */
    assert_int_equal(r.by_cat[1], 2); /* syv */
    assert_int_equal(r.by_cat[2], 1); /* hsb */
    assert_int_equal(r.by_cat[3], 0); /* tra */
    assert_int_equal(r.by_cat[4], 1); /* online */
    assert_int_equal(r.sum_lists, 6);
    assert_int_equal(r.pair[0][1], 1);
    assert_int_equal(r.pair[1][0], 1);
    assert_int_equal(r.pair[2][4], 1);
    assert_int_equal(r.pair[0][4], 0);
    /* UpSet: four exclusive combinations of one person each. */
    assert_int_equal(r.n_combos, 4);
    int64_t total = 0;
    for (size_t i = 0; i < r.n_combos; i++) {
        assert_int_equal(r.combos[i].n_people, 1);
        total += r.combos[i].n_people;
    }
    assert_int_equal(total, r.n_people);
    /* Singles before pairs when counts tie. */
    assert_int_equal(r.combos[0].mask, CSE);
    assert_int_equal(r.combos[1].mask, SYV);
    assert_int_equal(r.combos[2].mask, CSE | SYV);
    assert_int_equal(r.combos[3].mask, HSB | ONLINE);
    assert_non_null(strstr(r.summary, "6 entries across the CSE, SYV, HSB, TRA and online lists "
                                      "are 4 young people; 2 are on more than one list"));
    assert_non_null(strstr(r.summary, "4 entries across CSE and SYV lists are 3 young people; "
                                      "1 is on both"));
    ctxprof_people_result_free(ctx, &r);
    ctxprof_ctx_free(ctx);
}

static void test_near_match_rules(void **state)
{
    (void)state;
    assert_string_equal(
        ctxprof_people_near_match("Sam", "Jones", "2009-03-05", "Sam", "Jones", "2009-05-03"),
        "transposed_dob");
    assert_null(
        ctxprof_people_near_match("Sam", "Jones", "2009-03-05", "Sam", "Jones", "2009-03-06"));
    assert_string_equal(ctxprof_people_near_match("Amara", "Okafor-Smith", "2010-01-02", "Amara",
                                                  "Smith", "2010-01-02"),
                        "double_surname");
    assert_string_equal(ctxprof_people_near_match("Amara", "Okafor Smith", "2010-01-02", "Amara",
                                                  "Okafor", "2010-01-02"),
                        "double_surname");
    /* Ł is not folded by the pid's normalisation; the wider fold matches. */
    assert_string_equal(ctxprof_people_near_match("\xc5\x81ucja", "Nowak", "2010-01-02", "Lucja",
                                                  "Nowak", "2010-01-02"),
                        "accents");
    assert_string_equal(ctxprof_people_near_match("Alex", "Brown", "2010-01-02", "Alexander",
                                                  "Brown", "2010-01-02"),
                        "nickname");
    assert_null(ctxprof_people_near_match("Alex", "Brown", "2010-01-02", "Alexander", "Brown",
                                          "2010-01-03"));
    assert_null(
        ctxprof_people_near_match("Alex", "Brown", "2010-01-02", "Samuel", "Brown", "2010-01-02"));
    /* The same identity is not a near match of itself. */
    assert_null(ctxprof_people_near_match("Zo\xc3\xab", "Brown", "2010-01-02", "ZOE", "brown",
                                          "2010-01-02"));
}

static const char *write_file(const char *dir, const char *name, const char *text)
{
    static char path[8][512];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return p;
}

static void test_crosswalk_link(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    char dir[] = "/tmp/ctxprof-people-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "xw.csv",
               "system,system_id,forename,surname,dob\n"
               "police,21/760933L,Zo\xc3\xab,SMITH,2009-03-14\n"
               "police,22/000001A,Noah,Singh,2009-11-14\n");
    write_file(dir, "assoc.csv",
               "A Forename,A Surname,A DOB,B Forename,B Surname,B DOB\n"
               "Zoe,Smith,14/03/2009,Sam,Jones,05/03/2010\n");
    write_file(dir, "people.csv",
               "Forename,Surname,DOB,Ref\n"
               "Sam,Jones,03/05/2010,1\n"
               "Sam,Jones,05/03/2010,2\n"
               "Noah,Singh,14/11/2009,3\n");
    const char *ini = write_file(
        dir, "p.ini",
        "[profile]\nname = t\n"
        "[source.xw]\npath = xw.csv\nkind = crosswalk\nfield.person_system = system\n"
        "field.person_id = system_id\nfield.forename = forename\nfield.surname = surname\n"
        "field.dob = dob\n"
        "[source.assoc]\npath = assoc.csv\nkind = association\nfield.forename = A Forename\n"
        "field.surname = A Surname\nfield.dob = A DOB\nfield.person2_forename = B Forename\n"
        "field.person2_surname = B Surname\nfield.person2_dob = B DOB\n"
        "[source.people]\npath = people.csv\nkind = asb\nfield.forename = Forename\n"
        "field.surname = Surname\nfield.dob = DOB\nfield.id = Ref\n");
    ctxprof_profile *p = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, ini), 0);
    setenv("CTXPROF_PEOPLE_TEST_KEY", KEY, 1);
    ctxprof_pseudonym *ps = NULL;
    assert_int_equal(ctxprof_pseudonym_open(ctx, &ps, NULL, "CTXPROF_PEOPLE_TEST_KEY"), 0);

    char by_id[CTXPROF_PID_LEN + 1], zoe[CTXPROF_PID_LEN + 1], sam1[CTXPROF_PID_LEN + 1],
        sam2[CTXPROF_PID_LEN + 1], other[CTXPROF_PID_LEN + 1];
    ctxprof_pid_from_id(ps, "police", "21/760933L", by_id);
    ctxprof_pid_from_name(ps, "Zoe", "Smith", "2009-03-14", zoe);
    ctxprof_pid_from_name(ps, "Sam", "Jones", "2010-05-03", sam1);
    ctxprof_pid_from_name(ps, "Sam", "Jones", "2010-03-05", sam2);
    ctxprof_pid_from_id(ps, "police", "99/999999Z", other);
    fixture f = {0};
    add(&f, by_id, CSE, 0, 0);
    add(&f, zoe, SYV, 0, 0);
    add(&f, sam1, SYV, 0, 0);
    add(&f, other, SYV, 0, 0); /* not in the crosswalk: kept */
    ctxprof_people_result r = {0};
    assert_int_equal(ctxprof_people_link(ctx, &r, ctxprof_profile_people_options(p), ps, &f.inc),
                     0);
    assert_int_equal(r.crosswalk_rows, 2);
    assert_int_equal(r.crosswalk_ids, 2);
    assert_int_equal(r.links_made, 1);
    assert_int_equal(r.ids_linked, 1);
    assert_string_equal(f.pid[0], zoe); /* the id-only pid became the name pid */
    assert_string_equal(f.pid[3], other);
    assert_int_equal(r.association_rows, 1);
    assert_int_equal(r.n_pairs, 1);
    assert_string_equal(r.pair_a[0], zoe);
    assert_string_equal(r.pair_b[0], sam2);
    /* Sam Jones with day and month transposed: reported, not merged. Noah
     * Singh appears in no incident or association: not compared. */
    assert_int_equal(r.n_matches, 1);
    assert_string_equal(r.matches[0].reason, "transposed_dob");
    const char *lo = strcmp(sam1, sam2) < 0 ? sam1 : sam2, *hi = lo == sam1 ? sam2 : sam1;
    assert_string_equal(r.matches[0].a, lo);
    assert_string_equal(r.matches[0].b, hi);
    assert_string_equal(f.pid[2], sam1);

    /* The overlap after linking: Zoe is one person on two lists. */
    assert_int_equal(ctxprof_people_overlap(ctx, &r, &f.inc), 0);
    assert_int_equal(r.n_people, 3);
    assert_int_equal(r.pair[0][1], 1);

    ctxprof_people_result_free(ctx, &r);
    ctxprof_pseudonym_free(ctx, ps);
    ctxprof_profile_free(ctx, p);
    ctxprof_ctx_free(ctx);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_graph_small(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_people_result r = {0};
    /* A-B (twice), B-C, C-D, B-D; and a separate pair E-F. */
    const char *pairs[][2] = {
        {"000000000000000a", "000000000000000b"}, {"000000000000000b", "000000000000000a"},
        {"000000000000000b", "000000000000000c"}, {"000000000000000c", "000000000000000d"},
        {"000000000000000b", "000000000000000d"}, {"000000000000000e", "000000000000000f"}};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ctxprof_people_add_pair(ctx, &r, pairs[i][0], pairs[i][1]), 0);
    fixture f = {0};
    add(&f, "000000000000000a", CSE, 0, 0);
    add(&f, "000000000000000b", SYV, 2, 4);
    add(&f, "000000000000000b", ASB, NAN, NAN);
    add(&f, "000000000000000e", HSB, 100, 100);
    ctxprof_people_options o = CTXPROF_PEOPLE_OPTIONS_INIT;
    o.min_group_size = 3;
    assert_int_equal(ctxprof_people_groups(ctx, &r, &f.inc, NULL, NULL, &o), 0);
    assert_int_equal(r.n_members, 6);
    assert_int_equal(r.n_edges, 5);
    assert_int_equal(r.n_groups, 1);
    const int64_t deg[] = {1, 3, 2, 2, 1, 1};
    const double btw[] = {0, 2, 0, 0, 0, 0};
    const int32_t grp[] = {0, 0, 0, 0, -1, -1};
    for (size_t v = 0; v < 6; v++) {
        assert_int_equal(r.members[v].pid[15], 'a' + (int)v);
        assert_int_equal(r.members[v].degree, deg[v]);
        assert_near(r.members[v].betweenness, btw[v], 1e-12);
        assert_int_equal(r.members[v].group, grp[v]);
    }
    assert_int_equal(r.members[0].component, r.members[3].component);
    assert_true(r.members[0].component != r.members[4].component);
    const ctxprof_peer_group *g = &r.groups[0];
    assert_int_equal(g->id, 1);
    assert_int_equal(g->n_members, 4);
    assert_int_equal(g->n_incidents, 3);
    assert_int_equal(g->cats, CSE | SYV);
    assert_near(g->x, 1.0, 1e-12); /* incidents without a position are left out */
    assert_near(g->y, 2.0, 1e-12);
    assert_int_equal(g->split, 0);
    assert_non_null(strstr(r.group_summary, "1 peer group of 3 or more young people (4 people)"));
    ctxprof_people_result_free(ctx, &r);
    ctxprof_ctx_free(ctx);
}

static void test_louvain_split(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_people_result r = {0};
    /* Two cliques of four joined by one edge: one component, two communities. */
    char a[17], b[17];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) {
                snprintf(a, sizeof a, "%016d", k * 4 + i);
                snprintf(b, sizeof b, "%016d", k * 4 + j);
                assert_int_equal(ctxprof_people_add_pair(ctx, &r, a, b), 0);
            }
    assert_int_equal(ctxprof_people_add_pair(ctx, &r, "0000000000000003", "0000000000000004"), 0);
    fixture f = {0};
    ctxprof_people_options o = CTXPROF_PEOPLE_OPTIONS_INIT;
    o.community_min_size = 6;
    assert_int_equal(ctxprof_people_groups(ctx, &r, &f.inc, NULL, NULL, &o), 0);
    assert_int_equal(r.n_groups, 2);
    assert_int_equal(r.groups[0].n_members, 4);
    assert_int_equal(r.groups[1].n_members, 4);
    assert_int_equal(r.groups[0].split, 1);
    for (size_t v = 0; v < 8; v++)
        assert_int_equal(r.members[v].group, r.members[v < 4 ? 0 : 4].group);
    assert_true(r.members[0].group != r.members[4].group);
    /* A bridge end lies inside every shortest path from the other three
     * members of its clique to the four of the other clique: 3 x 4 = 12. */
    assert_near(r.members[3].betweenness, 12.0, 1e-9);
    assert_near(r.members[4].betweenness, 12.0, 1e-9);
    assert_near(r.members[0].betweenness, 0.0, 1e-12);
    ctxprof_people_result_free(ctx, &r);

    /* Without the split threshold the component is one group. */
    ctxprof_people_result r2 = {0};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) {
                snprintf(a, sizeof a, "%016d", k * 4 + i);
                snprintf(b, sizeof b, "%016d", k * 4 + j);
                assert_int_equal(ctxprof_people_add_pair(ctx, &r2, a, b), 0);
            }
    assert_int_equal(ctxprof_people_add_pair(ctx, &r2, "0000000000000003", "0000000000000004"), 0);
    o.community_min_size = 8;
    assert_int_equal(ctxprof_people_groups(ctx, &r2, &f.inc, NULL, NULL, &o), 0);
    assert_int_equal(r2.n_groups, 1);
    assert_int_equal(r2.groups[0].n_members, 8);
    ctxprof_people_result_free(ctx, &r2);
    ctxprof_ctx_free(ctx);
}

/* [people] accept_matches: only unambiguous possible matches of the listed
 * kinds become one person; the others stay listed and apart. */
static void link_with(ctxprof_ctx *ctx, const char *dir, const char *accept,
                      const ctxprof_pseudonym *ps, fixture *f, ctxprof_people_result *r)
{
    char ini[2048];
    snprintf(ini, sizeof ini,
             "[profile]\nname = t\n[people]\naccept_matches = %s\n"
             "[source.people]\npath = people.csv\nkind = asb\nfield.forename = Forename\n"
             "field.surname = Surname\nfield.dob = DOB\nfield.id = Ref\nfield.school = School\n"
             "[source.mash]\npath = mash.csv\nkind = mash_referral\nfield.id = Ref\n"
             "field.person_id = SC Number\nfield.person_system = SC\nfield.forename = First Name\n"
             "field.surname = Last Name\nfield.dob = DOB\nfield.school = School\n"
             "field.date = Date\ndate_format = ymd\n",
             accept);
    const char *path = write_file(dir, "accept.ini", ini);
    ctxprof_profile *p = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, path), 0);
    memset(r, 0, sizeof *r);
    assert_int_equal(ctxprof_people_link(ctx, r, ctxprof_profile_people_options(p), ps, &f->inc),
                     0);
    ctxprof_profile_free(ctx, p);
}

static void test_accept_matches(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    char dir[] = "/tmp/ctxprof-people-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "people.csv",
               "Forename,Surname,DOB,Ref,School\n"
               "Sam,Jones,05/03/2010,1,100001\n"
               "Ann,Lee,01/01/2010,2,\n"
               "Ann,Lee,02/02/2011,3,\n"
               "Tom,Smith,03/05/2010,4,\n"
               "Tom,Smith,05/03/2010,5,\n"
               "Bill,Brown,05/03/2010,6,\n"
               "William,Brown,05/03/2010,7,\n"
               "Will,Brown,05/03/2010,8,\n");
    write_file(dir, "mash.csv",
               "SC Number,First Name,Last Name,DOB,Ref,School,Date\n"
               "SC1,Sam,Jones,,1,Birch Academy,2025-01-02\n"
               "SC2,Ann,Lee,,2,,2025-01-03\n");
    setenv("CTXPROF_PEOPLE_TEST_KEY", KEY, 1);
    ctxprof_pseudonym *ps = NULL;
    assert_int_equal(ctxprof_pseudonym_open(ctx, &ps, NULL, "CTXPROF_PEOPLE_TEST_KEY"), 0);
    enum { SAM, ANN1, ANN2, TOM1, TOM2, BILL, WILLIAM, WILL, SC1, SC2, N };
    char pid[N][CTXPROF_PID_LEN + 1];
    ctxprof_pid_from_name(ps, "Sam", "Jones", "2010-03-05", pid[SAM]);
    ctxprof_pid_from_name(ps, "Ann", "Lee", "2010-01-01", pid[ANN1]);
    ctxprof_pid_from_name(ps, "Ann", "Lee", "2011-02-02", pid[ANN2]);
    ctxprof_pid_from_name(ps, "Tom", "Smith", "2010-05-03", pid[TOM1]);
    ctxprof_pid_from_name(ps, "Tom", "Smith", "2010-03-05", pid[TOM2]);
    ctxprof_pid_from_name(ps, "Bill", "Brown", "2010-03-05", pid[BILL]);
    ctxprof_pid_from_name(ps, "William", "Brown", "2010-03-05", pid[WILLIAM]);
    ctxprof_pid_from_name(ps, "Will", "Brown", "2010-03-05", pid[WILL]);
    ctxprof_pid_from_id(ps, "SC", "SC1", pid[SC1]);
    ctxprof_pid_from_id(ps, "SC", "SC2", pid[SC2]);

    /* none: seven pairs listed (Sam once, Ann twice, Tom once, the three
     * Browns pairwise), nothing merged. */
    fixture f = {0};
    for (int i = 0; i < N; i++)
        add(&f, pid[i], CSE, 0, 0);
    ctxprof_people_result r;
    link_with(ctx, dir, "none", ps, &f, &r);
    assert_int_equal(r.n_matches, 7);
    assert_int_equal(r.matches_accepted, 0);
    assert_int_equal(r.pids_merged, 0);
    for (int i = 0; i < N; i++)
        assert_string_equal(f.pid[i], pid[i]);
    /* Attendance: Sam by the URN, and SC1 (not linked) by a school name. */
    assert_int_equal(r.n_attendance, 2);
    assert_string_equal(r.attendance[0].school, "100001");
    assert_string_equal(r.attendance[0].pid, pid[SAM]);
    assert_int_equal(r.attendance[0].day, INT64_MIN);
    assert_string_equal(r.attendance[1].school, "Birch Academy");
    assert_string_equal(r.attendance[1].pid, pid[SC1]);
    assert_int_equal(r.attendance[1].day, ctxprof_days_from_civil(2025, 1, 2));
    assert_int_equal(r.attendance_people, 2);
    int by_reason[CTXPROF_MATCH_N_REASONS] = {0};
    for (size_t i = 0; i < r.n_matches; i++) {
        assert_int_equal(r.matches[i].accepted, 0);
        for (int k = 0; k < CTXPROF_MATCH_N_REASONS; k++)
            by_reason[k] += r.matches[i].reason_bit == 1u << k;
    }
    assert_int_equal(by_reason[0], 1); /* transposed_dob */
    assert_int_equal(by_reason[3], 3); /* nickname */
    assert_int_equal(by_reason[4], 3); /* name_without_dob */
    ctxprof_people_result_free(ctx, &r);

    /* Accepted kinds, unambiguous pairs only: SC1 has one dated Sam Jones,
     * Tom's two dates one partner each; SC2 fits two Ann Lees and each Brown
     * has two nickname partners, so they stay apart. */
    fixture g = {0};
    for (int i = 0; i < N; i++)
        add(&g, pid[i], CSE, 0, 0);
    link_with(ctx, dir, "name_without_dob, transposed_dob, nickname", ps, &g, &r);
    assert_int_equal(r.n_matches, 7);
    assert_int_equal(r.matches_accepted, 2);
    assert_int_equal(r.pids_merged, 2);
    assert_string_equal(g.pid[SC1], pid[SAM]);
    const char *tom = strcmp(pid[TOM1], pid[TOM2]) < 0 ? pid[TOM1] : pid[TOM2];
    assert_string_equal(g.pid[TOM1], tom);
    assert_string_equal(g.pid[TOM2], tom);
    for (int i = 0; i < N; i++)
        if (i != SC1 && i != TOM1 && i != TOM2)
            assert_string_equal(g.pid[i], pid[i]);
    for (size_t i = 0; i < r.n_matches; i++) {
        const ctxprof_possible_match *m = &r.matches[i];
        if (m->accepted)
            assert_true(strcmp(m->kept, pid[SAM]) == 0 || strcmp(m->kept, tom) == 0);
        else
            assert_true(m->reason_bit == CTXPROF_MATCH_NICKNAME ||
                        m->reason_bit == CTXPROF_MATCH_NAME_WITHOUT_DOB);
    }
    /* The attendance record of SC1 is now Sam's. */
    assert_string_equal(r.attendance[1].pid, pid[SAM]);
    assert_int_equal(r.attendance_people, 1);
    assert_int_equal(ctxprof_people_overlap(ctx, &r, &g.inc), 0);
    assert_int_equal(r.n_people, N - 2);
    ctxprof_people_result_free(ctx, &r);

    /* An unknown reason is an error naming the profile and the word. */
    char ini[512];
    snprintf(ini, sizeof ini,
             "[profile]\nname = t\n[people]\naccept_matches = nickname, soundex\n");
    ctxprof_profile *p = NULL;
    assert_int_equal(ctxprof_profile_load(ctx, &p, write_file(dir, "bad.ini", ini)), 0);
    memset(&r, 0, sizeof r);
    assert_int_equal(ctxprof_people_link(ctx, &r, ctxprof_profile_people_options(p), ps, &g.inc),
                     CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "bad.ini: [people] accept_matches: 'soundex'"));
    ctxprof_people_result_free(ctx, &r);
    ctxprof_profile_free(ctx, p);
    unsigned mask = 99;
    assert_int_equal(ctxprof_people_accept_parse(NULL, &mask, "none", "x"), 0);
    assert_int_equal(mask, 0);
    assert_int_equal(ctxprof_people_accept_parse(NULL, &mask, " accents ,double_surname", "x"), 0);
    assert_int_equal(mask, CTXPROF_MATCH_ACCENTS | CTXPROF_MATCH_DOUBLE_SURNAME);

    ctxprof_pseudonym_free(ctx, ps);
    ctxprof_ctx_free(ctx);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void attend(ctxprof_ctx *ctx, ctxprof_people_result *r, const char *pid, const char *school,
                   int64_t day)
{
    size_t cap = r->cap_attendance;
    assert_int_equal(ctxprof_grow(ctx, (void **)&r->attendance, &cap, r->n_attendance + 1,
                                  sizeof *r->attendance),
                     0);
    r->cap_attendance = cap;
    ctxprof_attendance *a = &r->attendance[r->n_attendance++];
    snprintf(a->pid, sizeof a->pid, "%s", pid);
    a->school = ctxprof_strdup(ctx, school);
    a->day = day;
    a->source = 0;
}

/* A group's schools: the school most of a member's records name (by URN or
 * by name; ties: the latest record), else the school nearest most of their
 * incidents, marked nearest; parks where its incidents happen. */
static void test_group_schools(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    char dir[] = "/tmp/ctxprof-people-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *schools = write_file(
        dir, "schools.geojson",
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"school_id\":\"100001\",\"name\":\"Alder School\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}},"
        "{\"type\":\"Feature\",\"properties\":{\"school_id\":\"100002\",\"name\":\"Birch "
        "Academy\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[100,0]}},"
        "{\"type\":\"Feature\",\"properties\":{\"school_id\":\"100003\",\"name\":\"Cedar High\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[200,0]}}]}");
    ctxprof_contexts *c = NULL;
    assert_int_equal(ctxprof_contexts_new(ctx, &c, "EPSG:27700"), 0);
    assert_int_equal(
        ctxprof_contexts_read_layer(ctx, c, CTXPROF_CTX_SCHOOLS, schools, NULL, NULL, 0), 0);
    assert_int_equal(c->layer[CTXPROF_CTX_SCHOOLS].n, 3);

    ctxprof_people_result r = {0};
    const char *A = "000000000000000a", *B = "000000000000000b", *C = "000000000000000c",
               *D = "000000000000000d";
    assert_int_equal(ctxprof_people_add_pair(ctx, &r, A, B), 0);
    assert_int_equal(ctxprof_people_add_pair(ctx, &r, B, C), 0);
    assert_int_equal(ctxprof_people_add_pair(ctx, &r, C, D), 0);
    attend(ctx, &r, A, "100001", INT64_MIN);
    attend(ctx, &r, A, "Nowhere Primary", INT64_MIN); /* in no layer: counted, ignored */
    attend(ctx, &r, B, "birch academy", 1);           /* by name, case aside */
    attend(ctx, &r, B, " Birch Academy ", 2);
    attend(ctx, &r, B, "100001", 3);
    attend(ctx, &r, C, "Cedar High", 10); /* one record each: the latest wins */
    attend(ctx, &r, C, "100002", 20);
    fixture f = {0};
    add(&f, A, CSE, 0, 0);
    add(&f, B, SYV, 100, 0);
    add(&f, D, SYV, 200, 0);
    add(&f, D, SYV, 200, 10);
    add(&f, D, ASB, 0, 10);
    /* Nearest schools and parks as snap would link them. */
    int32_t school_link[] = {0, 1, 2, 2, 0};
    int32_t park_link[] = {0, -1, 0, -1, -1};
    ctxprof_snap_result snap = {0};
    int32_t *links[16] = {0};
    assert_true(ctxprof_n_context_types <= 16);
    snap.link = links;
    snap.n = f.inc.n;
    snap.link[CTXPROF_CTX_SCHOOLS] = school_link;
    snap.link[CTXPROF_CTX_PARKS] = park_link;
    ctxprof_people_options o = CTXPROF_PEOPLE_OPTIONS_INIT;
    assert_int_equal(ctxprof_people_groups(ctx, &r, &f.inc, &snap, c, &o), 0);
    assert_int_equal(r.n_groups, 1);
    assert_int_equal(r.attendance_unmatched, 1);
    const ctxprof_peer_group *g = &r.groups[0];
    assert_int_equal(g->n_incidents, 5);
    assert_int_equal(g->n_schools, 3);
    assert_int_equal(g->n_schools_attended, 2);
    assert_int_equal(g->n_members_attends, 3);
    assert_int_equal(g->n_members_nearest, 1);
    assert_int_equal(g->n_contexts, 4); /* three schools and one park */
    /* Rows: schools (attends, then nearest; most incidents first), then the park. */
    assert_int_equal(r.n_links, 4);
    const struct {
        int type, feature, basis;
        int64_t n_members, n;
    } want[] = {{CTXPROF_CTX_SCHOOLS, 0, CTXPROF_SCHOOL_ATTENDS, 1, 1},  /* A */
                {CTXPROF_CTX_SCHOOLS, 1, CTXPROF_SCHOOL_ATTENDS, 2, 1},  /* B and C; B's incident */
                {CTXPROF_CTX_SCHOOLS, 2, CTXPROF_SCHOOL_NEAREST, 1, 3},  /* D: 2 of 3 nearest S3 */
                {CTXPROF_CTX_PARKS, 0, CTXPROF_SCHOOL_INCIDENTS, 2, 2}}; /* A's and D's incidents */
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.links[i].type, want[i].type);
        assert_int_equal(r.links[i].feature, want[i].feature);
        assert_int_equal(r.links[i].basis, want[i].basis);
        assert_int_equal(r.links[i].n_members, want[i].n_members);
        assert_int_equal(r.links[i].n, want[i].n);
    }
    assert_string_equal(ctxprof_school_basis_names[r.links[2].basis], "nearest");
    assert_int_equal(r.n_schools, 3);
    assert_int_equal(r.n_schools_attended, 2);
    /* One group holds every incident; the top schools hold A's, B's and D's 5. */
    assert_near(r.top_groups_share, 1.0, 1e-12);
    assert_near(r.top_schools_share, 1.0, 1e-12);
    assert_non_null(strstr(r.group_summary,
                           "1 peer group of 4 or more young people (4 people) across 3 schools: "
                           "3 members attend 2 of them; 1 with no school on record is placed at "
                           "the school nearest their incidents (1 more school)"));
    ctxprof_people_result_free(ctx, &r);
    ctxprof_contexts_free(ctx, c);
    ctxprof_ctx_free(ctx);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap_exact),  cmocka_unit_test(test_near_match_rules),
        cmocka_unit_test(test_crosswalk_link), cmocka_unit_test(test_graph_small),
        cmocka_unit_test(test_louvain_split),  cmocka_unit_test(test_accept_matches),
        cmocka_unit_test(test_group_schools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
