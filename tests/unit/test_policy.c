/*
 * Unit tests for src/policy: positions, canonical format (idempotent over every policy in
 * tests/data/policies), normalization and equality, semantic diff, lint codes with
 * exact positions, templates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "util/buf.h"
#include "util/error.h"

static struct kw_policy *parse(const char *text)
{
	struct kw_policy *p = NULL;
	struct kw_error err;

	if (kw_policy_parse(text, strlen(text), "t.json", &p, &err))
		fail_msg("parse failed: %s: %s", err.where, err.msg);
	return p;
}

/* Every *.json of the third-party testdata, sorted (caller frees each and the array). */
static size_t testdata_policies(char ***out)
{
	char dir[512];
	struct dirent **list;
	int n;
	size_t count = 0;

	snprintf(dir, sizeof(dir), "%s/policies", KW_TEST_DATA_DIR);
	n = scandir(dir, &list, NULL, alphasort);
	assert_true(n > 0);
	*out = calloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);
		if (len > 5 && !strcmp(list[i]->d_name + len - 5, ".json")) {
			char *path = malloc(strlen(dir) + len + 2);
			sprintf(path, "%s/%s", dir, list[i]->d_name);
			(*out)[count++] = path;
		}
		free(list[i]);
	}
	free(list);
	assert_true(count >= 12);
	return count;
}

