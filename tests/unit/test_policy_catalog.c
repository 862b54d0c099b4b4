/*
 * Unit tests for the policy review that uses the catalog: the lint corpus in tests/data/lint
 * (each NAME.json with its expected findings in NAME.expect, "CODE LINE:COL ACCESS_ANALYZER",
 * a positive and a negative case for every catalog finding), the expected findings of the
 * third-party policies (tests/data/policies, third-party-policies.findings: no errors but the
 * one known quota error, no catalog finding), the action sets of src/policy/risk.c against the
 * catalog, explain, and --new-access on pairs with known answers (tests/data/new-access).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "policy/internal.h"
#include "policy/policy.h"
#include "util/buf.h"
#include "util/error.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct kw_buf b = KW_BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		kw_buf_append(&b, chunk, n);
	fclose(f);
	if (!b.data)
		kw_buf_puts(&b, "");
	return kw_buf_detach(&b);
}

/* Sorted names in dir ending with suffix (caller frees). */
static size_t list_dir(const char *dir, const char *suffix, char ***out)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	size_t k = 0, ls = strlen(suffix);

	assert_true(n >= 0);
	*out = calloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);
		if (l > ls && !strcmp(ents[i]->d_name + l - ls, suffix))
			(*out)[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return k;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The findings of one file as "CODE LINE:COL AA\n" lines (prefix before each, when not NULL). */
static void lint_lines(const char *path, const char *prefix, struct kw_buf *out)
{
	struct kw_policy *p = NULL;
	struct kw_policy_findings f = {0};
	struct kw_error err;

	if (kw_policy_load_file(path, &p, &err))
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(kw_policy_lint(p, &f, &err), 0);
	for (size_t i = 0; i < f.n; i++) {
		const struct kw_policy_finding *fi = &f.items[i];
		kw_buf_appendf(out, "%s%s%s %u:%u %s\n", prefix ? prefix : "", prefix ? " " : "", fi->code,
		               fi->line, fi->col, fi->access_analyzer ? fi->access_analyzer : "-");
		/* a catalog finding names the catalog version; the others do not */
		if (fi->catalog)
			assert_non_null(strstr(fi->message, fi->catalog));
	}
	kw_policy_findings_release(&f);
	kw_policy_free(p);
}

static void lint_corpus_gives_the_expected_findings(void **state)
{
	static const char *const catalog_codes[] = {"KWP020", "KWP021", "KWP022", "KWP060", "KWP061",
	                                            "KWP062", "KWP063", "KWP064", "KWP065", "KWP070",
	                                            "KWP071", "KWP072", "KWP073", NULL};
	char **names, path[512];
	size_t n = list_dir("tests/data/lint", ".json", &names);
	int failures = 0;

	(void)state;
	assert_true(n >= 26);
	for (size_t i = 0; i < n; i++) {
		struct kw_buf got = KW_BUF_INIT;
		char *want;
		snprintf(path, sizeof(path), "tests/data/lint/%s", names[i]);
		lint_lines(path, NULL, &got);
		snprintf(path + strlen(path) - 5, 8, ".expect");
		want = slurp(path);
		assert_non_null(want);
		if (strcmp(want, got.data ? got.data : "")) {
			print_error("%s:\n  expected\n%s  got\n%s", names[i], want, got.data ? got.data : "");
			failures++;
		}
		free(want);
		kw_buf_release(&got);
	}
	/* every catalog finding has a positive case (kwpNNN-*.expect holds it) and a negative one */
	for (size_t c = 0; catalog_codes[c]; c++) {
		bool positive = false, negative = false;
		char lower[8];
		for (int k = 0; k < 6; k++)
			lower[k] = (char)(catalog_codes[c][k] | 0x20);
		lower[6] = '\0';
		for (size_t i = 0; i < n; i++) {
			char *want;
			if (strncmp(names[i], lower, 6))
				continue;
			snprintf(path, sizeof(path), "tests/data/lint/%.*s.expect", (int)strlen(names[i]) - 5,
			         names[i]);
			want = slurp(path);
			assert_non_null(want);
			if (strstr(want, catalog_codes[c]))
				positive = true;
			else
				negative = true;
			free(want);
		}
		if (!positive || !negative) {
			print_error("%s: positive %d, negative %d case\n", catalog_codes[c], positive,
			            negative);
			failures++;
		}
	}
	free_list(names, n);
	assert_int_equal(failures, 0);
}

/*
 * The published policies lint as recorded, with no error but aws-load-balancer-controller's
 * size (KWP030: it is meant as a managed policy, 6,144 characters) and no catalog finding:
 * each of their actions, condition keys and ARNs is one the reference knows and fits.
 */
static void third_party_policies_lint_as_recorded(void **state)
{
	char **names, path[512];
	size_t n = list_dir("tests/data/policies", ".json", &names);
	struct kw_buf got = KW_BUF_INIT;
	char *want = slurp("tests/data/lint/third-party-policies.findings");

	(void)state;
	assert_true(n >= 12);
	assert_non_null(want);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "tests/data/policies/%s", names[i]);
		lint_lines(path, names[i], &got);
	}
	assert_string_equal(got.data, want);
	for (char *line = strtok(got.data, "\n"); line; line = strtok(NULL, "\n")) {
		enum kw_severity sev;
		const char *code = strchr(line, ' ') + 1;
		char c[7];
		memcpy(c, code, 6);
		c[6] = '\0';
		kw_policy_lint_code_info(c, &sev);
		if (sev == KW_SEV_ERROR && strncmp(line, "aws-load-balancer-controller.json KWP030", 40))
			fail_msg("unexpected error: %s", line);
		if (!strncmp(c, "KWP06", 5) || !strncmp(c, "KWP07", 5))
			fail_msg("catalog finding on a published policy: %s", line);
	}
	free(want);
	kw_buf_release(&got);
	free_list(names, n);
}

