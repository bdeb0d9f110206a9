/* Linking people across sources: crosswalk rewriting, association pairs and
 * possible matches. Identity values (names, dates of birth, system ids) are
 * read here, compared in memory, wiped, and never leave this file. */
#include "people/people.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <sodium.h>

#include <stdint.h>

#include "core/strmap.h"
#include "load/date.h"
#include "load/fields.h"
#include "load/kinds.h"
#include "load/open.h"

/* One distinct name identity: normalised forename and surname, surname
 * tokens (split at spaces and hyphens) and the dob as YYYY-MM-DD. */
typedef struct {
    ctxprof_pid pid;
    char f[64], s[64], tokens[96], fx[64], sx[64], dob[11];
} identity;

typedef struct {
    identity *v;
    size_t n, cap;
    ctxprof_strmap seen; /* pid -> index */
} identity_set;

/* A row's value as UTF-8 (Windows-1252 or the source's encoding recoded). */
typedef struct {
    OGRFeatureH feat;
    const ctxprof_csv *csv; /* the record instead, when read by the fast reader */
    const char *encoding;
    char *buf[8];
    int nbuf;
} cells;

static const char *cell(cells *r, int col)
{
    const char *v;
    if (r->csv) {
        if (!(v = ctxprof_csv_cell(r->csv, col)))
            return "";
    } else if (col < 0 || !OGR_F_IsFieldSetAndNotNull(r->feat, col))
        return "";
    else
        v = OGR_F_GetFieldAsString(r->feat, col);
    const char *from = r->encoding;
    if (!from) {
        if (CPLIsUTF8(v, -1))
            return v;
        from = "CP1252";
    }
    int slot = r->nbuf++ % 8;
    if (r->buf[slot]) {
        sodium_memzero(r->buf[slot], strlen(r->buf[slot]));
        CPLFree(r->buf[slot]);
    }
    r->buf[slot] = CPLRecode(v, from, CPL_ENC_UTF8);
    return r->buf[slot];
}

static void cells_clear(cells *r)
{
    for (int i = 0; i < 8; i++) {
        if (r->buf[i]) {
            sodium_memzero(r->buf[i], strlen(r->buf[i]));
            CPLFree(r->buf[i]);
        }
        r->buf[i] = NULL;
    }
}

static int blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* Latin-1 Supplement (U+00C0..U+00FF) and Latin Extended-A (U+0100..U+017F)
 * folded to ASCII: a wider fold than the pid's, for possible matches only. */
static const char FOLD_L1[64] = "AAAAAAACEEEEIIII"
                                "DNOOOOO*OUUUUYTs"
                                "AAAAAAACEEEEIIII"
                                "DNOOOOO/OUUUUYTY";
static const char FOLD_EXT_A[129] = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkk"
                                    "LlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUu"
                                    "WwYyYZzZzZzs";

static void fold_wide(const char *in, char *out, size_t size)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)in;
    while (*p && n + 1 < size) {
        int c = -1;
        if (*p < 0x80) {
            c = *p++;
        } else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
            unsigned cp = ((unsigned)(*p & 0x1F) << 6) | (p[1] & 0x3Fu);
            p += 2;
            if (cp >= 0xC0 && cp <= 0xFF)
                c = FOLD_L1[cp - 0xC0];
            else if (cp >= 0x100 && cp <= 0x17F)
                c = FOLD_EXT_A[cp - 0x100];
        } else {
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
        }
        if (c > 0 && isalpha(c))
            out[n++] = (char)toupper(c);
    }
    out[n] = '\0';
}

/* Surname tokens, each normalised, joined by one space. */
static void surname_tokens(const char *in, char *out, size_t size)
{
    char tok[128], norm[128];
    size_t n = 0;
    out[0] = '\0';
    while (*in) {
        size_t len = strcspn(in, " -\t");
        if (len && len < sizeof tok) {
            memcpy(tok, in, len);
            tok[len] = '\0';
            ctxprof_normalise_name(tok, norm, sizeof norm);
            if (*norm && n + strlen(norm) + 2 < size)
                n += (size_t)snprintf(out + n, size - n, "%s%s", n ? " " : "", norm);
        }
        in += len;
        in += strspn(in, " -\t");
    }
    sodium_memzero(tok, sizeof tok);
    sodium_memzero(norm, sizeof norm);
}

