/*
 * diff.c - semantic difference of two policy documents, per statement, for reviewers.
 *
 * Each statement is seen as sets of elements per field (Action, NotAction, Resource,
 * NotResource, Principal, NotPrincipal, Condition). Elements compare as IAM does: action names
 * ignoring case, everything else exactly (condition keys ignoring case). Statements pair by
 * Sid, then by identical content, then by the largest overlap with the same Effect.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "policy/internal.h"
#include "policy/policy.h"

static const char *const fields[] = {"Principal", "NotPrincipal", "Action",    "NotAction",
                                     "Resource",  "NotResource",  "Condition", NULL};
#define NFIELDS 7

struct elem {
	char *show; /* as written */
	char *key;  /* for comparison */
};

struct set {
	struct elem *v;
	size_t n;
};

struct stmt {
	const char *sid; /* NULL when absent */
	const char *effect;
	size_t index;
	struct set f[NFIELDS];
	int pair; /* index into the other side; -1 none; -2 a repeat of an earlier statement (ignored) */
};

static char *lower_dup(const char *s)
{
	char *d = strdup(s);

	for (char *c = d; c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return d;
}

static int set_add(struct set *s, char *show, char *key)
{
	struct elem *n;

	if (!show || !key)
		goto fail;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key)) { /* repeat */
			free(show);
			free(key);
			return 0;
		}
	n = realloc(s->v, (s->n + 1) * sizeof(*n));
	if (!n)
		goto fail;
	s->v = n;
	s->v[s->n].show = show;
	s->v[s->n].key = key;
	s->n++;
	return 0;
fail:
	free(show);
	free(key);
	return -1;
}

static char *scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static int add_values(struct set *s, const json_t *v, const char *prefix, bool fold_case)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		char *t = scalar_text(e), *show = NULL, *key = NULL;
		size_t len;
		if (!t)
			return -1;
		len = strlen(prefix) + strlen(t) + 2;
		show = malloc(len);
		if (show)
			snprintf(show, len, "%s%s%s", prefix, *prefix ? " " : "", t);
		key = show ? (fold_case ? lower_dup(show) : strdup(show)) : NULL;
		free(t);
		if (set_add(s, show, key))
			return -1;
	}
	return 0;
}

static int add_condition(struct set *s, const json_t *cond)
{
	const char *op, *key;
	json_t *block, *v;

	if (!json_is_object(cond))
		return add_values(s, cond, "", false);
	json_object_foreach((json_t *)cond, op, block)
	{
		if (!json_is_object(block)) {
			if (add_values(s, block, op, false))
				return -1;
			continue;
		}
		json_object_foreach(block, key, v)
		{
			size_t n = json_is_array(v) ? json_array_size(v) : 1;
			for (size_t i = 0; i < n; i++) {
				char *t = scalar_text(json_is_array(v) ? json_array_get(v, i) : v);
				char *lk = lower_dup(key), *show = NULL, *ck = NULL;
				size_t len = strlen(op) + strlen(key) + (t ? strlen(t) : 0) + 8;
				if (t && lk && (show = malloc(len)) && (ck = malloc(len))) {
					snprintf(show, len, "%s %s = %s", op, key, t);
					snprintf(ck, len, "%s %s = %s", op, lk, t);
				}
				free(t);
				free(lk);
				if (set_add(s, show, ck))
					return -1;
			}
		}
	}
	return 0;
}

static int read_stmt(struct stmt *st, const json_t *j, size_t index)
{
	memset(st, 0, sizeof(*st));
	st->index = index;
	st->pair = -1;
	if (!json_is_object(j))
		return add_values(&st->f[NFIELDS - 1], j, "(not an object)", false);
	st->sid = json_string_value(json_object_get(j, "Sid")); /* "" is a Sid, as for kw_policy_equal */
	st->effect = json_string_value(json_object_get(j, "Effect"));
	for (int f = 0; f < NFIELDS; f++) {
		const json_t *v = json_object_get(j, fields[f]);
		int r = 0;
		if (!v)
			continue;
		if (!strcmp(fields[f], "Condition")) {
			r = add_condition(&st->f[f], v);
		} else if (!strcmp(fields[f], "Principal") || !strcmp(fields[f], "NotPrincipal")) {
			const char *k;
			json_t *pv;
			if (json_is_object(v)) {
				json_object_foreach((json_t *)v, k,
				                    pv) if (add_values(&st->f[f], pv, k, false)) return -1;
			} else {
				r = add_values(&st->f[f], v, "", false);
			}
		} else {
			r = add_values(&st->f[f], v, "",
			               !strcmp(fields[f], "Action") || !strcmp(fields[f], "NotAction"));
		}
		if (r)
			return -1;
	}
	return 0;
}

