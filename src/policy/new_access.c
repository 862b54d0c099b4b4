/*
 * new_access.c - does NEW allow any (action, resource) that OLD does not? Both policies are
 * normalized and their statements expanded against the catalog; the answer is conservative,
 * as IAM Access Analyzer's CheckNoNewAccess: when unsure, it is new access.
 *
 * For each NEW Allow statement s and each of its resources r, the actions that OLD covers are
 * those of the OLD Allow statements t whose resources contain r (pattern containment: every
 * ARN r matches, some resource of t matches too) and whose conditions are a subset of s's
 * (t's condition blocks each appear in s with the same values). What s grants beyond them is
 * new. OLD Deny statements that NEW does not keep (a NEW Deny with at least its actions, its
 * resources and at most its conditions) turn what they denied into new access; a NEW Deny
 * takes access away only when it has no condition and its resources contain r.
 * Source: IAM User Guide, "Policy evaluation logic" (an explicit Deny wins; Allow needs a
 * matching statement) and "IAM JSON policy elements: Resource" (wildcards).
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "policy/internal.h"
#include "policy/policy.h"

struct stmt {
	size_t index;
	const json_t *sid;
	bool allow;
	struct kw_actionset acts;
	const json_t *actions; /* the Action or NotAction values (normalized: lower case) */
	bool not_action;
	const json_t *res; /* Resource or NotResource values */
	bool not_res;
	const json_t *cond;
};

struct pol {
	struct stmt *st;
	size_t n;
};

/*
 * Whether the literal runs of pattern p[0..np) (between its wildcards) occur in r[0..nr) in
 * order without overlapping: each literal character of p takes one equal character of r,
 * consecutive ones consecutive characters, so containment needs this (leftmost placement).
 */
static bool runs_in_order(const char *p, size_t np, const char *r, size_t nr)
{
	size_t pos = 0;

	for (size_t i = 0; i < np;) {
		size_t len = 0;
		bool found = false;
		if (p[i] == '*' || p[i] == '?') {
			i++;
			continue;
		}
		while (i + len < np && p[i + len] != '*' && p[i + len] != '?')
			len++;
		for (; !found && pos + len <= nr; pos++)
			found = !memcmp(r + pos, p + i, len);
		if (!found)
			return false;
		pos += len - 1; /* past the run (the loop's ++ counted one) */
		i += len;
	}
	return true;
}

/*
 * Whether every string glob r matches is matched by glob p (IAM's * and ?, case counts).
 * p's literal head and tail must be r's, character for character, which settles most pairs;
 * then its literal runs must occur in r in order; what is left is decided by dynamic
 * programming over the middles, m[i][j]: p[i..] contains r[j..], one row at a time (no
 * allocation).
 */
static bool contains(const char *p, const char *r)
{
	enum { MAXLEN = 2048 };
	bool row[2][MAXLEN + 1];
	size_t np, nr, head, tail;
	bool *next = row[0], *cur = row[1], *swap;

	if (!strcmp(p, "*"))
		return true;
	/* p's literal head must be r's head (r's wildcards there fail) */
	for (head = 0; p[head] && p[head] != '*' && p[head] != '?'; head++)
		if (p[head] != r[head] || r[head] == '*' || r[head] == '?')
			return false;
	if (!p[head])
		return !r[head]; /* p is literal: it contains only itself */
	if (!strcmp(p + head, r + head))
		return true; /* a pattern contains itself */
	np = head + strlen(p + head);
	nr = head + strlen(r + head);
	if (np > MAXLEN || nr > MAXLEN)
		return false;
	/* and its literal tail r's tail */
	for (tail = 0; tail < np - head && p[np - 1 - tail] != '*' && p[np - 1 - tail] != '?'; tail++) {
		char c = tail < nr - head ? r[nr - 1 - tail] : '\0';
		if (tail >= nr - head || p[np - 1 - tail] != c || c == '*' || c == '?')
			return false;
	}
	/* the middles: p's starts and ends with a wildcard */
	p += head;
	r += head;
	np -= head + tail;
	nr -= head + tail;
	if (!runs_in_order(p, np, r, nr))
		return false;
	for (size_t j = 0; j <= nr; j++) /* i == np */
		next[j] = j == nr;
	for (size_t i = np; i-- > 0;) {
		for (size_t j = nr + 1; j-- > 0;) {
			bool v;
			if (p[i] == '*')
				v = next[j] || (j < nr && cur[j + 1]);
			else if (j == nr)
				v = false;
			else if (p[i] == '?')
				v = r[j] != '*' && next[j + 1];
			else
				v = p[i] == r[j] && r[j] != '*' && r[j] != '?' && next[j + 1];
			cur[j] = v;
		}
		swap = next;
		next = cur;
		cur = swap;
	}
	return next[0];
}

