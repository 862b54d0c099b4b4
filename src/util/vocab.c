/*
 * vocab.c - keywarden's tag names, their values, ISO 8601 (vocab.h).
 */
#include "util/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool kw_tag_key_eq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

bool kw_tag_is_managed(const char *key, const char *value)
{
	return kw_tag_key_eq(key, KW_MANAGED_TAG_KEY) && value && !strcmp(value, KW_MANAGED_TAG_VALUE);
}

void kw_iso8601_format(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "?");
}

int kw_iso8601_parse(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0;
	long off = 0;
	time_t t;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	s += n;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z') {
		s++;
	} else if ((*s == '+' || *s == '-') && s[1] && s[2] && s[3] == ':' && s[4] && s[5]) {
		int oh, om;
		if (sscanf(s + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		off = (oh * 3600L + om * 60L) * (*s == '-' ? -1 : 1);
		s += 6;
	} else {
		return -1;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - off;
	return 0;
}

static int tag_key(const char *prefix, const char *id, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", prefix, id);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int kw_grace_tag_key(const char *id, char *buf, size_t size)
{
	return tag_key(KW_GRACE_TAG_PREFIX, id, buf, size);
}

int kw_delivered_tag_key(const char *id, char *buf, size_t size)
{
	return tag_key(KW_DELIVERED_TAG_PREFIX, id, buf, size);
}

int kw_grace_format(time_t since, int days, char *buf, size_t size)
{
	char iso[32];
	int n;

	kw_iso8601_format(since, iso, sizeof(iso));
	n = snprintf(buf, size, "%s grace=%dd", iso, days);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int kw_grace_parse(const char *value, time_t *since, int *days)
{
	char iso[32];
	const char *sp = strchr(value, ' ');
	size_t n = sp ? (size_t)(sp - value) : strlen(value);
	char *end;
	long d;

	if (n >= sizeof(iso))
		return -1;
	memcpy(iso, value, n);
	iso[n] = '\0';
	if (kw_iso8601_parse(iso, since))
		return -1;
	if (!sp) {
		*days = KW_DEFAULT_GRACE_DAYS;
		return 0;
	}
	if (strncmp(sp, " grace=", 7))
		return -1;
	d = strtol(sp + 7, &end, 10);
	if (end == sp + 7 || strcmp(end, "d") || d < 0 || d > 100000)
		return -1;
	*days = (int)d;
	return 0;
}
