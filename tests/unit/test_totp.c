/*
 * Unit tests for src/mfa/totp: HOTP and TOTP against the RFC vectors read at run time from
 * tests/data/totp (rfc6238.tsv: RFC 6238 Appendix B and RFC 4226 Appendix D
 * codes; rfc4226_appendix_d.tsv: RFC 4226 intermediate values), base32 decoding (RFC 4648), and
 * the two codes for EnableMFADevice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mfa/totp.h"
#include "util/error.h"
#include "util/secret.h"

#define MAX_FIELDS 12

/* One line of a vectors file, split at tabs (points into line). */
struct row {
	char *f[MAX_FIELDS];
	int n;
};

static FILE *open_vectors(const char *name)
{
	char path[4096];
	FILE *fp;

	assert_true(snprintf(path, sizeof(path), "%s/totp/%s", KW_TEST_DATA_DIR, name) < (int)sizeof(path));
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("cannot open %s", path);
	return fp;
}

/* Next data row (skips comments and the header line, which starts with its first column name). */
static int next_row(FILE *fp, char *line, size_t size, const char *header, struct row *r)
{
	while (fgets(line, (int)size, fp)) {
		char *save = NULL, *tok;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0' || !strncmp(line, header, strlen(header)))
			continue;
		r->n = 0;
		for (tok = strtok_r(line, "\t", &save); tok && r->n < MAX_FIELDS;
		     tok = strtok_r(NULL, "\t", &save))
			r->f[r->n++] = tok;
		return 1;
	}
	return 0;
}

static struct kw_secret *from_hex(const char *hex)
{
	size_t n = strlen(hex) / 2;
	struct kw_secret *s = kw_secret_new(n);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		unsigned char b = (unsigned char)v;
		assert_int_equal(kw_secret_append(s, &b, 1), 0);
	}
	return s;
}

static uint64_t parse_u64(const char *s, int base)
{
	char *end;
	unsigned long long v = strtoull(s, &end, base);

	assert_true(*s && !*end);
	return (uint64_t)v;
}

/* Every row of rfc6238.tsv: TOTP rows through kw_totp_at, HOTP rows through kw_hotp. */
static void totp_rfc6238_vectors(void **state)
{
	FILE *fp = open_vectors("rfc6238.tsv");
	char line[1024];
	struct row r;
	int totp_rows = 0, hotp_rows = 0;

	while (next_row(fp, line, sizeof(line), "kind\t", &r)) {
		struct kw_error err;
		enum kw_totp_hash hash;
		char code[KW_TOTP_CODE_MAX];
		struct kw_secret *key;
		unsigned digits;

		assert_int_equal(r.n, 9);
		assert_int_equal(kw_totp_hash_parse(r.f[1], &hash, &err), 0);
		key = from_hex(r.f[3]);
		assert_int_equal(key->len, strlen(r.f[2])); /* seed_hex is seed_ascii */
		assert_memory_equal(key->data, r.f[2], key->len);
		digits = (unsigned)parse_u64(r.f[7], 10);
		if (!strcmp(r.f[0], "TOTP")) {
			struct kw_totp_params p = {.hash = hash, .digits = digits, .step = 30, .t0 = 0};
			uint64_t t;

			assert_int_equal(kw_totp_counter(&p, (int64_t)parse_u64(r.f[4], 10), &t, &err), 0);
			assert_int_equal(t, parse_u64(r.f[6], 16));
			assert_int_equal(kw_totp_at(key, &p, (int64_t)parse_u64(r.f[4], 10), code, &err), 0);
			totp_rows++;
		} else {
			assert_string_equal(r.f[0], "HOTP");
			assert_int_equal(kw_hotp(key, parse_u64(r.f[6], 16), hash, digits, code, &err), 0);
			hotp_rows++;
		}
		if (strcmp(code, r.f[8]))
			fail_msg("%s %s t=%s: got %s, want %s", r.f[0], r.f[1], r.f[4], code, r.f[8]);
		kw_secret_free(key);
	}
	fclose(fp);
	assert_int_equal(totp_rows, 18);
	assert_int_equal(hotp_rows, 10);
}

