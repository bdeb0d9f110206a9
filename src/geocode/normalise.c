#include "geocode/normalise.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- postcodes ----------------------------------------------------------
 * UK postcodes: outward code AN, ANN, AAN, AANN, ANA or AANA (A letter,
 * N digit); inward code NAA. Typists swap O and 0, I and 1: each position's
 * expected class decides which was meant. */

static int as_letter(int c)
{
    c = toupper(c);
    if (c == '0')
        return 'O';
    if (c == '1')
        return 'I';
    return isalpha(c) ? c : 0;
}

static int as_digit(int c)
{
    c = toupper(c);
    if (c == 'O')
        return '0';
    if (c == 'I')
        return '1';
    return isdigit(c) ? c : 0;
}

/* Parses an outward code of n compact characters. */
static int parse_outward(const char *s, size_t n, char *out)
{
    /* Patterns by length, L letter, D digit, X letter or digit (ANA/AANA). */
    static const char *patterns[] = {"LD", "LDD", "LLD", "LLDD", "LDL", "LLDL"};
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        const char *pat = patterns[p];
        if (strlen(pat) != n)
            continue;
        char buf[5];
        size_t i;
        for (i = 0; i < n; i++) {
            int c = pat[i] == 'L' ? as_letter(s[i]) : as_digit(s[i]);
            if (!c)
                break;
            buf[i] = (char)c;
        }
        if (i == n) {
            memcpy(out, buf, n);
            out[n] = '\0';
            return 1;
        }
    }
    return 0;
}

ctxprof_pc_level ctxprof_postcode_normalise(const char *in, char out[CTXPROF_PC_LEN])
{
    char c[16];
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = in; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '-' || *p == '.')
            continue;
        if (!isalnum((unsigned char)*p) || n >= 8)
            return CTXPROF_PC_NONE;
        c[n++] = (char)toupper((unsigned char)*p);
    }
    c[n] = '\0';
    /* A postcode has real digits: at most one may be a mistyped O or I
     * (so "BELMONT" is a word, and "NB3 OHR" is NB3 0HR). */
    int digits = 0;
    for (size_t i = 0; i < n; i++)
        digits += isdigit((unsigned char)c[i]) != 0;
    if (digits == 0)
        return CTXPROF_PC_NONE;
    char outward[6];
    /* Full unit: outward (2-4) + inward (3). */
    if (n >= 5 && n <= 7 && parse_outward(c, n - 3, outward)) {
        int d = as_digit(c[n - 3]), l1 = as_letter(c[n - 2]), l2 = as_letter(c[n - 1]);
        if (d && l1 && l2) {
            snprintf(out, CTXPROF_PC_LEN, "%.4s %c%c%c", outward, d, l1, l2);
            return CTXPROF_PC_UNIT;
        }
    }
    /* Sector: outward + one digit, written with a space ("NB3 4"). */
    if (n >= 3 && n <= 5 && strchr(in, ' ') && parse_outward(c, n - 1, outward) &&
        as_digit(c[n - 1])) {
        snprintf(out, CTXPROF_PC_LEN, "%.4s %c", outward, as_digit(c[n - 1]));
        return CTXPROF_PC_SECTOR;
    }
    if (n >= 2 && n <= 4 && parse_outward(c, n, outward)) {
        snprintf(out, CTXPROF_PC_LEN, "%.4s", outward);
        return CTXPROF_PC_DISTRICT;
    }
    return CTXPROF_PC_NONE;
}

