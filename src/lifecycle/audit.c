#include "lifecycle/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[KW_LC_NCODES] = {
        [KW_LC_KEY_TOO_OLD] = "key-too-old",
        [KW_LC_KEY_NEVER_USED] = "key-never-used",
        [KW_LC_KEY_UNUSED] = "key-unused",
        [KW_LC_TWO_ACTIVE_KEYS] = "two-active-keys",
        [KW_LC_GRACE_EXPIRED] = "grace-expired",
        [KW_LC_CONSOLE_ENABLED] = "console-enabled",
        [KW_LC_NO_MFA] = "no-mfa",
        [KW_LC_USER_POLICY] = "user-policy",
        [KW_LC_NOT_IN_GROUP] = "not-in-group",
        [KW_LC_NOT_MANAGED] = "not-managed",
        [KW_LC_KEY_UNDELIVERED] = "key-undelivered",
};

const char *kw_lc_code_name(enum kw_lc_code code)
{
	return (unsigned)code < KW_LC_NCODES ? code_names[code] : "unknown";
}

long kw_lc_age_days(time_t t, time_t now)
{
	return now > t ? (long)((now - t) / KW_LC_DAY) : 0;
}

static int add(struct kw_lc_findings *out, enum kw_lc_code code, const char *user, const char *resource,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add(struct kw_lc_findings *out, enum kw_lc_code code, const char *user, const char *resource,
               const char *fmt, ...)
{
	struct kw_lc_finding *v, *f;
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	out->v = v;
	f = &v[out->n];
	f->code = code;
	f->user = strdup(user ? user : "");
	f->resource = strdup(resource ? resource : (user ? user : ""));
	f->message = strdup(msg);
	if (!f->user || !f->resource || !f->message) {
		free(f->user);
		free(f->resource);
		free(f->message);
		return -1;
	}
	out->n++;
	return 0;
}

static const char *key_resource(const struct kw_lc_key *k, char *buf, size_t size)
{
	if (k->id)
		return k->id;
	snprintf(buf, size, "access_key_%d", k->slot);
	return buf;
}

static int unused_threshold(int days)
{
	return days > 0 ? days : KW_LC_DEFAULT_UNUSED_DAYS;
}

bool kw_lc_grace_expired(const struct kw_lc_key *k, time_t now)
{
	if (k->active || !k->inactive_since || k->grace_days < 0)
		return false;
	return now - k->inactive_since >= (time_t)k->grace_days * KW_LC_DAY;
}

/* Whether two active keys are a rotation in progress: the newer one is within the window. */
static bool rotating(const struct kw_lc_subject *s, time_t now)
{
	time_t newest = 0;

	for (size_t i = 0; i < s->nkeys; i++)
		if (s->keys[i].active && s->keys[i].created > newest)
			newest = s->keys[i].created;
	return newest && now - newest < KW_LC_ROTATION_WINDOW;
}

static int audit_user(const struct kw_lc_subject *s, time_t now, struct kw_lc_findings *out)
{
	const char *u = s->user;
	size_t nactive = 0;
	const char *ids[2] = {"?", "?"};
	char slots[2][32];

	if (s->managed_known && !s->managed &&
	    add(out, KW_LC_NOT_MANAGED, u, u, "missing tag managed-by: keywarden"))
		return -1;
	if (s->console && add(out, KW_LC_CONSOLE_ENABLED, u, u, "console login enabled on a service account"))
		return -1;
	if (s->mfa_wanted && !s->has_mfa &&
	    add(out, KW_LC_NO_MFA, u, u, "no MFA device assigned (the manifest asks for one)"))
		return -1;
	if (s->details_known && s->user_policies &&
	    add(out, KW_LC_USER_POLICY, u, u, "%zu %s attached to the user instead of %s%s", s->user_policies,
	        s->user_policies == 1 ? "policy" : "policies", s->group ? "group " : "its group",
	        s->group ? s->group : ""))
		return -1;
	if (s->details_known && s->group && !s->in_group &&
	    add(out, KW_LC_NOT_IN_GROUP, u, u, "not a member of group %s", s->group))
		return -1;
	for (size_t i = 0; i < s->nkeys; i++) {
		if (!s->keys[i].active)
			continue;
		if (nactive < 2)
			ids[nactive] = key_resource(&s->keys[i], slots[nactive], sizeof(slots[nactive]));
		nactive++;
	}
	if (nactive >= 2 && !rotating(s, now) &&
	    add(out, KW_LC_TWO_ACTIVE_KEYS, u, u, "two active keys outside a rotation (%s, %s)", ids[0],
	        ids[1]))
		return -1;
	return 0;
}

static int audit_key(const struct kw_lc_subject *s, const struct kw_lc_key *k,
                     const struct kw_lc_audit_opts *o, struct kw_lc_findings *out)
{
	int max_age = s->max_age_days ? s->max_age_days : KW_LC_DEFAULT_MAX_AGE_DAYS;
	int unused = unused_threshold(o->unused_days);
	long age = kw_lc_age_days(k->created, o->now);
	char slot[32];
	const char *r = key_resource(k, slot, sizeof(slot));

	if (kw_lc_grace_expired(k, o->now))
		return add(out, KW_LC_GRACE_EXPIRED, s->user, r,
		           "inactive for %ld days, past its grace period of %d days (audit --prune-unused "
		           "deletes it)",
		           kw_lc_age_days(k->inactive_since, o->now), k->grace_days);
	if (!k->active)
		return 0;
	if (max_age > 0 && age > max_age &&
	    add(out, KW_LC_KEY_TOO_OLD, s->user, r, "active key is %ld days old (maxAgeDays %d)", age,
	        max_age))
		return -1;
	if (s->managed_known && s->managed && k->delivered_known && !k->delivered && !k->last_used &&
	    add(out, KW_LC_KEY_UNDELIVERED, s->user, r,
	        "never used and not tagged keywarden:delivered: nobody may hold it (plan replaces it)"))
		return -1;
	if (!k->last_used && age > unused)
		return add(out, KW_LC_KEY_NEVER_USED, s->user, r,
		           "never used, created %ld days ago (threshold %d days)", age, unused);
	if (k->last_used && kw_lc_age_days(k->last_used, o->now) > unused)
		return add(out, KW_LC_KEY_UNUSED, s->user, r, "last used %ld days ago (threshold %d days)",
		           kw_lc_age_days(k->last_used, o->now), unused);
	return 0;
}

int kw_lc_audit(const struct kw_lc_subject *s, const struct kw_lc_audit_opts *o, struct kw_lc_findings *out)
{
	if (audit_user(s, o->now, out))
		return -1;
	for (size_t i = 0; i < s->nkeys; i++)
		if (audit_key(s, &s->keys[i], o, out))
			return -1;
	return 0;
}

void kw_lc_findings_release(struct kw_lc_findings *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].user);
		free(l->v[i].resource);
		free(l->v[i].message);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