/* Every action of an escalation or credential-exposure set is an action of the catalog. */
static void risk_sets_name_catalog_actions(void **state)
{
	const struct kw_catalog *c = kw_catalog_get();

	(void)state;
	assert_non_null(c);
	assert_true(kw_escalation_nsets >= 25);
	for (size_t k = 0; k < kw_escalation_nsets; k++) {
		assert_non_null(kw_escalation_sets[k].source);
		for (size_t i = 0; kw_escalation_sets[k].actions[i]; i++)
			if (!kw_catalog_action(c, kw_escalation_sets[k].actions[i]))
				fail_msg("%s: %s not in the catalog", kw_escalation_sets[k].name,
				         kw_escalation_sets[k].actions[i]);
	}
	for (size_t i = 0; kw_credential_exposure[i]; i++)
		if (!kw_catalog_action(c, kw_credential_exposure[i]))
			fail_msg("%s not in the catalog", kw_credential_exposure[i]);
}

static json_t *load_doc(const char *path)
{
	struct kw_policy *p = NULL;
	struct kw_error err;
	json_t *d;

	if (kw_policy_load_file(path, &p, &err))
		fail_msg("%s: %s", path, err.msg);
	d = json_incref(p->doc);
	kw_policy_free(p);
	return d;
}

/* Whether action name a is listed under some level of some service of r (new-access result). */
static bool listed(const json_t *r, const char *a)
{
	size_t i;
	json_t *sv;

	json_array_foreach(json_object_get(r, "services"), i, sv)
	{
		const char *lv;
		json_t *arr;
		json_object_foreach(json_object_get(sv, "levels"), lv, arr)
		{
			for (size_t k = 0; k < json_array_size(arr); k++)
				if (!strcasecmp(json_string_value(json_array_get(arr, k)), a))
					return true;
		}
	}
	return false;
}

static void new_access_pairs_have_known_answers(void **state)
{
	const struct kw_catalog *c = kw_catalog_get();
	char **names, path[512];
	size_t n = list_dir("tests/data/new-access", ".expect", &names);
	int failures = 0;

	(void)state;
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		int stem = (int)strlen(names[i]) - 7;
		json_t *o, *nw, *r, *want, *v;
		json_error_t jerr;
		size_t k;
		snprintf(path, sizeof(path), "tests/data/new-access/%s", names[i]);
		want = json_load_file(path, 0, &jerr);
		assert_non_null(want);
		snprintf(path, sizeof(path), "tests/data/new-access/%.*s.old.json", stem, names[i]);
		o = load_doc(path);
		snprintf(path, sizeof(path), "tests/data/new-access/%.*s.new.json", stem, names[i]);
		nw = load_doc(path);
		r = kw_policy_new_access(o, nw, c);
		assert_non_null(r);
		if (json_is_true(json_object_get(r, "new_access")) !=
		    json_is_true(json_object_get(want, "new_access"))) {
			print_error("%s: new_access %d\n", names[i],
			            json_is_true(json_object_get(r, "new_access")));
			failures++;
		}
		json_array_foreach(json_object_get(want, "includes"), k,
		                   v) if (!listed(r, json_string_value(v)))
		{
			print_error("%s: %s not listed as new\n", names[i], json_string_value(v));
			failures++;
		}
		json_array_foreach(json_object_get(want, "excludes"), k,
		                   v) if (listed(r, json_string_value(v)))
		{
			print_error("%s: %s listed as new\n", names[i], json_string_value(v));
			failures++;
		}
		if (json_object_get(want, "unknown") &&
		    !json_equal(json_object_get(want, "unknown"), json_object_get(r, "unknown_actions"))) {
			print_error("%s: unknown actions differ\n", names[i]);
			failures++;
		}
		if ((v = json_object_get(want, "resources"))) {
			json_t *sv = json_array_get(json_object_get(r, "services"), 0);
			if (!json_equal(v, json_object_get(sv, "resources"))) {
				print_error("%s: resources differ\n", names[i]);
				failures++;
			}
		}
		/* a policy never grants new access over itself */
		json_decref(r);
		r = kw_policy_new_access(nw, nw, c);
		assert_false(json_is_true(json_object_get(r, "new_access")));
		json_decref(r);
		json_decref(o);
		json_decref(nw);
		json_decref(want);
	}
	free_list(names, n);
	assert_int_equal(failures, 0);
}