static void positions_point_at_keys_and_values(void **state)
{
	struct kw_policy *p = parse(
	        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n"
	        "      \"Action\": [\"s3:GetObject\", \"s3:PutObject\"],\n      \"Résource\": \"*\"\n"
	        "    }\n  ]\n}\n");
	unsigned line, col;

	kw_policy_position(p, "/Statement/0/Action/1", &line, &col);
	assert_int_equal(line, 6);
	assert_int_equal(col, 34);
	kw_policy_key_position(p, "/Statement/0/Action", &line, &col);
	assert_int_equal(line, 6);
	assert_int_equal(col, 7);
	kw_policy_position(p, "/Statement/0/Résource", &line, &col);
	assert_int_equal(line, 7);
	assert_int_equal(col, 19); /* columns count characters, not bytes */
	kw_policy_position(p, "/Statement/0/Missing/3", &line, &col); /* nearest ancestor */
	assert_int_equal(line, 4);
	assert_int_equal(col, 5);
	kw_policy_position(p, "", &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	kw_policy_free(p);
}

static void parse_errors_have_positions(void **state)
{
	static const struct {
		const char *text, *where, *msg;
	} cases[] = {
	        {"{\"Version\": \"2012-10-17\",\n \"Statement\": []\n", "t.json:2:17",
	         "invalid JSON: '}' expected near end of file"},
	        {"{\"a\": 1,\n  \"a\": 2}", "t.json:2:3", "invalid JSON: duplicate object key near '\"a\"'"},
	        {"{\"a\": tru}", "t.json:1:7", "invalid JSON: invalid token near 'tru'"},
	        {"\xEF\xBB\xBF{}", "t.json:1:1", "policy starts with a byte order mark (not allowed)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kw_policy *p = NULL;
		struct kw_error err;
		assert_int_equal(kw_policy_parse(cases[i].text, strlen(cases[i].text), "t.json", &p, &err),
		                 -1);
		assert_null(p);
		assert_int_equal(err.kind, KW_ERR_INVALID);
		if (strcmp(err.where, cases[i].where) || strcmp(err.msg, cases[i].msg))
			fail_msg("case %zu: got %s: %s", i, err.where, err.msg);
	}
}

static void format_is_canonical(void **state)
{
	struct kw_policy *p =
	        parse("{\"Statement\":{\"Resource\":[\"*\"],\"Action\":\"s3:GetObject\",\"Effect\":\"Allow\","
	              "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":true}},\"Sid\":\"Read\",\"X\":[]},"
	              "\"Version\":\"2012-10-17\",\"Id\":\"p\"}");
	struct kw_buf out = KW_BUF_INIT;
	char *compact;

	assert_int_equal(kw_policy_format(p->doc, &out), 0);
	assert_string_equal(out.data, "{\n"
	                              "  \"Version\": \"2012-10-17\",\n"
	                              "  \"Id\": \"p\",\n"
	                              "  \"Statement\": {\n"
	                              "    \"Sid\": \"Read\",\n"
	                              "    \"Effect\": \"Allow\",\n"
	                              "    \"Action\": \"s3:GetObject\",\n"
	                              "    \"Resource\": [\n"
	                              "      \"*\"\n"
	                              "    ],\n"
	                              "    \"Condition\": {\n"
	                              "      \"Bool\": {\n"
	                              "        \"aws:SecureTransport\": true\n"
	                              "      }\n"
	                              "    },\n"
	                              "    \"X\": []\n"
	                              "  }\n"
	                              "}\n");
	compact = kw_policy_compact(p->doc);
	assert_string_equal(
	        compact,
	        "{\"Version\":\"2012-10-17\",\"Id\":\"p\",\"Statement\":{\"Sid\":\"Read\",\"Effect\":"
	        "\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":[\"*\"],\"Condition\":{\"Bool\":"
	        "{\"aws:SecureTransport\":true}},\"X\":[]}}");
	free(compact);
	kw_buf_release(&out);
	kw_policy_free(p);
}

/* fmt(fmt(x)) == fmt(x), and diff(x, fmt(x)) is "no semantic change", for every testdata policy. */
static void format_is_idempotent_and_meaning_preserving_over_testdata(void **state)
{
	char **files;
	size_t n = testdata_policies(&files);

	for (size_t i = 0; i < n; i++) {
		struct kw_policy *p = NULL, *q = NULL, *r = NULL;
		struct kw_buf once = KW_BUF_INIT, twice = KW_BUF_INIT, text = KW_BUF_INIT;
		struct kw_error err;
		json_t *d;

		if (kw_policy_load_file(files[i], &p, &err))
			fail_msg("%s: %s", err.where, err.msg);
		assert_int_equal(kw_policy_format(p->doc, &once), 0);
		assert_int_equal(kw_policy_parse(once.data, once.len, files[i], &q, &err), 0);
		assert_int_equal(kw_policy_format(q->doc, &twice), 0);
		if (strcmp(once.data, twice.data))
			fail_msg("fmt is not idempotent on %s", files[i]);
		d = kw_policy_diff(p->doc, q->doc);
		assert_non_null(d);
		assert_false(json_is_true(json_object_get(d, "changed")));
		assert_int_equal(kw_policy_diff_render(d, false, &text), 0);
		assert_string_equal(text.data, "no semantic change\n");
		assert_int_equal(kw_policy_equal(p->doc, q->doc), 1);
		/* the compact text means the same too */
		{
			char *c = kw_policy_compact(p->doc);
			assert_int_equal(kw_policy_parse(c, strlen(c), "c", &r, &err), 0);
			assert_int_equal(kw_policy_equal(p->doc, r->doc), 1);
			free(c);
		}
		json_decref(d);
		kw_buf_release(&once);
		kw_buf_release(&twice);
		kw_buf_release(&text);
		kw_policy_free(p);
		kw_policy_free(q);
		kw_policy_free(r);
		free(files[i]);
	}
	free(files);
}

static void equal_ignores_form_not_meaning(void **state)
{
	static const struct {
		const char *a, *b;
		int equal;
	} cases[] = {
	        /* lone string vs one-element array, order, repeats, action case, statement order */
	        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"S3:"
	         "GetObject\",\"Resource\":\"*\"}}",
	         "{\"Statement\":[{\"Resource\":[\"*\"],\"Action\":[\"s3:getobject\",\"s3:GetObject\"],"
	         "\"Effect\":\"Allow\"}],"
	         "\"Version\":\"2012-10-17\"}",
	         1},
	        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"a:B\",\"a:C\"],\"Resource\":\"*\"},"
	         "{\"Effect\":\"Deny\",\"Action\":\"a:D\",\"Resource\":\"*\"}]}",
	         "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"a:D\",\"Resource\":[\"*\"]},"
	         "{\"Effect\":\"Allow\",\"Action\":[\"a:C\",\"a:B\"],\"Resource\":\"*\"}]}",
	         1},
	        /* condition keys ignore case, values become sets, numbers/bools as text */
	        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"*\",\"Condition\":{"
	         "\"Bool\":"
	         "{\"aws:SecureTransport\":true},\"StringEquals\":{\"aws:RequestTag/x\":[\"b\",\"a\"]}}}}",
	         "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"*\",\"Condition\":{"
	         "\"StringEquals\":"
	         "{\"AWS:RequestTag/x\":[\"a\",\"b\",\"a\"]},\"Bool\":{\"aws:securetransport\":\"true\"}}}}",
	         1},
	        /* resources are case-sensitive */
	        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"arn:aws:s3:::"
	         "Bucket\"}}",
	         "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"arn:aws:s3:::"
	         "bucket\"}}",
	         0},
	        /* Sid, Effect and Version count */
	        {"{\"Statement\":{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"*\"}}",
	         "{\"Statement\":{\"Sid\":\"B\",\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"*\"}}",
	         0},
	        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"*\"}}",
	         "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"a:B\",\"Resource\":\"*\"}}", 0},
	        {"{\"Version\":\"2012-10-17\",\"Statement\":[]}",
	         "{\"Version\":\"2008-10-17\",\"Statement\":[]}", 0},
	        /* condition values are case-sensitive */
	        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"*\",\"Condition\":{"
	         "\"StringEquals\":"
	         "{\"k\":\"V\"}}}}",
	         "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:B\",\"Resource\":\"*\",\"Condition\":{"
	         "\"StringEquals\":"
	         "{\"k\":\"v\"}}}}",
	         0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kw_policy *a = parse(cases[i].a), *b = parse(cases[i].b);
		if (kw_policy_equal(a->doc, b->doc) != cases[i].equal)
			fail_msg("equality case %zu: expected %d", i, cases[i].equal);
		kw_policy_free(a);
		kw_policy_free(b);
	}
}