/*
 * Whether statement s's resources reach r: with Resource, when one of them matches it by in;
 * with NotResource, when none of them matches it by out.
 */
static bool reaches(const struct stmt *s, const char *r, bool (*in)(const char *p, const char *r),
                    bool (*out)(const char *p, const char *r))
{
	for (size_t i = 0; i < json_array_size(s->res); i++) {
		const char *p = json_string_value(json_array_get(s->res, i));
		if (s->not_res ? out(p, r) : in(p, r))
			return !s->not_res;
	}
	return s->not_res;
}

/* Whether statement t's resources include every ARN resource r stands for. */
static bool covers_res(const struct stmt *t, const char *r)
{
	return reaches(t, r, contains, kw_arn_overlap);
}

/* Whether t's resources include all that s's (a NotResource statement) stand for. */
static bool covers_not_res(const struct stmt *t, const struct stmt *s)
{
	size_t nt = json_array_size(t->res), ns = json_array_size(s->res);

	if (!t->not_res)
		return covers_res(t, "*");
	for (size_t i = 0; i < nt; i++) {
		bool in = false;
		for (size_t k = 0; k < ns && !in; k++)
			in = contains(json_string_value(json_array_get(s->res, k)),
			              json_string_value(json_array_get(t->res, i)));
		if (!in)
			return false;
	}
	return true;
}

/* Whether every condition of t is also a condition of s (t is as weak or weaker). */
static bool cond_subset(const json_t *t, const json_t *s)
{
	const char *op, *key;
	json_t *block, *v;

	if (!t)
		return true;
	json_object_foreach((json_t *)t, op, block)
	{
		const json_t *sb = s ? json_object_get(s, op) : NULL;
		json_object_foreach(block, key, v)
		{
			if (!sb || !json_equal(v, json_object_get(sb, key)))
				return false;
		}
	}
	return true;
}

static void pol_release(struct pol *p)
{
	for (size_t i = 0; i < p->n; i++)
		kw_actionset_release(&p->st[i].acts);
	free(p->st);
	memset(p, 0, sizeof(*p));
}

/* The usable statements of a normalized document. 0, or -1 out of memory. */
static int pol_load(const struct kw_catalog *c, struct kw_expansions *memo, const json_t *norm, struct pol *p)
{
	const json_t *sts = json_object_get(norm, "Statement");
	size_t n = json_array_size(sts);

	p->st = calloc(n ? n : 1, sizeof(*p->st));
	if (!p->st)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const json_t *st = json_array_get(sts, i), *e = json_object_get(st, "Effect");
		struct stmt *s = &p->st[p->n];
		if (!json_is_object(st) || !json_is_string(e))
			continue;
		s->index = i;
		s->sid = json_object_get(st, "Sid");
		s->allow = !strcmp(json_string_value(e), "Allow");
		if (!s->allow && strcmp(json_string_value(e), "Deny"))
			continue;
		s->actions = json_object_get(st, "Action");
		s->not_action = !s->actions;
		if (!s->actions)
			s->actions = json_object_get(st, "NotAction");
		s->res = json_object_get(st, "Resource");
		s->not_res = !s->res;
		if (!s->res)
			s->res = json_object_get(st, "NotResource");
		s->cond = json_object_get(st, "Condition");
		if (s->cond && !json_object_size(s->cond))
			s->cond = NULL;
		if (!json_is_array(s->actions) || !json_is_array(s->res))
			continue; /* not a statement IAM would take: lint reports it */
		if (kw_actionset_init(&s->acts, c))
			return -1;
		if (kw_statement_expand(c, memo, s->actions, s->not_action, &s->acts, NULL))
			return -1;
		p->n++;
	}
	return 0;
}

