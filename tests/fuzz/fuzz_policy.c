/*
 * Fuzz target: the policy parser and everything built on it. Input: JSON text.
 * Checks: parse, lint, templates, normalize, diff and format never crash or leak; formatting
 * is idempotent and keeps the meaning (equal to the input, diff "no semantic change"); every
 * lint finding has a code, a message and a 1-based position. With a NUL byte in the input, the
 * two parts are two policies: when both are grammatical (no error finding), the diff says
 * "changed" exactly when kw_policy_equal says they differ, and --new-access of two equal
 * policies finds no new access. Expansion against the catalog: every Action/NotAction/Resource
 * string's expansion count equals a plain scan of the catalog's names, a Resource pattern
 * overlaps itself, a policy grants no new access over itself, explain never fails;
 * kw_catalog_expand_indices lists what kw_catalog_expand sets, and a statement expands the same
 * through the memo of expansions as without it; kw_policy_size counts what kw_policy_compact
 * writes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "policy/internal.h"
#include "policy/policy.h"
#include "util/buf.h"
#include "util/error.h"

static bool grammatical(const struct kw_policy *p)
{
	struct kw_policy_findings f = {0};
	struct kw_error err;
	bool ok = kw_policy_lint(p, &f, &err) == 0;

	for (size_t i = 0; ok && i < f.n; i++)
		ok = f.items[i].severity < KW_SEV_ERROR;
	kw_policy_findings_release(&f);
	return ok;
}

/* Two policies separated by a NUL byte: diff and equality must agree. */
static void compare_two(const char *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	struct kw_policy *a = NULL, *b = NULL;
	struct kw_error err;
	json_t *d;

	if (!nul || kw_policy_parse(data, (size_t)(nul - data), "a.json", &a, &err) ||
	    kw_policy_parse(nul + 1, size - (size_t)(nul - data) - 1, "b.json", &b, &err))
		goto out;
	if (grammatical(a) && grammatical(b)) {
		int eq = kw_policy_equal(a->doc, b->doc);
		d = kw_policy_diff(a->doc, b->doc);
		if (d && eq >= 0 && json_is_true(json_object_get(d, "changed")) == (eq == 1))
			abort(); /* diff and equality disagree */
		json_decref(d);
		d = kw_policy_new_access(a->doc, b->doc, kw_catalog_get());
		if (d && eq == 1 && json_is_true(json_object_get(d, "new_access")))
			abort(); /* equal policies, yet new access */
		json_decref(d);
	}
out:
	kw_policy_free(a);
	kw_policy_free(b);
}

/* The number of catalog actions whose "prefix:Name" IAM's wildcard match takes, by a plain scan. */
static size_t scan_count(const struct kw_catalog *c, const char *pattern)
{
	size_t n = 0;
	char name[256];

	for (size_t i = 0; i < c->nactions; i++) {
		int len = snprintf(name, sizeof(name), "%s:%s", c->services[c->actions[i].service].prefix,
		                   c->actions[i].name);
		n += len > 0 && (size_t)len < sizeof(name) && kw_glob_match_ci(pattern, name);
	}
	return n;
}

/* kw_catalog_expand_indices: the same actions as kw_catalog_expand's set, ascending. */
static void check_indices(const struct kw_catalog *c, const char *s)
{
	struct kw_actionset set;
	size_t n = kw_catalog_expand_indices(c, s, NULL);
	uint32_t *idx = malloc((n ? n : 1) * sizeof(uint32_t));

	if (!idx || kw_actionset_init(&set, c)) {
		free(idx);
		return;
	}
	if (kw_catalog_expand_indices(c, s, idx) != n || kw_catalog_expand(c, s, &set) != n ||
	    kw_actionset_count(&set) != n)
		abort(); /* the two forms of expansion disagree */
	for (size_t i = 0; i < n; i++)
		if (!kw_actionset_has(&set, idx[i]) || (i && idx[i] <= idx[i - 1]))
			abort();
	kw_actionset_release(&set);
	free(idx);
}

