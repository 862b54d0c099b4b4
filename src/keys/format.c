/*
 * format.c - rendering a new key for its target (format.h).
 */
#include "keys/format.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keys/sink.h"
#include "util/error.h"
#include "util/secret.h"

static const char *const names[] = {"json", "env", "credentials", "template"};
static const char *const fields[] = {"AccessKeyId", "SecretAccessKey", "UserName", "CreateDate"};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

const char *kw_keys_format_name(enum kw_key_format f)
{
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

int kw_keys_format_parse(const char *s, enum kw_key_format *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum kw_key_format)i;
			return 0;
		}
	return -1;
}

/*
 * The field of the placeholder at p ("{{" already seen at p): its index and the length of the
 * whole placeholder; -1 when unknown, -2 when unterminated.
 */
static int placeholder(const char *p, size_t *len, const char **name, size_t *name_len)
{
	const char *q = p + 2, *end;
	size_t n;

	while (*q == ' ')
		q++;
	end = strstr(q, "}}");
	if (!end)
		return -2;
	n = (size_t)(end - q);
	while (n && q[n - 1] == ' ')
		n--;
	*len = (size_t)(end + 2 - p);
	*name = q;
	*name_len = n;
	for (size_t i = 0; i < NFIELDS; i++)
		if (strlen(fields[i]) == n && !strncmp(q, fields[i], n))
			return (int)i;
	return -1;
}

int kw_keys_template_check(const char *tmpl, char *bad, size_t size)
{
	for (const char *p = strstr(tmpl, "{{"); p; p = strstr(p, "{{")) {
		const char *name;
		size_t len, nlen;
		int f = placeholder(p, &len, &name, &nlen);

		if (f == -2) {
			snprintf(bad, size, "unterminated {{");
			return -1;
		}
		if (f < 0) {
			snprintf(bad, size, "%.*s", (int)(nlen > 64 ? 64 : nlen), name);
			return -1;
		}
		p += len;
	}
	return 0;
}

/* The value of field i of key (borrowed or in date); its length in *n. */
static const char *field(const struct kw_access_key *key, int i, char *date, size_t *n)
{
	const char *v = NULL;

	switch (i) {
	case 0: v = key->access_key_id; break;
	case 1: *n = key->secret_access_key->len; return (const char *)key->secret_access_key->data;
	case 2: v = key->user_name; break;
	default: v = date; break;
	}
	*n = strlen(v);
	return v;
}

/* Two passes over the template: measure (out NULL), then write. */
static size_t expand(const char *tmpl, const struct kw_access_key *key, char *date, struct kw_secret *out)
{
	size_t total = 0;

	for (const char *p = tmpl; *p;) {
		const char *open = strstr(p, "{{"), *name, *v;
		size_t lit = open ? (size_t)(open - p) : strlen(p), len, nlen, n;
		int f;

		if (out && lit)
			(void)kw_secret_append(out, p, lit);
		total += lit;
		if (!open)
			break;
		f = placeholder(open, &len, &name, &nlen);
		v = field(key, f, date, &n);
		if (out)
			(void)kw_secret_append(out, v, n);
		total += n;
		p = open + len;
	}
	return total;
}

int kw_keys_render(enum kw_key_format f, const char *tmpl, bool compact, const struct kw_access_key *key,
                   struct kw_secret **out, struct kw_error *err)
{
	struct kw_secret *s;
	char date[32], bad[80];
	struct tm tm;
	size_t n;

