/*
 * explain.c - what a policy grants, per service and access level, as the IAM console's policy
 * summary ("Full access" / "Limited: List, Read"), from the catalog. Action and NotAction are
 * expanded; resources and conditions are those of the statements that grant the service.
 * Source: IAM User Guide, "Policy summary (list of services)" and "Access levels in policy
 * summaries".
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "policy/internal.h"
#include "policy/policy.h"

/* One effect's summary while it is being built. */
struct side {
	struct kw_actionset acts;
	json_t **res, **cond; /* per service: unique strings (arrays), NULL until used */
};

static int add_unique(json_t **arr, const char *s)
{
	if (!*arr && !(*arr = json_array()))
		return -1;
	for (size_t i = 0; i < json_array_size(*arr); i++)
		if (!strcmp(json_string_value(json_array_get(*arr, i)), s))
			return 0;
	return json_array_append_new(*arr, json_string(s));
}

/* "Operator key [values]" strings of a Condition object, into out (an array). */
static int condition_strings(const json_t *cond, json_t *out)
{
	const char *op, *key;
	json_t *block, *v;

	json_object_foreach((json_t *)cond, op, block)
	{
		json_object_foreach(block, key, v)
		{
			char *vals = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			json_t *s = vals ? json_sprintf("%s %s %s", op, key, vals) : NULL;
			free(vals);
			if (!s || json_array_append_new(out, s))
				return -1;
		}
	}
	return 0;
}

static int add_statement(const struct kw_catalog *c, struct side *sd, const json_t *st, json_t *unknown)
{
	const json_t *a = json_object_get(st, "Action"), *na = json_object_get(st, "NotAction");
	const json_t *r = json_object_get(st, "Resource"), *nr = json_object_get(st, "NotResource");
	const json_t *cond = json_object_get(st, "Condition");
	json_t *conds = json_array(), *ress = json_array();
	struct kw_actionset set;
	size_t n;
	int rc = -1;

	if (!conds || !ress || kw_actionset_init(&set, c))
		goto out;
	if ((a && kw_statement_expand(c, NULL, a, false, &set, NULL)) ||
	    (!a && na && kw_statement_expand(c, NULL, na, true, &set, NULL)))
		goto done; /* not a list of strings: lint says so */
	if (a && !kw_json_strings(a, &n))
		for (size_t i = 0; i < n; i++)
			if (kw_catalog_expand(c, kw_json_string_at(a, i), NULL) == 0 &&
			    strcmp(kw_json_string_at(a, i), "*") &&
			    add_unique(&unknown, kw_json_string_at(a, i)))
				goto out;
	if (r && !kw_json_strings(r, &n))
		for (size_t i = 0; i < n; i++)
			json_array_append_new(ress, json_string(kw_json_string_at(r, i)));
	if (nr && !kw_json_strings(nr, &n))
		for (size_t i = 0; i < n; i++)
			json_array_append_new(ress, json_sprintf("NOT %s", kw_json_string_at(nr, i)));
	if (json_is_object(cond) && condition_strings(cond, conds))
		goto out;
	kw_actionset_union(&sd->acts, &set);
	for (size_t i = kw_actionset_next(&set, 0); i != (size_t)-1; i = kw_actionset_next(&set, i + 1)) {
		uint32_t s = c->actions[i].service;
		for (size_t k = 0; k < json_array_size(ress); k++)
			if (add_unique(&sd->res[s], json_string_value(json_array_get(ress, k))))
				goto out;
		for (size_t k = 0; k < json_array_size(conds); k++)
			if (add_unique(&sd->cond[s], json_string_value(json_array_get(conds, k))))
				goto out;
		/* skip the rest of this service: its resources and conditions are in */
		i = c->services[s].first_action + c->services[s].nactions - 1;
	}
done:
	rc = 0;
out:
	kw_actionset_release(&set);
	json_decref(conds);
	json_decref(ress);
	return rc;
}

