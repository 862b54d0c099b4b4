#include "mfa/totp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/secret.h"

static const char *hash_name(enum kw_totp_hash hash)
{
	switch (hash) {
	case KW_TOTP_SHA1: return "SHA1";
	case KW_TOTP_SHA256: return "SHA256";
	case KW_TOTP_SHA512: return "SHA512";
	}
	return NULL;
}

int kw_totp_hash_parse(const char *name, enum kw_totp_hash *out, struct kw_error *err)
{
	static const struct {
		const char *name;
		enum kw_totp_hash hash;
	} names[] = {
	        {"SHA1", KW_TOTP_SHA1},      {"SHA-1", KW_TOTP_SHA1},    {"SHA256", KW_TOTP_SHA256},
	        {"SHA-256", KW_TOTP_SHA256}, {"SHA512", KW_TOTP_SHA512}, {"SHA-512", KW_TOTP_SHA512},
	};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(name, names[i].name)) {
			*out = names[i].hash;
			return 0;
		}
	}
	return kw_error_set(err, KW_ERR_INVALID, "totp", "unknown hash '%s' (SHA1, SHA256 or SHA512)",
	                    name ? name : "");
}

/* Value of one base32 character (RFC 4648 §6, Table 3), or -1. Lower case is accepted. */
static int b32_value(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		c = (unsigned char)(c - 'a' + 'A');
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int kw_base32_decode(const char *text, size_t len, struct kw_secret **out, struct kw_error *err)
{
	struct kw_secret *s = NULL;
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t ndigits = 0, i;
	int rc = -1, padding = 0;

	*out = NULL;
	if (!(s = kw_secret_new(len * 5 / 8 + 1)))
		return kw_error_set(err, KW_ERR_NOMEM, "base32", "out of memory");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (c == ' ' || c == '-')
			continue;
		if (c == '=') {
			padding = 1;
			continue;
		}
		v = b32_value(c);
		if (v < 0 || padding) {
			kw_error_set(err, KW_ERR_INVALID, "base32",
			             "seed is not base32 (RFC 4648): unexpected character at offset %zu", i);
			goto out;
		}
		ndigits++;
		acc = (acc << 5) | (unsigned long)v;
		bits += 5;
		if (bits >= 8) {
			unsigned char byte = (unsigned char)(acc >> (bits - 8));

			bits -= 8;
			acc &= (1UL << bits) - 1;
			if (kw_secret_append(s, &byte, 1)) {
				kw_error_set(err, KW_ERR_INTERNAL, "base32", "decoded seed does not fit");
				goto out;
			}
			OPENSSL_cleanse(&byte, sizeof(byte));
		}
	}
	/* A canonical encoding has 0, 2, 4, 5 or 7 digits in its last group and zero bits left. */
	if (ndigits == 0 || ndigits % 8 == 1 || ndigits % 8 == 3 || ndigits % 8 == 6 || acc != 0) {
		kw_error_set(err, KW_ERR_INVALID, "base32",
		             "seed is not base32 (RFC 4648): bad length or trailing bits");
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(&acc, sizeof(acc));
	kw_secret_free(s);
	return rc;
}

int kw_hotp(const struct kw_secret *key, uint64_t counter, enum kw_totp_hash hash, unsigned digits,
            char code[KW_TOTP_CODE_MAX], struct kw_error *err)
{
	static const uint32_t pow10[] = {1,      10,      100,      1000,      10000,
	                                 100000, 1000000, 10000000, 100000000, 1000000000};
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	const char *md = hash_name(hash);
	EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t maclen = 0;
	uint32_t bin;
	unsigned off;
	int rc = -1;

	code[0] = '\0';
	if (digits < 1 || digits > 10 || !md)
		return kw_error_set(err, KW_ERR_INVALID, "totp", "digits must be 1 to 10, hash SHA1/256/512");
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!(hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) || !(ctx = EVP_MAC_CTX_new(hmac)) ||
	    !EVP_MAC_init(ctx, key->data, key->len, params) || !EVP_MAC_update(ctx, msg, sizeof(msg)) ||
	    !EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) || maclen < 20) {
		kw_error_set(err, KW_ERR_INTERNAL, "totp", "HMAC-%s failed in OpenSSL", md);
		goto out;
	}
	/* RFC 4226 §5.4: offset from the low 4 bits of the last byte, 31 bits from there. */
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	if (digits < 10)
		bin %= pow10[digits];
	/* digits <= 10 and bin < 2^31 fit the buffer; %0*u pads with zeros. */
	if (snprintf(code, KW_TOTP_CODE_MAX, "%0*u", (int)digits, (unsigned)bin) >= KW_TOTP_CODE_MAX) {
		kw_error_set(err, KW_ERR_INTERNAL, "totp", "code does not fit");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(&bin, sizeof(bin));
	EVP_MAC_CTX_free(ctx); /* frees and cleanses the HMAC key schedule */
	EVP_MAC_free(hmac);
	return rc;
}

int kw_totp_counter(const struct kw_totp_params *p, int64_t unix_time, uint64_t *counter,
                    struct kw_error *err)
{
	if (p->step == 0)
		return kw_error_set(err, KW_ERR_INVALID, "totp", "time step must be positive");
	if (unix_time < p->t0)
		return kw_error_set(err, KW_ERR_INVALID, "totp", "time before T0");
	*counter = (uint64_t)(unix_time - p->t0) / p->step;
	return 0;
}