/* Whether NEW Deny e keeps OLD Deny d: at least its actions and resources, at most its conditions. */
static bool deny_kept(const struct kw_catalog *c, const struct stmt *d, const struct stmt *e)
{
	struct kw_actionset rest;
	bool ok;

	if (!cond_subset(e->cond, d->cond))
		return false;
	if (d->not_res ? !covers_not_res(e, d) : false)
		return false;
	for (size_t i = 0; !d->not_res && i < json_array_size(d->res); i++)
		if (!covers_res(e, json_string_value(json_array_get(d->res, i))))
			return false;
	if (kw_actionset_init(&rest, c))
		return false;
	kw_actionset_union(&rest, &d->acts);
	kw_actionset_minus(&rest, &e->acts);
	ok = kw_actionset_count(&rest) == 0;
	kw_actionset_release(&rest);
	return ok;
}

/* Whether deny d may apply to resource r (any overlap). */
static bool deny_touches(const struct stmt *d, const char *r)
{
	return reaches(d, r, kw_arn_overlap, contains);
}

static json_t *stmt_name(const struct stmt *s, const char *which)
{
	if (json_is_string(s->sid) && json_string_length(s->sid))
		return json_sprintf("%s statement %zu (Sid %s)", which, s->index, json_string_value(s->sid));
	return json_sprintf("%s statement %zu", which, s->index);
}

struct result {
	struct kw_actionset all; /* every new action */
	json_t **res;            /* per service: resources with new access */
	json_t *unknown, *reasons;
};

static int note_resource(struct result *R, uint32_t svc, const char *r)
{
	if (!R->res[svc] && !(R->res[svc] = json_array()))
		return -1;
	for (size_t i = 0; i < json_array_size(R->res[svc]); i++)
		if (!strcmp(json_string_value(json_array_get(R->res[svc], i)), r))
			return 0;
	return json_array_append_new(R->res[svc], json_string(r));
}

/* New access of NEW Allow s on its resource r (or, r NULL, on its NotResource complement). */
static int one_resource(const struct kw_catalog *c, const struct pol *old, const struct pol *nw,
                        const bool *lost, const struct stmt *s, const char *r, struct result *R,
                        struct kw_actionset *tmp)
{
	struct kw_actionset covered;
	const char *shown = r ? r : "NotResource";
	size_t before;

	if (kw_actionset_init(&covered, c))
		return -1;
	for (size_t i = 0; i < old->n; i++) {
		const struct stmt *t = &old->st[i];
		if (t->allow && cond_subset(t->cond, s->cond) &&
		    (r ? covers_res(t, r) : covers_not_res(t, s)))
			kw_actionset_union(&covered, &t->acts);
	}
	kw_actionset_clear(tmp);
	kw_actionset_union(tmp, &s->acts);
	kw_actionset_minus(tmp, &covered);
	/* what an OLD Deny that NEW dropped used to deny */
	for (size_t i = 0; i < old->n; i++) {
		const struct stmt *d = &old->st[i];
		if (!d->allow && lost[i] && (!r || deny_touches(d, r))) {
			struct kw_actionset both;
			if (kw_actionset_init(&both, c))
				goto nomem;
			kw_actionset_union(&both, &s->acts);
			for (size_t w = 0; w < both.nwords; w++)
				both.bits[w] &= d->acts.bits[w];
			kw_actionset_union(tmp, &both);
			kw_actionset_release(&both);
		}
	}
	/* what a NEW Deny surely takes away */
	for (size_t i = 0; r && i < nw->n; i++) {
		const struct stmt *e = &nw->st[i];
		if (!e->allow && !e->cond && covers_res(e, r))
			kw_actionset_minus(tmp, &e->acts);
	}
	before = kw_actionset_count(tmp);
	if (before) {
		json_t *why = stmt_name(s, "NEW"), *line;
		line = why ? json_sprintf("%s allows %zu action%s on %s that OLD does not",
		                          json_string_value(why), before, before > 1 ? "s" : "", shown)
		           : NULL;
		json_decref(why);
		if (json_array_append_new(R->reasons, line))
			goto nomem;
		kw_actionset_union(&R->all, tmp);
		for (size_t a = kw_actionset_next(tmp, 0); a != (size_t)-1;
		     a = kw_actionset_next(tmp, a + 1)) {
			uint32_t svc = c->actions[a].service;
			if (note_resource(R, svc, shown))
				goto nomem;
			a = c->services[svc].first_action + c->services[svc].nactions - 1; /* next service */
		}
	}
	kw_actionset_release(&covered);
	return 0;
nomem:
	kw_actionset_release(&covered);
	return -1;
}