/* Nickname groups: forenames in one group may be the same person. */
static const char *const NICKNAMES[] = {"ALEX ALEXANDER ALEXANDRA ALEXIS ALEKSANDER SASHA",
                                        "SAM SAMUEL SAMANTHA SAMMY",
                                        "TOM THOMAS TOMMY",
                                        "WILL WILLIAM BILL BILLY LIAM WILLIE",
                                        "BEN BENJAMIN BENNY",
                                        "DAN DANIEL DANNY",
                                        "JOE JOSEPH JOEY",
                                        "MATT MATTHEW MATTY",
                                        "JAMES JAMIE JIM JIMMY",
                                        "MIKE MICHAEL MICKEY",
                                        "CHRIS CHRISTOPHER CHRISTIAN CHRISTINA CHRISTINE",
                                        "KATE KATIE KATHERINE CATHERINE KATHRYN KAT CATH",
                                        "LIZ ELIZABETH BETH LIZZIE ELIZA BETTY",
                                        "ABBY ABIGAIL ABBIE",
                                        "MAX MAXWELL MAXIMILIAN",
                                        "NICK NICHOLAS NICKY NICOLA",
                                        "ROB ROBERT BOB BOBBY ROBBIE",
                                        "JACK JOHN JOHNNY",
                                        "HARRY HENRY HAL",
                                        "ED EDWARD EDDIE TED TEDDY",
                                        "OLLIE OLIVER OLLY",
                                        "ZAK ZACK ZACH ZACHARY",
                                        "TONY ANTHONY ANTONY",
                                        "JOSH JOSHUA",
                                        "NATE NATHAN NATHANIEL",
                                        "CHARLIE CHARLES CHARLOTTE LOTTIE",
                                        "FREDDIE FREDERICK FRED",
                                        "GEORGIE GEORGE GEORGINA GEORGIA",
                                        "JESS JESSICA JESSIE",
                                        "ELLIE ELEANOR ELLA",
                                        "MOLLY MARY",
                                        "AMY AMELIA MILLIE",
                                        "IZZY ISABEL ISABELLA ISOBEL",
                                        "SOPH SOPHIE SOPHIA",
                                        "LEXI ALEXA",
                                        "MO MOHAMMED MOHAMMAD MUHAMMAD",
                                        "DAVE DAVID DAVY",
                                        "STEVE STEPHEN STEVEN",
                                        "ANDY ANDREW DREW",
                                        "RICH RICHARD RICKY RICK",
                                        "DEV DEVON",
                                        "NIA NIAMH",
                                        NULL};

static int nickname_group(const char *f)
{
    size_t len = strlen(f);
    if (!len)
        return -1;
    for (int g = 0; NICKNAMES[g]; g++) {
        const char *p = NICKNAMES[g];
        while (*p) {
            size_t w = strcspn(p, " ");
            if (w == len && memcmp(p, f, len) == 0)
                return g;
            p += w;
            p += strspn(p, " ");
        }
    }
    return -1;
}

static int token_in(const char *tokens, const char *word)
{
    size_t len = strlen(word);
    const char *p = tokens;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (w == len && memcmp(p, word, len) == 0)
            return 1;
        p += w;
        p += strspn(p, " ");
    }
    return 0;
}

static int transposed(const char *a, const char *b)
{
    /* YYYY-MM-DD: same year, a's month is b's day and the other way round. */
    return memcmp(a, b, 4) == 0 && memcmp(a + 5, b + 8, 2) == 0 && memcmp(a + 8, b + 5, 2) == 0 &&
           memcmp(a + 5, a + 8, 2) != 0;
}

static const char *near_match(const identity *a, const identity *b)
{
    if (strcmp(a->f, b->f) == 0 && strcmp(a->s, b->s) == 0 && strcmp(a->dob, b->dob) != 0)
        return transposed(a->dob, b->dob) ? "transposed_dob" : NULL;
    if (strcmp(a->dob, b->dob) != 0)
        return NULL;
    if (strcmp(a->f, b->f) == 0 && strcmp(a->s, b->s) != 0 &&
        ((strchr(a->tokens, ' ') && token_in(a->tokens, b->s)) ||
         (strchr(b->tokens, ' ') && token_in(b->tokens, a->s))))
        return "double_surname";
    if (strcmp(a->fx, b->fx) == 0 && strcmp(a->sx, b->sx) == 0 &&
        (strcmp(a->f, b->f) != 0 || strcmp(a->s, b->s) != 0))
        return "accents";
    if (strcmp(a->s, b->s) == 0 && strcmp(a->f, b->f) != 0) {
        int g = nickname_group(a->f);
        if (g >= 0 && g == nickname_group(b->f))
            return "nickname";
    }
    return NULL;
}