/* rfc4226_appendix_d.tsv: the 6-digit HOTP values and the truncated values (10 digits, mod 2^31). */
static void hotp_rfc4226_appendix_d(void **state)
{
	FILE *fp = open_vectors("rfc4226_appendix_d.tsv");
	struct kw_secret *key = kw_secret_from("12345678901234567890", 20);
	char line[1024];
	struct row r;
	int rows = 0;

	while (next_row(fp, line, sizeof(line), "count\t", &r)) {
		struct kw_error err;
		char code[KW_TOTP_CODE_MAX], want[KW_TOTP_CODE_MAX];
		uint64_t count = parse_u64(r.f[0], 10);

		assert_int_equal(r.n, 5);
		assert_int_equal(kw_hotp(key, count, KW_TOTP_SHA1, 6, code, &err), 0);
		assert_string_equal(code, r.f[4]);
		/* With 10 digits nothing is reduced: the 31-bit truncated value, zero-padded. */
		assert_int_equal(kw_hotp(key, count, KW_TOTP_SHA1, 10, code, &err), 0);
		snprintf(want, sizeof(want), "%010llu", (unsigned long long)parse_u64(r.f[3], 10));
		assert_string_equal(code, want);
		assert_int_equal(parse_u64(r.f[3], 10), parse_u64(r.f[2], 16));
		rows++;
	}
	fclose(fp);
	kw_secret_free(key);
	assert_int_equal(rows, 10);
}

static void expect_b32(const char *text, const char *want)
{
	struct kw_secret *out = NULL;
	struct kw_error err;

	if (kw_base32_decode(text, strlen(text), &out, &err))
		fail_msg("decode '%s': %s", text, err.msg);
	assert_int_equal(out->len, strlen(want));
	assert_memory_equal(out->data, want, out->len);
	kw_secret_free(out);
}

static void expect_b32_invalid(const char *text)
{
	struct kw_secret *out = NULL;
	struct kw_error err;

	assert_int_equal(kw_base32_decode(text, strlen(text), &out, &err), -1);
	assert_null(out);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	if (strlen(text) >= 8)
		assert_null(strstr(err.msg, text)); /* the seed is never quoted */
}

/* RFC 4648 §10 test vectors, AWS's unpadded form, lower case and grouping. */
static void base32_decodes_rfc4648(void **state)
{
	expect_b32("MY======", "f");
	expect_b32("MZXQ====", "fo");
	expect_b32("MZXW6===", "foo");
	expect_b32("MZXW6YQ=", "foob");
	expect_b32("MZXW6YTB", "fooba");
	expect_b32("MZXW6YTBOI======", "foobar");
	expect_b32("MZXW6YTBOI", "foobar");
	expect_b32("mzxw 6ytb-oi", "foobar");
	expect_b32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "12345678901234567890");
	expect_b32_invalid("");
	expect_b32_invalid("M");
	expect_b32_invalid("MZX");
	expect_b32_invalid("MZXW6Y");
	expect_b32_invalid("MZ");       /* trailing bits not zero: M=12, Z=25 -> 01100 11001 */
	expect_b32_invalid("MZXW6YT1"); /* 1 is not in the alphabet */
	expect_b32_invalid("MY==MY==");
	expect_b32_invalid("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567!");
}

/* Base32 (RFC 4648 §6) of bytes, for deriving AWS-style seeds from the vectors' keys. */
static void b32_encode(const unsigned char *in, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned long acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			*out++ = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)
		*out++ = alphabet[(acc << (5 - bits)) & 31];
	*out = '\0';
}

/* The HOTP rows of rfc6238.tsv give the 6-digit codes of counters 0..9 for the SHA1 seed. */
static void load_hotp_codes(char codes[10][KW_TOTP_CODE_MAX], char *seed_ascii, size_t size)
{
	FILE *fp = open_vectors("rfc6238.tsv");
	char line[1024];
	struct row r;

	while (next_row(fp, line, sizeof(line), "kind\t", &r)) {
		if (strcmp(r.f[0], "HOTP"))
			continue;
		uint64_t c = parse_u64(r.f[6], 16);
		assert_true(c < 10);
		snprintf(codes[c], KW_TOTP_CODE_MAX, "%s", r.f[8]);
		snprintf(seed_ascii, size, "%s", r.f[2]);
	}
	fclose(fp);
}