/* NEW's action values the catalog does not know, not matched by a covering OLD Allow. */
static int unknown_actions(const struct kw_catalog *c, const struct pol *old, const struct stmt *s,
                           struct result *R)
{
	for (size_t k = 0; !s->not_action && k < json_array_size(s->actions); k++) {
		const char *u = json_string_value(json_array_get(s->actions, k));
		bool covered = false;
		if (strpbrk(u, "*?") || kw_catalog_expand(c, u, NULL) > 0)
			continue; /* wildcards that match nothing grant nothing today */
		for (size_t i = 0; i < old->n && !covered; i++) {
			const struct stmt *t = &old->st[i];
			bool any = false;
			if (!t->allow || !cond_subset(t->cond, s->cond))
				continue;
			for (size_t q = 0; q < json_array_size(t->actions) && !any; q++)
				any = kw_glob_match_ci(json_string_value(json_array_get(t->actions, q)), u);
			if (any != t->not_action) {
				bool res_ok = true;
				for (size_t ri = 0; ri < json_array_size(s->res) && res_ok; ri++)
					res_ok = !s->not_res &&
					         covers_res(t, json_string_value(json_array_get(s->res, ri)));
				covered = res_ok || (s->not_res && covers_not_res(t, s));
			}
		}
		if (!covered && json_array_append_new(R->unknown, json_string(u)))
			return -1;
	}
	return 0;
}

json_t *kw_policy_new_access(const json_t *old_doc, const json_t *new_doc, const struct kw_catalog *c)
{
	json_t *on = kw_policy_normalize(old_doc), *nn = kw_policy_normalize(new_doc), *out = NULL,
	       *services = NULL;
	struct pol old = {0}, nw = {0};
	struct result R = {0};
	struct kw_actionset tmp = {0};
	struct kw_expansions memo = {.cat = c}; /* values repeat within and across OLD and NEW */
	bool *lost = NULL;

	R.unknown = json_array();
	R.reasons = json_array();
	R.res = calloc(c->nservices, sizeof(json_t *));
	if (!on || !nn || !R.unknown || !R.reasons || !R.res || kw_actionset_init(&R.all, c) ||
	    kw_actionset_init(&tmp, c) || pol_load(c, &memo, on, &old) || pol_load(c, &memo, nn, &nw))
		goto out;
	lost = calloc(old.n ? old.n : 1, sizeof(bool));
	if (!lost)
		goto out;
	for (size_t i = 0; i < old.n; i++) {
		const struct stmt *d = &old.st[i];
		bool kept = false;
		if (d->allow)
			continue;
		for (size_t k = 0; k < nw.n && !kept; k++)
			kept = !nw.st[k].allow && deny_kept(c, d, &nw.st[k]);
		lost[i] = !kept;
		if (!kept) {
			json_t *why = stmt_name(d, "OLD"), *line;
			line = why ? json_sprintf("%s is a Deny that NEW does not keep (or weakens)",
			                          json_string_value(why))
			           : NULL;
			json_decref(why);
			if (json_array_append_new(R.reasons, line))
				goto out;
		}
	}
	for (size_t i = 0; i < nw.n; i++) {
		const struct stmt *s = &nw.st[i];
		if (!s->allow)
			continue;
		if (s->not_res) {
			if (one_resource(c, &old, &nw, lost, s, NULL, &R, &tmp))
				goto out;
		} else {
			for (size_t k = 0; k < json_array_size(s->res); k++)
				if (one_resource(c, &old, &nw, lost, s,
				                 json_string_value(json_array_get(s->res, k)), &R, &tmp))
					goto out;
		}
		if (unknown_actions(c, &old, s, &R))
			goto out;
	}
	services = json_array();
	for (size_t sv = 0; services && sv < c->nservices; sv++) {
		const struct kw_service *svc = &c->services[sv];
		size_t count;
		json_t *levels = kw_levels_json(c, svc, &R.all, &count), *o;
		if (!levels)
			goto out;
		if (!count) {
			json_decref(levels);
			continue;
		}
		o = json_pack("{s:s,s:s,s:o,s:o}", "service", svc->prefix, "name", svc->name, "levels",
		              levels, "resources", R.res[sv] ? json_incref(R.res[sv]) : json_array());
		if (!o || json_array_append_new(services, o))
			goto out;
	}
	if (services)
		out = json_pack("{s:b,s:s,s:s,s:O,s:O,s:O}", "new_access",
		                json_array_size(services) > 0 || json_array_size(R.unknown) > 0, "catalog",
		                c->version, "package", c->package, "services", services, "unknown_actions",
		                R.unknown, "reasons", R.reasons);
out:
	json_decref(services);
	for (size_t sv = 0; R.res && sv < c->nservices; sv++)
		json_decref(R.res[sv]);
	free(R.res);
	json_decref(R.unknown);
	json_decref(R.reasons);
	kw_actionset_release(&R.all);
	kw_actionset_release(&tmp);
	pol_release(&old);
	pol_release(&nw);
	kw_expansions_release(&memo);
	free(lost);
	json_decref(on);
	json_decref(nn);
	return out;
}