static void identity_fill(identity *id, const char *forename, const char *surname,
                          const char *dob_iso)
{
    ctxprof_normalise_name(forename, id->f, sizeof id->f);
    ctxprof_normalise_name(surname, id->s, sizeof id->s);
    surname_tokens(surname, id->tokens, sizeof id->tokens);
    fold_wide(forename, id->fx, sizeof id->fx);
    fold_wide(surname, id->sx, sizeof id->sx);
    snprintf(id->dob, sizeof id->dob, "%s", dob_iso);
}

const char *ctxprof_people_near_match(const char *forename_a, const char *surname_a,
                                      const char *dob_a, const char *forename_b,
                                      const char *surname_b, const char *dob_b)
{
    identity a, b;
    identity_fill(&a, forename_a, surname_a, dob_a);
    identity_fill(&b, forename_b, surname_b, dob_b);
    const char *r = NULL;
    if (strcmp(a.f, b.f) != 0 || strcmp(a.s, b.s) != 0 || strcmp(a.dob, b.dob) != 0)
        r = near_match(&a, &b);
    sodium_memzero(&a, sizeof a);
    sodium_memzero(&b, sizeof b);
    return r;
}

/* The columns of one person in a row. */
typedef struct {
    int forename, surname, dob, id;
    const char *system; /* literal system, or NULL when system_col is used */
    int system_col;
} person_cols;

/* The row's person, as the loader computes it (src/load/load.c row_pid):
 * names + dob first, else the system id. Fills *ident for name identities
 * when ident is not NULL. Returns 1 when a pid was made. */
static int row_person(const ctxprof_pseudonym *ps, cells *r, const person_cols *pc, ctxprof_pid pid,
                      identity *ident, int *by_name)
{
    pid[0] = '\0';
    *by_name = 0;
    if (pc->forename >= 0 && pc->surname >= 0 && pc->dob >= 0) {
        const char *f = cell(r, pc->forename), *s = cell(r, pc->surname), *d = cell(r, pc->dob);
        ctxprof_datetime dob;
        const char *reason;
        if (!blank(f) && !blank(s) && ctxprof_date_parse(d, CTXPROF_DMY, &dob, &reason) == 0 &&
            dob.precision >= CTXPROF_PREC_DAY) {
            char iso[32];
            snprintf(iso, sizeof iso, "%04d-%02d-%02d", dob.year, dob.month, dob.day);
            ctxprof_pid_from_name(ps, f, s, iso, pid);
            if (ident) {
                identity_fill(ident, f, s, iso);
                memcpy(ident->pid, pid, sizeof ident->pid);
            }
            *by_name = 1;
            sodium_memzero(iso, sizeof iso);
            return 1;
        }
    }
    if (pc->id >= 0) {
        const char *id = cell(r, pc->id);
        const char *sys = pc->system_col >= 0 ? cell(r, pc->system_col) : pc->system;
        if (!blank(id)) {
            ctxprof_pid_from_id(ps, sys, id, pid);
            return 1;
        }
    }
    return 0;
}

static int identity_add(ctxprof_ctx *ctx, identity_set *set, const identity *id)
{
    if (ctxprof_strmap_get(&set->seen, id->pid) >= 0)
        return 0;
    if (ctxprof_grow(ctx, (void **)&set->v, &set->cap, set->n + 1, sizeof *set->v))
        return CTXPROF_E_NOMEM;
    set->v[set->n] = *id;
    return ctxprof_strmap_put(ctx, &set->seen, id->pid, (int)set->n++);
}

static void identity_set_free(ctxprof_ctx *ctx, identity_set *set)
{
    if (set->v)
        sodium_memzero(set->v, set->cap * sizeof *set->v);
    ctxprof_free(ctx, set->v);
    ctxprof_strmap_free(ctx, &set->seen);
    memset(set, 0, sizeof *set);
}

/* id pid -> name pid. */
typedef struct {
    ctxprof_strmap index; /* id pid -> slot */
    ctxprof_pid *to;
    size_t n, cap;
} pid_map;

static void pid_map_free(ctxprof_ctx *ctx, pid_map *m)
{
    ctxprof_strmap_free(ctx, &m->index);
    ctxprof_free(ctx, m->to);
    memset(m, 0, sizeof *m);
}