	*out = NULL;
	if (f == KW_KEY_FORMAT_JSON)
		return compact ? kw_keys_json_line(key, out, err) : kw_keys_json(key, out, err);
	if (!key->access_key_id || !*key->access_key_id || !key->secret_access_key ||
	    !key->secret_access_key->len || !key->user_name || !*key->user_name)
		return kw_error_set(err, KW_ERR_INVALID, "access key", "incomplete access key");
	if (!gmtime_r(&key->create_date, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return kw_error_set(err, KW_ERR_INVALID, "access key", "bad creation date");
	if (f == KW_KEY_FORMAT_ENV)
		tmpl = "AWS_ACCESS_KEY_ID={{AccessKeyId}}\nAWS_SECRET_ACCESS_KEY={{SecretAccessKey}}\n";
	else if (f == KW_KEY_FORMAT_CREDENTIALS)
		tmpl = "[default]\naws_access_key_id = {{AccessKeyId}}\naws_secret_access_key = "
		       "{{SecretAccessKey}}\n";
	else if (!tmpl)
		return kw_error_set(err, KW_ERR_INVALID, "template", "format template without a template");
	if (kw_keys_template_check(tmpl, bad, sizeof(bad)))
		return kw_error_set(err, KW_ERR_INVALID, "template", "unknown field {{%s}}", bad);
	n = expand(tmpl, key, date, NULL);
	if (!(s = kw_secret_new(n)))
		return kw_error_set(err, KW_ERR_NOMEM, "access key", "out of memory");
	expand(tmpl, key, date, s);
	*out = s;
	return 0;
}

/* A key id at p: [A-Z0-9]{16,128} not followed by another word character. Returns its length, 0 if none. */
static size_t key_id_at(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9')))
		n++;
	if (n < 16 || n >= KW_KEYS_ID_MAX)
		return 0;
	if (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '/' || p[n] == '+' || p[n] == '_'))
		return 0;
	return n;
}

/* The key id after the first label in text that has one (a few separators between): its length. */
static size_t labelled(const char *text, const char *end, const char *label, const char **at)
{
	size_t ll = strlen(label), n;

	for (const char *p = text; p + ll <= end; p++) {
		const char *v = p + ll;

		if (strncasecmp(p, label, ll))
			continue;
		while (v < end && v - (p + ll) < 8 && *v && strchr(" \t\"':=", *v))
			v++;
		if ((n = key_id_at(v, end))) {
			*at = v;
			return n;
		}
	}
	return 0;
}

int kw_keys_key_id_in(const char *text, size_t len, char *id, size_t size)
{
	const char *end = text + len, *p = text;
	size_t n;

	/* a labelled field first (json, env, credentials), then any AKIA/ASIA word (templates) */
	n = labelled(text, end, "\"AccessKeyId\"", &p);
	if (!n)
		n = labelled(text, end, "aws_access_key_id", &p);
	for (p = n ? p : text; !n && p + 4 <= end; p++) {
		if ((strncmp(p, "AKIA", 4) && strncmp(p, "ASIA", 4)) ||
		    (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '/' || p[-1] == '+')))
			continue;
		if ((n = key_id_at(p, end)))
			break;
	}
	if (!n || n >= size)
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	return 0;
}

/* The length of a secret access key's characters at p (A-Z a-z 0-9 / + =), 0 unless 16..128. */
static size_t secret_at(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '/' || p[n] == '+' || p[n] == '='))
		n++;
	return n >= 16 && n <= 128 ? n : 0;
}

int kw_keys_secret_in(const char *text, size_t len, struct kw_secret **out, struct kw_error *err)
{
	static const char *const labels[] = {"\"SecretAccessKey\"", "aws_secret_access_key"};
	const char *end = text + len;

	*out = NULL;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		size_t ll = strlen(labels[i]), n;

		for (const char *p = text; p + ll <= end; p++) {
			const char *v = p + ll;

			if (strncasecmp(p, labels[i], ll))
				continue;
			while (v < end && v - (p + ll) < 8 && *v && strchr(" \t\"':=", *v))
				v++;
			if (!(n = secret_at(v, end)))
				continue;
			if (!(*out = kw_secret_from(v, n)))
				return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
			return 0;
		}
	}
	return kw_error_set(err, KW_ERR_NOT_FOUND, NULL, "no SecretAccessKey field in it");
}