enum kw_lc_prune kw_lc_prune_reason(const struct kw_lc_subject *s, const struct kw_lc_key *k,
                                    int older_than_days, time_t now)
{
	int days = unused_threshold(older_than_days);

	if (!s->managed_known || !s->managed)
		return KW_LC_PRUNE_KEEP;
	/* inactive since its tagged deactivation: it cannot have been used since */
	if (kw_lc_grace_expired(k, now))
		return KW_LC_PRUNE_GRACE_EXPIRED;
	if (k->last_used) {
		if (kw_lc_age_days(k->last_used, now) <= days)
			return KW_LC_PRUNE_KEEP; /* used within the threshold: never deleted */
		return KW_LC_PRUNE_UNUSED;
	}
	if (kw_lc_age_days(k->created, now) > days)
		return KW_LC_PRUNE_NEVER_USED;
	return KW_LC_PRUNE_KEEP;
}

const char *kw_lc_prune_name(enum kw_lc_prune reason)
{
	switch (reason) {
	case KW_LC_PRUNE_NEVER_USED: return "never-used";
	case KW_LC_PRUNE_UNUSED: return "unused";
	case KW_LC_PRUNE_GRACE_EXPIRED: return "grace-expired";
	case KW_LC_PRUNE_KEEP: break;
	}
	return "keep";
}

const char *kw_lc_compliance_name(enum kw_lc_compliance c)
{
	switch (c) {
	case KW_LC_COMPLIANT: return "COMPLIANT";
	case KW_LC_NON_COMPLIANT: return "NON_COMPLIANT";
	default: return "NOT_APPLICABLE";
	}
}

enum kw_lc_compliance kw_lc_access_keys_rotated(const struct kw_lc_key *k, int max_access_key_age, time_t now)
{
	if (!k->active)
		return KW_LC_NOT_APPLICABLE;
	if (max_access_key_age <= 0)
		max_access_key_age = KW_LC_DEFAULT_MAX_AGE_DAYS;
	return kw_lc_age_days(k->created, now) > max_access_key_age ? KW_LC_NON_COMPLIANT : KW_LC_COMPLIANT;
}

enum kw_lc_compliance kw_lc_user_access_keys_rotated(const struct kw_lc_subject *s, int max_access_key_age,
                                                     time_t now)
{
	enum kw_lc_compliance out = KW_LC_NOT_APPLICABLE;

	for (size_t i = 0; i < s->nkeys; i++) {
		enum kw_lc_compliance c = kw_lc_access_keys_rotated(&s->keys[i], max_access_key_age, now);
		if (c == KW_LC_NON_COMPLIANT)
			return c;
		if (c == KW_LC_COMPLIANT)
			out = c;
	}
	return out;
}

bool kw_lc_key_due(const struct kw_lc_key *k, int max_age_days, int within_days, time_t now)
{
	if (!k->active || max_age_days < 0)
		return false;
	if (!max_age_days)
		max_age_days = KW_LC_DEFAULT_MAX_AGE_DAYS;
	return kw_lc_age_days(k->created, now + (time_t)within_days * KW_LC_DAY) > max_age_days;
}
