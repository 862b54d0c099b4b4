#include "util/log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "util/secret.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_verbosity;
static bool log_allow_color = true;
static FILE *log_fp;

/* Registry of live secrets (borrowed pointers). */
static const struct kw_secret **registry;
static size_t registry_len, registry_cap;

void kw_log_setup(int verbosity, bool allow_color, FILE *fp)
{
	pthread_mutex_lock(&log_lock);
	log_verbosity = verbosity;
	log_allow_color = allow_color;
	log_fp = fp;
	pthread_mutex_unlock(&log_lock);
}

bool kw_log_enabled(enum kw_log_level level)
{
	return (int)level <= 1 + log_verbosity;
}

bool kw_color_enabled(FILE *fp, bool allow)
{
	const char *nc = getenv("NO_COLOR");

	if (!allow || (nc && *nc))
		return false;
	return fp && isatty(fileno(fp));
}

void kw_log(enum kw_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	static const char *const colors[] = {"\033[31m", "\033[33m", "\033[36m", "\033[2m"};
	char raw[4096], clean[4096];
	FILE *fp;
	va_list ap;
	bool color;

	if (!kw_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	kw_redact(raw, clean, sizeof(clean));

	pthread_mutex_lock(&log_lock);
	fp = log_fp ? log_fp : stderr;
	color = kw_color_enabled(fp, log_allow_color);
	fprintf(fp, "%s%s:%s %s\n", color ? colors[level] : "", names[level], color ? "\033[0m" : "", clean);
	fflush(fp);
	pthread_mutex_unlock(&log_lock);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(clean, sizeof(clean));
}

void kw_redact_register(const struct kw_secret *s)
{
	pthread_mutex_lock(&log_lock);
	if (registry_len == registry_cap) {
		size_t cap = registry_cap ? registry_cap * 2 : 16;
		const struct kw_secret **p = realloc(registry, cap * sizeof(*p));

		if (!p) {
			pthread_mutex_unlock(&log_lock);
			return; /* the shape and key rules still apply */
		}
		registry = p;
		registry_cap = cap;
	}
	registry[registry_len++] = s;
	pthread_mutex_unlock(&log_lock);
}

void kw_redact_unregister(const struct kw_secret *s)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < registry_len; i++) {
		if (registry[i] == s) {
			registry[i] = registry[--registry_len];
			break;
		}
	}
	if (registry_len == 0) {
		free(registry);
		registry = NULL;
		registry_cap = 0;
	}
	pthread_mutex_unlock(&log_lock);
}

/* Output cursor that never overflows and always leaves room for the NUL. */
struct sink {
	char *p;
	size_t size, len;
};

static void sink_put(struct sink *o, const char *s, size_t n)
{
	while (n-- && o->len + 1 < o->size)
		o->p[o->len++] = *s++;
}

/* Key names whose values are secrets, lowercase, longest first so prefixes do not win. */
static const char *const secret_keys[] = {
        "aws_secret_access_key",
        "x-amz-security-token",
        "base32stringseed",
        "aws_session_token",
        "secretaccesskey",
        "x-amz-signature",
        "authorization",
        "sessiontoken",
        "signature",
        "password",
        "secret",
        "seed",
};

static bool is_word(unsigned char c)
{
	return isalnum(c) || c == '_';
}

/* Whether s (n bytes) starts with a position right after a name: LINE: or LINE:COL, no space
 * ("x.seed:3:14: ..."); a value ("secret: 123456", "secret:123456") is not one. */
static bool line_col(const char *s, size_t n)
{
	size_t j = 0;

	while (j < n && isdigit((unsigned char)s[j]))
		j++;
	return j > 0 && j < n && s[j] == ':';
}

/*
 * If a secret key starts at in[i], return the index just past the separator and the value's
 * end in *vend; 0 otherwise.
 */