static const char *pid_map_get(const pid_map *m, const char *pid)
{
    int k = ctxprof_strmap_get(&m->index, pid);
    return k >= 0 ? m->to[k] : NULL;
}

static int xw_add(ctxprof_ctx *ctx, pid_map *m, const char *from, const char *to)
{
    if (ctxprof_grow(ctx, (void **)&m->to, &m->cap, m->n + 1, sizeof *m->to) ||
        ctxprof_strmap_put(ctx, &m->index, from, (int)m->n))
        return CTXPROF_E_NOMEM;
    snprintf(m->to[m->n++], sizeof m->to[0], "%s", to);
    return 0;
}

static int64_t record_day(const char *v, const char *date_format)
{
    static const char *names[] = {"dmy", "ymd", "excel", "month"};
    static const ctxprof_date_format fmts[] = {CTXPROF_DMY, CTXPROF_YMD, CTXPROF_EXCEL,
                                               CTXPROF_MONTH};
    ctxprof_date_format fmt = CTXPROF_DMY;
    for (int i = 0; date_format && i < 4; i++)
        if (strcmp(date_format, names[i]) == 0)
            fmt = fmts[i];
    ctxprof_datetime d;
    const char *reason;
    if (!v[0] || ctxprof_date_parse(v, fmt, &d, &reason) || d.precision < CTXPROF_PREC_MONTH)
        return INT64_MIN;
    return ctxprof_days_from_civil(d.year, d.month, d.precision >= CTXPROF_PREC_DAY ? d.day : 1);
}

static int attendance_add(ctxprof_ctx *ctx, ctxprof_people_result *res, const char *pid,
                          const char *school, int64_t day, int32_t source)
{
    while (*school == ' ' || *school == '\t')
        school++;
    size_t len = strlen(school);
    while (len && (school[len - 1] == ' ' || school[len - 1] == '\t' || school[len - 1] == '\r'))
        len--;
    if (!len)
        return 0;
    if (ctxprof_grow(ctx, (void **)&res->attendance, &res->cap_attendance, res->n_attendance + 1,
                     sizeof *res->attendance))
        return CTXPROF_E_NOMEM;
    ctxprof_attendance *a = &res->attendance[res->n_attendance];
    if (!(a->school = ctxprof_sprintf(ctx, "%.*s", (int)len, school)))
        return CTXPROF_E_NOMEM;
    snprintf(a->pid, sizeof a->pid, "%s", pid);
    a->day = day;
    a->source = source;
    res->n_attendance++;
    return 0;
}

/* Pass over one source. what: 0 crosswalk, 1 association, 2 identities and
 * school attendance of an incident source. */