static void explain_counts_access_levels(void **state)
{
	const struct kw_catalog *c = kw_catalog_get();
	json_t *doc = load_doc("tests/data/policies/velero.json"), *x, *s3 = NULL, *sv;
	struct kw_buf text = KW_BUF_INIT;
	size_t i;

	(void)state;
	x = kw_policy_explain(doc, c);
	assert_non_null(x);
	assert_string_equal(json_string_value(json_object_get(x, "catalog")), c->version);
	json_array_foreach(json_object_get(x, "allow"), i,
	                   sv) if (!strcmp(json_string_value(json_object_get(sv, "service")), "s3")) s3 = sv;
	assert_non_null(s3);
	assert_string_equal(json_string_value(json_object_get(s3, "access")), "Limited");
	assert_int_equal(json_integer_value(json_object_get(s3, "actions")), 7);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s3, "levels"), "Write")), 3);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s3, "levels"), "Tagging")), 1);
	assert_int_equal(kw_policy_explain_render(x, &text), 0);
	assert_non_null(strstr(text.data, "Amazon S3 (s3): Limited (7 of"));
	kw_buf_release(&text);
	json_decref(x);
	json_decref(doc);
	/* NotAction: everything but the listed service, Full access elsewhere */
	doc = json_loads(
	        "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"NotAction\": "
	        "\"iam:*\", \"Resource\": \"*\"}}",
	        0, NULL);
	x = kw_policy_explain(doc, c);
	json_array_foreach(json_object_get(x, "allow"), i, sv)
	{
		assert_string_not_equal(json_string_value(json_object_get(sv, "service")), "iam");
		assert_string_equal(json_string_value(json_object_get(sv, "access")), "Full access");
	}
	assert_int_equal(json_array_size(json_object_get(x, "allow")), c->nservices - 1);
	json_decref(x);
	json_decref(doc);
}

/* Plain diff lists the concrete actions a wildcard change adds and removes. */
static void diff_names_concrete_actions(void **state)
{
	json_t *a = json_loads(
	               "{\"Statement\": {\"Sid\": \"S\", \"Effect\": \"Allow\", \"Action\": \"s3:Get*\", "
	               "\"Resource\": \"*\"}}",
	               0, NULL),
	       *b = json_loads(
	               "{\"Statement\": {\"Sid\": \"S\", \"Effect\": \"Allow\", \"Action\": [\"s3:Get*\", "
	               "\"s3:Put*Tagging\"], \"Resource\": \"*\"}}",
	               0, NULL),
	       *d, *acts;

	(void)state;
	d = kw_policy_diff(a, b);
	acts = json_object_get(json_array_get(json_object_get(d, "statements"), 0), "actions");
	assert_non_null(acts);
	assert_int_equal(json_array_size(json_object_get(acts, "removed")), 0);
	assert_true(json_array_size(json_object_get(acts, "added")) >= 5);
	for (size_t i = 0; i < json_array_size(json_object_get(acts, "added")); i++) {
		const char *s = json_string_value(json_array_get(json_object_get(acts, "added"), i));
		assert_true(!strncmp(s, "s3:Put", 6) && strstr(s, "Tagging"));
	}
	json_decref(d);
	d = kw_policy_diff(b, a);
	acts = json_object_get(json_array_get(json_object_get(d, "statements"), 0), "actions");
	assert_true(json_array_size(json_object_get(acts, "removed")) >= 5);
	json_decref(d);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(lint_corpus_gives_the_expected_findings),
	        cmocka_unit_test(third_party_policies_lint_as_recorded),
	        cmocka_unit_test(risk_sets_name_catalog_actions),
	        cmocka_unit_test(new_access_pairs_have_known_answers),
	        cmocka_unit_test(explain_counts_access_levels),
	        cmocka_unit_test(diff_names_concrete_actions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
