/*
 * totp.h - time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) and base32 seeds
 * (RFC 4648), for enabling the virtual MFA devices that keywarden creates.
 *
 * Invariants: key material (the decoded seed, the seed text) lives only in struct kw_secret
 * (util/secret.h); HMAC runs through OpenSSL (EVP_MAC "HMAC") with its intermediate state
 * wiped. A code is not key material, but it is a short-lived credential: callers keep it in a
 * char array of KW_TOTP_CODE_MAX bytes and wipe it (OPENSSL_cleanse) once sent.
 *
 * AWS virtual MFA devices use the RFC 6238 defaults: HMAC-SHA1, 6 digits, 30 s steps, T0 = 0
 * (AWS IAM User Guide, "Assign a virtual MFA device": "an app compliant with RFC 6238 ...
 * generates six-digit authentication codes"); KW_TOTP_PARAMS_AWS holds them.
 */
#ifndef KW_MFA_TOTP_H
#define KW_MFA_TOTP_H

#include <stddef.h>
#include <stdint.h>

struct kw_error;
struct kw_secret;

enum kw_totp_hash {
	KW_TOTP_SHA1 = 0, /* RFC 6238 §1.2 default; what AWS uses */
	KW_TOTP_SHA256,
	KW_TOTP_SHA512,
};

/* Room for the longest code (10 digits, RFC 4226 §5.3 allows up to 31 bits) and the NUL. */
#define KW_TOTP_CODE_MAX 11

struct kw_totp_params {
	enum kw_totp_hash hash;
	unsigned digits; /* 1..10; RFC 4226 requires at least 6 */
	unsigned step;   /* X in RFC 6238 §4.1, seconds, > 0 */
	int64_t t0;      /* T0 in RFC 6238 §4.1, Unix seconds */
};

/* The parameters of AWS virtual MFA devices: SHA1, 6 digits, 30 s, T0 = 0. */
#define KW_TOTP_PARAMS_AWS            \
	((struct kw_totp_params){     \
	        .hash = KW_TOTP_SHA1, \
	        .digits = 6,          \
	        .step = 30,           \
	        .t0 = 0,              \
	})

/*
 * kw_totp_hash_parse - "SHA1", "SHA256" or "SHA512" (case-insensitive, "-" allowed as in
 * "SHA-256") into *out. Returns 0, or -1 with err set (KW_ERR_INVALID).
 */
int kw_totp_hash_parse(const char *name, enum kw_totp_hash *out, struct kw_error *err);

/*
 * kw_base32_decode - decode base32 text (the alphabet of RFC 4648 §6) into a new secret.
 * @text: the seed text (borrowed; e.g. kw_secret_str() of AWS's Base32StringSeed), len bytes.
 *        Upper or lower case; '=' padding optional (AWS omits it); spaces and '-' are skipped
 *        (authenticator apps show seeds in groups). Any other byte, or trailing bits that are not
 *        zero in a canonical encoding, is refused.
 * @out:  receives the decoded bytes (new; free with kw_secret_free).
 * Returns 0, or -1 with err set (KW_ERR_INVALID, never quoting the text; KW_ERR_NOMEM).
 * Source: RFC 4648 §6 "Base 32 Encoding".
 */
int kw_base32_decode(const char *text, size_t len, struct kw_secret **out, struct kw_error *err);

/*
 * kw_hotp - HOTP value for one counter: HMAC(key, counter as 8 bytes big-endian), dynamic
 * truncation, modulo 10^digits, left-padded with zeros.
 * @key:     the shared secret (borrowed; raw bytes, not base32).
 * @counter: the moving factor C.
 * @hash:    HMAC hash (RFC 4226 uses SHA1; RFC 6238 §1.2 allows SHA256 and SHA512).
 * @digits:  1..10.
 * @code:    receives the NUL-terminated decimal code.
 * Returns 0, or -1 with err set (KW_ERR_INVALID for bad digits, KW_ERR_INTERNAL for OpenSSL).
 * Source: RFC 4226 §5.3 "Generating an HOTP Value", §5.4 (truncation).
 */
int kw_hotp(const struct kw_secret *key, uint64_t counter, enum kw_totp_hash hash, unsigned digits,
            char code[KW_TOTP_CODE_MAX], struct kw_error *err);

/*
 * kw_totp_counter - T = floor((unix_time - T0) / X) for a time at or after T0.
 * Returns 0 with *counter set, or -1 with err set (KW_ERR_INVALID: step 0 or time before T0).
 * Source: RFC 6238 §4.2.
 */
int kw_totp_counter(const struct kw_totp_params *p, int64_t unix_time, uint64_t *counter,
                    struct kw_error *err);

/*
 * kw_totp_at - the TOTP code valid at unix_time (seconds since the Unix epoch, UTC).
 * @key: the shared secret (borrowed; raw bytes: decode AWS's base32 seed first).
 * @p:   parameters (borrowed); KW_TOTP_PARAMS_AWS for AWS.
 * Returns 0 with code set, or -1 with err set (KW_ERR_INVALID, KW_ERR_INTERNAL).
 * Source: RFC 6238 §4 "Algorithm Details".
 */