static int read_source(ctxprof_ctx *ctx, ctxprof_people_result *res, const ctxprof_source *s,
                       int32_t src_index, const ctxprof_kind *kind, const ctxprof_pseudonym *ps,
                       int what, pid_map *xw, identity_set *ids, identity_set *nodob)
{
    ctxprof_opened o;
    int rc = ctxprof_source_open(ctx, &o, s);
    if (rc)
        return rc;
    cells r = {0};
    if (s->encoding && strcasecmp(s->encoding, "UTF-8") != 0 &&
        strcasecmp(s->encoding, "UTF8") != 0)
        r.encoding = s->encoding;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(o.layer);
    ctxprof_columns c;
    if ((rc = ctxprof_columns_resolve(ctx, &c, s, kind, defn)))
        goto done;
    person_cols a = {c.forename, c.surname, c.dob, c.person_id, c.system, -1};
    person_cols b = {c.person2_forename, c.person2_surname, c.person2_dob,
                     c.person2_id,       c.system,          -1};
    if (what == 0) {
        /* In a crosswalk, person_system may name the column holding the system. */
        int sc = OGR_FD_GetFieldIndex(defn, c.system);
        if (sc >= 0)
            a.system_col = sc;
    }
    if (what == 2 && (a.forename < 0 || a.surname < 0 || a.dob < 0) && c.school < 0)
        goto done; /* no names and no school: nothing to read */
    /* Plain delimited text through the loader's fast reader (the same rows
     * and cells as OGR's), anything else through OGR. */
    ctxprof_csv csv;
    int fast = ctxprof_source_fast_csv(ctx, s, &o, &csv);
    if (fast)
        r.csv = &csv;
    else
        OGR_L_ResetReading(o.layer);
    OGRFeatureH f = NULL;
    identity id_a, id_b;
    for (;;) {
        if (f)
            OGR_F_Destroy(f);
        f = NULL;
        if (fast) {
            int got = ctxprof_csv_next(ctx, &csv);
            if (got <= 0) {
                rc = got;
                break;
            }
        } else if (!(f = OGR_L_GetNextFeature(o.layer)))
            break;
        r.feat = f;
        ctxprof_pid pa, pb, pn;
        int by_name;
        if (what == 0) {
            res->crosswalk_rows++;
            /* The id's pid and the names' pid of the same row. */
            person_cols id_only = a, names_only = a;
            id_only.forename = -1;
            names_only.id = -1;
            if (row_person(ps, &r, &id_only, pa, NULL, &by_name) &&
                row_person(ps, &r, &names_only, pn, NULL, &by_name) && by_name &&
                strcmp(pa, pn) != 0 && ctxprof_strmap_get(&xw->index, pa) < 0) {
                if ((rc = xw_add(ctx, xw, pa, pn)))
                    break;
                res->crosswalk_ids++;
            }
        } else if (what == 1) {
            res->association_rows++;
            int ha = row_person(ps, &r, &a, pa, &id_a, &by_name);
            int a_named = by_name;
            int hb = row_person(ps, &r, &b, pb, &id_b, &by_name);
            int b_named = by_name;
            const char *m;
            if (ha && (m = pid_map_get(xw, pa)))
                memcpy(pa, m, sizeof pa);
            if (hb && (m = pid_map_get(xw, pb)))
                memcpy(pb, m, sizeof pb);
            if ((a_named && (rc = identity_add(ctx, ids, &id_a))) ||
                (b_named && (rc = identity_add(ctx, ids, &id_b))))
                break;
            if (ha && hb && strcmp(pa, pb) != 0) {
                res->association_pairs++;
                if ((rc = ctxprof_people_add_pair(ctx, res, pa, pb)))
                    break;
            }
        } else if (row_person(ps, &r, &a, pa, &id_a, &by_name)) {
            if (c.school >= 0 &&
                (rc = attendance_add(ctx, res, pa, cell(&r, c.school),
                                     record_day(cell(&r, c.date), s->date_format), src_index)))
                break;
            if (by_name) {
                /* A row naming both a system id and a name + dob links the two,
                 * as a crosswalk row does (a row whose dob is missing then
                 * still finds its person through the id). */
                rc = identity_add(ctx, ids, &id_a);
                person_cols id_only = a;
                id_only.forename = -1;
                int named;
                if (!rc && a.id >= 0 && row_person(ps, &r, &id_only, pb, NULL, &named) &&
                    ctxprof_strmap_get(&xw->index, pb) < 0) {
                    rc = xw_add(ctx, xw, pb, pa);
                    res->source_ids++;
                }
            } else if (!blank(cell(&r, a.forename)) && !blank(cell(&r, a.surname))) {
                /* Names without a usable dob: compared by name alone. */
                identity_fill(&id_a, cell(&r, a.forename), cell(&r, a.surname), "");
                memcpy(id_a.pid, pa, sizeof id_a.pid);
                rc = identity_add(ctx, nodob, &id_a);
            }
            if (rc)
                break;
        }
    }
    if (f)
        OGR_F_Destroy(f);
    if (fast)
        ctxprof_csv_close(ctx, &csv);
    sodium_memzero(&id_a, sizeof id_a);
    sodium_memzero(&id_b, sizeof id_b);
done:
    cells_clear(&r);
    ctxprof_source_close(ctx, &o);
    return rc;
}

static int cmp_identity_dob(const void *x, const void *y)
{
    const identity *a = x, *b = y;
    int c = strcmp(a->dob, b->dob);
    return c ? c : strcmp(a->pid, b->pid);
}

static int cmp_match(const void *x, const void *y)
{
    const ctxprof_possible_match *a = x, *b = y;
    int c = strcmp(a->a, b->a);
    return c ? c : strcmp(a->b, b->b);
}

/* kept: the pid both become if the match is accepted (NULL: the smaller). */
static int add_match(ctxprof_ctx *ctx, ctxprof_people_result *res, size_t *cap, const identity *x,
                     const identity *y, const char *reason, const char *kept)
{
    if (ctxprof_grow(ctx, (void **)&res->matches, cap, res->n_matches + 1, sizeof *res->matches))
        return CTXPROF_E_NOMEM;
    ctxprof_possible_match *m = &res->matches[res->n_matches++];
    memset(m, 0, sizeof *m);
    int lt = strcmp(x->pid, y->pid) < 0;
    memcpy(m->a, lt ? x->pid : y->pid, sizeof m->a);
    memcpy(m->b, lt ? y->pid : x->pid, sizeof m->b);
    m->reason = reason;
    m->reason_bit = ctxprof_match_reason_bit(reason);
    snprintf(m->kept, sizeof m->kept, "%s", kept ? kept : m->a);
    return 0;
}