static char *diff_text(const char *a, const char *b, int *changed)
{
	struct kw_policy *pa = parse(a), *pb = parse(b);
	struct kw_buf out = KW_BUF_INIT;
	json_t *d = kw_policy_diff(pa->doc, pb->doc);

	assert_non_null(d);
	*changed = json_is_true(json_object_get(d, "changed"));
	assert_int_equal(kw_policy_diff_render(d, false, &out), 0);
	json_decref(d);
	kw_policy_free(pa);
	kw_policy_free(pb);
	return kw_buf_detach(&out);
}

#define V "\"Version\":\"2012-10-17\","

static void diff_lists_added_and_removed_elements(void **state)
{
	static const struct {
		const char *name, *a, *b, *expect;
	} cases[] = {
	        {"action added, resource removed (paired by Sid)",
	         "{" V "\"Statement\":[{\"Sid\":\"S3\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
	         "\"Resource\":"
	         "[\"arn:aws:s3:::a/*\",\"arn:aws:s3:::b/*\"]}]}",
	         "{" V "\"Statement\":[{\"Sid\":\"S3\",\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\","
	         "\"s3:PutObject\"],"
	         "\"Resource\":\"arn:aws:s3:::a/*\"}]}",
	         "~ statement 1 Sid \"S3\" (Allow, modified)\n"
	         "    - Resource: arn:aws:s3:::b/*\n"
	         "    + Action: s3:PutObject\n"},
	        {"condition changed (paired by content)",
	         "{" V
	         "\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"ec2:StopInstances\",\"Resource\":\"*\","
	         "\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/team\":\"a\"}}}}",
	         "{" V
	         "\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"ec2:StopInstances\",\"Resource\":\"*\","
	         "\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/"
	         "team\":[\"a\",\"b\"]},\"Bool\":{\"aws:MultiFactorAuthPresent\":true}}}}",
	         "~ statement 1 (Allow, modified)\n"
	         "    + Condition: StringEquals aws:ResourceTag/team = b\n"
	         "    + Condition: Bool aws:MultiFactorAuthPresent = true\n"},
	        {"statement added and removed",
	         "{" V "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:X\",\"Resource\":\"*\"},"
	         "{\"Sid\":\"Old\",\"Effect\":\"Deny\",\"Action\":\"b:Y\",\"Resource\":\"*\"}]}",
	         "{" V "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:X\",\"Resource\":\"*\"},"
	         "{\"Effect\":\"Allow\",\"Action\":\"c:Z\",\"Resource\":\"arn:aws:c:::z\"}]}",
	         "+ statement 2 (Allow, added)\n"
	         "    + Action: c:Z\n"
	         "    + Resource: arn:aws:c:::z\n"
	         "- statement 2 Sid \"Old\" (Deny, removed)\n"
	         "    - Action: b:Y\n"
	         "    - Resource: *\n"},
	        {"effect and version changed",
	         "{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:X\","
	         "\"Resource\":\"*\"}}",
	         "{" V
	         "\"Statement\":{\"Sid\":\"X\",\"Effect\":\"Allow\",\"Action\":\"A:x\",\"Resource\":\"*\"}}",
	         "- Version: 2008-10-17\n+ Version: 2012-10-17\n"
	         "~ statement 1 Sid \"X\" (Allow, modified)\n"
	         "    - Sid: (none)\n"
	         "    + Sid: X\n"},
	        {"order and form only",
	         "{" V
	         "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"a:X\",\"a:Y\"],\"Resource\":\"*\"},"
	         "{\"Effect\":\"Deny\",\"Action\":\"b:Y\",\"Resource\":\"*\"}]}",
	         "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":[\"b:y\"],\"Resource\":[\"*\"]},{"
	         "\"Resource\":\"*\","
	         "\"Action\":[\"a:Y\",\"a:X\",\"a:x\"],\"Effect\":\"Allow\"}],\"Version\":\"2012-10-17\"}",
	         "no semantic change\n"},
	        {"a repeated statement means nothing more (as for kw_policy_equal)",
	         "{" V "\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:X\",\"Resource\":\"*\"}}",
	         "{" V "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:X\",\"Resource\":\"*\"},"
	         "{\"Effect\":\"Allow\",\"Action\":[\"a:x\"],\"Resource\":\"*\"}]}",
	         "no semantic change\n"},
	        {"Id changed", "{" V "\"Id\":\"a\",\"Statement\":[]}", "{" V "\"Statement\":[]}",
	         "- Id: a\n+ Id: (none)\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int changed;
		char *text = diff_text(cases[i].a, cases[i].b, &changed);
		if (strcmp(text, cases[i].expect))
			fail_msg("diff case '%s':\n--- expected\n%s--- got\n%s", cases[i].name,
			         cases[i].expect, text);
		assert_int_equal(changed, strcmp(cases[i].expect, "no semantic change\n") != 0);
		{
			struct kw_policy *pa = parse(cases[i].a), *pb = parse(cases[i].b);
			assert_int_equal(kw_policy_equal(pa->doc, pb->doc), !changed);
			kw_policy_free(pa);
			kw_policy_free(pb);
		}
		free(text);
	}
}

static void diff_is_coloured_when_asked(void **state)
{
	struct kw_policy *a =
	        parse("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:X\",\"Resource\":\"*\"}}");
	struct kw_policy *b =
	        parse("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"a:Y\",\"Resource\":\"*\"}}");
	struct kw_buf out = KW_BUF_INIT;
	json_t *d = kw_policy_diff(a->doc, b->doc);

	assert_int_equal(kw_policy_diff_render(d, true, &out), 0);
	assert_string_equal(out.data, "\033[1m~ statement 1 (Allow, modified)\033[0m\n"
	                              "\033[31m    - Action: a:X\033[0m\n"
	                              "\033[32m    + Action: a:Y\033[0m\n");
	json_decref(d);
	kw_buf_release(&out);
	kw_policy_free(a);
	kw_policy_free(b);
}

struct lint_case {
	const char *name;
	const char *text;
	const char *expect; /* "CODE line:col message;..." of every finding, in order */
};

#define STMT(body) "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {" body "}\n  ]\n}\n"

static const struct lint_case lint_cases[] = {
        {"clean",
         STMT("\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": "
              "\"arn:aws:s3:::b/${aws:username}/*\""),
         ""},
        {"not an object", "[]", "KWP001 1:1 a policy must be a JSON object, found an array;"},
        {"version missing",
         "{\"Statement\": {\"Effect\": \"Deny\", \"Action\": \"a:B\", \"Resource\": \"*\"}}",
         "KWP002 1:1 Version is missing: IAM then applies 2008-10-17, without policy variables (add "
         "\"Version\": "
         "\"2012-10-17\");"},
        {"old version",
         "{\"Version\": \"2008-10-17\", \"Statement\": {\"Effect\": \"Deny\", \"Action\": \"a:B\", "
         "\"Resource\": \"*\"}}",
         "KWP003 1:13 Version 2008-10-17 has no policy variables: use 2012-10-17;"},
        {"bad version",
         "{\"Version\": \"2012-10-18\", \"Statement\": {\"Effect\": \"Deny\", \"Action\": \"a:B\", "
         "\"Resource\": \"*\"}}",
         "KWP001 1:13 Version must be \"2012-10-17\" (or \"2008-10-17\"), found \"2012-10-18\";"},
        {"unknown element with a hint",
         STMT("\"Effect\": \"Deny\", \"Actions\": \"a:B\", \"Resource\": \"*\""),
         "KWP001 4:24 unknown element 'Actions' in a statement (did you mean 'Action'?);"
         "KWP001 4:5 statement has neither Action nor NotAction;"},
        {"bad effect", STMT("\"Effect\": \"allow\", \"Action\": \"a:B\", \"Resource\": \"*\""),
         "KWP001 4:16 Effect must be \"Allow\" or \"Deny\";"},
        {"no resource", STMT("\"Effect\": \"Deny\", \"Action\": \"a:B\""),
         "KWP001 4:5 statement has neither Resource nor NotResource (required in identity policies);"},
        {"resource not an ARN",
         STMT("\"Effect\": \"Deny\", \"Action\": \"a:B\", \"Resource\": [\"*\", \"bucket\"]"),
         "KWP001 4:59 Resource 'bucket' is neither \"*\" nor an ARN "
         "(arn:partition:service:region:account:resource);"},
        {"empty action array", STMT("\"Effect\": \"Deny\", \"Action\": [], \"Resource\": \"*\""),
         "KWP001 4:34 Action must be a string or a non-empty array of strings, found an empty array;"},
        {"sid with a dash and a duplicate sid",
         "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"a-b\", \"Effect\": \"Deny\", \"Action\": "
         "\"a:B\", "
         "\"Resource\": \"*\"}, {\"Sid\": \"X\", \"Effect\": \"Deny\", \"Action\": \"a:B\", \"Resource\": "
         "\"*\"}, "
         "{\"Sid\": \"X\", \"Effect\": \"Deny\", \"Action\": \"a:C\", \"Resource\": \"*\"}]}",
         "KWP001 1:49 Sid 'a-b' may hold only letters and digits in IAM policies;"
         "KWP043 1:183 Sid 'X' is used by more than one statement;"},
        {"admin", STMT("\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\""),
         "KWP010 4:35 Allow with Action \"*\" grants every action of every service;"},
        {"whole service and writes on star",
         STMT("\"Effect\": \"Allow\", \"Action\": [\"ec2:*\"], \"Resource\": \"*\""),
         "KWP011 4:36 Allow with 'ec2:*' grants every action of the service;"
         "KWP022 4:36 'ec2:*' grants actions whose answer holds credentials (ec2:GetPasswordData);"
         "KWP020 4:58 write or permissions-management action on Resource \"*\": ec2:*;"},
        {"reads on star are fine",
         STMT("\"Effect\": \"Allow\", \"Action\": [\"ec2:Describe*\", \"s3:ListAllMyBuckets\", "
              "\"s3:GetObject\"], \"Resource\": \"*\""),
         ""},
        {"NotAction and NotResource",
         STMT("\"Effect\": \"Allow\", \"NotAction\": \"iam:*\", \"NotResource\": \"arn:aws:s3:::x\""),
         "KWP012 4:25 Allow with NotAction grants every action not listed, including future ones;"
         "KWP013 4:47 Allow with NotResource grants every resource not listed;"
         "KWP021 4:25 'NotAction' allows privilege escalation (glue:UpdateDevEndpoint, "
         "lambda:UpdateFunctionCode, "
         "sts:AssumeRole on \"*\");"
         "KWP022 4:25 'NotAction' grants actions whose answer holds credentials (ecr:GetAuthorizationToken, "
         "ecr-public:GetAuthorizationToken, codeartifact:GetAuthorizationToken, "
         "redshift:GetClusterCredentials, "
         "redshift:GetClusterCredentialsWithIAM and 15 more);"},
        {"escalation through a wildcard",
         STMT("\"Effect\": \"Allow\", \"Action\": \"iam:Put*Policy\", \"Resource\": "
              "\"arn:aws:iam::123456789012:user/x\""),
         "KWP021 4:35 'iam:Put*Policy' allows privilege escalation (iam:PutUserPolicy, iam:PutGroupPolicy, "
         "iam:PutRolePolicy);"},
        {"assume role on star",
         STMT("\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Resource\": \"*\""),
         "KWP021 4:35 'sts:AssumeRole' allows privilege escalation (sts:AssumeRole on \"*\");"
         "KWP020 4:65 write or permissions-management action on Resource \"*\": sts:AssumeRole;"},
        {"deny is not least-privilege checked",
         STMT("\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\""), ""},
        {"malformed action",
         STMT("\"Effect\": \"Deny\", \"Action\": [\"s3 GetObject\", \"s3:Get/Object\", \"s3\"], "
              "\"Resource\": \"*\""),
         "KWP040 4:35 action 's3 GetObject' is malformed (expected \"*\" or service:Action, letters, digits, "
         "* and ?);"
         "KWP040 4:51 action 's3:Get/Object' is malformed (expected \"*\" or service:Action, letters, "
         "digits, * and ?);"
         "KWP040 4:68 action 's3' is malformed (expected \"*\" or service:Action, letters, digits, * and "
         "?);"},
        {"condition operators",
         STMT("\"Effect\": \"Deny\", \"Action\": \"a:B\", \"Resource\": \"*\", \"Condition\": "
              "{\"StringEqual\": {\"k\": \"v\"}, \"ForAnyValue:StringLikeIfExists\": {\"k\": [\"v\"]}, "
              "\"NullIfExists\": {\"k\": \"true\"}, \"Bool\": {\"k\": {}}}"),
         "KWP041 4:72 unknown condition operator 'StringEqual' (did you mean 'StringEquals'?);"
         "KWP073 4:147 'NullIfExists': the Null operator takes no IfExists (Null itself tests whether the "
         "key is "
         "present);"
         "KWP001 4:192 value of condition key 'k' must be a string, number, boolean or a non-empty array of "
         "them;"},
        {"principal",
         STMT("\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"a:B\", \"Resource\": \"*\""),
         "KWP042 4:24 Principal is not allowed in a policy attached to a group or user;"},
        {"angle-bracket placeholder",
         STMT("\"Effect\": \"Deny\", \"Action\": \"a:B\", \"Resource\": \"arn:aws:ssm:*:<account_id>:x/<y\""),
         "KWP050 4:68 placeholder '<account_id>' left from the published policy (write the value, or "
         "${account_id} "
         "with vars:);"},
        {"placeholders",
         STMT("\"Effect\": \"Deny\", \"Action\": \"a:B\", \"Resource\": "
              "\"arn:aws:s3:::${BUCKET}/${*}${aws:userid}\""),
         "KWP050 4:67 template placeholder '${BUCKET}' is not filled (give it a value in vars:);"},
};

static void lint_codes_and_positions(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(lint_cases) / sizeof(lint_cases[0]); i++) {
		struct kw_policy *p = parse(lint_cases[i].text);
		struct kw_policy_findings f = {0};
		struct kw_buf got = KW_BUF_INIT;
		struct kw_error err;

		/* the grammar and name rules alone: the catalog's findings have their own corpus */
		assert_int_equal(kw_policy_lint_with(p, NULL, &f, &err), 0);
		for (size_t k = 0; k < f.n; k++)
			kw_buf_appendf(&got, "%s %u:%u %s;", f.items[k].code, f.items[k].line, f.items[k].col,
			               f.items[k].message);
		if (strcmp(got.data ? got.data : "", lint_cases[i].expect)) {
			print_error("lint case '%s':\n  expected %s\n  got      %s\n", lint_cases[i].name,
			            lint_cases[i].expect, got.data ? got.data : "");
			failures++;
		}
		kw_buf_release(&got);
		kw_policy_findings_release(&f);
		kw_policy_free(p);
	}
	assert_int_equal(failures, 0);
}

static size_t count_code(const struct kw_policy_findings *f, const char *code)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->items[i].code, code);
	return n;
}