int kw_totp_at(const struct kw_secret *key, const struct kw_totp_params *p, int64_t unix_time,
               char code[KW_TOTP_CODE_MAX], struct kw_error *err)
{
	uint64_t t = 0;

	code[0] = '\0';
	if (kw_totp_counter(p, unix_time, &t, err))
		return -1;
	return kw_hotp(key, t, p->hash, p->digits, code, err);
}

int kw_totp_enable_codes(const struct kw_secret *seed_b32, int64_t now, char code1[KW_TOTP_CODE_MAX],
                         char code2[KW_TOTP_CODE_MAX], struct kw_error *err)
{
	const struct kw_totp_params p = KW_TOTP_PARAMS_AWS;
	struct kw_secret *key = NULL;
	uint64_t t = 0;
	int rc = -1;

	code1[0] = code2[0] = '\0';
	if (kw_totp_counter(&p, now, &t, err))
		return -1;
	if (t == 0)
		return kw_error_set(err, KW_ERR_INVALID, "totp", "time too early for a previous step");
	if (kw_base32_decode((const char *)seed_b32->data, seed_b32->len, &key, err))
		return kw_error_prefix(err, "MFA seed");
	if (kw_hotp(key, t - 1, p.hash, p.digits, code1, err) ||
	    kw_hotp(key, t, p.hash, p.digits, code2, err)) {
		OPENSSL_cleanse(code1, KW_TOTP_CODE_MAX);
		OPENSSL_cleanse(code2, KW_TOTP_CODE_MAX);
		goto out;
	}
	rc = 0;
out:
	kw_secret_free(key);
	return rc;
}

int kw_totp_code_parse(const char *input, unsigned digits, char code[KW_TOTP_CODE_MAX], struct kw_error *err)
{
	const char *p = input ? input : "", *end;
	size_t n = 0;
	int seps = 0;

	code[0] = '\0';
	if (digits < 1 || digits >= KW_TOTP_CODE_MAX)
		return kw_error_set(err, KW_ERR_INTERNAL, "totp", "bad code length %u", digits);
	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	for (; p < end; p++) {
		if (isdigit((unsigned char)*p) && n < digits)
			code[n++] = *p;
		else if ((*p == ' ' || *p == '-') && n > 0 && !seps++ && isdigit((unsigned char)p[1]))
			continue; /* one separator between digits: "123 456", "123-456" */
		else
			break;
	}
	if (p != end || n != digits) {
		OPENSSL_cleanse(code, KW_TOTP_CODE_MAX);
		code[0] = '\0';
		return kw_error_set(err, KW_ERR_USAGE, "totp",
		                    "enter the %u-digit code your authenticator app shows", digits);
	}
	code[n] = '\0';
	return 0;
}

int kw_totp_pair_check(const struct kw_secret *seed_b32, int64_t now, unsigned back, unsigned ahead,
                       const char *code1, const char *code2, enum kw_totp_pair *out, struct kw_error *err)
{
	const struct kw_totp_params p = KW_TOTP_PARAMS_AWS;
	char code[KW_TOTP_CODE_MAX];
	struct kw_secret *key = NULL;
	uint64_t t = 0, first, last;
	int rc = -1, ok = 0, any1 = 0, any2 = 0, prev1 = 0;

	*out = KW_TOTP_PAIR_UNKNOWN;
	if (kw_totp_counter(&p, now, &t, err))
		return -1;
	if (kw_base32_decode((const char *)seed_b32->data, seed_b32->len, &key, err))
		return kw_error_prefix(err, "MFA seed");
	if (strlen(code1) != p.digits || strlen(code2) != p.digits) {
		rc = 0;
		goto out;
	}
	if (!CRYPTO_memcmp(code1, code2, p.digits)) {
		*out = KW_TOTP_PAIR_SAME;
		rc = 0;
		goto out;
	}
	first = t > back ? t - back : 0;
	last = t + ahead + 1; /* code2 of the pair whose code1 is at t + ahead */
	for (uint64_t c = first; c <= last; c++) {
		int m1, m2;

		if (kw_hotp(key, c, p.hash, p.digits, code, err))
			goto out;
		m1 = c < last && !CRYPTO_memcmp(code, code1, p.digits);
		m2 = c > first && !CRYPTO_memcmp(code, code2, p.digits);
		ok |= prev1 && m2;
		any1 |= m1;
		any2 |= m2;
		prev1 = m1;
	}
	*out = ok ? KW_TOTP_PAIR_OK : any1 && any2 ? KW_TOTP_PAIR_NOT_CONSECUTIVE : KW_TOTP_PAIR_UNKNOWN;
	rc = 0;
out:
	OPENSSL_cleanse(code, sizeof(code));
	kw_secret_free(key);
	return rc;
}

int kw_totp_pair_matches(const struct kw_secret *seed_b32, int64_t now, unsigned window, const char *code1,
                         const char *code2, struct kw_error *err)
{
	enum kw_totp_pair found;

	if (kw_totp_pair_check(seed_b32, now, window, 0, code1, code2, &found, err))
		return -1;
	return found == KW_TOTP_PAIR_OK;
}