ctxprof_pc_level ctxprof_postcode_find(const char *text, char out[CTXPROF_PC_LEN], size_t *start,
                                       size_t *end)
{
    /* Candidate spans: one token, or two tokens separated by one space,
     * ending at a token boundary. The last match wins (postcodes end
     * addresses); a full unit beats a partial one. */
    ctxprof_pc_level best = CTXPROF_PC_NONE;
    size_t len = strlen(text);
    out[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)text[i]) || (i && isalnum((unsigned char)text[i - 1])))
            continue; /* token starts only */
        size_t j = i;
        while (j < len && isalnum((unsigned char)text[j]))
            j++;
        size_t k = j;
        if (k + 1 < len && text[k] == ' ' && isalnum((unsigned char)text[k + 1])) {
            k++;
            while (k < len && isalnum((unsigned char)text[k]))
                k++;
        }
        size_t ends[2] = {k, j};
        for (int e = 0; e < 2; e++) {
            size_t span = ends[e] - i;
            if (span < 2 || span > 9)
                continue;
            char buf[16], pc[CTXPROF_PC_LEN];
            memcpy(buf, text + i, span);
            buf[span] = '\0';
            ctxprof_pc_level lv = ctxprof_postcode_normalise(buf, pc);
            /* A lone district-like token ("A1") inside words is too weak:
             * only accept districts and sectors that follow a comma, the
             * start, or that end the text. */
            if (lv == CTXPROF_PC_DISTRICT || lv == CTXPROF_PC_SECTOR) {
                size_t after = ends[e];
                while (after < len && (text[after] == ' ' || text[after] == ','))
                    after++;
                if (after < len)
                    lv = CTXPROF_PC_NONE;
                /* "Flat 3" or "Road 12" would look like districts: need a letter first
                 * and at least one letter pair or a digit after letters. */
                if (lv && !isalpha((unsigned char)buf[0]))
                    lv = CTXPROF_PC_NONE;
            }
            if (lv >= best && lv != CTXPROF_PC_NONE) {
                best = lv;
                memcpy(out, pc, CTXPROF_PC_LEN);
                *start = i;
                *end = ends[e];
                break;
            }
        }
    }
    return best;
}

void ctxprof_postcode_sector(const char *unit, char out[CTXPROF_PC_LEN])
{
    const char *sp = strchr(unit, ' ');
    if (!sp || !sp[1]) {
        snprintf(out, CTXPROF_PC_LEN, "%s", unit);
        return;
    }
    snprintf(out, CTXPROF_PC_LEN, "%.*s", (int)(sp - unit) + 2, unit);
}

void ctxprof_postcode_district(const char *pc, char out[CTXPROF_PC_LEN])
{
    const char *sp = strchr(pc, ' ');
    snprintf(out, CTXPROF_PC_LEN, "%.*s", sp ? (int)(sp - pc) : (int)strlen(pc), pc);
}

/* ---- names --------------------------------------------------------------- */

/* Latin-1 Supplement letters folded to ASCII (as in core/pseudonym.c). */
static const char LATIN1_FOLD[64] = "AAAAAAACEEEEIIII"
                                    "DNOOOOO OUUUUYTS"
                                    "AAAAAAACEEEEIIII"
                                    "DNOOOOO OUUUUYTY";

static const struct {
    const char *abbr, *full;
} ABBREVIATIONS[] = {
    {"RD", "ROAD"},      {"AVE", "AVENUE"}, {"AV", "AVENUE"},     {"GDNS", "GARDENS"},
    {"GDN", "GARDEN"},   {"LN", "LANE"},    {"CRES", "CRESCENT"}, {"CR", "CRESCENT"},
    {"CL", "CLOSE"},     {"PL", "PLACE"},   {"SQ", "SQUARE"},     {"TER", "TERRACE"},
    {"TERR", "TERRACE"}, {"GRN", "GREEN"},  {"PK", "PARK"},       {"DR", "DRIVE"},
    {"CT", "COURT"},     {"GRO", "GROVE"},  {"GR", "GROVE"},      {"HL", "HILL"},
    {"MT", "MOUNT"},     {"UPR", "UPPER"},  {"LWR", "LOWER"},     {"GT", "GREAT"},
    {"PDE", "PARADE"},   {"WLK", "WALK"},   {"MWS", "MEWS"},      {"HSE", "HOUSE"},
    {"STN", "STATION"},  {"RI", "RISE"},    {"EST", "ESTATE"},    {"BLDGS", "BUILDINGS"},
    {"CTR", "CENTRE"},   {"CEN", "CENTRE"}, {"CNR", "CORNER"},    {"OPP", "OPPOSITE"},
};