int kw_totp_at(const struct kw_secret *key, const struct kw_totp_params *p, int64_t unix_time,
               char code[KW_TOTP_CODE_MAX], struct kw_error *err);

/*
 * kw_totp_enable_codes - the two consecutive codes that EnableMFADevice takes
 * (AuthenticationCode1, AuthenticationCode2), computed for the PREVIOUS and the CURRENT
 * time step at now: code1 = TOTP(T - 1), code2 = TOTP(T).
 *
 * Why these two: IAM wants "an authentication code emitted by the device" and "a subsequent
 * authentication code", and resynchronises the device on them; both must be codes the device
 * has already emitted. The previous and the current step are exactly what an authenticator
 * app shows when someone reads one code, waits for the next and types both, so the call can
 * be made at once instead of waiting up to 30 s for the next step, and no code from the future
 * is sent (a server may refuse one, and IAM's counter would run ahead of the device's clock).
 * IAM's tolerance for clock skew covers a request that crosses a step boundary in flight.
 *
 * @seed_b32: the seed as base32 text (borrowed; AWS's Base32StringSeed, decoded from base64).
 * @now:      current time, Unix seconds, UTC (pass time(NULL); tests pass fixed times).
 * @code1, @code2: receive the codes; wipe them after use.
 * Returns 0, or -1 with err set (KW_ERR_INVALID for a bad seed, KW_ERR_INTERNAL).
 * Source: AWS IAM API Reference, EnableMFADevice; RFC 6238 §4 and §5.2 (resynchronisation).
 */
int kw_totp_enable_codes(const struct kw_secret *seed_b32, int64_t now, char code1[KW_TOTP_CODE_MAX],
                         char code2[KW_TOTP_CODE_MAX], struct kw_error *err);

/*
 * kw_totp_code_parse - a code as a person typed it: blanks around it and one space or "-" in
 * the middle ("123 456") are dropped; what is left must be exactly digits decimal digits.
 * @input:  the line read from the terminal (borrowed).
 * @digits: expected length (6 for AWS).
 * @code:   receives the digits.
 * Returns 0, or -1 with err set (KW_ERR_USAGE: "enter the N-digit code ..."; the input is not quoted).
 */
int kw_totp_code_parse(const char *input, unsigned digits, char code[KW_TOTP_CODE_MAX], struct kw_error *err);

/*
 * kw_totp_pair_matches - whether code1, code2 are the codes of two consecutive steps T, T + 1
 * of the AWS parameters with T between now - window and now (steps, not seconds): what an
 * authenticator shows when someone reads one code, waits for the next and types both. Lets
 * apply tell "not this device's codes (or the clock is off)" before calling EnableMFADevice.
 * Codes are compared in constant time (CRYPTO_memcmp).
 * Returns 1 on a match, 0 on none, -1 with err set (bad seed, KW_ERR_INTERNAL).
 * Source: RFC 6238 §5.2 (validation window), AWS IAM API Reference: EnableMFADevice.
 */
int kw_totp_pair_matches(const struct kw_secret *seed_b32, int64_t now, unsigned window, const char *code1,
                         const char *code2, struct kw_error *err);

/* What kw_totp_pair_check found in two codes a person typed. */
enum kw_totp_pair {
	KW_TOTP_PAIR_OK,              /* the codes of consecutive steps T, T + 1 near now */
	KW_TOTP_PAIR_SAME,            /* one code typed twice */
	KW_TOTP_PAIR_NOT_CONSECUTIVE, /* both this device's codes near now, but not one after the other */
	KW_TOTP_PAIR_UNKNOWN,         /* not both this device's codes near now (another entry, a
	                                 typo, or the device's clock is far off) */
};

/*
 * kw_totp_pair_check - whether code1, code2 can be what EnableMFADevice wants, so that codes
 * that cannot be are refused before IAM is called (IAM allows a few tries only and answers
 * every mistake with the same InvalidAuthenticationCode).
 * @seed_b32: the device's seed (borrowed, base32).
 * @now:      Unix seconds, UTC.
 * @back, @ahead: the steps T may lie before and after now's step (the device's clock skew,
 *            and the time the person took to type).
 * @out:      receives the finding.
 * Codes are compared in constant time. Returns 0, or -1 with err set (bad seed, KW_ERR_INTERNAL).
 * Source: RFC 6238 §5.2 (validation window); AWS IAM API Reference: EnableMFADevice
 * ("AuthenticationCode2: a subsequent authentication code").
 */
int kw_totp_pair_check(const struct kw_secret *seed_b32, int64_t now, unsigned back, unsigned ahead,
                       const char *code1, const char *code2, enum kw_totp_pair *out, struct kw_error *err);

#endif
