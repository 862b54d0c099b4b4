#include "engine/plan.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lifecycle/audit.h"
#include "lifecycle/rotation.h"
#include "policy/policy.h"
#include "util/buf.h"
#include "util/error.h"

#define DAY 86400

int kw_step_phase(enum kw_step_resource res)
{
	switch (res) {
	case KW_RES_USER:
	case KW_RES_BOUNDARY: return 1;
	case KW_RES_GROUP: return 2;
	case KW_RES_MEMBERSHIP: return 3;
	case KW_RES_GROUP_POLICY:
	case KW_RES_GROUP_ATTACHMENT:
	case KW_RES_USER_POLICY:
	case KW_RES_USER_ATTACHMENT: return 4;
	case KW_RES_LOGIN_PROFILE: return 5;
	case KW_RES_TAGS: return 6;
	case KW_RES_MFA: return 7;
	case KW_RES_ACCESS_KEY: return 8;
	}
	return 0;
}

const char *kw_step_action_name(enum kw_step_action a)
{
	switch (a) {
	case KW_ACT_CREATE: return "create";
	case KW_ACT_UPDATE: return "update";
	case KW_ACT_DELETE: return "delete";
	}
	return "?";
}

const char *kw_step_resource_name(enum kw_step_resource r)
{
	switch (r) {
	case KW_RES_USER: return "user";
	case KW_RES_BOUNDARY: return "permissions-boundary";
	case KW_RES_GROUP: return "group";
	case KW_RES_MEMBERSHIP: return "membership";
	case KW_RES_GROUP_POLICY: return "group-policy";
	case KW_RES_GROUP_ATTACHMENT: return "group-policy-attachment";
	case KW_RES_USER_POLICY: return "user-policy";
	case KW_RES_USER_ATTACHMENT: return "user-policy-attachment";
	case KW_RES_LOGIN_PROFILE: return "login-profile";
	case KW_RES_TAGS: return "user-tags";
	case KW_RES_MFA: return "mfa-device";
	case KW_RES_ACCESS_KEY: return "access-key";
	}
	return "?";
}

int kw_engine_policy_same(const char *a, const char *b, struct kw_error *err)
{
	json_error_t je;
	json_t *ja = NULL, *jb = NULL;
	int rc = -1;

	ja = json_loads(a, JSON_REJECT_DUPLICATES, &je);
	if (!ja) {
		kw_error_set(err, KW_ERR_INVALID, NULL, "policy document: %s", je.text);
		goto out;
	}
	jb = json_loads(b, JSON_REJECT_DUPLICATES, &je);
	if (!jb) {
		kw_error_set(err, KW_ERR_INVALID, NULL, "policy document: %s", je.text);
		goto out;
	}
	rc = kw_policy_equal(ja, jb);
	if (rc < 0)
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
out:
	json_decref(ja);
	json_decref(jb);
	return rc;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Append a step; returns it (zeroed apart from the fields given) or NULL when out of memory. */
static struct kw_step *add_step(struct kw_plan *p, enum kw_step_action act, enum kw_step_resource res,
                                size_t account, const char *subject, const char *before, const char *after)
{
	struct kw_step *v = realloc(p->steps, (p->nsteps + 1) * sizeof(*v)), *s;

	if (!v)
		return NULL;
	p->steps = v;
	s = &v[p->nsteps];
	memset(s, 0, sizeof(*s));
	s->action = act;
	s->resource = res;
	s->account = account;
	s->subject = dup_or_null(subject);
	s->before = dup_or_null(before);
	s->after = dup_or_null(after);
	if ((subject && !s->subject) || (before && !s->before) || (after && !s->after)) {
		free(s->subject);
		free(s->before);
		free(s->after);
		return NULL;
	}
	p->nsteps++;
	return s;
}

__attribute__((format(printf, 3, 4))) static int add_note(struct kw_plan *p, size_t account, const char *fmt,
                                                          ...)
{
	struct kw_plan_note *v = realloc(p->notes, (p->nnotes + 1) * sizeof(*v));
	va_list ap;

	if (!v)
		return -1;
	p->notes = v;
	va_start(ap, fmt);
	v[p->nnotes].text = kw_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!v[p->nnotes].text)
		return -1;
	v[p->nnotes].account = account;
	p->nnotes++;
	return 0;
}

