/*
 * Unit tests for src/manifest: every error kind as data (manifest text -> first diagnostic,
 * exact "line:col: message"), the structs a valid manifest gives, folders and documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "manifest/names.h"
#include "util/error.h"

/* A scratch folder (testlib.h's helpers are not all used here, which -Werror refuses). */
static struct {
	char dir[64];
	char path[8][320];
	int next;
} scratch;

static char *scratch_path(void *unused, const char *name)
{
	char *p = scratch.path[scratch.next++ % 8];

	snprintf(p, sizeof(scratch.path[0]), "%s/%s", scratch.dir, name);
	return p;
}

static void write_text(const char *name, const char *text)
{
	char *path = scratch_path(NULL, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const char ok_json[] = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\",\n"
                              "  \"Action\": [\"ec2:DescribeInstances\"], \"Resource\": \"*\"}]}\n";

static int setup(void **state)
{
	struct kw_buf big = KW_BUF_INIT;

	snprintf(scratch.dir, sizeof(scratch.dir), "/tmp/kw-test-manifest-XXXXXX");
	assert_non_null(mkdtemp(scratch.dir));
	write_text("ok.json", ok_json);
	write_text("wide.json",
	           "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n"
	           "    \"Action\": \"s3:PutObject\",\n    \"Resource\": \"*\"\n  }\n}\n");
	write_text("admin.json",
	           "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", "
	           "\"Resource\": \"*\"}}\n");
	write_text(
	        "tpl.json",
	        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n"
	        "    \"Action\": \"s3:GetObject\",\n    \"Resource\": \"arn:aws:s3:::${BUCKET}/${PREFIX}*\"\n"
	        "  }\n}\n");
	write_text("syntax.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": "
	                          "\"Allow\",}\n  ]\n}\n");
	write_text("dup.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Version\": \"2012-10-17\"\n}\n");
	write_text("my policy.json", ok_json);
	/* two policies of ~3,000 characters each: together over the 5,120 quota */
	kw_buf_puts(
	        &big,
	        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Resource\": \"*\", "
	        "\"Action\": [");
	for (int i = 0; i < 120; i++)
		kw_buf_appendf(&big, "%s\"ec2:Describe*********\"", i ? "," : ""); /* 21 characters */
	kw_buf_puts(&big, "]}]}\n");
	write_text("big1.json", big.data);
	write_text("big2.json", big.data);
	kw_buf_release(&big);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch.dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Load text as <scratch>/m.yaml; returns the set (never NULL for invalid input). */
static struct kw_manifest_set *load(const char *text, int *rc)
{
	struct kw_manifest_set *set = NULL;
	struct kw_error err;
	char *path = scratch_path(NULL, "m.yaml");

	*rc = kw_manifest_load_buffer(text, strlen(text), path, &set, &err);
	assert_non_null(set);
	return set;
}

#define BASE "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: app\nspec:\n"

struct error_case {
	const char *name;
	const char *yaml;
	const char *file;   /* file of the diagnostic relative to scratch; NULL = m.yaml */
	const char *expect; /* "line:col: message" of the first blocking diagnostic */
};

static const struct error_case error_cases[] = {
        {"unknown key with a hint", BASE "  tag:\n    owner: x\n", NULL,
         "6:3: unknown key 'tag' in spec (did you mean 'tags'?)"},
        {"unknown key without a hint", BASE "  frobnicate: 1\n", NULL,
         "6:3: unknown key 'frobnicate' in spec (expected one of: path, tags, policies, permissionsBoundary, "
         "console, "
         "mfa, accessKeys)"},
        {"unknown top-level key, case", "apiversion: keywarden/v1\n", NULL,
         "1:1: unknown key 'apiversion' in a manifest (did you mean 'apiVersion'?)"},
        {"duplicate key", BASE "  mfa: none\n  mfa: virtual\n", NULL,
         "7:3: duplicate key 'mfa' in spec (first at line 6, column 3)"},
        {"wrong type", BASE "  tags:\n    - owner\n", NULL, "7:5: spec.tags must be a mapping, found a list"},
        {"missing name", "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {}\nspec: {}\n", NULL,
         "3:11: missing required key 'name' in metadata"},
        {"missing spec", "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: x}\n", NULL,
         "1:1: missing required key 'spec' in a manifest"},
        {"wrong apiVersion", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\nspec: {}\n", NULL,
         "1:13: apiVersion must be 'keywarden/v1', found 'v1'"},
        {"wrong kind", "apiVersion: keywarden/v1\nkind: User\nmetadata: {name: x}\nspec: {}\n", NULL,
         "2:7: kind must be 'ServiceAccount', found 'User'"},
        {"name with a space",
         "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: my app\nspec: {}\n", NULL,
         "4:9: metadata.name 'my app' must use only letters, digits and +=,.@_- (IAM user names), found ' ' "
         "(U+0020)"},
        {"name with a non-ASCII letter, shown whole",
         "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: "
         "f\xc3\xb8o\nspec: {}\n",
         NULL,
         "4:9: metadata.name 'f\xc3\xb8o' must use only letters, digits and +=,.@_- (IAM user names), found "
         "'\xc3\xb8' (U+00F8)"},
        {"terminal escape in a quoted value is escaped",
         "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n"
         "  name: \"a\\e[31mb\"\nspec: {}\n",
         NULL,
         "4:9: metadata.name 'a\\x1b[31mb' must use only letters, digits and +=,.@_- (IAM user names), found "
         "'' (U+001B)"},
        {"tag value emoji refused as IAM does", BASE "  tags:\n    mood: \"ok \xf0\x9f\x98\x80\"\n", NULL,
         "7:11: value of tag 'mood' holds '\xf0\x9f\x98\x80' (U+1F600): IAM tags allow letters, digits, "
         "spaces and _ . "
         ": / = + - @"},
        {"tag value check mark refused", BASE "  tags:\n    done: \"\xe2\x9c\x93\"\n", NULL,
         "7:11: value of tag 'done' holds '\xe2\x9c\x93' (U+2713): IAM tags allow letters, digits, spaces "
         "and _ . : / "
         "= + - @"},
        {"empty file", "", NULL, "0:0: no manifest in this file (it is empty or holds only comments)"},
        {"only comments", "# nothing here\n---\n", NULL,
         "0:0: no manifest in this file (it is empty or holds only comments)"},
        {"name too long",
         "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n"
         "  name: abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcde\nspec: {}\n",
         NULL,
         "4:9: metadata.name 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcde' is 57 characters: "
         "user name "
         "'service-<name>' must be at most 64, so at most 56"},
        {"name is a list",
         "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: [a]\nspec: {}\n", NULL,
         "4:9: metadata.name must be a string, found a list"},
        {"path without slashes", BASE "  path: service\n", NULL,
         "6:9: path 'service' must start and end with '/'"},
        {"path with a space", BASE "  path: /a b/\n", NULL,
         "6:9: path '/a b/' must use printable ASCII without spaces"},
        {"tag with aws: prefix", BASE "  tags:\n    AWS:x: y\n", NULL,
         "7:5: tag key 'AWS:x' must not start with 'aws:' (reserved for AWS)"},
        {"tag keys differing in case", BASE "  tags:\n    Owner: a\n    owner: b\n", NULL,
         "8:5: duplicate tag key 'owner' (first at line 7, column 5; compared ignoring case)"},
        {"tag keywarden: prefix reserved", BASE "  tags:\n    Keywarden:delivered:AKIAX: now\n", NULL,
         "7:5: tag key 'Keywarden:delivered:AKIAX' is reserved: keys beginning 'keywarden:' are "
         "keywarden's own markers"},
        {"tag managed-by reserved", BASE "  tags:\n    managed-by: me\n", NULL,
         "7:5: tag key 'managed-by' is reserved: keywarden adds 'managed-by: keywarden' itself"},
        {"tag value bad character", BASE "  tags:\n    owner: a;b\n", NULL,
         "7:12: value of tag 'owner' holds ';' (U+003B): IAM tags allow letters, digits, spaces and _ . : / "
         "= + - @"},
        {"tag value is a mapping", BASE "  tags:\n    owner: {a: b}\n", NULL,
         "7:12: value of tag 'owner' must be a string, found a mapping"},
        {"managed ARN malformed", BASE "  policies:\n    - managed: arn:aws:iam::123:policy/x\n", NULL,
         "7:16: managed policy ARN 'arn:aws:iam::123:policy/x' is malformed (expected "
         "arn:PARTITION:iam::ACCOUNT|aws:policy/[PATH/]NAME)"},
        {"managed listed twice",
         BASE "  policies:\n    - managed: arn:aws:iam::aws:policy/ReadOnlyAccess\n"
              "    - managed: arn:aws:iam::aws:policy/ReadOnlyAccess\n",
         NULL, "8:16: managed policy 'arn:aws:iam::aws:policy/ReadOnlyAccess' is listed twice"},
        {"eleven managed policies",
         BASE
         "  policies:\n    - managed: arn:aws:iam::aws:policy/P1\n    - managed: arn:aws:iam::aws:policy/P2\n"
         "    - managed: arn:aws:iam::aws:policy/P3\n    - managed: arn:aws:iam::aws:policy/P4\n"
         "    - managed: arn:aws:iam::aws:policy/P5\n    - managed: arn:aws:iam::aws:policy/P6\n"
         "    - managed: arn:aws:iam::aws:policy/P7\n    - managed: arn:aws:iam::aws:policy/P8\n"
         "    - managed: arn:aws:iam::aws:policy/P9\n    - managed: arn:aws:iam::aws:policy/P10\n"
         "    - managed: arn:aws:iam::123456789012:policy/team/P11\n",
         NULL, "7:5: 11 managed policies, over IAM's quota of 10 per group"},
        {"inline and managed together",
         BASE "  policies:\n    - inline: ok.json\n      managed: arn:aws:iam::aws:policy/X\n", NULL,
         "7:7: a policies entry needs exactly one of 'inline' (a policy file) or 'managed' (an ARN)"},
        {"vars on a managed policy",
         BASE "  policies:\n    - managed: arn:aws:iam::aws:policy/X\n      vars: {A: b}\n", NULL,
         "8:7: 'vars' applies to inline policies only"},
        {"boundary malformed", BASE "  permissionsBoundary: arn:aws:iam::123456789012:role/x\n", NULL,
         "6:24: permissionsBoundary 'arn:aws:iam::123456789012:role/x' is not a policy ARN "
         "(arn:PARTITION:iam::ACCOUNT|aws:policy/[PATH/]NAME)"},
        {"console enabled", BASE "  console: enabled\n", NULL,
         "6:12: console must be 'disabled': a service account never gets a password (found 'enabled')"},
        {"mfa unknown", BASE "  mfa: totp\n", NULL, "6:8: mfa must be 'virtual' or 'none', found 'totp'"},
        {"maxAgeDays quoted", BASE "  accessKeys:\n    maxAgeDays: \"90\"\n", NULL,
         "7:17: accessKeys.maxAgeDays must be a whole number of days, found a string"},
        {"maxAgeDays zero", BASE "  accessKeys:\n    maxAgeDays: 0\n", NULL,
         "7:17: accessKeys.maxAgeDays must be between 1 and 3650, found 0"},
        {"maxAgeDays negative", BASE "  accessKeys:\n    maxAgeDays: -1\n", NULL,
         "7:17: accessKeys.maxAgeDays must be between 1 and 3650, found -1"},
        {"maxAgeDays malformed", BASE "  accessKeys:\n    maxAgeDays: 7x\n", NULL,
         "7:17: accessKeys.maxAgeDays must be a whole number of days, found a malformed number"},
        {"deliver two kinds", BASE "  accessKeys:\n    deliver:\n      - profile: p\n        stdout: true\n",
         NULL,
         "8:9: a deliver entry needs exactly one of 'profile', 'file', 'stdout', 'exec', 'secretsManager' "
         "or 'ssmParameter'"},
        {"deliver format unknown",
         BASE "  accessKeys:\n    deliver:\n      - stdout: true\n        format: yaml\n", NULL,
         "9:17: format 'yaml' must be json, env, credentials or template"},
        {"deliver template field unknown",
         BASE "  accessKeys:\n    deliver:\n      - file: k\n        template: \"{{SecretKey}}\"\n", NULL,
         "9:19: template field {{SecretKey}} is not one of AccessKeyId, SecretAccessKey, UserName, "
         "CreateDate"},
        {"deliver format on a profile",
         BASE "  accessKeys:\n    deliver:\n      - profile: p\n        format: env\n", NULL,
         "9:9: 'format' applies to file, stdout and exec only (a profile is always an INI section)"},
        {"deliver parameter name aws",
         BASE "  accessKeys:\n    deliver:\n      - ssmParameter: {name: /awsKey}\n", NULL,
         "8:30: parameter name '/awsKey' may not begin with 'aws' or 'ssm' (any case)"},
        {"deliver tier on a secret",
         BASE "  accessKeys:\n    deliver:\n      - secretsManager: {name: a, tier: Advanced}\n", NULL,
         "8:35: 'tier' applies to ssmParameter only"},
        {"deliver secret region differs from ARN",
         BASE "  accessKeys:\n    deliver:\n      - secretsManager:\n          name: "
              "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf\n          region: us-east-1\n",
         NULL, "10:19: region 'us-east-1' differs from the ARN's region 'eu-west-1'"},
        {"deliver store without name",
         BASE "  accessKeys:\n    deliver:\n      - ssmParameter: {tier: Standard}\n", NULL,
         "8:23: ssmParameter needs a 'name'"},
        {"deliver profile with a space", BASE "  accessKeys:\n    deliver:\n      - profile: a b\n", NULL,
         "8:18: profile name 'a b' must be 1-64 characters without spaces, '[' or ']'"},
        {"deliver region malformed",
         BASE "  accessKeys:\n    deliver:\n      - profile: p\n        region: Europe\n", NULL,
         "9:17: region 'Europe' is not a region name such as eu-west-1"},
        {"deliver region on a file",
         BASE "  accessKeys:\n    deliver:\n      - file: k.json\n        region: eu-west-1\n", NULL,
         "9:9: 'region' applies to 'profile' delivery only"},
        {"deliver file empty", BASE "  accessKeys:\n    deliver:\n      - file: \"\"\n", NULL,
         "8:15: file '' is not a file path"},
        {"deliver file is a folder", BASE "  accessKeys:\n    deliver:\n      - file: keys/\n", NULL,
         "8:15: file 'keys/' is not a file path"},
        {"deliver stdout false", BASE "  accessKeys:\n    deliver:\n      - stdout: false\n", NULL,
         "8:17: stdout must be true (a boolean), found false"},
        {"deliver exec empty", BASE "  accessKeys:\n    deliver:\n      - exec: \"  \"\n", NULL,
         "8:15: exec must name a command"},
        {"policy file missing", BASE "  policies:\n    - inline: missing.json\n", NULL,
         "7:15: cannot read policy file '{dir}/missing.json': no such file"},
        {"policy file invalid JSON", BASE "  policies:\n    - inline: syntax.json\n", "syntax.json",
         "4:24: invalid JSON: string or '}' expected near '}'"},
        {"policy file duplicate key", BASE "  policies:\n    - inline: dup.json\n", "dup.json",
         "3:3: invalid JSON: duplicate object key near '\"Version\"'"},
        {"template placeholder without value",
         BASE "  policies:\n    - inline: tpl.json\n      vars:\n        BUCKET: b\n", "tpl.json",
         "6:41: template placeholder '${PREFIX}' has no value in vars"},
        {"vars name with a colon",
         BASE "  policies:\n    - inline: tpl.json\n      vars:\n        aws:x: b\n", NULL,
         "9:9: vars name 'aws:x' must be letters, digits, '_', '.' or '-' (no colon: ${aws:...} are IAM "
         "policy "
         "variables)"},
        {"lint warning not accepted", BASE "  policies:\n    - inline: wide.json\n", "wide.json",
         "6:17: Write, Permissions management or Tagging action on Resource \"*\": s3:PutObject"},
        {"lint error cannot be accepted",
         BASE "  policies:\n    - inline: admin.json\n      allow:\n        - {code: KWP010, reason: we "
              "really need admin}\n",
         "admin.json",
         "1:70: Allow with Action \"*\" grants every action of every service (errors cannot be accepted with "
         "allow)"},
        {"allow unknown code",
         BASE "  policies:\n    - inline: ok.json\n      allow:\n        - {code: KWP999, reason: because of "
              "reasons}\n",
         NULL, "9:18: unknown lint code 'KWP999' (see 'keywarden policy lint --help')"},
        {"allow reason too short",
         BASE "  policies:\n    - inline: wide.json\n      allow:\n        - {code: KWP020, reason: ok}\n",
         NULL, "9:34: allow.reason must explain why the finding is accepted (10 characters or more)"},
        {"inline policies over 5120", BASE "  policies:\n    - inline: big1.json\n    - inline: big2.json\n",
         NULL,
         "7:5: inline policies of group 'service-app' together hold 5926 characters, over IAM's quota of "
         "5120"},
        {"two inline policies with one name",
         BASE "  policies:\n    - inline: ok.json\n    - inline: sub/../ok.json\n", NULL,
         "8:15: two inline policies are named 'ok' (set 'name:' on one)"},
        {"policy name from an odd file name", BASE "  policies:\n    - inline: my policy.json\n", NULL,
         "7:15: policy name 'my policy' must be 1-128 characters of letters, digits and +=,.@_- (set 'name:' "
         "to choose "
         "another)"},
        {"invalid YAML", BASE "  tags:\n    owner: [a\n", NULL,
         "8:1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence"},
        {"tab indentation", BASE "\ttags: {}\n", NULL,
         "6:1: invalid YAML: found character that cannot start any token while scanning for the next token"},
        {"flow nesting too deep",
         "spec: "
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
         "[]]\n",
         NULL, "1:71: YAML nested deeper than 64 levels of [ ] and { }"},
        {"explicit YAML tag", BASE "  accessKeys:\n    maxAgeDays: !!int \"30\"\n", NULL,
         "7:17: YAML tag 'tag:yaml.org,2002:int' is not allowed in manifests (write the value plainly)"},
        {"custom YAML tag", BASE "  mfa: !env MFA\n", NULL,
         "6:8: YAML tag '!env' is not allowed in manifests (write the value plainly)"},
        {"document is a list", "- a\n- b\n", NULL,
         "1:1: a manifest document must be a mapping, found a list"},
        {"alias bomb",
         "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
         NULL, "4:36: alias '*c' expands the document past 10000 nodes (alias bomb?)"},
        {"same account twice",
         "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: App}\nspec: {}\n---\n"
         "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: app}\nspec: {}\n",
         NULL, "6:1: service account 'app' is defined twice: here and at {dir}/m.yaml:1:1"},
};

/* c->expect with "{dir}" replaced by the scratch folder. */
static void expand_dir(char *out, size_t size, const char *in)
{
	const char *at = strstr(in, "{dir}");

	if (!at)
		snprintf(out, size, "%s", in);
	else
		snprintf(out, size, "%.*s%s%s", (int)(at - in), in, scratch.dir, at + 5);
}

static void every_error_kind_has_its_position_and_message(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct kw_manifest_set *set;
		char expect[1024], got[1024], want_file[512];
		const struct kw_diag *d = NULL;
		int rc;

		set = load(c->yaml, &rc);
		for (size_t k = 0; k < set->diags.n && !d; k++)
			if (set->diags.items[k].severity >= KW_SEV_WARNING && !set->diags.items[k].accepted)
				d = &set->diags.items[k];
		if (rc != -1 || !d) {
			print_error("case '%s': expected an error, got rc=%d\n", c->name, rc);
			failures++;
			kw_manifest_set_free(set);
			continue;
		}
		expand_dir(expect, sizeof(expect), c->expect);
		snprintf(got, sizeof(got), "%u:%u: %s", d->line, d->col, d->message);
		if (strcmp(got, expect)) {
			print_error("case '%s':\n  expected %s\n  got      %s\n", c->name, expect, got);
			failures++;
		}
		snprintf(want_file, sizeof(want_file), "%s/%s", scratch.dir, c->file ? c->file : "m.yaml");
		if (strcmp(d->file, want_file)) {
			print_error("case '%s': file %s, expected %s\n", c->name, d->file, want_file);
			failures++;
		}
		if (set->n != (!strcmp(c->name, "same account twice") ? 2u : 0u)) {
			print_error("case '%s': %zu manifests kept\n", c->name, set->n);
			failures++;
		}
		kw_manifest_set_free(set);
	}
	assert_int_equal(failures, 0);
}

static void all_errors_are_reported_not_just_the_first(void **state)
{
	int rc;
	struct kw_manifest_set *set = load(
	        BASE "  tag: {}\n  console: enabled\n  mfa: totp\n  accessKeys:\n    maxAgeDays: 0\n", &rc);
	struct kw_error err;

	assert_int_equal(rc, -1);
	assert_int_equal(set->nerrors, 4);
	assert_int_equal(set->diags.items[0].line, 6);
	assert_int_equal(set->diags.items[3].line, 10);
	kw_manifest_set_free(set);
	set = NULL;
	assert_int_equal(kw_manifest_load_buffer(BASE "  tag: {}\n  mfa: totp\n", 26, "x.yaml", &set, &err),
	                 -1);
	kw_manifest_set_free(set);
	set = NULL;
	{
		const char *t = BASE "  tag: {}\n  mfa: totp\n";
		assert_int_equal(kw_manifest_load_buffer(t, strlen(t), "x.yaml", &set, &err), -1);
	}
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_string_equal(err.where, "x.yaml:6:3");
	assert_string_equal(err.msg, "unknown key 'tag' in spec (did you mean 'tags'?) (and 1 more)");
	kw_manifest_set_free(set);
}

static void a_full_manifest_fills_every_field(void **state)
{
	int rc;
	struct kw_manifest_set *set =
	        load("# comment\n"
	             "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata:\n  name: velero\nspec:\n"
	             "  path: /service/\n  tags:\n    owner: platform\n    empty:\n  policies:\n"
	             "    - inline: tpl.json\n      name: velero-s3\n      vars: {BUCKET: backups, PREFIX: "
	             "\"v/\"}\n"
	             "    - inline: wide.json\n      allow:\n        - code: KWP020\n          reason: "
	             "objects are named at run time\n"
	             "    - managed: arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess\n"
	             "  permissionsBoundary: arn:aws-us-gov:iam::123456789012:policy/boundaries/service\n"
	             "  console: disabled\n  mfa: none\n  accessKeys:\n    maxAgeDays: 30\n    deliver:\n"
	             "      - profile: service-velero\n        region: eu-west-1\n        output: json\n"
	             "      - file: keys/velero.json\n      - stdout: true\n      - exec: vault kv put "
	             "secret/velero -\n",
	             &rc);
	const struct kw_manifest *m;
	char path[512];

	assert_int_equal(rc, 0);
	assert_int_equal(set->n, 1);
	m = set->items[0];
	assert_string_equal(m->name, "velero");
	assert_string_equal(m->user_name, "service-velero");
	assert_string_equal(m->group_name, "service-velero");
	assert_string_equal(m->path, "/service/");
	assert_int_equal(m->line, 2);
	assert_int_equal(m->ntags, 3);
	assert_string_equal(m->tags[0].key, "owner");
	assert_string_equal(m->tags[1].key, "empty");
	assert_string_equal(m->tags[1].value, "");
	assert_string_equal(m->tags[2].key, "managed-by");
	assert_string_equal(m->tags[2].value, "keywarden");
	assert_int_equal(m->ninline, 2);
	assert_string_equal(m->inline_policies[0].name, "velero-s3");
	assert_string_equal(
	        m->inline_policies[0].document,
	        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
	        "\"Resource\":\"arn:aws:s3:::backups/v/*\"}}");
	assert_non_null(m->inline_policies[0].normalized);
	assert_string_equal(m->inline_policies[1].name, "wide");
	assert_int_equal(m->inline_policies[1].nallow, 1);
	assert_string_equal(m->inline_policies[1].allow[0].code, "KWP020");
	assert_true(m->inline_policies[1].allow[0].used);
	assert_int_equal(m->nmanaged, 1);
	assert_string_equal(m->permissions_boundary,
	                    "arn:aws-us-gov:iam::123456789012:policy/boundaries/service");
	assert_false(m->console);
	assert_int_equal(m->mfa, KW_MFA_NONE);
	assert_int_equal(m->max_age_days, 30);
	assert_int_equal(m->ndeliver, 4);
	assert_int_equal(m->deliver[0].kind, KW_DELIVER_PROFILE);
	assert_string_equal(m->deliver[0].profile, "service-velero");
	assert_string_equal(m->deliver[0].region, "eu-west-1");
	assert_string_equal(m->deliver[0].output, "json");
	assert_int_equal(m->deliver[1].kind, KW_DELIVER_FILE);
	snprintf(path, sizeof(path), "%s/keys/velero.json", scratch.dir);
	assert_string_equal(m->deliver[1].path, path);
	assert_int_equal(m->deliver[2].kind, KW_DELIVER_STDOUT);
	assert_int_equal(m->deliver[3].kind, KW_DELIVER_EXEC);
	assert_string_equal(m->deliver[3].command, "vault kv put secret/velero -");
	assert_string_equal(m->dir, scratch.dir);
	/* the accepted finding is kept, marked accepted */
	assert_int_equal(set->diags.n, 1);
	assert_true(set->diags.items[0].accepted);
	assert_string_equal(set->diags.items[0].code, "KWP020");
	assert_ptr_equal(kw_manifest_find_user(set, "SERVICE-velero"), m);
	assert_ptr_equal(kw_manifest_find_name(set, "velero"), m);
	assert_null(kw_manifest_find_name(set, "other"));
	kw_manifest_set_free(set);
}

static void defaults_apply(void **state)
{
	int rc;
	struct kw_manifest_set *set = load(BASE "  policies:\n    - inline: ok.json\n", &rc);
	const struct kw_manifest *m;

	assert_int_equal(rc, 0);
	m = set->items[0];
	assert_string_equal(m->path, "/");
	assert_int_equal(m->mfa, KW_MFA_VIRTUAL);
	assert_int_equal(m->max_age_days, KW_MANIFEST_DEFAULT_AGE);
	assert_int_equal(m->ntags, 1);
	assert_null(m->permissions_boundary);
	assert_int_equal(m->ndeliver, 0);
	assert_string_equal(m->inline_policies[0].name, "ok");
	kw_manifest_set_free(set);
}

static void several_documents_and_an_empty_one(void **state)
{
	int rc;
	struct kw_manifest_set *set =
	        load("---\napiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: a}\nspec: "
	             "{}\n---\n---\n"
	             "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: b}\nspec: {}\n...\n",
	             &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(set->n, 2);
	assert_string_equal(set->items[0]->name, "a");
	assert_string_equal(set->items[1]->name, "b");
	assert_int_equal(set->items[1]->doc_index, 2);
	assert_int_equal(set->items[1]->line, 8);
	kw_manifest_set_free(set);
}

static void a_folder_is_read_recursively_in_sorted_order(void **state)
{
	struct kw_manifest_set *set = NULL;
	struct kw_error err;
	char dir[300], sub[320];
	const char *paths[1];

	snprintf(dir, sizeof(dir), "%s/tree", scratch.dir);
	snprintf(sub, sizeof(sub), "%s/tree/b-sub", scratch.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_text("tree/c.yaml",
	           "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: c}\nspec: {}\n");
	write_text("tree/a.yml",
	           "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: a}\nspec: {}\n");
	write_text("tree/b-sub/b.yaml",
	           "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: b}\nspec: {}\n");
	write_text("tree/.hidden.yaml", "not: a manifest\n");
	write_text("tree/notes.txt", "not: a manifest\n");
	paths[0] = dir;
	assert_int_equal(kw_manifest_load_paths(paths, 1, &set, &err), 0);
	assert_int_equal(set->n, 3);
	assert_int_equal(set->nfiles, 3);
	assert_string_equal(set->items[0]->name, "a");
	assert_string_equal(set->items[1]->name, "b");
	assert_string_equal(set->items[2]->name, "c");
	kw_manifest_set_free(set);
	/* a file named again (here inside the folder) is read once */
	{
		const char *twice[2] = {dir, NULL};
		char again[400];
		snprintf(again, sizeof(again), "%s/tree/a.yml", scratch.dir);
		twice[1] = again;
		set = NULL;
		assert_int_equal(kw_manifest_load_paths(twice, 2, &set, &err), 0);
		assert_int_equal(set->n, 3);
		kw_manifest_set_free(set);
	}
	/* a folder without manifests is an error (a mistyped path must not pass CI) */
	paths[0] = sub;
	assert_int_equal(
	        rename(scratch_path(NULL, "tree/b-sub/b.yaml"), scratch_path(NULL, "tree/b-sub/b.txt")), 0);
	set = NULL;
	assert_int_equal(kw_manifest_load_paths(paths, 1, &set, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_string_equal(err.msg, "no manifests (*.yaml, *.yml) in this folder");
	kw_manifest_set_free(set);
	/* a missing path is an I/O error, no set */
	paths[0] = "/nonexistent/manifests";
	set = NULL;
	assert_int_equal(kw_manifest_load_paths(paths, 1, &set, &err), -1);
	assert_int_equal(err.kind, KW_ERR_IO);
	assert_null(set);
}

/*
 * The tag budget: IAM allows 50 tags per user; keywarden keeps up to 5 of its own (managed-by,
 * owner, delivered markers of two keys, a grace marker), so 45 manifest tags are valid and 46 are not.
 */
static void tag_budget_leaves_room_for_keywardens_tags(void **state)
{
	char text[4096];
	int rc;

	(void)state;
	assert_int_equal(KW_MANIFEST_MAX_TAGS + KW_MANIFEST_RESERVED_TAGS, 50);
	for (int ntags = 45; ntags <= 46; ntags++) {
		struct kw_manifest_set *set;
		size_t len = (size_t)snprintf(text, sizeof(text), "%s  tags:\n", BASE);

		for (int i = 0; i < ntags; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "    t%02d: v\n", i);
		set = load(text, &rc);
		if (ntags == 45) {
			assert_int_equal(rc, 0);
			assert_int_equal(set->items[0]->ntags, 46); /* managed-by added */
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(
			        strstr(set->diags.items[0].message,
			               "46 tags, at most 45: IAM allows 50 per user and keywarden keeps "
			               "5 of its own (managed-by, keywarden:owner, keywarden:delivered:<id> "
			               "for two keys, keywarden:inactive:<id>)"));
		}
		kw_manifest_set_free(set);
	}
}

static void names_and_limits(void **state)
{
	char why[160];
	char *s;

	assert_true(kw_names_policy_arn_ok("arn:aws:iam::aws:policy/ReadOnlyAccess"));
	assert_true(kw_names_policy_arn_ok("arn:aws-cn:iam::123456789012:policy/a/b/c-d"));
	assert_false(kw_names_policy_arn_ok("arn:aws:iam::aws:role/x"));
	assert_false(kw_names_policy_arn_ok("arn:aws:s3:::bucket"));
	assert_false(kw_names_policy_arn_ok("arn:aws:iam::12345678901:policy/x"));
	assert_false(kw_names_policy_arn_ok("arn:aws:iam::aws:policy/"));
	assert_int_equal(kw_names_check_path("/", why, sizeof(why)), 0);
	assert_int_equal(kw_names_check_path("/a/b/", why, sizeof(why)), 0);
	assert_int_equal(kw_names_check_path("/a//", why, sizeof(why)), -1);
	assert_int_equal(kw_names_check_tag_key("kubernetes.io/cluster:x=y+z@w", why, sizeof(why)), 0);
	assert_int_equal(kw_names_check_tag_key("équipe", why, sizeof(why)), 0);
	assert_int_equal(kw_names_check_tag_key("", why, sizeof(why)), -1);
	assert_int_equal(kw_names_check_tag_value("", why, sizeof(why)), 0);
	assert_true(kw_names_region_ok("us-gov-west-1"));
	assert_false(kw_names_region_ok("eu-west"));
	assert_true(kw_names_profile_ok("service-x"));
	assert_false(kw_names_profile_ok("a]b"));
	s = kw_names_policy_name_from_file("../policies/x.y.json");
	assert_string_equal(s, "x.y");
	free(s);
	assert_int_equal(kw_names_text_size("{ \"a\" :\n 1 }"), 7);
}

/* KMS key names as Secrets Manager and SSM take them; file paths within the system's limits. */
static void kms_keys_and_file_paths(void **state)
{
	char region[64], path[300];

	(void)state;
	assert_null(kw_names_kms_key_problem("1234abcd-12ab-34cd-56ef-1234567890ab", region));
	assert_string_equal(region, "");
	assert_null(kw_names_kms_key_problem("mrk-1234abcd12ab34cd56ef1234567890ab", region));
	assert_null(kw_names_kms_key_problem("alias/aws/secretsmanager", region));
	assert_null(kw_names_kms_key_problem("alias/keys_2-x", region));
	assert_null(kw_names_kms_key_problem(
	        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", region));
	assert_string_equal(region, "eu-west-1");
	assert_null(
	        kw_names_kms_key_problem("arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/k", region));
	assert_string_equal(region, "us-gov-west-1");
	assert_non_null(kw_names_kms_key_problem("", region));
	assert_non_null(kw_names_kms_key_problem("not a key", region));
	assert_non_null(kw_names_kms_key_problem("alias/", region));
	assert_non_null(kw_names_kms_key_problem("alias/a b", region));
	assert_non_null(kw_names_kms_key_problem("1234abcd-12ab-34cd-56ef-1234567890a", region));
	assert_non_null(kw_names_kms_key_problem("mrk-123", region));
	assert_non_null(kw_names_kms_key_problem("arn:aws:kms:eu-west-1:1111:key/x", region));
	assert_string_equal(region, "");
	assert_non_null(kw_names_kms_key_problem("arn:aws:kms:eu-west-1:111122223333:secret/x", region));
	assert_non_null(kw_names_kms_key_problem("arn:aws:s3:eu-west-1:111122223333:alias/k", region));

	assert_null(kw_names_file_path_problem("/srv/keys/velero.env"));
	memset(path, 'k', 234);
	path[234] = '\0';
	assert_null(kw_names_file_path_problem(path));
	path[234] = 'k';
	path[235] = '\0';
	assert_non_null(kw_names_file_path_problem(path)); /* its temporary file would not fit */
	memset(path, 'd', 256);
	snprintf(path + 256, sizeof(path) - 256, "/k.json");
	assert_non_null(kw_names_file_path_problem(path));
}

/* A target named twice: in one manifest (every kind), or a place in two manifests. */
static void a_target_named_twice_is_an_error(void **state)
{
	static const char one[] = "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: a}\n"
	                          "spec:\n  mfa: none\n  accessKeys:\n    deliver:\n"
	                          "      - stdout: true\n      - stdout: true\n";
	static const char two[] = "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: a}\n"
	                          "spec:\n  mfa: none\n  accessKeys:\n    deliver:\n"
	                          "      - profile: p\n      - stdout: true\n"
	                          "---\napiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: b}\n"
	                          "spec:\n  mfa: none\n  accessKeys:\n    deliver:\n"
	                          "      - stdout: true\n      - profile: p\n";
	static const char shared[] =
	        "apiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: a}\n"
	        "spec:\n  mfa: none\n  accessKeys:\n    deliver:\n      - stdout: true\n"
	        "      - exec: cat\n"
	        "---\napiVersion: keywarden/v1\nkind: ServiceAccount\nmetadata: {name: b}\n"
	        "spec:\n  mfa: none\n  accessKeys:\n    deliver:\n      - stdout: true\n"
	        "      - exec: cat\n";
	struct kw_manifest_set *set = NULL;
	struct kw_error err;

	(void)state;
	assert_int_equal(kw_manifest_load_buffer(one, strlen(one), "m/one.yaml", &set, &err), -1);
	assert_string_equal(err.where, "m/one.yaml:9:9");
	assert_non_null(
	        strstr(err.msg, "stdout is a delivery target twice in this manifest (first at line 8"));
	kw_manifest_set_free(set);
	assert_int_equal(kw_manifest_load_buffer(two, strlen(two), "m/two.yaml", &set, &err), -1);
	assert_string_equal(err.where, "m/two.yaml:19:9");
	assert_non_null(strstr(err.msg, "profile 'p' is also the delivery target of service account 'a' at "
	                                "m/two.yaml:8:9"));
	kw_manifest_set_free(set);
	assert_int_equal(kw_manifest_load_buffer(shared, strlen(shared), "m/s.yaml", &set, &err), 0);
	assert_int_equal(set->n, 2);
	kw_manifest_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(every_error_kind_has_its_position_and_message),
	        cmocka_unit_test(all_errors_are_reported_not_just_the_first),
	        cmocka_unit_test(a_full_manifest_fills_every_field),
	        cmocka_unit_test(defaults_apply),
	        cmocka_unit_test(several_documents_and_an_empty_one),
	        cmocka_unit_test(a_folder_is_read_recursively_in_sorted_order),
	        cmocka_unit_test(names_and_limits),
	        cmocka_unit_test(kms_keys_and_file_paths),
	        cmocka_unit_test(a_target_named_twice_is_an_error),
	        cmocka_unit_test(tag_budget_leaves_room_for_keywardens_tags),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