/* Possible matches among identities, blocked by dob (and by the transposed
 * dob): sorting keeps the work near n log n. */
static int cmp_identity_name(const void *x, const void *y)
{
    const identity *a = x, *b = y;
    int c = strcmp(a->s, b->s);
    if (!c)
        c = strcmp(a->f, b->f);
    return c ? c : strcmp(a->pid, b->pid);
}

static int find_matches(ctxprof_ctx *ctx, ctxprof_people_result *res, identity *v, size_t n,
                        const identity *nodob, size_t n_nodob)
{
    size_t cap = 0;
    if (n) /* qsort wants a non-null array, even for no elements */
        qsort(v, n, sizeof *v, cmp_identity_dob);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(v[j].dob, v[i].dob) == 0)
            j++;
        for (size_t a = i; a < j; a++)
            for (size_t b = a + 1; b < j; b++) {
                const char *why = near_match(&v[a], &v[b]);
                if (why && add_match(ctx, res, &cap, &v[a], &v[b], why, NULL))
                    return CTXPROF_E_NOMEM;
            }
        i = j;
    }
    for (size_t a = 0; a < n; a++) {
        identity key;
        memcpy(key.dob, v[a].dob, sizeof key.dob);
        memcpy(key.dob + 5, v[a].dob + 8, 2);
        memcpy(key.dob + 8, v[a].dob + 5, 2);
        if (strcmp(key.dob, v[a].dob) <= 0)
            continue; /* each transposed pair once; equal day and month are not */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(v[mid].dob, key.dob) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t b = lo; b < n && strcmp(v[b].dob, key.dob) == 0; b++) {
            const char *why = near_match(&v[a], &v[b]);
            if (why && add_match(ctx, res, &cap, &v[a], &v[b], why, NULL))
                return CTXPROF_E_NOMEM;
        }
        sodium_memzero(&key, sizeof key);
    }
    /* Names without a dob against every identity with the same names. */
    if (n)
        qsort(v, n, sizeof *v, cmp_identity_name);
    for (size_t a = 0; a < n_nodob; a++) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(v[mid].s, nodob[a].s);
            if (!c)
                c = strcmp(v[mid].f, nodob[a].f);
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t b = lo; b < n && !strcmp(v[b].s, nodob[a].s) && !strcmp(v[b].f, nodob[a].f);
             b++)
            if (strcmp(v[b].pid, nodob[a].pid) != 0 &&
                add_match(ctx, res, &cap, &nodob[a], &v[b], "name_without_dob", v[b].pid))
                return CTXPROF_E_NOMEM;
    }
    if (res->n_matches)
        qsort(res->matches, res->n_matches, sizeof *res->matches, cmp_match);
    return 0;
}

/* Possible matches of the accepted kinds become one person, when
 * unambiguous: a record without a dob whose names fit one dated identity
 * only, and dated identities matched to exactly one other. The pids are
 * rewritten everywhere (incidents, association pairs, attendance). */