/* Why step s is planned (shown under it, and as "reason" in JSON). Returns 0, or -1 (memory). */
__attribute__((format(printf, 2, 3))) static int set_reason(struct kw_step *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s->reason = kw_strdup_vprintf(fmt, ap);
	va_end(ap);
	return s->reason ? 0 : -1;
}

#define STEP(...)                              \
	do {                                   \
		if (!add_step(p, __VA_ARGS__)) \
			goto nomem;            \
	} while (0)

static int plan_policies(struct kw_plan *p, size_t i, const struct kw_desired *d,
                         const struct kw_live_account *l, struct kw_error *err)
{
	const struct kw_live_group *g = &l->group;
	const struct kw_live_user *u = &l->user;

	for (size_t k = 0; k < d->inline_policies.n; k++) {
		const struct kw_namedoc *want = &d->inline_policies.v[k];
		const struct kw_namedoc *have =
		        g->exists ? kw_doclist_find(&g->inline_policies, want->name) : NULL;
		int same;

		if (!have) {
			STEP(KW_ACT_CREATE, KW_RES_GROUP_POLICY, i, want->name, NULL, want->document);
			continue;
		}
		same = kw_engine_policy_same(have->document, want->document, err);
		if (same < 0)
			return kw_error_prefix(err, "account %s: group policy %s", d->name, want->name);
		if (!same)
			STEP(KW_ACT_UPDATE, KW_RES_GROUP_POLICY, i, want->name, have->document,
			     want->document);
	}
	for (size_t k = 0; g->exists && k < g->inline_policies.n; k++)
		if (!kw_doclist_find(&d->inline_policies, g->inline_policies.v[k].name))
			STEP(KW_ACT_DELETE, KW_RES_GROUP_POLICY, i, g->inline_policies.v[k].name,
			     g->inline_policies.v[k].document, NULL);
	for (size_t k = 0; k < d->managed_arns.n; k++)
		if (!g->exists || kw_strlist_find(&g->managed_arns, d->managed_arns.v[k], false) < 0)
			STEP(KW_ACT_CREATE, KW_RES_GROUP_ATTACHMENT, i, d->managed_arns.v[k], NULL, NULL);
	for (size_t k = 0; g->exists && k < g->managed_arns.n; k++)
		if (kw_strlist_find(&d->managed_arns, g->managed_arns.v[k], false) < 0)
			STEP(KW_ACT_DELETE, KW_RES_GROUP_ATTACHMENT, i, g->managed_arns.v[k], NULL, NULL);
	for (size_t k = 0; u->exists && k < u->inline_policies.n; k++)
		STEP(KW_ACT_DELETE, KW_RES_USER_POLICY, i, u->inline_policies.v[k].name,
		     u->inline_policies.v[k].document, NULL);
	for (size_t k = 0; u->exists && k < u->managed_arns.n; k++)
		STEP(KW_ACT_DELETE, KW_RES_USER_ATTACHMENT, i, u->managed_arns.v[k], NULL, NULL);
	return 0;
nomem:
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

static int plan_tags(struct kw_plan *p, size_t i, const struct kw_desired *d, const struct kw_live_user *u,
                     struct kw_error *err)
{
	struct kw_taglist set = {0};
	struct kw_strlist unset = {0};
	struct kw_step *s;

	for (size_t k = 0; k < d->tags.n; k++) {
		const struct kw_tagkv *have = kw_taglist_find(&u->tags, d->tags.v[k].key);

		if (!have || strcmp(have->value, d->tags.v[k].value) || strcmp(have->key, d->tags.v[k].key))
			if (kw_taglist_add(&set, d->tags.v[k].key, d->tags.v[k].value))
				goto nomem;
	}
	for (size_t k = 0; k < u->tags.n; k++) {
		const struct kw_tagkv *want = kw_taglist_find(&d->tags, u->tags.v[k].key);

		/* keywarden:* tags belong to rotate (grace periods), not to the manifest */
		if (!strncasecmp(u->tags.v[k].key, KW_INTERNAL_TAG_PREFIX, strlen(KW_INTERNAL_TAG_PREFIX)))
			continue;
		/* a key whose case changed is removed under its old spelling, then set anew */
		if (!want || strcmp(want->key, u->tags.v[k].key))
			if (kw_strlist_add(&unset, u->tags.v[k].key))
				goto nomem;
	}
	if (!set.n && !unset.n)
		return 0;
	s = add_step(p, KW_ACT_UPDATE, KW_RES_TAGS, i, d->user_name, NULL, NULL);
	if (!s)
		goto nomem;
	s->set = set;
	s->unset = unset;
	return 0;
nomem:
	kw_taglist_release(&set);
	kw_strlist_release(&unset);
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

static int plan_account(struct kw_plan *p, size_t i, const struct kw_plan_opts *opts, struct kw_error *err)
{
	const struct kw_desired *d = &p->desired[i];
	const struct kw_live_account *l = &p->live[i];
	const struct kw_live_user *u = &l->user;
	const struct kw_live_group *g = &l->group;

	if (u->exists && !kw_live_user_managed(u) && !opts->adopt)
		return kw_error_set(
		        err, KW_ERR_CONFLICT, d->origin,
		        "account %s: user %s exists without the tag %s: %s; not managed by keywarden "
		        "(use --adopt to take it over)",
		        d->name, d->user_name, KW_MANAGED_TAG_KEY, KW_MANAGED_TAG_VALUE);
	if (g->exists && !kw_live_user_managed(u) && !opts->adopt)
		return kw_error_set(
		        err, KW_ERR_CONFLICT, d->origin,
		        "account %s: group %s exists but its user %s %s; not managed by keywarden "
		        "(use --adopt to take it over)",
		        d->name, d->group_name, d->user_name, u->exists ? "is not tagged" : "does not exist");

	/* 1. user */
	if (!u->exists) {
		STEP(KW_ACT_CREATE, KW_RES_USER, i, d->user_name, NULL, NULL);
	} else {
		if (u->path && d->path && strcmp(u->path, d->path) &&
		    add_note(p, i,
		             "user %s is at path %s, the manifest says %s; keywarden does not move users",
		             d->user_name, u->path, d->path))
			goto nomem;
		if (d->boundary && !u->boundary)
			STEP(KW_ACT_CREATE, KW_RES_BOUNDARY, i, d->user_name, NULL, d->boundary);
		else if (!d->boundary && u->boundary)
			STEP(KW_ACT_DELETE, KW_RES_BOUNDARY, i, d->user_name, u->boundary, NULL);
		else if (d->boundary && strcmp(d->boundary, u->boundary))
			STEP(KW_ACT_UPDATE, KW_RES_BOUNDARY, i, d->user_name, u->boundary, d->boundary);
	}
	/* 2. group */
	if (!g->exists)
		STEP(KW_ACT_CREATE, KW_RES_GROUP, i, d->group_name, NULL, NULL);
	/*
	 * 3. membership: in its group, and in no other. Other service-* groups are left by a step;
	 * any other group is not keywarden's (the operator policy cannot remove from it): a note.
	 */
	if (!u->exists || kw_strlist_find(&u->groups, d->group_name, true) < 0)
		STEP(KW_ACT_CREATE, KW_RES_MEMBERSHIP, i, d->group_name, NULL, NULL);
	for (size_t k = 0; u->exists && k < u->groups.n; k++) {
		const char *other = u->groups.v[k];

		if (!strcasecmp(other, d->group_name))
			continue;
		if (!strncmp(other, KW_SERVICE_GROUP_PREFIX, strlen(KW_SERVICE_GROUP_PREFIX)))
			STEP(KW_ACT_DELETE, KW_RES_MEMBERSHIP, i, other, NULL, NULL);
		else if (add_note(p, i,
		                  "user %s is also in group %s, which keywarden does not manage (not named "
		                  "%s*); remove it by hand: aws iam remove-user-from-group --user-name %s "
		                  "--group-name %s",
		                  d->user_name, other, KW_SERVICE_GROUP_PREFIX, d->user_name, other))
			goto nomem;
	}
	/* 4. policies */
	if (plan_policies(p, i, d, l, err))
		return -1;
	/* 5. console disabled */
	if (u->exists && u->login_profile)
		STEP(KW_ACT_DELETE, KW_RES_LOGIN_PROFILE, i, d->user_name, NULL, NULL);
	/* 6. tags (a new user gets them with CreateUser) */
	if (u->exists && plan_tags(p, i, d, u, err))
		return -1;
	/* 7. MFA */
	if (d->mfa && (!u->exists || !u->mfa.n)) {
		struct kw_step *s = add_step(p, KW_ACT_CREATE, KW_RES_MFA, i, d->user_name, NULL, NULL);

		if (!s)
			goto nomem;
		if (l->orphan_mfa && !(s->replaces = strdup(l->orphan_mfa)))
			goto nomem;
	}
	return 0;
nomem:
	return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
}

static const char *age_text(char *buf, size_t size, time_t now, time_t created)
{
	long days = (long)((now - created) / DAY);

	if (snprintf(buf, size, "%ld day%s old", days, days == 1 ? "" : "s") >= (int)size)
		buf[0] = '\0';
	return buf;
}

/*
 * Whether key is inactive within the rotation grace period that rotate recorded in the user's
 * tag keywarden:inactive:<id> (lifecycle/rotation.h); until receives its end (UTC ISO 8601).
 * Such a key is kept by --prune-keys, as audit --prune-unused keeps it.
 */
static bool in_grace(const struct kw_live_user *u, const struct kw_live_key *key, time_t now, char *until,
                     size_t size)
{
	struct kw_lc_key k = {.id = key->id, .active = key->active};
	const struct kw_tagkv *tag;
	char name[256];

	if (key->active || kw_grace_tag_key(key->id, name, sizeof(name)) ||
	    !(tag = kw_taglist_find(&u->tags, name)) ||
	    kw_grace_parse(tag->value, &k.inactive_since, &k.grace_days) || kw_lc_grace_expired(&k, now))
		return false;
	kw_iso8601_format(k.inactive_since + (time_t)k.grace_days * DAY, until, size);
	return true;
}

/* What an account's delivery targets hold (engine/held.h), as the key rules read it. */
struct held_view {
	bool unknown;  /* a target is write-only or could not be read: the delivered tag tells for it */
	bool lacking;  /* a readable target holds no usable key (none, another content, a key IAM does
	                * not list or an inactive one): it needs a new key */
	bool any_held; /* a readable target holds an active key IAM lists */
};

static const struct kw_live_key *find_key(const struct kw_live_user *u, const char *id)
{
	for (size_t k = 0; u->exists && k < u->nkeys; k++)
		if (!strcmp(u->keys[k].id, id))
			return &u->keys[k];
	return NULL;
}

/* The id of an active key IAM lists that a target of l holds ("" when none does). */
static const char *held_id(const struct kw_live_account *l)
{
	for (size_t t = 0; t < l->ntargets; t++) {
		const struct kw_live_key *key;

		if (l->targets[t].held == KW_KEY_HELD_KEY && l->targets[t].listed &&
		    (key = find_key(&l->user, l->targets[t].id)) && key->active)
			return key->id;
	}
	return "";
}

static void held_view(const struct kw_desired *d, const struct kw_live_account *l, struct held_view *v)
{
	memset(v, 0, sizeof(*v));
	if (l->ntargets != d->ndeliver) { /* targets not read (a state built by hand) */
		v->unknown = d->ndeliver > 0;
		return;
	}
	for (size_t t = 0; t < l->ntargets; t++) {
		const struct kw_live_target *tg = &l->targets[t];
		const struct kw_live_key *key;

		switch (tg->held) {
		case KW_KEY_HELD_UNKNOWN: v->unknown = true; break;
		case KW_KEY_HELD_NONE:
		case KW_KEY_HELD_OTHER: v->lacking = true; break;
		case KW_KEY_HELD_KEY:
			key = tg->listed ? find_key(&l->user, tg->id) : NULL;
			if (key && key->active)
				v->any_held = true;
			else
				v->lacking = true;
			break;
		}
	}
}

/* When the user's delivered tag of key says it was delivered (0: no tag, or unreadable). */
static time_t delivered_at(const struct kw_live_user *u, const struct kw_live_key *key)
{
	const struct kw_tagkv *tag;
	char name[256];
	time_t t = 0;

	if (kw_delivered_tag_key(key->id, name, sizeof(name)) || !(tag = kw_taglist_find(&u->tags, name)) ||
	    kw_iso8601_parse(tag->value, &t))
		return 0;
	return t;
}

/*
 * Whether apply deactivates key and keeps it inactive for rotate's grace period (as rotate
 * finishes a rotation: lifecycle/rotate.h kw_lc_rotate_retire) instead of leaving it active:
 * only when every target was read (none write-only or unreadable, which only the delivered tag
 * could speak for), for an active key that either the new key replaces (need: it is kept or
 * was delivered, and the new key goes to every target) or that no target holds, while a
 * target holds another active key IAM lists, and that was delivered (a rotation stopped
 * before deactivating it). kept: a target holds key or it is kept by its tag.
 */
static bool retired(const struct kw_live_user *u, const struct held_view *v, const struct kw_live_key *key,
                    bool kept, bool need)
{
	if (!key->active || v->unknown)
		return false;
	if (need)
		return kept || delivered_at(u, key);
	return !kept && v->any_held && delivered_at(u, key);
}

/* -1, 0, 1: which of a and b was delivered later (lifecycle/rotation.h); 0 is a tie. */
static int later(const struct kw_live_user *u, const struct kw_live_key *a, const struct kw_live_key *b)
{
	return kw_lc_delivered_later(delivered_at(u, a), a->created, delivered_at(u, b), b->created);
}

static bool undelivered(const struct kw_live_key *key)
{
	return key->undelivered && !key->held; /* a key a target holds is delivered, tag or not */
}

/*
 * The keys kept (keep[k]): every active key a readable target holds; when none is and some
 * target cannot be read, the active delivered key within maxAgeDays delivered last (tag time,
 * then CreateDate; a tie keeps all tied: it never decides). Returns whether a kept key is
 * within maxAgeDays (fresh), so that no new key is needed for it.
 */
static bool choose_kept(const struct kw_desired *d, const struct kw_live_user *u, const struct held_view *v,
                        time_t now, bool *keep)
{
	bool fresh = false;

	for (size_t k = 0; u->exists && k < u->nkeys; k++) {
		const struct kw_live_key *key = &u->keys[k];
		bool young = !(d->max_age_days > 0 && now - key->created > (time_t)d->max_age_days * DAY);

		keep[k] = key->active && key->held;
		fresh |= keep[k] && young;
	}
	if (v->any_held || !v->unknown)
		return fresh;
	/* the fallback: the delivered tag, for targets that cannot be read */
	for (size_t k = 0; u->exists && k < u->nkeys; k++) {
		const struct kw_live_key *key = &u->keys[k];
		bool best = key->active && !undelivered(key) &&
		            !(d->max_age_days > 0 && now - key->created > (time_t)d->max_age_days * DAY);

		for (size_t j = 0; best && j < u->nkeys; j++) {
			const struct kw_live_key *o = &u->keys[j];

			if (j != k && o->active && !undelivered(o) &&
			    !(d->max_age_days > 0 && now - o->created > (time_t)d->max_age_days * DAY) &&
			    later(u, o, key) > 0)
				best = false;
		}
		keep[k] = best;
		fresh |= best;
	}
	return fresh;
}

/* The step deactivating key (retired), saying why. Returns 0, or -1 when out of memory. */
static int deactivate_step(struct kw_plan *p, size_t i, const struct kw_live_account *l,
                           const struct kw_live_key *key, bool need)
{
	struct kw_step *st = add_step(p, KW_ACT_UPDATE, KW_RES_ACCESS_KEY, i, key->id, "Active", "Inactive");

	if (!st)
		return -1;
	if (need)
		return set_reason(st, "the new key replaces it in every delivery target; deactivated once "
		                      "the new key is delivered and confirmed");
	return set_reason(st,
	                  "no delivery target holds it and they hold %s; it was delivered (tag %s%s): a "
	                  "rotation stopped before deactivating it",
	                  held_id(l), KW_DELIVERED_TAG_PREFIX, key->id);
}

static int plan_keys(struct kw_plan *p, size_t i, const struct kw_plan_opts *opts, struct kw_error *err)
{
	const struct kw_desired *d = &p->desired[i];
	const struct kw_live_account *l = &p->live[i];
	const struct kw_live_user *u = &l->user;
	struct held_view v;
	size_t kept = u->nkeys, ngrace = 0, nkept = 0, movable = 0;
	bool need, *keep = calloc(u->nkeys ? u->nkeys : 1, sizeof(*keep));
	char age[64], until[32];
	int rc = -1;

	if (!keep)
		goto nomem;
	held_view(d, l, &v);
	need = !choose_kept(d, u, &v, opts->now, keep) || v.lacking;
	need = need && d->ndeliver > 0;
	for (size_t k = 0; u->exists && k < u->nkeys; k++) {
		const struct kw_live_key *key = &u->keys[k];

		kept -= undelivered(key);
		nkept += keep[k];
		/* before the new key is delivered, a key a target holds is never deleted */
		movable += !undelivered(key) && !keep[k] && !key->held;
		/* due: a key a target holds, or (no target holds one) any delivered one */
		if (!key->active || undelivered(key) || !(key->held || !v.any_held))
			continue;
		if (d->max_age_days > 0 &&
		    kw_lc_key_due(&(struct kw_lc_key){.active = true, .created = key->created},
		                  d->max_age_days, 0, opts->now) &&
		    add_note(p, i,
		             "access key %s of %s is %s, over maxAgeDays %d: due for rotation ('keywarden "
		             "rotate --due' replaces it safely)",
		             key->id, d->user_name, age_text(age, sizeof(age), opts->now, key->created),
		             d->max_age_days))
			goto nomem;
	}
	if (nkept > 1 && !v.any_held &&
	    add_note(p, i,
	             "the delivered tags of %s's keys cannot tell which key the targets hold (same "
	             "delivery time and CreateDate): none of them is deleted",
	             d->user_name))
		goto nomem;
	if (need && u->exists && kept >= 2 && !opts->prune_keys) {
		kw_error_set(err, KW_ERR_CONFLICT, d->origin,
		             "account %s: user %s already holds %zu access keys (IAM's limit is 2) and none "
		             "is active within maxAgeDays and held by every target; use --prune-keys or "
		             "'keywarden rotate'",
		             d->name, d->user_name, kept);
		goto out;
	}
	if (need && u->exists && kept >= 2 && kept - movable >= 2) {
		kw_error_set(err, KW_ERR_CONFLICT, d->origin,
		             "account %s: user %s holds two access keys that its delivery targets hold (or "
		             "that are kept) and a target needs a new one; run 'keywarden rotate %s' to "
		             "replace them safely",
		             d->name, d->user_name, d->name);
		goto out;
	}
	/* keys kept in their grace period still count against IAM's limit of two */
	for (size_t k = 0; need && opts->prune_keys && u->exists && k < u->nkeys; k++)
		ngrace += !undelivered(&u->keys[k]) &&
		          in_grace(u, &u->keys[k], opts->now, until, sizeof(until));
	if (ngrace >= 2) {
		kw_error_set(err, KW_ERR_CONFLICT, d->origin,
		             "account %s: user %s holds two inactive access keys in their rotation grace "
		             "periods (one until %s) and needs a new key; wait until a grace period ends, "
		             "or delete one by hand",
		             d->name, d->user_name, until);
		goto out;
	}
	/* keys issued but never delivered (a run killed in between): nobody holds them */
	for (size_t k = 0; u->exists && k < u->nkeys; k++) {
		const struct kw_live_key *key = &u->keys[k];

		if (!undelivered(key))
			continue;
		STEP(KW_ACT_DELETE, KW_RES_ACCESS_KEY, i, key->id, NULL, NULL);
		if (add_note(p, i,
		             "access key %s of %s was issued but never confirmed delivered (no delivery "
		             "target holds it, no %s tag, never used): nobody holds it, so it is deleted",
		             key->id, d->user_name, KW_DELIVERED_TAG_PREFIX "<id>"))
			goto nomem;
	}
	/*
	 * extra keys: removed first when IAM's limit of two would stop the new one, else after;
	 * the keys the new key replaces in the targets (kept) always after it
	 */
	for (int pass = 0; pass < 2; pass++) {
		bool first = need && u->exists && kept >= 2;

		if (pass == 1 && need)
			STEP(KW_ACT_CREATE, KW_RES_ACCESS_KEY, i, d->user_name, NULL, NULL);
		if (pass == 0 && !first)
			continue;
		for (size_t k = 0; u->exists && k < u->nkeys; k++) {
			const struct kw_live_key *key = &u->keys[k];
			bool mine = key->held || keep[k];

			if (keep[k] && !need)
				continue; /* held (or kept by its tag) and nothing replaces it */
			if (undelivered(key) || (pass == 0 && mine) || (pass == 1 && first && !mine))
				continue; /* first: the others were removed before the new key */
			if (pass == 1 && retired(u, &v, key, mine, need)) {
				if (deactivate_step(p, i, l, key, need))
					goto nomem;
				continue;
			}
			if (pass == 1 && mine && !opts->prune_keys) {
				if (add_note(p, i,
				             "access key %s of %s is replaced by the new key in its targets; "
				             "--prune-keys (or 'keywarden rotate') removes it afterwards",
				             key->id, d->user_name))
					goto nomem;
				continue;
			}
			if (opts->prune_keys && in_grace(u, key, opts->now, until, sizeof(until))) {
				if (add_note(p, i,
				             "access key %s of %s is inactive in its rotation grace period "
				             "until %s; "
				             "--prune-keys keeps it until then",
				             key->id, d->user_name, until))
					goto nomem;
				continue;
			}
			if (opts->prune_keys)
				STEP(KW_ACT_DELETE, KW_RES_ACCESS_KEY, i, key->id, NULL, NULL);
			else if (add_note(
			                 p, i,
			                 "access key %s of %s (%s, %s) is not needed%s; --prune-keys removes "
			                 "it%s",
			                 key->id, d->user_name, key->active ? "active" : "inactive",
			                 age_text(age, sizeof(age), opts->now, key->created),
			                 !v.unknown ? " (no delivery target holds it)" : "",
			                 key->active && v.any_held
			                         ? " ('keywarden rotate' finishes a rotation that stopped "
			                           "before deactivating it)"
			                         : ""))
				goto nomem;
		}
	}
	rc = 0;
	goto out;
nomem:
	kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
out:
	free(keep);
	return rc;
}

int kw_plan_compute(struct kw_plan *plan, const struct kw_desired *desired,
                    const struct kw_live_account *live, size_t naccounts, const struct kw_plan_opts *opts,
                    struct kw_error *err)
{
	plan->desired = desired;
	plan->live = live;
	plan->naccounts = naccounts;
	plan->owner = opts->owner;
	plan->prune_accounts = opts->prune_accounts;
	for (size_t i = 0; i < naccounts; i++)
		if (plan_account(plan, i, opts, err))
			return -1;
	for (size_t i = 0; i < naccounts; i++)
		if (plan_keys(plan, i, opts, err))
			return -1;
	return 0;
}

bool kw_plan_changes(const struct kw_plan *plan)
{
	return plan->nsteps || (plan->prune_accounts && plan->orphans.n);
}

void kw_plan_counts(const struct kw_plan *plan, size_t *add, size_t *change, size_t *destroy)
{
	*add = *change = 0;
	*destroy = plan->prune_accounts ? plan->orphans.n : 0;
	for (size_t i = 0; i < plan->nsteps; i++) {
		switch (plan->steps[i].action) {
		case KW_ACT_CREATE: (*add)++; break;
		case KW_ACT_UPDATE: (*change)++; break;
		case KW_ACT_DELETE: (*destroy)++; break;
		}
	}
}

void kw_plan_release(struct kw_plan *plan)
{
	for (size_t i = 0; i < plan->nsteps; i++) {
		struct kw_step *s = &plan->steps[i];

		free(s->subject);
		free(s->before);
		free(s->after);
		free(s->replaces);
		free(s->reason);
		kw_taglist_release(&s->set);
		kw_strlist_release(&s->unset);
	}
	free(plan->steps);
	for (size_t i = 0; i < plan->nnotes; i++)
		free(plan->notes[i].text);
	free(plan->notes);
	kw_strlist_release(&plan->orphans);
	kw_strlist_release(&plan->orphan_targets);
	memset(plan, 0, sizeof(*plan));
}