void ctxprof_name_normalise(const char *in, char *out, size_t size)
{
    /* 1. Fold to capitals and single spaces, dropping apostrophes. */
    char tmp[512];
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)in;
    while (*p && n + 1 < sizeof tmp) {
        int c;
        if (*p < 0x80) {
            c = *p++;
        } else if (*p == 0xC3 && (p[1] & 0xC0) == 0x80) {
            c = LATIN1_FOLD[(p[1] & 0x3F)];
            p += 2;
        } else if (*p == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
            p += 3; /* curly apostrophes */
            continue;
        } else {
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
            c = ' ';
        }
        if (c == '\'' || c == '`')
            continue;
        c = isalnum(c) ? toupper(c) : ' ';
        if (c == ' ' && (n == 0 || tmp[n - 1] == ' '))
            continue;
        tmp[n++] = (char)c;
    }
    while (n && tmp[n - 1] == ' ')
        n--;
    tmp[n] = '\0';
    /* 2. Expand abbreviations word by word. "ST" is SAINT before a word and
     * STREET at the end (St Mary's Road / Church St). */
    size_t used = 0;
    if (size)
        out[0] = '\0';
    char *save = NULL;
    int first = 1;
    for (char *w = strtok_r(tmp, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        const char *rep = w;
        if (strcmp(w, "ST") == 0) {
            rep = save && *save ? "SAINT" : (first ? "SAINT" : "STREET");
        } else {
            for (size_t i = 0; i < sizeof ABBREVIATIONS / sizeof ABBREVIATIONS[0]; i++)
                if (strcmp(w, ABBREVIATIONS[i].abbr) == 0)
                    rep = ABBREVIATIONS[i].full;
        }
        int k = snprintf(out + used, used < size ? size - used : 0, "%s%s", first ? "" : " ", rep);
        if (k > 0)
            used += (size_t)k;
        if (used >= size) {
            if (size)
                out[size - 1] = '\0';
            break;
        }
        first = 0;
    }
}

/* ---- addresses ----------------------------------------------------------- */

static int is_blank_part(const char *s)
{
    return s[strspn(s, " \t")] == '\0';
}

int ctxprof_address_parse(const char *in, ctxprof_address *a)
{
    memset(a, 0, sizeof *a);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", in);
    /* The postcode comes off the end first. */
    size_t s0, e0;
    a->pc_level = ctxprof_postcode_find(buf, a->postcode, &s0, &e0);
    if (a->pc_level != CTXPROF_PC_NONE)
        memset(buf + s0, ' ', e0 - s0);
    /* Parts are separated by commas. */
    char *parts[12];
    int np = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t && np < 12; t = strtok_r(NULL, ",", &save))
        if (!is_blank_part(t))
            parts[np++] = t;
    int street_part = -1;
    for (int i = 0; i < np && street_part < 0; i++) {
        char *t = parts[i];
        while (*t == ' ')
            t++;
        char norm[256];
        ctxprof_name_normalise(t, norm, sizeof norm);
        if (strncmp(norm, "FLAT ", 5) == 0 || strncmp(norm, "APARTMENT ", 10) == 0 ||
            strncmp(norm, "UNIT ", 5) == 0) {
            snprintf(a->flat, sizeof a->flat, "%.31s", norm);
            continue;
        }
        /* "77 COLVILLE ROAD", "77A COLVILLE ROAD", "77-79 ..." */
        char *q = norm;
        if (isdigit((unsigned char)*q)) {
            a->number = atoi(q);
            while (*q && *q != ' ')
                q++;
            while (*q == ' ')
                q++;
            if (*q) {
                snprintf(a->street, sizeof a->street, "%.127s", q);
                street_part = i;
            }
            continue;
        }
        if (isalpha((unsigned char)*q) && np > 1 && i + 1 < np && a->number == 0 &&
            street_part < 0 && strchr(q, ' ') == NULL && i == 0)
            continue; /* a building name ("Grove House") before the street */
        snprintf(a->street, sizeof a->street, "%.127s", q);
        street_part = i;
    }
    /* The next part, if any, names the locality. */
    if (street_part >= 0 && street_part + 1 < np)
        ctxprof_name_normalise(parts[street_part + 1], a->locality, sizeof a->locality);
    return street_part >= 0 && a->street[0] ? 0 : -1;
}

/* ---- edit distance ------------------------------------------------------- */

int ctxprof_edit_distance(const char *a, const char *b, int max)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255 || lb > 255)
        return max + 1;
    if ((int)(la > lb ? la - lb : lb - la) > max)
        return max + 1;
    int rows[3][256];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1;
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb] > max ? max + 1 : prev[lb];
}