/* EnableMFADevice codes: previous and current 30 s step, 6 digits, SHA1. */
static void enable_codes_are_previous_and_current_step(void **state)
{
	char codes[10][KW_TOTP_CODE_MAX], seed_ascii[64], b32[128];
	char c1[KW_TOTP_CODE_MAX], c2[KW_TOTP_CODE_MAX];
	struct kw_secret *seed;
	struct kw_error err;

	load_hotp_codes(codes, seed_ascii, sizeof(seed_ascii));
	b32_encode((const unsigned char *)seed_ascii, strlen(seed_ascii), b32);
	seed = kw_secret_from(b32, strlen(b32));
	/* t = 59 s is in step 1: codes of steps 0 and 1. */
	assert_int_equal(kw_totp_enable_codes(seed, 59, c1, c2, &err), 0);
	assert_string_equal(c1, codes[0]);
	assert_string_equal(c2, codes[1]);
	/* t = 270 s is the first second of step 9: steps 8 and 9. */
	assert_int_equal(kw_totp_enable_codes(seed, 270, c1, c2, &err), 0);
	assert_string_equal(c1, codes[8]);
	assert_string_equal(c2, codes[9]);
	/* t = 269 s is the last second of step 8. */
	assert_int_equal(kw_totp_enable_codes(seed, 269, c1, c2, &err), 0);
	assert_string_equal(c1, codes[7]);
	assert_string_equal(c2, codes[8]);
	/* Step 0 has no previous step. */
	assert_int_equal(kw_totp_enable_codes(seed, 10, c1, c2, &err), -1);
	kw_secret_free(seed);

	seed = kw_secret_from("not base32!", 11);
	assert_int_equal(kw_totp_enable_codes(seed, 59, c1, c2, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_string_equal(c1, "");
	kw_secret_free(seed);
}

static void params_are_checked(void **state)
{
	struct kw_secret *key = kw_secret_from("12345678901234567890", 20);
	struct kw_totp_params p = KW_TOTP_PARAMS_AWS;
	char code[KW_TOTP_CODE_MAX];
	enum kw_totp_hash h;
	struct kw_error err;

	assert_int_equal(p.digits, 6);
	assert_int_equal(p.step, 30);
	assert_int_equal(kw_hotp(key, 0, KW_TOTP_SHA1, 0, code, &err), -1);
	assert_int_equal(kw_hotp(key, 0, KW_TOTP_SHA1, 11, code, &err), -1);
	p.step = 0;
	assert_int_equal(kw_totp_at(key, &p, 59, code, &err), -1);
	p.step = 30;
	p.t0 = 100;
	assert_int_equal(kw_totp_at(key, &p, 59, code, &err), -1);
	/* T0 shifts the counter: T0 = 30 at t = 89 is counter 1 (the SHA1 value at t = 59). */
	p.t0 = 30;
	p.digits = 8;
	assert_int_equal(kw_totp_at(key, &p, 89, code, &err), 0);
	char want[KW_TOTP_CODE_MAX];
	p.t0 = 0;
	assert_int_equal(kw_totp_at(key, &p, 59, want, &err), 0);
	assert_string_equal(code, want);
	assert_int_equal(kw_totp_hash_parse("sha-256", &h, &err), 0);
	assert_int_equal(h, KW_TOTP_SHA256);
	assert_int_equal(kw_totp_hash_parse("md5", &h, &err), -1);
	kw_secret_free(key);
}

static void code_parse_accepts_what_people_type(void **state)
{
	static const char *const ok[] = {"123456", " 123456\n", "123 456", "123-456", "\t123456 \r\n"};
	static const char *const bad[] = {"",        "12345",   "1234567",  "12a456",   "123  456",
	                                  "-123456", "123456-", "1 2 3456", "123 456 7"};
	char code[KW_TOTP_CODE_MAX];
	struct kw_error err;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (kw_totp_code_parse(ok[i], 6, code, &err))
			fail_msg("'%s' refused", ok[i]);
		assert_string_equal(code, "123456");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kw_totp_code_parse(bad[i], 6, code, &err) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(err.kind, KW_ERR_USAGE);
		assert_string_equal(code, "");
	}
}

/* Pairs of consecutive codes within the window match; anything else does not. */
static void pair_matches_within_window(void **state)
{
	char codes[10][KW_TOTP_CODE_MAX], seed_ascii[64], b32[128];
	struct kw_secret *seed;
	struct kw_error err;

	load_hotp_codes(codes, seed_ascii, sizeof(seed_ascii));
	b32_encode((const unsigned char *)seed_ascii, strlen(seed_ascii), b32);
	seed = kw_secret_from(b32, strlen(b32));
	/* now = 270 s is step 9; window 3 allows T = 6..9 for the pair (T, T + 1). */
	assert_int_equal(kw_totp_pair_matches(seed, 270, 3, codes[8], codes[9], &err),
	                 1); /* previous, current */
	assert_int_equal(kw_totp_pair_matches(seed, 270, 3, codes[6], codes[7], &err), 1); /* window edge */
	assert_int_equal(kw_totp_pair_matches(seed, 270, 3, codes[5], codes[6], &err), 0); /* too old */
	assert_int_equal(kw_totp_pair_matches(seed, 270, 3, codes[7], codes[9], &err),
	                 0); /* not consecutive */
	assert_int_equal(kw_totp_pair_matches(seed, 270, 3, codes[9], codes[8], &err), 0); /* swapped */
	assert_int_equal(kw_totp_pair_matches(seed, 270, 3, "12345", codes[9], &err), 0);
	/* Step 0 at the start of time: the window does not underflow. */
	assert_int_equal(kw_totp_pair_matches(seed, 5, 3, codes[0], codes[1], &err), 1);
	kw_secret_free(seed);
}

/* Typed codes checked before IAM is called: same, not consecutive, not this device's, ahead. */
static void pair_check_tells_why(void **state)
{
	char codes[10][KW_TOTP_CODE_MAX], seed_ascii[64], b32[128];
	struct kw_secret *seed;
	struct kw_error err;
	enum kw_totp_pair found;

	load_hotp_codes(codes, seed_ascii, sizeof(seed_ascii));
	b32_encode((const unsigned char *)seed_ascii, strlen(seed_ascii), b32);
	seed = kw_secret_from(b32, strlen(b32));
	/* now = 150 s is step 5; back 2, ahead 2: T = 3..7 for the pair (T, T + 1). */
#define CHECK(c1, c2, want)                                                                     \
	do {                                                                                    \
		assert_int_equal(kw_totp_pair_check(seed, 150, 2, 2, c1, c2, &found, &err), 0); \
		assert_int_equal(found, want);                                                  \
	} while (0)
	CHECK(codes[4], codes[5], KW_TOTP_PAIR_OK);
	CHECK(codes[3], codes[4], KW_TOTP_PAIR_OK);              /* oldest allowed */
	CHECK(codes[7], codes[8], KW_TOTP_PAIR_OK);              /* a clock ahead, at the edge */
	CHECK(codes[2], codes[3], KW_TOTP_PAIR_UNKNOWN);         /* too old */
	CHECK(codes[8], codes[9], KW_TOTP_PAIR_UNKNOWN);         /* too far ahead */
	CHECK(codes[5], codes[5], KW_TOTP_PAIR_SAME);            /* one code typed twice */
	CHECK(codes[3], codes[5], KW_TOTP_PAIR_NOT_CONSECUTIVE); /* waited too long */
	CHECK(codes[5], codes[4], KW_TOTP_PAIR_NOT_CONSECUTIVE); /* swapped */
	CHECK("000000", codes[5], KW_TOTP_PAIR_UNKNOWN);         /* a guess */
	CHECK("12345", codes[5], KW_TOTP_PAIR_UNKNOWN);
#undef CHECK
	kw_secret_free(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(totp_rfc6238_vectors),
	        cmocka_unit_test(hotp_rfc4226_appendix_d),
	        cmocka_unit_test(base32_decodes_rfc4648),
	        cmocka_unit_test(enable_codes_are_previous_and_current_step),
	        cmocka_unit_test(params_are_checked),
	        cmocka_unit_test(code_parse_accepts_what_people_type),
	        cmocka_unit_test(pair_matches_within_window),
	        cmocka_unit_test(pair_check_tells_why),
	};
	return cmocka_run_group_tests_name("totp", tests, NULL, NULL);
}
