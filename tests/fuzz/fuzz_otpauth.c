/*
 * Fuzz target: base32 seeds (RFC 4648) and otpauth URIs. Input: NAME \n ACCOUNT \n SEED.
 * Checks: decoding never reads or writes out of bounds; a seed that decodes has a canonical
 * length (5 bits a digit, whole bytes); the URI holds the seed without padding and percent-encodes
 * every byte of NAME and ACCOUNT outside RFC 3986's unreserved set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mfa/qr.h"
#include "mfa/totp.h"
#include "util/error.h"
#include "util/secret.h"

/* A NUL-terminated copy of n bytes (strndup would scan past them for a NUL). */
static char *copy(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl1, *nl2;
	char *name = NULL, *account = NULL;
	struct kw_secret *seed = NULL, *key = NULL, *uri = NULL;
	struct kw_error err;
	size_t digits = 0;

	if (kw_base32_decode((const char *)data, size, &key, &err) == 0) {
		for (size_t i = 0; i < size; i++)
			digits += data[i] != '=' && data[i] != ' ' && data[i] != '-';
		if (key->len != digits * 5 / 8)
			abort();
	}
	kw_secret_free(key);

	nl1 = memchr(data, '\n', size);
	nl2 = nl1 ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - (const char *)data)) : NULL;
	if (!nl2)
		return 0;
	name = copy((const char *)data, (size_t)(nl1 - (const char *)data));
	account = copy(nl1 + 1, (size_t)(nl2 - nl1 - 1));
	seed = kw_secret_from(nl2 + 1, size - (size_t)(nl2 + 1 - (const char *)data));
	if (name && account && seed && kw_otpauth_uri(name, account, seed, &uri, &err) == 0) {
		const char *u = kw_secret_str(uri), *q = strchr(u, '?');

		if (strncmp(u, "otpauth://totp/AWS:", 19) || !q)
			abort();
		for (const char *p = u; p < q; p++) /* the label: only unreserved, %, :, @, / */
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%:@/",
			            *p))
				abort();
		size_t n = seed->len;

		while (n && seed->data[n - 1] == '=')
			n--;
		if (strncmp(q, "?secret=", 8) || strncmp(q + 8, (const char *)seed->data, n) ||
		    q[8 + n] != '\0')
			abort();
	}
	kw_secret_free(uri);
	kw_secret_free(seed);
	free(name);
	free(account);
	return 0;
}
