/* Pseudonyms: a person's identity (system id, or forename, surname and date
 * of birth) becomes `pid`, a keyed hash (libsodium HMAC-SHA-256). The key
 * comes from a key file or an environment variable and is never written
 * anywhere; identity values never reach an output, log or message. */
#ifndef CTXPROF_PSEUDONYM_H
#define CTXPROF_PSEUDONYM_H

#include "core/context.h"

#define CTXPROF_PID_LEN 16 /* hex characters kept from the HMAC */

typedef struct ctxprof_pseudonym ctxprof_pseudonym;

/* Reads the key: from key_file when set (first line that is not a '#'
 * comment: 64 hex digits), else from the environment variable key_env. A
 * key file whose first line says "DEMO KEY" is marked as a demo key. */
int ctxprof_pseudonym_open(ctxprof_ctx *ctx, ctxprof_pseudonym **out, const char *key_file,
                           const char *key_env);
void ctxprof_pseudonym_free(ctxprof_ctx *ctx, ctxprof_pseudonym *ps);
int ctxprof_pseudonym_is_demo(const ctxprof_pseudonym *ps);

/* Normalises a name for matching: letters folded to ASCII upper case
 * (accents removed), everything but letters dropped. out needs strlen(in)+1. */
void ctxprof_normalise_name(const char *in, char *out, size_t size);

/* pid of a person known by name and date of birth (dob as YYYY-MM-DD). */
void ctxprof_pid_from_name(const ctxprof_pseudonym *ps, const char *forename, const char *surname,
                           const char *dob_iso, char pid[CTXPROF_PID_LEN + 1]);
/* pid of a person known only by a system id. */
void ctxprof_pid_from_id(const ctxprof_pseudonym *ps, const char *system, const char *id,
                         char pid[CTXPROF_PID_LEN + 1]);

#endif