static void free_stmts(struct stmt *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		for (int f = 0; f < NFIELDS; f++) {
			for (size_t k = 0; k < v[i].f[f].n; k++) {
				free(v[i].f[f].v[k].show);
				free(v[i].f[f].v[k].key);
			}
			free(v[i].f[f].v);
		}
	free(v);
}

static int read_all(const json_t *doc, struct stmt **out, size_t *n)
{
	const json_t *s = json_object_get(doc, "Statement");
	size_t count = json_is_array(s) ? json_array_size(s) : s ? 1 : 0;

	*n = count;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (read_stmt(&(*out)[i], json_is_array(s) ? json_array_get(s, i) : s, i))
			return -1;
	return 0;
}

static bool has(const struct set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return true;
	return false;
}

static size_t common(const struct stmt *a, const struct stmt *b, size_t *total)
{
	size_t c = 0;

	*total = 0;
	for (int f = 0; f < NFIELDS; f++) {
		for (size_t i = 0; i < a->f[f].n; i++)
			c += has(&b->f[f], a->f[f].v[i].key);
		*total += a->f[f].n + b->f[f].n;
	}
	return c;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same(const struct stmt *a, const struct stmt *b)
{
	size_t total, c = common(a, b, &total);

	if (!str_eq(a->sid, b->sid) || !str_eq(a->effect, b->effect))
		return false;
	for (int f = 0; f < NFIELDS; f++)
		if (a->f[f].n != b->f[f].n)
			return false;
	return 2 * c == total;
}

/* Elements of a not in b, into obj[field] (created when needed). */
static int missing(const struct stmt *a, const struct stmt *b, json_t *obj, size_t *count)
{
	for (int f = 0; f < NFIELDS; f++)
		for (size_t i = 0; i < a->f[f].n; i++) {
			json_t *arr;
			if (b && has(&b->f[f], a->f[f].v[i].key))
				continue;
			arr = json_object_get(obj, fields[f]);
			if (!arr && (json_object_set_new(obj, fields[f], json_array()) ||
			             !(arr = json_object_get(obj, fields[f]))))
				return -1;
			if (json_array_append_new(arr, json_string(a->f[f].v[i].show)))
				return -1;
			(*count)++;
		}
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *entry(const char *change, const struct stmt *o, const struct stmt *n)
{
	const struct stmt *any = n ? n : o;
	json_t *e = json_object(), *added = json_object(), *removed = json_object(), *other = json_array();
	size_t na = 0, nr = 0;

	if (!e || !added || !removed || !other)
		goto fail;
	if (n && missing(n, o, added, &na))
		goto fail;
	if (o && missing(o, n, removed, &nr))
		goto fail;
	if (o && n && !str_eq(o->effect, n->effect))
		json_array_append_new(other,
		                      json_pack("{s:s,s:o,s:o}", "field", "Effect", "old",
		                                str_or_null(o->effect), "new", str_or_null(n->effect)));
	if (o && n && !str_eq(o->sid, n->sid))
		json_array_append_new(other, json_pack("{s:s,s:o,s:o}", "field", "Sid", "old",
		                                       str_or_null(o->sid), "new", str_or_null(n->sid)));
	if (!strcmp(change, "modified") && !na && !nr && json_array_size(other) == 0) {
		json_decref(e);
		json_decref(added);
		json_decref(removed);
		json_decref(other);
		return json_null(); /* unchanged */
	}
	if (json_object_set_new(e, "change", json_string(change)) ||
	    json_object_set_new(e, "sid", str_or_null(any->sid)) ||
	    json_object_set_new(e, "index_old", o ? json_integer((json_int_t)o->index) : json_null()) ||
	    json_object_set_new(e, "index_new", n ? json_integer((json_int_t)n->index) : json_null()) ||
	    json_object_set_new(e, "effect", str_or_null(any->effect)) ||
	    json_object_set_new(e, "added", added) || json_object_set_new(e, "removed", removed) ||
	    json_object_set_new(e, "other", other)) {
		json_decref(e);
		return NULL;
	}
	return e;
fail:
	json_decref(e);
	json_decref(added);
	json_decref(removed);
	json_decref(other);
	return NULL;
}

/* Mark statements identical to an earlier one of the same document: normalization drops them. */
static void mark_repeats(struct stmt *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i && v[i].pair == -1; j++)
			if (v[j].pair == -1 && same(&v[j], &v[i]))
				v[i].pair = -2;
}

static void pair(struct stmt *o, size_t no, struct stmt *n, size_t nn)
{
	/* by Sid */
	for (size_t j = 0; j < nn; j++)
		for (size_t i = 0; n[j].sid && n[j].pair == -1 && i < no; i++)
			if (o[i].pair == -1 && o[i].sid && !strcmp(o[i].sid, n[j].sid)) {
				o[i].pair = (int)j;
				n[j].pair = (int)i;
			}
	/* identical */
	for (size_t j = 0; j < nn; j++)
		for (size_t i = 0; n[j].pair == -1 && i < no; i++)
			if (o[i].pair == -1 && same(&o[i], &n[j])) {
				o[i].pair = (int)j;
				n[j].pair = (int)i;
			}
	/* most overlap, same Effect, neither side paired by a different Sid */
	for (size_t j = 0; j < nn; j++) {
		size_t best = 0, best_i = 0, total;
		for (size_t i = 0; n[j].pair == -1 && i < no; i++) {
			size_t c;
			if (o[i].pair != -1 || !str_eq(o[i].effect, n[j].effect))
				continue;
			if (o[i].sid && n[j].sid)
				continue; /* different Sids: a different statement */
			c = common(&o[i], &n[j], &total);
			if (c > best) {
				best = c;
				best_i = i;
			}
		}
		if (best) {
			o[best_i].pair = (int)j;
			n[j].pair = (int)best_i;
		}
	}
}

/* Top-level members compared as whole values: "Version" and "Id" (strings as IAM takes them). */
static const char *const top_fields[][2] = {{"Version", "version"}, {"Id", "id"}};

static const json_t *stmt_at(const json_t *doc, size_t index)
{
	const json_t *sts = json_object_get(doc, "Statement");
	return json_is_array(sts) ? json_array_get(sts, index) : sts;
}

/* Whether a changed Action/NotAction value of entry e holds a wildcard (or NotAction changed). */
static bool wildcards_changed(const json_t *e)
{
	static const char *const sides[] = {"added", "removed"};

	for (int k = 0; k < 2; k++) {
		const json_t *side = json_object_get(e, sides[k]), *arr;
		if (json_object_get(side, "NotAction"))
			return true;
		arr = json_object_get(side, "Action");
		for (size_t i = 0; i < json_array_size(arr); i++)
			if (strpbrk(json_string_value(json_array_get(arr, i)), "*?"))
				return true;
	}
	return false;
}

static json_t *action_names(const struct kw_catalog *c, const struct kw_actionset *s)
{
	json_t *arr = json_array();

	for (size_t i = kw_actionset_next(s, 0); arr && i != (size_t)-1; i = kw_actionset_next(s, i + 1))
		if (json_array_append_new(arr,
		                          json_sprintf("%s:%s", c->services[c->actions[i].service].prefix,
		                                       c->actions[i].name))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/*
 * For a modified statement whose wildcards changed, the concrete actions (from the catalog)
 * it grants now and did not before, and the other way: e["actions"] = {"added", "removed",
 * "catalog"}. 0, or -1 out of memory.
 */
static int concrete_actions(json_t *e, const json_t *os, const json_t *ns)
{
	const struct kw_catalog *c = kw_catalog_get();
	struct kw_actionset a = {0}, b = {0}, t = {0};
	const json_t *oa, *na;
	json_t *added = NULL, *removed = NULL;
	int rc = -1;

	if (!wildcards_changed(e))
		return 0;
	if (!c || kw_actionset_init(&a, c) || kw_actionset_init(&b, c) || kw_actionset_init(&t, c))
		goto out;
	oa = json_object_get(os, "Action");
	na = json_object_get(ns, "Action");
	if (kw_statement_expand(c, NULL, oa ? oa : json_object_get(os, "NotAction"), !oa, &a, NULL) ||
	    kw_statement_expand(c, NULL, na ? na : json_object_get(ns, "NotAction"), !na, &b, NULL)) {
		rc = 0; /* not lists of strings: nothing to expand */
		goto out;
	}
	kw_actionset_union(&t, &b);
	kw_actionset_minus(&t, &a);
	added = action_names(c, &t);
	kw_actionset_clear(&t);
	kw_actionset_union(&t, &a);
	kw_actionset_minus(&t, &b);
	removed = action_names(c, &t);
	if (added && removed &&
	    !json_object_set_new(
	            e, "actions",
	            json_pack("{s:O,s:O,s:s}", "added", added, "removed", removed, "catalog", c->version)))
		rc = 0;
out:
	json_decref(added);
	json_decref(removed);
	kw_actionset_release(&a);
	kw_actionset_release(&b);
	kw_actionset_release(&t);
	return rc;
}

json_t *kw_policy_diff(const json_t *old_doc, const json_t *new_doc)
{
	struct stmt *o = NULL, *n = NULL;
	size_t no = 0, nn = 0;
	json_t *out = json_object(), *list = json_array();
	bool ok = out && list, top_changed = false;

	ok = ok && !read_all(old_doc, &o, &no) && !read_all(new_doc, &n, &nn);
	if (ok) {
		mark_repeats(o, no);
		mark_repeats(n, nn);
		pair(o, no, n, nn);
	}
	for (size_t j = 0; ok && j < nn; j++) {
		json_t *e;
		if (n[j].pair == -2)
			continue;
		e = entry(n[j].pair >= 0 ? "modified" : "added", n[j].pair >= 0 ? &o[n[j].pair] : NULL,
		          &n[j]);
		if (!e)
			ok = false;
		else if (!json_is_null(e) && n[j].pair >= 0 &&
		         concrete_actions(e, stmt_at(old_doc, o[n[j].pair].index),
		                          stmt_at(new_doc, n[j].index)))
			ok = false;
		else if (json_is_null(e))
			json_decref(e);
		else if (json_array_append_new(list, e))
			ok = false;
	}
	for (size_t i = 0; ok && i < no; i++) {
		json_t *e;
		if (o[i].pair != -1)
			continue;
		e = entry("removed", &o[i], NULL);
		if (!e || json_array_append_new(list, e))
			ok = false;
	}
	for (size_t k = 0; ok && k < sizeof(top_fields) / sizeof(top_fields[0]); k++) {
		const json_t *a = json_object_get(old_doc, top_fields[k][0]);
		const json_t *b = json_object_get(new_doc, top_fields[k][0]);
		if ((!a && !b) || (a && b && json_equal(a, b)))
			continue;
		top_changed = true;
		{
			json_t *t = json_object(); /* "old"/"new" left out when the member is absent */
			ok = t && (!a || !json_object_set(t, "old", (json_t *)a)) &&
			     (!b || !json_object_set(t, "new", (json_t *)b)) &&
			     !json_object_set_new(out, top_fields[k][1], t);
		}
	}
	if (ok)
		ok = !json_object_set_new(out, "changed",
		                          json_boolean(json_array_size(list) > 0 || top_changed)) &&
		     !json_object_set_new(out, "statements", list);
	else
		json_decref(list);
	free_stmts(o, no);
	free_stmts(n, nn);
	if (!ok) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int render_side(const json_t *obj, char sign, const char *color, bool use_color, struct kw_buf *out)
{
	for (int f = 0; fields[f]; f++) {
		const json_t *arr = json_object_get(obj, fields[f]);
		for (size_t i = 0; i < json_array_size(arr); i++)
			if (kw_buf_appendf(out, "%s    %c %s: %s%s\n", use_color ? color : "", sign,
			                   fields[f], json_string_value(json_array_get(arr, i)),
			                   use_color ? "\033[0m" : ""))
				return -1;
	}
	return 0;
}

/* The concrete actions a wildcard change adds and removes (up to 20 named a side). */
static int render_actions(const json_t *acts, bool color, struct kw_buf *out)
{
	static const char *const sides[] = {"removed", "added"};
	int rc = 0;

	for (int k = 0; acts && k < 2; k++) {
		const json_t *arr = json_object_get(acts, sides[k]);
		size_t n = json_array_size(arr);
		if (!n)
			continue;
		rc |= kw_buf_appendf(out, "%s    %c %zu action%s (catalog %s):",
		                     color ? (k ? "\033[32m" : "\033[31m") : "", k ? '+' : '-', n,
		                     n > 1 ? "s" : "", json_string_value(json_object_get(acts, "catalog")));
		for (size_t i = 0; i < n && i < 20; i++)
			rc |= kw_buf_appendf(out, " %s", json_string_value(json_array_get(arr, i)));
		if (n > 20)
			rc |= kw_buf_appendf(out, " and %zu more", n - 20);
		rc |= kw_buf_appendf(out, "%s\n", color ? "\033[0m" : "");
	}
	return rc ? -1 : 0;
}

int kw_policy_diff_render(const json_t *diff, bool color, struct kw_buf *out)
{
	const json_t *sts = json_object_get(diff, "statements");
	const char *green = "\033[32m", *red = "\033[31m", *bold = "\033[1m", *reset = "\033[0m";
	size_t i;
	json_t *e;

	if (!json_is_true(json_object_get(diff, "changed")))
		return kw_buf_puts(out, "no semantic change\n");
	for (size_t k = 0; k < sizeof(top_fields) / sizeof(top_fields[0]); k++) {
		const json_t *t = json_object_get(diff, top_fields[k][1]);
		char *o, *n;
		int r;
		if (!t)
			continue;
		o = json_object_get(t, "old") ? scalar_text(json_object_get(t, "old")) : strdup("(none)");
		n = json_object_get(t, "new") ? scalar_text(json_object_get(t, "new")) : strdup("(none)");
		r = !o || !n ||
		    kw_buf_appendf(out, "%s- %s: %s%s\n%s+ %s: %s%s\n", color ? red : "", top_fields[k][0], o,
		                   color ? reset : "", color ? green : "", top_fields[k][0], n,
		                   color ? reset : "");
		free(o);
		free(n);
		if (r)
			return -1;
	}
	json_array_foreach(sts, i, e)
	{
		const char *change = json_string_value(json_object_get(e, "change"));
		const char *sid = json_string_value(json_object_get(e, "sid"));
		const char *effect = json_string_value(json_object_get(e, "effect"));
		const json_t *idx =
		        json_object_get(e, !strcmp(change, "removed") ? "index_old" : "index_new");
		char mark = !strcmp(change, "added") ? '+' : !strcmp(change, "removed") ? '-' : '~';
		const json_t *other = json_object_get(e, "other");
		size_t k;
		json_t *ov;

		if (kw_buf_appendf(out, "%s%c statement %lld%s%s%s (%s, %s)%s\n", color ? bold : "", mark,
		                   (long long)json_integer_value(idx) + 1, sid ? " Sid \"" : "",
		                   sid ? sid : "", sid ? "\"" : "", effect ? effect : "no Effect", change,
		                   color ? reset : ""))
			return -1;
		json_array_foreach(other, k, ov)
		{
			const char *o = json_string_value(json_object_get(ov, "old"));
			const char *n = json_string_value(json_object_get(ov, "new"));
			const char *field = json_string_value(json_object_get(ov, "field"));
			if (kw_buf_appendf(out, "%s    - %s: %s%s\n%s    + %s: %s%s\n", color ? red : "",
			                   field, o ? o : "(none)", color ? reset : "", color ? green : "",
			                   field, n ? n : "(none)", color ? reset : ""))
				return -1;
		}
		if (render_side(json_object_get(e, "removed"), '-', red, color, out) ||
		    render_side(json_object_get(e, "added"), '+', green, color, out) ||
		    render_actions(json_object_get(e, "actions"), color, out))
			return -1;
	}
	return 0;
}
