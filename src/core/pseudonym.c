#include "core/pseudonym.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct ctxprof_pseudonym {
    unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
    int demo;
};

static int parse_hex_key(const char *s, unsigned char *key)
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (sodium_hex2bin(key, crypto_auth_hmacsha256_KEYBYTES, s, strlen(s), " \t\r\n", &bin_len,
                       &end) != 0)
        return -1;
    while (end && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    return bin_len == crypto_auth_hmacsha256_KEYBYTES && (!end || !*end) ? 0 : -1;
}

int ctxprof_pseudonym_open(ctxprof_ctx *ctx, ctxprof_pseudonym **out, const char *key_file,
                           const char *key_env)
{
    *out = NULL;
    if (sodium_init() < 0)
        return ctxprof_error(ctx, CTXPROF_E_INTERNAL, "libsodium failed to initialise");
    ctxprof_pseudonym *ps = ctxprof_calloc(ctx, 1, sizeof *ps);
    if (!ps)
        return CTXPROF_E_NOMEM;
    int rc = 0;
    char line[512];
    if (key_file) {
        FILE *fp = fopen(key_file, "r");
        if (!fp) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_IO, key_file, 0, NULL,
                                  "cannot read the pseudonym key file: %s", strerror(errno));
            goto done;
        }
        int found = 0, lineno = 0;
        while (fgets(line, sizeof line, fp)) {
            lineno++;
            if (line[0] == '#') {
                if (lineno == 1 && strstr(line, "DEMO KEY"))
                    ps->demo = 1;
                continue;
            }
            if (line[strspn(line, " \t\r\n")] == '\0')
                continue;
            found = 1;
            break;
        }
        fclose(fp);
        if (!found || parse_hex_key(line, ps->key) != 0) {
            rc = ctxprof_error_at(ctx, CTXPROF_E_CONFIG, key_file, 0, NULL,
                                  "the pseudonym key must be 64 hexadecimal digits");
            goto done;
        }
    } else {
        const char *v = key_env ? getenv(key_env) : NULL;
        if (!v || !*v) {
            rc = ctxprof_error(ctx, CTXPROF_E_CONFIG,
                               "no pseudonym key: set key_file in [profile] or the environment "
                               "variable %s (64 hex digits, e.g. from `openssl rand -hex 32`)",
                               key_env ? key_env : "CTXPROF_KEY");
            goto done;
        }
        if (parse_hex_key(v, ps->key) != 0) {
            rc = ctxprof_error(ctx, CTXPROF_E_CONFIG,
                               "the pseudonym key in %s must be 64 hexadecimal digits", key_env);
            goto done;
        }
    }
done:
    sodium_memzero(line, sizeof line);
    if (rc) {
        ctxprof_pseudonym_free(ctx, ps);
        return rc;
    }
    *out = ps;
    return 0;
}

void ctxprof_pseudonym_free(ctxprof_ctx *ctx, ctxprof_pseudonym *ps)
{
    if (!ps)
        return;
    sodium_memzero(ps->key, sizeof ps->key);
    ctxprof_free(ctx, ps);
}

int ctxprof_pseudonym_is_demo(const ctxprof_pseudonym *ps)
{
    return ps->demo;
}

/* Latin-1 Supplement letters (U+00C0..U+00FF) folded to ASCII. */
static const char LATIN1_FOLD[64] = "AAAAAAACEEEEIIII"
                                    "DNOOOOO*OUUUUYTs"
                                    "AAAAAAACEEEEIIII"
                                    "DNOOOOO/OUUUUYTY";

void ctxprof_normalise_name(const char *in, char *out, size_t size)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)in;
    while (*p && n + 1 < size) {
        int c = -1;
        if (*p < 0x80) {
            c = *p++;
        } else if ((*p == 0xC3) && (p[1] & 0xC0) == 0x80) {
            c = LATIN1_FOLD[(0xC0 | (p[1] & 0x3F)) - 0xC0];
            p += 2;
        } else {
            p++; /* other non-ASCII bytes are dropped */
            while ((*p & 0xC0) == 0x80)
                p++;
            continue;
        }
        if (isalpha(c))
            out[n++] = (char)toupper(c);
    }
    out[n] = '\0';
}

static void pid_of(const ctxprof_pseudonym *ps, const char *msg, char pid[CTXPROF_PID_LEN + 1])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg), ps->key);
    sodium_bin2hex(pid, CTXPROF_PID_LEN + 1, mac, CTXPROF_PID_LEN / 2);
    sodium_memzero(mac, sizeof mac);
}

void ctxprof_pid_from_name(const ctxprof_pseudonym *ps, const char *forename, const char *surname,
                           const char *dob_iso, char pid[CTXPROF_PID_LEN + 1])
{
    char f[128], s[128], msg[300];
    ctxprof_normalise_name(forename, f, sizeof f);
    ctxprof_normalise_name(surname, s, sizeof s);
    snprintf(msg, sizeof msg, "name:%s|%s|%s", f, s, dob_iso);
    pid_of(ps, msg, pid);
    sodium_memzero(msg, sizeof msg);
}

void ctxprof_pid_from_id(const ctxprof_pseudonym *ps, const char *system, const char *id,
                         char pid[CTXPROF_PID_LEN + 1])
{
    char msg[300];
    size_t n = (size_t)snprintf(msg, sizeof msg, "id:%s|", system ? system : "");
    for (const char *p = id; *p && n + 1 < sizeof msg; p++)
        if (isalnum((unsigned char)*p))
            msg[n++] = (char)toupper((unsigned char)*p);
    msg[n] = '\0';
    pid_of(ps, msg, pid);
    sodium_memzero(msg, sizeof msg);
}