static void eksctl_policies_are_flagged(void **state)
{
	static const struct {
		const char *file;
		size_t service_wildcards, writes_on_star;
	} cases[] = {
	        {"eksctl-EksAllAccess.json", 1, 3},
	        {"eksctl-AmazonEC2FullAccess.json", 4, 5},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		struct kw_policy *p = NULL;
		struct kw_policy_findings f = {0};
		struct kw_error err;

		snprintf(path, sizeof(path), "%s/policies/%s", KW_TEST_DATA_DIR, cases[i].file);
		assert_int_equal(kw_policy_load_file(path, &p, &err), 0);
		assert_int_equal(kw_policy_lint(p, &f, &err), 0);
		assert_int_equal(count_code(&f, "KWP011"), cases[i].service_wildcards);
		assert_int_equal(count_code(&f, "KWP020"), cases[i].writes_on_star);
		kw_policy_findings_release(&f);
		kw_policy_free(p);
	}
}

static void published_policies_that_are_tight_lint_clean(void **state)
{
	static const char *const files[] = {"external-dns.json", "external-dns-abac.json",
	                                    "cert-manager-route53.json", "aws-ebs-csi-driver.json"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		struct kw_policy *p = NULL;
		struct kw_policy_findings f = {0};
		struct kw_error err;

		snprintf(path, sizeof(path), "%s/policies/%s", KW_TEST_DATA_DIR, files[i]);
		assert_int_equal(kw_policy_load_file(path, &p, &err), 0);
		assert_int_equal(kw_policy_lint(p, &f, &err), 0);
		if (f.n)
			fail_msg("%s: %s %s", files[i], f.items[0].code, f.items[0].message);
		kw_policy_findings_release(&f);
		kw_policy_free(p);
	}
}