int kw_policy_new_access_render(const json_t *r, bool color, struct kw_buf *out)
{
	const char *on = color ? "\033[32m" : "", *off = color ? "\033[0m" : "";
	const json_t *services = json_object_get(r, "services"), *u = json_object_get(r, "unknown_actions");
	size_t i;
	json_t *sv;
	int rc = 0;

	if (!json_is_true(json_object_get(r, "new_access")))
		return kw_buf_appendf(out, "no new access (catalog %s %s)\n",
		                      json_string_value(json_object_get(r, "package")),
		                      json_string_value(json_object_get(r, "catalog")));
	rc |= kw_buf_appendf(out, "NEW allows access that OLD does not (catalog %s %s):\n",
	                     json_string_value(json_object_get(r, "package")),
	                     json_string_value(json_object_get(r, "catalog")));
	json_array_foreach(services, i, sv)
	{
		const json_t *levels = json_object_get(sv, "levels"), *res = json_object_get(sv, "resources");
		rc |= kw_buf_appendf(out, "  %s (%s)\n", json_string_value(json_object_get(sv, "name")),
		                     json_string_value(json_object_get(sv, "service")));
		for (int l = 0; l < KW_ACCESS_NLEVELS; l++) {
			const char *name = kw_access_level_name((enum kw_access_level)l);
			const json_t *v = json_object_get(levels, name);
			size_t n = json_array_size(v);
			if (!n)
				continue;
			rc |= kw_buf_appendf(out, "    %s (%zu):", name, n);
			for (size_t k = 0; k < n && k < 10; k++)
				rc |= kw_buf_appendf(out, " %s+%s%s", on,
				                     json_string_value(json_array_get(v, k)), off);
			if (n > 10)
				rc |= kw_buf_appendf(out, " and %zu more", n - 10);
			rc |= kw_buf_puts(out, "\n");
		}
		rc |= kw_buf_puts(out, "    on:");
		for (size_t k = 0; k < json_array_size(res); k++)
			rc |= kw_buf_appendf(out, " %s", json_string_value(json_array_get(res, k)));
		rc |= kw_buf_puts(out, "\n");
	}
	if (json_array_size(u)) {
		rc |= kw_buf_puts(out, "  not in the catalog (counted as new):");
		for (size_t k = 0; k < json_array_size(u); k++)
			rc |= kw_buf_appendf(out, " %s%s%s", on, json_string_value(json_array_get(u, k)),
			                     off);
		rc |= kw_buf_puts(out, "\n");
	}
	json_array_foreach(json_object_get(r, "reasons"), i, sv) rc |=
	        kw_buf_appendf(out, "  because %s\n", json_string_value(sv));
	return rc ? -1 : 0;
}