static int accept_matches(ctxprof_ctx *ctx, ctxprof_people_result *res, unsigned mask,
                          ctxprof_incidents *inc)
{
    if (!mask || !res->n_matches)
        return 0;
    int rc = 0;
    ctxprof_strmap dated = {0}, undated = {0}, slot = {0};
    ctxprof_pid *pid = NULL;
    int *parent = NULL;
    size_t n = 0, cap = 0, cap_parent = 0;
    /* How many accepted-kind matches each pid is in. */
    for (size_t i = 0; i < res->n_matches && !rc; i++) {
        const ctxprof_possible_match *m = &res->matches[i];
        if (!(m->reason_bit & mask))
            continue;
        if (m->reason_bit == CTXPROF_MATCH_NAME_WITHOUT_DOB) {
            const char *u = strcmp(m->kept, m->a) == 0 ? m->b : m->a;
            int k = ctxprof_strmap_get(&undated, u);
            rc = ctxprof_strmap_put(ctx, &undated, u, k < 0 ? 1 : k + 1);
        } else {
            int k = ctxprof_strmap_get(&dated, m->a);
            if (!(rc = ctxprof_strmap_put(ctx, &dated, m->a, k < 0 ? 1 : k + 1))) {
                k = ctxprof_strmap_get(&dated, m->b);
                rc = ctxprof_strmap_put(ctx, &dated, m->b, k < 0 ? 1 : k + 1);
            }
        }
    }
    /* Union-find over the pids of accepted matches. */
    for (size_t i = 0; i < res->n_matches && !rc; i++) {
        ctxprof_possible_match *m = &res->matches[i];
        if (!(m->reason_bit & mask))
            continue;
        if (m->reason_bit == CTXPROF_MATCH_NAME_WITHOUT_DOB) {
            const char *u = strcmp(m->kept, m->a) == 0 ? m->b : m->a;
            if (ctxprof_strmap_get(&undated, u) != 1)
                continue;
        } else if (ctxprof_strmap_get(&dated, m->a) != 1 || ctxprof_strmap_get(&dated, m->b) != 1) {
            continue;
        }
        const char *two[2] = {strcmp(m->kept, m->a) == 0 ? m->b : m->a, m->kept};
        int id[2];
        for (int k = 0; k < 2 && !rc; k++) {
            if ((id[k] = ctxprof_strmap_get(&slot, two[k])) >= 0)
                continue;
            size_t c2 = cap;
            if ((rc = ctxprof_grow(ctx, (void **)&pid, &c2, n + 1, sizeof *pid)) ||
                (rc = ctxprof_grow(ctx, (void **)&parent, &cap_parent, n + 1, sizeof *parent)) ||
                (rc = ctxprof_strmap_put(ctx, &slot, two[k], (int)n)))
                break;
            cap = c2;
            memcpy(pid[n], two[k], sizeof pid[n]);
            parent[n] = (int)n;
            id[k] = (int)n++;
        }
        if (rc)
            break;
        int ra = id[0], rb = id[1];
        while (parent[ra] != ra)
            ra = parent[ra];
        while (parent[rb] != rb)
            rb = parent[rb];
        if (ra != rb)
            parent[ra] = rb; /* the absorbed side joins the kept side */
        m->accepted = 1;
        res->matches_accepted++;
    }
    if (rc || !n)
        goto done;
    for (size_t k = 0; k < n; k++) {
        int r = (int)k;
        while (parent[r] != r)
            r = parent[r];
        parent[k] = r;
        res->pids_merged += r != (int)k;
    }
    for (size_t i = 0; i < res->n_matches; i++) {
        int k = res->matches[i].accepted ? ctxprof_strmap_get(&slot, res->matches[i].kept) : -1;
        if (k >= 0)
            memcpy(res->matches[i].kept, pid[parent[k]], sizeof res->matches[i].kept);
    }
#define REWRITE(p)                                                                                 \
    do {                                                                                           \
        int k_ = (p)[0] ? ctxprof_strmap_get(&slot, (p)) : -1;                                     \
        if (k_ >= 0 && parent[k_] != k_)                                                           \
            memcpy((p), pid[parent[k_]], sizeof(ctxprof_pid));                                     \
    } while (0)
    for (size_t i = 0; i < inc->n; i++)
        REWRITE(inc->pid[i]);
    for (size_t i = 0; i < res->n_pairs; i++) {
        REWRITE(res->pair_a[i]);
        REWRITE(res->pair_b[i]);
    }
    for (size_t i = 0; i < res->n_attendance; i++)
        REWRITE(res->attendance[i].pid);
#undef REWRITE
done:
    ctxprof_free(ctx, pid);
    ctxprof_free(ctx, parent);
    ctxprof_strmap_free(ctx, &dated);
    ctxprof_strmap_free(ctx, &undated);
    ctxprof_strmap_free(ctx, &slot);
    return rc;
}