static void templates_fill_placeholders_and_leave_iam_variables(void **state)
{
	struct kw_policy *p =
	        parse("{\"Statement\": {\"Resource\": "
	              "[\"arn:${partition}:s3:::${BUCKET}/${aws:username}/${*}${?}${$}\"],"
	              " \"Condition\": {\"StringEquals\": {\"aws:ResourceTag/${TAG}\": \"${BUCKET}\"}}}}");
	struct kw_policy_var vars[] = {{"BUCKET", "b"}, {"partition", "aws"}, {"TAG", "team"}};
	struct kw_error err;
	json_t *names = kw_policy_placeholders(p);
	char *c;

	assert_int_equal(json_array_size(names), 3);
	assert_string_equal(json_string_value(json_array_get(names, 0)), "partition");
	json_decref(names);
	assert_int_equal(kw_policy_apply_vars(p, vars, 3, &err), 0);
	c = kw_policy_compact(p->doc);
	assert_string_equal(c,
	                    "{\"Statement\":{\"Resource\":[\"arn:aws:s3:::b/${aws:username}/${*}${?}${$}\"],"
	                    "\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/team\":\"b\"}}}}");
	free(c);
	kw_policy_free(p);
	p = parse("{\"a\": \"x\", \"b\": \"${Y}\"}");
	assert_int_equal(kw_policy_apply_vars(p, vars, 3, &err), -1);
	assert_string_equal(err.where, "t.json:1:18");
	assert_string_equal(err.msg, "template placeholder '${Y}' has no value in vars");
	kw_policy_free(p);
}

static void size_counts_without_whitespace(void **state)
{
	struct kw_policy *p = parse("{ \"Version\" : \"2012-10-17\" ,\n \"Statement\" : [ ] }");

	assert_int_equal(kw_policy_size(p->doc), strlen("{\"Version\":\"2012-10-17\",\"Statement\":[]}"));
	kw_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(positions_point_at_keys_and_values),
	        cmocka_unit_test(parse_errors_have_positions),
	        cmocka_unit_test(format_is_canonical),
	        cmocka_unit_test(format_is_idempotent_and_meaning_preserving_over_testdata),
	        cmocka_unit_test(equal_ignores_form_not_meaning),
	        cmocka_unit_test(diff_lists_added_and_removed_elements),
	        cmocka_unit_test(diff_is_coloured_when_asked),
	        cmocka_unit_test(lint_codes_and_positions),
	        cmocka_unit_test(eksctl_policies_are_flagged),
	        cmocka_unit_test(published_policies_that_are_tight_lint_clean),
	        cmocka_unit_test(templates_fill_placeholders_and_leave_iam_variables),
	        cmocka_unit_test(size_counts_without_whitespace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