static size_t match_key(const char *in, size_t i, size_t n, size_t *vstart, size_t *vend)
{
	/* part of a longer name: a word, a path (".../x.seed", "mfa-seed"), an ARN (":secret:") */
	if (i > 0 && (is_word((unsigned char)in[i - 1]) || in[i - 1] == '/' || in[i - 1] == '-' ||
	              in[i - 1] == '.' || in[i - 1] == ':'))
		return 0;
	for (size_t k = 0; k < sizeof(secret_keys) / sizeof(secret_keys[0]); k++) {
		size_t kl = strlen(secret_keys[k]), j;
		char sep, quote = 0;

		if (n - i < kl || strncasecmp(in + i, secret_keys[k], kl))
			continue;
		j = i + kl;
		if (j < n && (is_word((unsigned char)in[j]) || in[j] == '-'))
			continue; /* a longer word, such as "secretive" */
		if (j < n && (in[j] == '"' || in[j] == '\''))
			j++;
		while (j < n && (in[j] == ' ' || in[j] == '\t'))
			j++;
		if (j >= n || (in[j] != ':' && in[j] != '=' && in[j] != '>'))
			return 0;
		sep = in[j++];
		if (sep == ':' && line_col(in + j, n - j))
			return 0; /* "secret:3:14: ..." is a file name and a position, not a value */
		if (sep != '>')
			while (j < n && (in[j] == ' ' || in[j] == '\t'))
				j++;
		if (j < n && (in[j] == '"' || in[j] == '\'') && sep != '>')
			quote = in[j++];
		*vstart = j;
		while (j < n) {
			char c = in[j];

			if (quote        ? c == quote
			    : sep == '>' ? c == '<'
			    : sep == ':' ? (c == '\n' || c == '\r')
			                 : (c == '&' || c == ',' || c == ';' || c == '"' || c == '\'' ||
			                    isspace((unsigned char)c)))
				break;
			j++;
		}
		*vend = j;
		return 1;
	}
	return 0;
}

static bool in_set_b64(unsigned char c)
{
	return isalnum(c) || c == '/' || c == '+';
}

static bool in_set_b32(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

/* Length of a secret-shaped token at in[i] (at a token boundary), or 0. */
static size_t match_shape(const char *in, size_t i, size_t n)
{
	size_t j = i;
	bool upper = false, lower = false;

	if (i > 0 && (in_set_b64((unsigned char)in[i - 1]) || in[i - 1] == '='))
		return 0;
	while (j < n && in_set_b64((unsigned char)in[j])) {
		upper |= isupper((unsigned char)in[j]) != 0;
		lower |= islower((unsigned char)in[j]) != 0;
		j++;
	}
	while (j < n && in[j] == '=')
		j++;
	if (j < n && (isalnum((unsigned char)in[j]) || in[j] == '/' || in[j] == '+'))
		return 0;
	if (j - i == 40 && upper && lower)
		return j - i; /* secret access key */
	if (j - i >= 100 && upper && lower)
		return j - i; /* session token */
	if (j - i >= 32) {
		size_t k = i;

		while (k < j && (in_set_b32((unsigned char)in[k]) || in[k] == '='))
			k++;
		if (k == j)
			return j - i; /* base32 MFA seed */
	}
	return 0;
}

size_t kw_redact(const char *in, char *out, size_t outsize)
{
	struct sink o = {out, outsize, 0};
	size_t n = strlen(in), i = 0;

	if (!outsize)
		return 0;
	pthread_mutex_lock(&log_lock);
	while (i < n) {
		size_t vs, ve, m = 0;

		for (size_t r = 0; r < registry_len && !m; r++) {
			const struct kw_secret *s = registry[r];

			if (s->len >= 8 && n - i >= s->len && memcmp(in + i, s->data, s->len) == 0)
				m = s->len;
		}
		if (m) {
			sink_put(&o, KW_REDACTED, strlen(KW_REDACTED));
			i += m;
			continue;
		}
		if (match_key(in, i, n, &vs, &ve)) {
			sink_put(&o, in + i, vs - i);
			if (ve > vs)
				sink_put(&o, KW_REDACTED, strlen(KW_REDACTED));
			i = ve;
			continue;
		}
		m = match_shape(in, i, n);
		if (m) {
			sink_put(&o, KW_REDACTED, strlen(KW_REDACTED));
			i += m;
			continue;
		}
		sink_put(&o, in + i, 1);
		i++;
	}
	pthread_mutex_unlock(&log_lock);
	out[o.len] = '\0';
	return o.len;
}

void kw_redact_inplace(char *s, size_t size)
{
	char *tmp;

	if (!size)
		return;
	tmp = malloc(size);
	if (!tmp) {
		s[0] = '\0'; /* cannot prove it clean: drop it */
		return;
	}
	kw_redact(s, tmp, size);
	memcpy(s, tmp, size);
	OPENSSL_cleanse(tmp, size);
	free(tmp);
}
