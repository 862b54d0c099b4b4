/*
 * names.c - IAM names and limits (see names.h for sources).
 */
#include "manifest/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <locale.h>
#include <wctype.h>

#include "policy/policy.h"
#include "util/utf8.h"

#define WHY(...) (snprintf(why, whysize, __VA_ARGS__), -1)

char *kw_names_account(const char *name)
{
	size_t n = strlen(KW_ACCOUNT_PREFIX) + strlen(name) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", KW_ACCOUNT_PREFIX, name);
	return s;
}

static bool iam_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_+=,.@-", c);
}

bool kw_names_iam_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!iam_name_char((unsigned char)*s))
			return false;
	return true;
}

int kw_names_check_account(const char *name, char *why, size_t whysize)
{
	size_t max = KW_USER_NAME_MAX - strlen(KW_ACCOUNT_PREFIX);

	if (!*name)
		return WHY("must not be empty");
	for (const char *c = name; *c; c++) {
		uint32_t cp;
		int k;

		if (iam_name_char((unsigned char)*c))
			continue;
		k = kw_utf8_decode(c, strlen(c), &cp);
		if (k < 0)
			return WHY("must use only letters, digits and +=,.@_- (IAM user names), found byte "
			           "0x%02x "
			           "(not UTF-8)",
			           (unsigned char)*c);
		return WHY(
		        "must use only letters, digits and +=,.@_- (IAM user names), found '%.*s' (U+%04X)",
		        cp < 0x20 || cp == 0x7F ? 0 : k, c, (unsigned)cp);
	}
	if (strlen(name) > max)
		return WHY("is %zu characters: user name '%s<name>' must be at most %d, so at most %zu",
		           strlen(name), KW_ACCOUNT_PREFIX, KW_USER_NAME_MAX, max);
	return 0;
}

int kw_names_check_path(const char *path, char *why, size_t whysize)
{
	size_t n = strlen(path);

	if (n == 0 || path[0] != '/' || path[n - 1] != '/')
		return WHY("must start and end with '/'");
	if (n > KW_PATH_MAX)
		return WHY("must be at most %d characters", KW_PATH_MAX);
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7E)
			return WHY("must use printable ASCII without spaces");
	if (strstr(path, "//"))
		return WHY("must not contain an empty segment '//'");
	return 0;
}

/* Code points of s, or (size_t)-1 for invalid UTF-8. */
/*
 * IAM tag characters, the pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]* of the IAM API reference (TagKeyType,
 * TagValueType): letters, separators and numbers of any script, judged with the C.UTF-8 locale's
 * classes (iswalpha, iswdigit, iswspace; U+00A0 and U+2000-U+200A, U+202F, U+205F, U+3000 as Zs),
 * and _ . : / = + - @. Symbols such as emoji or a check mark are refused, as IAM refuses them.
 */
static bool tag_char(wint_t c, locale_t loc)
{
	if (c < 0x80)
		return isalnum((int)c) || strchr(" _.:/=+-@", (int)c);
	if (c == 0xA0 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	    c == 0x205F || c == 0x3000)
		return true;
	return loc && (iswalpha_l(c, loc) || iswdigit_l(c, loc) || iswalnum_l(c, loc));
}

static int check_tag_chars(const char *s, char *why, size_t whysize)
{
	static locale_t loc;
	size_t len = strlen(s), i = 0;
	uint32_t cp;

	if (!loc)
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	while (i < len) {
		int k = kw_utf8_decode(s + i, len - i, &cp);

		if (k < 0)
			return WHY("is not valid UTF-8");
		if (!tag_char((wint_t)cp, loc))
			return WHY("holds '%.*s' (U+%04X): IAM tags allow letters, digits, spaces and _ . : "
			           "/ = + - @",
			           cp < 0x20 || cp == 0x7F ? 0 : k, s + i, (unsigned)cp);
		i += (size_t)k;
	}
	return 0;
}

int kw_names_check_tag_key(const char *key, char *why, size_t whysize)
{
	size_t n = kw_utf8_length(key);

	if (n == (size_t)-1)
		return WHY("is not valid UTF-8");
	if (n < 1 || n > KW_TAG_KEY_MAX)
		return WHY("must be 1 to %d characters, found %zu", KW_TAG_KEY_MAX, n);
	if (!strncasecmp(key, "aws:", 4))
		return WHY("must not start with 'aws:' (reserved for AWS)");
	return check_tag_chars(key, why, whysize);
}

int kw_names_check_tag_value(const char *value, char *why, size_t whysize)
{
	size_t n = kw_utf8_length(value);

	if (n == (size_t)-1)
		return WHY("is not valid UTF-8");
	if (n > KW_TAG_VALUE_MAX)
		return WHY("must be at most %d characters, found %zu", KW_TAG_VALUE_MAX, n);
	return check_tag_chars(value, why, whysize);
}