static json_t *side_json(const struct kw_catalog *c, struct side *sd)
{
	json_t *list = json_array();

	for (size_t s = 0; list && s < c->nservices; s++) {
		const struct kw_service *sv = &c->services[s];
		size_t count;
		json_t *levels = kw_levels_json(c, sv, &sd->acts, &count), *o;
		if (!levels) {
			json_decref(list);
			return NULL;
		}
		if (!count) {
			json_decref(levels);
			continue;
		}
		o = json_pack("{s:s,s:s,s:s,s:i,s:i,s:o,s:o,s:o}", "service", sv->prefix, "name", sv->name,
		              "access", count == sv->nactions ? "Full access" : "Limited", "actions",
		              (int)count, "of", (int)sv->nactions, "levels", levels, "resources",
		              sd->res[s] ? json_incref(sd->res[s]) : json_array(), "conditions",
		              sd->cond[s] ? json_incref(sd->cond[s]) : json_array());
		if (!o || json_array_append_new(list, o)) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *kw_policy_explain(const json_t *doc, const struct kw_catalog *c)
{
	const json_t *sts = json_object_get(doc, "Statement");
	size_t n = json_is_array(sts) ? json_array_size(sts) : sts ? 1 : 0;
	struct side sides[2] = {0};
	json_t *unknown = json_array(), *out = NULL, *allow = NULL, *deny = NULL;
	bool ok = unknown != NULL;

	for (int k = 0; k < 2; k++) {
		sides[k].res = calloc(c->nservices, sizeof(json_t *));
		sides[k].cond = calloc(c->nservices, sizeof(json_t *));
		ok &= sides[k].res && sides[k].cond && !kw_actionset_init(&sides[k].acts, c);
	}
	for (size_t i = 0; ok && i < n; i++) {
		const json_t *st = json_is_array(sts) ? json_array_get(sts, i) : sts;
		const json_t *e = json_object_get(st, "Effect");
		if (!json_is_object(st) || !json_is_string(e))
			continue;
		if (!strcmp(json_string_value(e), "Allow"))
			ok = !add_statement(c, &sides[0], st, unknown);
		else if (!strcmp(json_string_value(e), "Deny"))
			ok = !add_statement(c, &sides[1], st, unknown);
	}
	if (ok && (allow = side_json(c, &sides[0])) && (deny = side_json(c, &sides[1])))
		out = json_pack("{s:s,s:s,s:o,s:o,s:O}", "catalog", c->version, "package", c->package,
		                "allow", allow, "deny", deny, "unknown_actions", unknown);
	else {
		json_decref(allow);
		json_decref(deny);
	}
	for (int k = 0; k < 2; k++) {
		for (size_t s = 0; sides[k].res && s < c->nservices; s++) {
			json_decref(sides[k].res[s]);
			json_decref(sides[k].cond[s]);
		}
		free(sides[k].res);
		free(sides[k].cond);
		kw_actionset_release(&sides[k].acts);
	}
	json_decref(unknown);
	return out;
}

static int render_side(const json_t *list, const char *title, struct kw_buf *out)
{
	size_t i;
	json_t *sv;
	int rc = 0;

	if (!json_array_size(list))
		return 0;
	rc |= kw_buf_appendf(out, "%s:\n", title);
	json_array_foreach(list, i, sv)
	{
		const json_t *levels = json_object_get(sv, "levels"), *v;
		const char *name;
		size_t k;
		bool first = true;
		rc |= kw_buf_appendf(out, "  %s (%s): %s (%d of %d actions):",
		                     json_string_value(json_object_get(sv, "name")),
		                     json_string_value(json_object_get(sv, "service")),
		                     json_string_value(json_object_get(sv, "access")),
		                     (int)json_integer_value(json_object_get(sv, "actions")),
		                     (int)json_integer_value(json_object_get(sv, "of")));
		for (int l = 0; l < KW_ACCESS_NLEVELS; l++) {
			name = kw_access_level_name((enum kw_access_level)l);
			if ((v = json_object_get(levels, name))) {
				rc |= kw_buf_appendf(out, "%s %s %zu", first ? "" : ",", name,
				                     json_array_size(v));
				first = false;
			}
		}
		rc |= kw_buf_puts(out, "\n");
		for (int l = 0; l < KW_ACCESS_NLEVELS; l++) {
			name = kw_access_level_name((enum kw_access_level)l);
			v = json_object_get(levels, name);
			if (!v || json_array_size(v) > 8)
				continue;
			rc |= kw_buf_appendf(out, "    %s:", name);
			for (k = 0; k < json_array_size(v); k++)
				rc |= kw_buf_appendf(out, " %s", json_string_value(json_array_get(v, k)));
			rc |= kw_buf_puts(out, "\n");
		}
		v = json_object_get(sv, "resources");
		rc |= kw_buf_puts(out, "    resources:");
		for (k = 0; k < json_array_size(v); k++)
			rc |= kw_buf_appendf(out, " %s", json_string_value(json_array_get(v, k)));
		rc |= kw_buf_puts(out, "\n");
		v = json_object_get(sv, "conditions");
		for (k = 0; k < json_array_size(v); k++)
			rc |= kw_buf_appendf(out, "    condition: %s\n",
			                     json_string_value(json_array_get(v, k)));
	}
	return rc ? -1 : 0;
}

int kw_policy_explain_render(const json_t *x, struct kw_buf *out)
{
	const json_t *u = json_object_get(x, "unknown_actions");
	int rc = kw_buf_appendf(out, "catalog: %s %s\n", json_string_value(json_object_get(x, "package")),
	                        json_string_value(json_object_get(x, "catalog")));

	if (!json_array_size(json_object_get(x, "allow")))
		rc |= kw_buf_puts(out, "Allow: nothing\n");
	rc |= render_side(json_object_get(x, "allow"), "Allow", out);
	rc |= render_side(json_object_get(x, "deny"), "Deny", out);
	if (json_array_size(u)) {
		rc |= kw_buf_puts(out, "Not in the catalog (unknown, or newer than it):");
		for (size_t k = 0; k < json_array_size(u); k++)
			rc |= kw_buf_appendf(out, " %s", json_string_value(json_array_get(u, k)));
		rc |= kw_buf_puts(out, "\n");
	}
	return rc ? -1 : 0;
}
