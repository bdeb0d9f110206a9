/* Pseudonyms: keyed, stable across spellings, never the identity itself. */
#include "test_util.h"

#include <unistd.h>

#include <sodium.h>

#include "core/pseudonym.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void test_known_value(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_pseudonym *ps = NULL;
    setenv("CTXPROF_TEST_KEY", KEY_A, 1);
    assert_int_equal(ctxprof_pseudonym_open(ctx, &ps, NULL, "CTXPROF_TEST_KEY"), 0);
    assert_false(ctxprof_pseudonym_is_demo(ps));
    char pid[CTXPROF_PID_LEN + 1];
    ctxprof_pid_from_name(ps, "Zoë", "O'Brien", "2009-03-14", pid);
    assert_int_equal(strlen(pid), CTXPROF_PID_LEN);
    /* The pid is the first 8 bytes of HMAC-SHA-256(key, "name:ZOE|OBRIEN|2009-03-14"). */
    unsigned char key[32], mac[32];
    sodium_hex2bin(key, 32, KEY_A, 64, NULL, NULL, NULL);
    const char *msg = "name:ZOE|OBRIEN|2009-03-14";
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg), key);
    char want[17];
    sodium_bin2hex(want, sizeof want, mac, 8);
    assert_string_equal(pid, want);
    /* Case, accents, spaces and punctuation do not change the pid. */
    char pid2[CTXPROF_PID_LEN + 1];
    ctxprof_pid_from_name(ps, " ZOE ", "o brien", "2009-03-14", pid2);
    assert_string_equal(pid, pid2);
    ctxprof_pid_from_name(ps, "Zoe", "OBrien", "2009-03-15", pid2);
    assert_string_not_equal(pid, pid2);
    ctxprof_pid_from_id(ps, "SC", "sc-123456", pid);
    ctxprof_pid_from_id(ps, "SC", "SC123456", pid2);
    assert_string_equal(pid, pid2);
    ctxprof_pid_from_id(ps, "police", "SC123456", pid2);
    assert_string_not_equal(pid, pid2); /* ids of different systems never collide */
    ctxprof_pseudonym_free(ctx, ps);
    /* Another key gives another pid. */
    setenv("CTXPROF_TEST_KEY", KEY_B, 1);
    assert_int_equal(ctxprof_pseudonym_open(ctx, &ps, NULL, "CTXPROF_TEST_KEY"), 0);
    ctxprof_pid_from_id(ps, "SC", "SC123456", pid2);
    assert_string_not_equal(pid, pid2);
    ctxprof_pseudonym_free(ctx, ps);
    ctxprof_ctx_free(ctx);
}

static void test_key_sources(void **state)
{
    (void)state;
    ctxprof_ctx *ctx = ctxprof_ctx_new();
    ctxprof_pseudonym *ps = NULL;
    unsetenv("CTXPROF_NO_SUCH_KEY");
    assert_int_equal(ctxprof_pseudonym_open(ctx, &ps, NULL, "CTXPROF_NO_SUCH_KEY"),
                     CTXPROF_E_CONFIG);
    assert_non_null(strstr(ctxprof_errmsg(ctx), "no pseudonym key"));
    const char *demo = temp_file(".key", "# DEMO KEY - sample area only\n" KEY_A "\n");
    assert_int_equal(ctxprof_pseudonym_open(ctx, &ps, demo, NULL), 0);
    assert_true(ctxprof_pseudonym_is_demo(ps));
    ctxprof_pseudonym_free(ctx, ps);
    unlink(demo);
    const char *bad = temp_file(".key", "not-a-key\n");
    assert_int_equal(ctxprof_pseudonym_open(ctx, &ps, bad, NULL), CTXPROF_E_CONFIG);
    /* The message never repeats the key file's content. */
    assert_null(strstr(ctxprof_errmsg(ctx), "not-a-key"));
    unlink(bad);
    ctxprof_ctx_free(ctx);
}

static void test_normalise_name(void **state)
{
    (void)state;
    char out[64];
    ctxprof_normalise_name("José-María Núñez", out, sizeof out);
    assert_string_equal(out, "JOSEMARIANUNEZ");
    ctxprof_normalise_name("Chloé", out, sizeof out);
    assert_string_equal(out, "CHLOE");
    ctxprof_normalise_name("", out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_value),
        cmocka_unit_test(test_key_sources),
        cmocka_unit_test(test_normalise_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