/* Each statement's Action/NotAction expands the same through the memo (shared by all) and without it. */
static void check_memo(const json_t *doc)
{
	const struct kw_catalog *c = kw_catalog_get();
	struct kw_expansions memo = {.cat = c};
	const json_t *sts = json_object_get(doc, "Statement");
	size_t n = json_is_array(sts) ? json_array_size(sts) : 1;

	for (size_t i = 0; c && i < n; i++) {
		const json_t *st = json_is_array(sts) ? json_array_get(sts, i) : sts;
		for (int w = 0; w < 2; w++) {
			const json_t *v = json_object_get(st, w ? "NotAction" : "Action");
			struct kw_actionset plain, memoized;
			bool u1 = false, u2 = false;
			int r1, r2;
			if (!v || kw_actionset_init(&plain, c))
				continue;
			if (kw_actionset_init(&memoized, c)) {
				kw_actionset_release(&plain);
				continue;
			}
			r1 = kw_statement_expand(c, NULL, v, w, &plain, &u1);
			r2 = kw_statement_expand(c, &memo, v, w, &memoized, &u2);
			if (r1 != r2 || u1 != u2)
				abort();
			if (!r1 && kw_actionset_count(&plain) != kw_actionset_count(&memoized))
				abort(); /* the memo changed what a statement grants */
			kw_actionset_minus(&plain, &memoized);
			if (!r1 && kw_actionset_count(&plain) != 0)
				abort();
			kw_actionset_release(&plain);
			kw_actionset_release(&memoized);
		}
	}
	kw_expansions_release(&memo);
}

/* Expansion and ARN matching of every string of the document (the first few, for speed). */
static void check_expansion(const json_t *v, size_t *budget)
{
	const struct kw_catalog *c = kw_catalog_get();
	const char *key;
	json_t *e;
	size_t i;

	if (!c || !*budget)
		return;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		const char *colon = strchr(s, ':');
		(*budget)--;
		/* the scan compares "prefix:Name"; expansion takes the service part up to the first colon */
		if (strlen(s) < 128 && (!strcmp(s, "*") || (colon && !strchr(colon + 1, ':'))) &&
		    kw_catalog_expand(c, s, NULL) != scan_count(c, s))
			abort(); /* expansion disagrees with a scan of the names */
		if (strlen(s) < 256 && !kw_arn_overlap(s, s))
			abort(); /* a pattern always overlaps itself */
		check_indices(c, s);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) check_expansion(e, budget);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) check_expansion(e, budget);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct kw_policy_var vars[] = {{"BUCKET", "b"}, {"X", "${X}"}};
	struct kw_policy *p = NULL, *q = NULL;
	struct kw_policy_findings f = {0};
	struct kw_buf once = KW_BUF_INIT, twice = KW_BUF_INIT;
	struct kw_error err;
	json_t *d = NULL, *names;

	if (size > 65536)
		return 0;
	compare_two((const char *)data, size);
	if (kw_policy_parse((const char *)data, size, "fuzz.json", &p, &err))
		return 0;
	if (kw_policy_lint(p, &f, &err) == 0)
		for (size_t i = 0; i < f.n; i++)
			if (!f.items[i].code || !f.items[i].message || f.items[i].line == 0 ||
			    f.items[i].col == 0)
				abort();
	if (kw_policy_format(p->doc, &once))
		goto out;
	if (kw_policy_parse(once.data, once.len, "fmt.json", &q, &err))
		abort(); /* fmt output must parse */
	if (kw_policy_format(q->doc, &twice) == 0 && strcmp(once.data, twice.data))
		abort(); /* fmt must be idempotent */
	if (kw_policy_equal(p->doc, q->doc) == 0)
		abort(); /* fmt must keep the meaning */
	d = kw_policy_diff(p->doc, q->doc);
	if (d && json_is_true(json_object_get(d, "changed")))
		abort();
	{
		size_t budget = 8;
		json_t *x;
		check_expansion(p->doc, &budget);
		check_memo(p->doc);
		x = kw_policy_explain(p->doc, kw_catalog_get());
		json_decref(x);
		x = kw_policy_new_access(p->doc, p->doc, kw_catalog_get());
		if (x && json_is_true(json_object_get(x, "new_access")))
			abort(); /* a policy never grants new access over itself */
		json_decref(x);
	}
	names = kw_policy_placeholders(p);
	json_decref(names);
	(void)kw_policy_apply_vars(p, vars, 2, &err);
	{
		/* the size IAM counts: the compact text's characters, whitespace left out */
		char *compact = kw_policy_compact(p->doc);
		size_t chars = 0;
		for (const char *c = compact; c && *c; c++)
			chars += ((unsigned char)*c & 0xC0) != 0x80 && !strchr(" \t\r\n", *c);
		if (compact && kw_policy_size(p->doc) != chars)
			abort(); /* kw_policy_size counts otherwise than the text it stands for */
		free(compact);
	}
out:
	json_decref(d);
	kw_buf_release(&once);
	kw_buf_release(&twice);
	kw_policy_findings_release(&f);
	kw_policy_free(p);
	kw_policy_free(q);
	return 0;
}