bool kw_names_policy_arn_ok(const char *arn)
{
	static const char *const partitions[] = {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", NULL};
	const char *p, *rest = NULL, *name;
	size_t digits;

	if (strncmp(arn, "arn:", 4))
		return false;
	p = arn + 4;
	for (size_t i = 0; partitions[i]; i++) {
		size_t n = strlen(partitions[i]);
		if (!strncmp(p, partitions[i], n) && !strncmp(p + n, ":iam::", 6))
			rest = p + n + 6;
	}
	if (!rest)
		return false;
	if (!strncmp(rest, "aws:", 4)) {
		rest += 4;
	} else {
		digits = strspn(rest, "0123456789");
		if (digits != 12 || rest[12] != ':')
			return false;
		rest += 13;
	}
	if (strncmp(rest, "policy/", 7))
		return false;
	rest += 7;
	name = strrchr(rest, '/');
	name = name ? name + 1 : rest;
	for (const char *c = rest; c < name; c++) /* path part: printable ASCII */
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7E)
			return false;
	if (strlen(arn) > 2048)
		return false;
	return kw_names_iam_name_ok(name, KW_POLICY_NAME_MAX);
}

bool kw_names_policy_name_ok(const char *name)
{
	return kw_names_iam_name_ok(name, KW_POLICY_NAME_MAX);
}

char *kw_names_policy_name_from_file(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	return strndup(base, n);
}

bool kw_names_profile_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return false;
	for (; *name; name++)
		if ((unsigned char)*name <= 0x20 || (unsigned char)*name >= 0x7F || strchr("[]#;", *name))
			return false;
	return true;
}

bool kw_names_region_ok(const char *r)
{
	size_t n = strlen(r), parts = 0;

	if (n < 6 || n > 32 || r[n - 1] < '0' || r[n - 1] > '9')
		return false;
	for (const char *c = r; *c; c++) {
		if (*c == '-')
			parts++;
		else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return false;
	}
	return parts >= 2 && r[0] != '-' && !strstr(r, "--");
}

bool kw_names_var_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return false;
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_.-", c)))
			return false;
	}
	return true;
}

bool kw_names_lint_code_known(const char *code)
{
	return kw_policy_lint_code_info(code, NULL) != NULL;
}

size_t kw_names_text_size(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80 && !strchr(" \t\r\n", *s))
			n++;
	return n;
}

/* A KMS key id: a UUID (1234abcd-12ab-34cd-56ef-1234567890ab) or a multi-Region mrk-<32 hex>. */
static bool kms_key_id_ok(const char *s)
{
	static const char uuid[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t n = strlen(s);

	if (!strncmp(s, "mrk-", 4))
		return n == 36 && strspn(s + 4, "0123456789abcdef") == 32;
	if (n != sizeof(uuid) - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (uuid[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* alias/NAME: KMS AliasName, 1-256 of [A-Za-z0-9:/_-] (no ':' in the name itself). */
static bool kms_alias_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 6 && n <= 256 && !strncmp(s, "alias/", 6) &&
	       strspn(s + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_-") == n - 6;
}

const char *kw_names_kms_key_problem(const char *s, char region[64])
{
	char part[32], acct[16], rest[2048];
	int used = 0;

	region[0] = '\0';
	if (strncmp(s, "arn:", 4))
		return kms_key_id_ok(s) || kms_alias_ok(s) ? NULL
		                                           : "must be a KMS key id (a UUID or mrk-...), a "
		                                             "key ARN, alias/NAME or an alias ARN";
	if (strlen(s) > 2048 ||
	    sscanf(s, "arn:%31[^:]:kms:%63[^:]:%15[^:]:%2047s%n", part, region, acct, rest, &used) != 4 ||
	    (size_t)used != strlen(s) || !kw_names_region_ok(region) || strlen(acct) != 12 ||
	    strspn(acct, "0123456789") != 12 ||
	    !(strncmp(rest, "key/", 4) ? kms_alias_ok(rest) : kms_key_id_ok(rest + 4))) {
		region[0] = '\0';
		return "is not a KMS ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID or ...:alias/NAME)";
	}
	return NULL;
}

const char *kw_names_file_path_problem(const char *path)
{
	const char *base = strrchr(path, '/');

	if (strlen(path) >= 4096)
		return "is longer than the system allows (4095 bytes)";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n > 255)
			return "has a folder or file name longer than 255 bytes";
		p += n + (p[n] == '/');
	}
	/* the atomic write's temporary file beside it: ".BASE.kw-<12 hex>.tmp" (util/atomic.h) */
	if (strlen(base ? base + 1 : path) > 255 - 21)
		return "has a file name longer than 234 bytes (its temporary file while it is written "
		       "needs 21 more)";
	return NULL;
}
