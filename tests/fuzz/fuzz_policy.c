/*
 * Fuzz target: the policy parser and everything built on it. Input: JSON text.
 * Checks: parse, lint, templates, normalize, diff and format never crash or leak; formatting
 * is idempotent and keeps the meaning (equal to the input, diff "no semantic change"); every
 * lint finding has a code, a message and a 1-based position. With a NUL byte in the input, the
 * two parts are two policies: when both are grammatical (no error finding), the diff says
 * "changed" exactly when kw_policy_equal says they differ.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	}
out:
	kw_policy_free(a);
	kw_policy_free(b);
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
	names = kw_policy_placeholders(p);
	json_decref(names);
	(void)kw_policy_apply_vars(p, vars, 2, &err);
	free(kw_policy_compact(p->doc));
	(void)kw_policy_size(p->doc);
out:
	json_decref(d);
	kw_buf_release(&once);
	kw_buf_release(&twice);
	kw_policy_findings_release(&f);
	kw_policy_free(p);
	kw_policy_free(q);
	return 0;
}