int ctxprof_people_link(ctxprof_ctx *ctx, ctxprof_people_result *res,
                        const ctxprof_people_options *o, const ctxprof_pseudonym *ps,
                        ctxprof_incidents *inc)
{
    int rc = 0;
    pid_map xw = {0};
    identity_set ids = {0}, nodob = {0};
    ctxprof_strmap used = {0}, linked = {0};
    size_t ns = o->n_sources;
    if (!ps) {
        /* No key: no source names anyone (the loader makes sure), so there
         * is nothing to link, unless association or crosswalk records wait. */
        for (size_t i = 0; i < ns; i++) {
            const ctxprof_source *s = &o->sources[i];
            if (strcmp(s->kind, "association") == 0 || strcmp(s->kind, "crosswalk") == 0)
                return ctxprof_error(ctx, CTXPROF_E_CONFIG,
                                     "%s: source '%s' links people, and there is no pseudonym "
                                     "key: set key_file in [profile] or the environment "
                                     "variable named by key_env",
                                     s->path, s->name);
        }
        return 0;
    }
    /* Crosswalks first: the associations and incidents are rewritten with them. */
    /* Crosswalks, then incident sources (their own id-name links), then
     * associations, which use both. */
    static const int passes[] = {0, 2, 1};
    for (int pass = 0; pass < 3 && !rc; pass++)
        for (size_t i = 0; i < ns && !rc; i++) {
            int what = passes[pass];
            const ctxprof_source *s = &o->sources[i];
            const ctxprof_kind *k = ctxprof_kind_find(s->kind);
            int is_xw = k && strcmp(k->name, "crosswalk") == 0;
            int is_assoc = k && strcmp(k->name, "association") == 0;
            if ((what == 0 && is_xw) || (what == 1 && is_assoc) || (what == 2 && k && !k->linkage))
                for (size_t f = 0; !rc && f < ctxprof_source_n_files(s); f++) {
                    ctxprof_source part = ctxprof_source_part(s, f);
                    rc = read_source(ctx, res, &part, (int32_t)i, k, ps, what, &xw, &ids, &nodob);
                }
        }
    if (rc)
        goto done;
    for (size_t i = 0; i < res->n_attendance; i++) {
        const char *m = pid_map_get(&xw, res->attendance[i].pid);
        if (m)
            memcpy(res->attendance[i].pid, m, sizeof res->attendance[i].pid);
    }
    /* Incidents: id pids become name pids; distinct ids linked are counted. */
    for (size_t i = 0; i < inc->n && !rc; i++) {
        const char *m = inc->pid[i][0] ? pid_map_get(&xw, inc->pid[i]) : NULL;
        if (!m)
            continue;
        if (ctxprof_strmap_get(&linked, inc->pid[i]) < 0) {
            res->ids_linked++;
            rc = ctxprof_strmap_put(ctx, &linked, inc->pid[i], 1);
        }
        memcpy(inc->pid[i], m, sizeof inc->pid[i]);
        res->links_made++;
    }
    /* Only people present in the incidents or the associations are compared. */
    for (size_t i = 0; i < inc->n && !rc; i++)
        if (inc->pid[i][0])
            rc = ctxprof_strmap_put(ctx, &used, inc->pid[i], 1);
    for (size_t i = 0; i < res->n_pairs && !rc; i++)
        if (!(rc = ctxprof_strmap_put(ctx, &used, res->pair_a[i], 1)))
            rc = ctxprof_strmap_put(ctx, &used, res->pair_b[i], 1);
    if (rc)
        goto done;
    size_t keep = 0;
    for (size_t i = 0; i < ids.n; i++)
        if (ctxprof_strmap_get(&used, ids.v[i].pid) >= 0)
            ids.v[keep++] = ids.v[i];
    size_t keep_nodob = 0;
    for (size_t i = 0; i < nodob.n; i++)
        if (ctxprof_strmap_get(&used, nodob.v[i].pid) >= 0 && !pid_map_get(&xw, nodob.v[i].pid))
            nodob.v[keep_nodob++] = nodob.v[i];
    if ((rc = find_matches(ctx, res, ids.v, keep, nodob.v, keep_nodob)))
        goto done;
    unsigned accept = 0;
    if ((rc = ctxprof_people_accept_parse(ctx, &accept, o->accept_list, o->file)) ||
        (rc = accept_matches(ctx, res, accept, inc)))
        goto done;
    /* Distinct people with a school record, after every link. */
    ctxprof_strmap_free(ctx, &used);
    for (size_t i = 0; i < res->n_attendance && !rc; i++)
        if (ctxprof_strmap_get(&used, res->attendance[i].pid) < 0) {
            res->attendance_people++;
            rc = ctxprof_strmap_put(ctx, &used, res->attendance[i].pid, 1);
        }
done:
    ctxprof_strmap_free(ctx, &used);
    ctxprof_strmap_free(ctx, &linked);
    identity_set_free(ctx, &ids);
    identity_set_free(ctx, &nodob);
    pid_map_free(ctx, &xw);
    return rc;
}
