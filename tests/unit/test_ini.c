/* Unit tests for src/aws/ini: reading AWS config/credentials files and editing one section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/ini.h"
#include "util/error.h"
#include "util/secret.h"

static const char SECRET[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

static struct kw_ini *parse_ok(const char *text)
{
	struct kw_ini *ini = NULL;
	struct kw_error err;

	kw_error_clear(&err);
	if (kw_ini_parse("creds", text, strlen(text), &ini, &err))
		fail_msg("parse failed: %s: %s", err.where, err.msg);
	return ini;
}

static void assert_value(const struct kw_ini_section *s, const char *key, const char *subkey,
                         const char *want)
{
	const struct kw_ini_entry *e = kw_ini_get(s, key, subkey);

	assert_non_null(e);
	assert_int_equal(e->value.len, strlen(want));
	assert_memory_equal(e->value.ptr, want, e->value.len);
}

static void ini_reads_credentials_with_comments_blanks_and_spacing(void **state)
{
	const char *text = "# leading comment\n"
	                   "\n"
	                   "[default]\n"
	                   "aws_access_key_id=AKIADEFAULT\n"
	                   "  ; indented comment\n"
	                   "AWS_Secret_Access_Key   =   wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY   \n"
	                   "\n"
	                   "[ci]\t# trailing comment\n"
	                   "aws_access_key_id =\tAKIACI\n"
	                   "region = us-east-1 # not a comment\n"
	                   "empty =\n";
	struct kw_ini *ini = parse_ok(text);
	const struct kw_ini_section *d, *ci;
	struct kw_secret *sec = NULL;
	char *str = NULL;

	assert_int_equal(ini->nsections, 2);
	d = kw_ini_profile(ini, KW_INI_CREDENTIALS, "default");
	ci = kw_ini_profile(ini, KW_INI_CREDENTIALS, "ci");
	assert_non_null(d);
	assert_non_null(ci);
	assert_int_equal(d->line, 3);
	assert_value(d, "aws_access_key_id", NULL, "AKIADEFAULT");
	assert_value(d, "aws_secret_access_key", NULL, SECRET);
	assert_int_equal(kw_ini_get(d, "aws_secret_access_key", NULL)->line, 6);
	assert_null(kw_ini_get(d, "region", NULL));
	assert_value(ci, "aws_access_key_id", NULL, "AKIACI");
	assert_value(ci, "region", NULL, "us-east-1 # not a comment");
	assert_value(ci, "empty", NULL, "");
	/* [default] does not fill in a named profile */
	assert_null(kw_ini_get(ci, "aws_secret_access_key", NULL));
	assert_int_equal(kw_ini_get_secret(d, "aws_secret_access_key", NULL, &sec, NULL), 1);
	assert_string_equal(kw_secret_str(sec), SECRET);
	kw_secret_free(sec);
	assert_int_equal(kw_ini_get_secret(ci, "nope", NULL, &sec, NULL), 0);
	assert_null(sec);
	assert_int_equal(kw_ini_get_str(ci, "aws_access_key_id", NULL, &str, NULL), 1);
	assert_string_equal(str, "AKIACI");
	free(str);
	assert_null(kw_ini_profile(ini, KW_INI_CONFIG, "ci")); /* config needs [profile ci] */
	assert_false(ini->crlf);
	kw_ini_free(ini);
}

static void ini_reads_config_profiles_crlf_and_subsections(void **state)
{
	const char *text = "[default]\r\n"
	                   "region = eu-west-1\r\n"
	                   "[profile   ci]\r\n"
	                   "region=us-gov-west-1\r\n"
	                   "s3 =\r\n"
	                   "  addressing_style = path\r\n"
	                   "\r\n"
	                   "  # comment inside\r\n"
	                   "  max_concurrent_requests=20\r\n"
	                   "max_attempts = 5\r\n"
	                   "[services local]\r\n"
	                   "iam =\r\n"
	                   "   endpoint_url = http://127.0.0.1:5000\r\n"
	                   "sts =\r\n"
	                   "\tendpoint_url = http://127.0.0.1:5001\r\n"
	                   "[ci]\r\n"
	                   "region = nowhere";
	struct kw_ini *ini = parse_ok(text);
	const struct kw_ini_section *d, *ci, *svc;

	assert_true(ini->crlf);
	d = kw_ini_profile(ini, KW_INI_CONFIG, "default");
	ci = kw_ini_profile(ini, KW_INI_CONFIG, "ci");
	svc = kw_ini_section(ini, "services local");
	assert_non_null(d);
	assert_non_null(ci);
	assert_non_null(svc);
	assert_string_equal(ci->name, "profile   ci");
	assert_value(d, "region", NULL, "eu-west-1");
	assert_value(ci, "region", NULL, "us-gov-west-1");
	assert_value(ci, "s3", NULL, "");
	assert_value(ci, "s3", "addressing_style", "path");
	assert_value(ci, "S3", "MAX_CONCURRENT_REQUESTS", "20");
	assert_int_equal(kw_ini_get(ci, "s3", "max_concurrent_requests")->line, 9);
	assert_value(ci, "max_attempts", NULL, "5");
	assert_null(kw_ini_get(ci, "addressing_style", NULL));
	assert_value(svc, "iam", "endpoint_url", "http://127.0.0.1:5000");
	assert_value(svc, "sts", "endpoint_url", "http://127.0.0.1:5001");
	/* [ci] in the config file is not profile ci; in a credentials file it is */
	assert_string_equal(kw_ini_profile(ini, KW_INI_CREDENTIALS, "ci")->name, "ci");
	kw_ini_free(ini);
}

static void ini_profile_default_alias_and_header_names(void **state)
{
	struct kw_ini *ini = parse_ok("[profile default]\nregion = a\n");
	char buf[64];

	assert_non_null(kw_ini_profile(ini, KW_INI_CONFIG, "default"));
	kw_ini_free(ini);
	assert_int_equal(kw_ini_profile_header(KW_INI_CONFIG, "ci", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "profile ci");
	assert_int_equal(kw_ini_profile_header(KW_INI_CONFIG, "default", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "default");
	assert_int_equal(kw_ini_profile_header(KW_INI_CREDENTIALS, "ci", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ci");
	assert_int_equal(kw_ini_profile_header(KW_INI_CONFIG, "a-very-long-name", buf, 8), -1);
}

struct bad_case {
	const char *text;
	const char *where;
	const char *msg_part;
};

static void ini_rejects_malformed_files_naming_line_without_secrets(void **state)
{
	static const struct bad_case cases[] = {
	        {"[a]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "creds:2", "expected 'key = value'"},
	        {"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "creds:1",
	         "outside any section"},
	        {"[a]\nx = 1\n\n[a]\n", "creds:4", "duplicate section [a] (first at line 1)"},
	        {"[a]\nk = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nK = 2\n", "creds:3",
	         "duplicate key 'k' in section [a] (first at line 2)"},
	        {"[a]\ns3 =\n  x = 1\n  X = 2\n", "creds:4", "duplicate key 's3.x'"},
	        {"[a\nx = 1\n", "creds:1", "without closing ']'"},
	        {"[]\n", "creds:1", "empty section name"},
	        {"[a] junk\n", "creds:1", "unexpected text after section header"},
	        {"[a]\nk = v\n  more = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "creds:3",
	         "continues a value"},
	        {"[a]\ns3 =\n  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "creds:3", "sub-section"},
	        {"[a]\n = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "creds:2", "missing key"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kw_ini *ini = (struct kw_ini *)1;
		struct kw_error err;

		kw_error_clear(&err);
		assert_int_equal(kw_ini_parse("creds", cases[i].text, strlen(cases[i].text), &ini, &err), -1);
		assert_null(ini);
		assert_int_equal(err.kind, KW_ERR_INVALID);
		assert_string_equal(err.where, cases[i].where);
		if (!strstr(err.msg, cases[i].msg_part))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, cases[i].msg_part);
		assert_null(strstr(err.msg, "wJalr"));
		assert_null(strstr(err.where, "wJalr"));
	}
	{
		struct kw_ini *ini = NULL;
		struct kw_error err;
		assert_int_equal(kw_ini_parse("nul", "[a]\nk = a\0b\n", 12, &ini, &err), -1);
		assert_string_equal(err.where, "nul:2");
	}
}

static void check_edit(const char *text, const char *section, const struct kw_ini_set *sets, size_t n,
                       const char *want);

/* A UTF-8 BOM (Windows editors) is skipped on read and never written back; CRLF is kept. */
static void ini_skips_a_byte_order_mark_and_never_writes_it(void **state)
{
	static const char text[] = "\xEF\xBB\xBF[default]\r\nregion = eu-west-1\r\n";
	const struct kw_ini_set set = {"region", "eu-north-1", 10};
	struct kw_ini *ini = parse_ok(text);
	struct kw_secret *out = NULL;
	struct kw_error err;

	assert_true(ini->bom);
	assert_true(ini->crlf);
	assert_non_null(kw_ini_profile(ini, KW_INI_CONFIG, "default"));
	assert_value(kw_ini_section(ini, "default"), "region", NULL, "eu-west-1");
	assert_int_equal(kw_ini_get(kw_ini_section(ini, "default"), "region", NULL)->line, 2);
	assert_int_equal(kw_ini_edit(ini, "default", &set, 1, &out, &err), 0);
	assert_string_equal(kw_secret_str(out), "[default]\r\nregion = eu-north-1\r\n");
	kw_secret_free(out);
	kw_ini_free(ini);
	/* a new section in a file that is only a BOM */
	ini = parse_ok("\xEF\xBB\xBF");
	assert_int_equal(kw_ini_edit(ini, "ci", &set, 1, &out, &err), 0);
	assert_string_equal(kw_secret_str(out), "[ci]\nregion = eu-north-1\n");
	kw_secret_free(out);
	kw_ini_free(ini);
	/* a BOM anywhere else is no BOM: the header is not a header */
	{
		struct kw_ini *bad = NULL;
		assert_int_equal(kw_ini_parse("c", "\n\xEF\xBB\xBF[a]\n", 8, &bad, &err), -1);
		assert_string_equal(err.where, "c:2");
	}
}

static void ini_parses_empty_and_unterminated_files(void **state)
{
	struct kw_ini *ini = parse_ok("");

	assert_int_equal(ini->nsections, 0);
	assert_null(kw_ini_profile(ini, KW_INI_CREDENTIALS, "default"));
	kw_ini_free(ini);
	ini = parse_ok("[x]");
	assert_int_equal(ini->nsections, 1);
	assert_int_equal(ini->sections[0].nentries, 0);
	kw_ini_free(ini);
	/* an indented header is a header: an edit above it must not glue it to a value */
	ini = parse_ok("[x]\n  [a]\nk = v\n");
	assert_int_equal(ini->nsections, 2);
	assert_value(kw_ini_section(ini, "a"), "k", NULL, "v");
	kw_ini_free(ini);
	{
		const struct kw_ini_set set[] = {{"k", "1", 1}};
		check_edit("[x]\n  [a]\nk = v\n", "x", set, 1, "[x]\nk = 1\n  [a]\nk = v\n");
	}
	ini = parse_ok("\n\n# only comments\n; and more\n");
	assert_int_equal(ini->nsections, 0);
	kw_ini_free(ini);
}

/* Edit text and compare the result with want byte for byte. */
static void check_edit(const char *text, const char *section, const struct kw_ini_set *sets, size_t n,
                       const char *want)
{
	struct kw_ini *ini = parse_ok(text), *again;
	struct kw_secret *out = NULL;
	struct kw_error err;

	if (kw_ini_edit(ini, section, sets, n, &out, &err))
		fail_msg("edit failed: %s", err.msg);
	if (out->len != strlen(want) || memcmp(out->data, want, out->len))
		fail_msg("edit gave:\n[%s]\nwanted:\n[%s]", kw_secret_str(out), want);
	/* the result reads back with the new values */
	again = parse_ok(kw_secret_str(out));
	for (size_t i = 0; i < n; i++) {
		const struct kw_ini_entry *e = kw_ini_get(kw_ini_section(again, section), sets[i].key, NULL);
		if (!sets[i].value) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_int_equal(e->value.len, sets[i].value_len);
		assert_memory_equal(e->value.ptr, sets[i].value, e->value.len);
	}
	kw_ini_free(again);
	kw_secret_free(out);
	kw_ini_free(ini);
}

#define SET(k, v)                   \
	{                           \
		k, v, sizeof(v) - 1 \
	}
#define REMOVE(k)          \
	{                  \
		k, NULL, 0 \
	}
#define NSETS(a) (sizeof(a) / sizeof((a)[0]))

static void ini_edit_replaces_in_place_keeping_other_bytes(void **state)
{
	const char *text = "# keys for ci\r\n"
	                   "[default]\r\n"
	                   "aws_access_key_id = AKIAOLDDEFAULT\r\n"
	                   "\r\n"
	                   "[ci]\r\n"
	                   "aws_access_key_id=AKIAOLD\r\n"
	                   "; rotated by hand\r\n"
	                   "aws_secret_access_key   =   oldsecretoldsecret   \r\n"
	                   "region = us-east-1\r\n"
	                   "\r\n"
	                   "[other]\r\n"
	                   "x = y";
	const char *want = "# keys for ci\r\n"
	                   "[default]\r\n"
	                   "aws_access_key_id = AKIAOLDDEFAULT\r\n"
	                   "\r\n"
	                   "[ci]\r\n"
	                   "aws_access_key_id=AKIANEW\r\n"
	                   "; rotated by hand\r\n"
	                   "aws_secret_access_key   =   wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY   \r\n"
	                   "region = us-east-1\r\n"
	                   "\r\n"
	                   "[other]\r\n"
	                   "x = y";
	const struct kw_ini_set sets[] = {
	        SET("aws_access_key_id", "AKIANEW"),
	        SET("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")};

	check_edit(text, "ci", sets, NSETS(sets), want);
}

static void ini_edit_adds_and_removes_keys_in_existing_section(void **state)
{
	const char *text = "[ci]\n"
	                   "aws_access_key_id = AKIAOLD\n"
	                   "aws_session_token = tok\n"
	                   "s3 =\n"
	                   "  addressing_style = path\n"
	                   "\n"
	                   "# about the next profile\n"
	                   "[next]\n"
	                   "k =\n";
	const char *want = "[ci]\n"
	                   "aws_access_key_id = AKIANEW\n"
	                   "s3 =\n"
	                   "  addressing_style = path\n"
	                   "aws_secret_access_key = sek/ret+value\n"
	                   "\n"
	                   "# about the next profile\n"
	                   "[next]\n"
	                   "k =\n";
	const struct kw_ini_set sets[] = {SET("aws_access_key_id", "AKIANEW"),
	                                  SET("aws_secret_access_key", "sek/ret+value"),
	                                  REMOVE("aws_session_token"), REMOVE("not_there")};

	check_edit(text, "ci", sets, NSETS(sets), want);
	{
		const struct kw_ini_set bare[] = {SET("k", "v")};
		check_edit("[next]\nk =\n", "next", bare, 1, "[next]\nk = v\n");
		check_edit("[next]\nk =", "next", bare, 1, "[next]\nk = v");
		check_edit("[next]", "next", bare, 1, "[next]\nk = v\n");
	}
}

static void ini_edit_creates_missing_section_at_the_end(void **state)
{
	const struct kw_ini_set sets[] = {SET("aws_access_key_id", "AKIANEW"),
	                                  SET("aws_secret_access_key", "s3cr3t")};

	check_edit("", "service-ansible", sets, NSETS(sets),
	           "[service-ansible]\naws_access_key_id = AKIANEW\naws_secret_access_key = s3cr3t\n");
	check_edit("[default]\nregion = x", "profile ci", sets, NSETS(sets),
	           "[default]\nregion = x\n\n[profile ci]\naws_access_key_id = "
	           "AKIANEW\naws_secret_access_key = s3cr3t\n");
	check_edit("[default]\r\nregion = x\r\n\r\n", "ci", sets, NSETS(sets),
	           "[default]\r\nregion = x\r\n\r\n[ci]\r\naws_access_key_id = "
	           "AKIANEW\r\naws_secret_access_key = s3cr3t\r\n");
	check_edit("# only a comment\n", "ci", sets, 1,
	           "# only a comment\n\n[ci]\naws_access_key_id = AKIANEW\n");
	{
		const struct kw_ini_set rm[] = {REMOVE("aws_access_key_id")};
		check_edit("[a]\nb = c\n", "ci", rm, 1, "[a]\nb = c\n"); /* nothing to remove: unchanged */
	}
}

static void ini_edit_refuses_values_that_would_not_read_back(void **state)
{
	struct kw_ini *ini = parse_ok("[a]\n");
	struct kw_secret *out = NULL;
	struct kw_error err;
	const struct kw_ini_set bad[][1] = {
	        {{"k", "two\nlines", 9}}, {{"k", " padded", 7}}, {{"k=x", "v", 1}},
	        {{"", "v", 1}},           {{"a b", "v", 1}},
	};

	for (size_t i = 0; i < NSETS(bad); i++) {
		assert_int_equal(kw_ini_edit(ini, "a", bad[i], 1, &out, &err), -1);
		assert_int_equal(err.kind, KW_ERR_INVALID);
		assert_null(out);
	}
	{
		const struct kw_ini_set ok[] = {SET("k", "v")};
		assert_int_equal(kw_ini_edit(ini, "bad]name", ok, 1, &out, &err), -1);
		assert_int_equal(kw_ini_edit(ini, "x\ny", ok, 1, &out, &err), -1);
		const struct kw_ini_set twice[] = {SET("k", "v"), SET("K", "w")};
		assert_int_equal(kw_ini_edit(ini, "a", twice, 2, &out, &err), -1);
	}
	kw_ini_free(ini);
}

static void ini_loads_files_and_reports_missing(void **state)
{
	char dir[] = "/tmp/kw-ini-XXXXXX", path[256];
	struct kw_ini *ini = NULL;
	struct kw_error err;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/credentials", dir);
	assert_int_equal(kw_ini_load(path, &ini, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[default]\naws_access_key_id = AKIA\nbroken line\n", fp);
	fclose(fp);
	assert_int_equal(kw_ini_load(path, &ini, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	{
		char where[300];
		snprintf(where, sizeof(where), "%s:3", path);
		assert_string_equal(err.where, where);
	}
	fp = fopen(path, "w");
	fputs("[default]\naws_access_key_id = AKIA\n", fp);
	fclose(fp);
	assert_int_equal(kw_ini_load(path, &ini, &err), 0);
	assert_string_equal(ini->path, path);
	assert_value(kw_ini_profile(ini, KW_INI_CREDENTIALS, "default"), "aws_access_key_id", NULL, "AKIA");
	kw_ini_free(ini);
	unlink(path);
	assert_int_equal(kw_ini_load(dir, &ini, &err), -1); /* a folder */
	assert_int_equal(err.kind, KW_ERR_IO);
	rmdir(dir);
}

/* Remove section from text and compare with want byte for byte. */
static void check_remove(const char *text, const char *section, const char *want)
{
	struct kw_ini *ini = parse_ok(text);
	struct kw_secret *out = NULL;
	struct kw_error err;

	if (kw_ini_remove_section(ini, section, &out, &err))
		fail_msg("remove failed: %s", err.msg);
	if (out->len != strlen(want) || memcmp(out->data, want, out->len))
		fail_msg("remove gave:\n[%s]\nwanted:\n[%s]", kw_secret_str(out), want);
	kw_ini_free(parse_ok(kw_secret_str(out)));
	kw_secret_free(out);
	kw_ini_free(ini);
}

static void ini_remove_section_keeps_every_other_byte(void **state)
{
	(void)state;
	/* between two sections: the blank line that separated it goes with it */
	check_remove("[a]\nx = 1\n\n[b]\n# b's comment\ny = 2\n\n[c]\nz = 3\n", "b",
	             "[a]\nx = 1\n\n[c]\nz = 3\n");
	/* no blank lines around it */
	check_remove("[a]\nx = 1\n[b]\ny = 2\n[c]\n", "b", "[a]\nx = 1\n[c]\n");
	/* the first section, and the last one (with its separating blank line) */
	check_remove("[b]\ny = 2\n\n[c]\nz = 3\n", "b", "[c]\nz = 3\n");
	check_remove("[a]\nx = 1\n\n[b]\ny = 2\n", "b", "[a]\nx = 1\n");
	check_remove("[a]\nx = 1\n\n[b]\ny = 2", "b", "[a]\nx = 1\n");
	/* a comment after its last entry belongs to what follows; CRLF; sub-sections */
	check_remove("[a]\r\nx = 1\r\n[b]\r\ny = 2\r\n# about c\r\n[c]\r\n", "b",
	             "[a]\r\nx = 1\r\n# about c\r\n[c]\r\n");
	check_remove("[profile b]\ns3 =\n  addressing_style = path\n[default]\nregion = r\n", "profile b",
	             "[default]\nregion = r\n");
	/* the only section, an empty section, a section that is not there, a byte-order mark */
	check_remove("[b]\ny = 2\n", "b", "");
	check_remove("[a]\n[b]\n[c]\n", "b", "[a]\n[c]\n");
	check_remove("[a]\nx = 1\n", "b", "[a]\nx = 1\n");
	check_remove("\xef\xbb\xbf[b]\ny = 2\n\n[a]\nx = 1\n", "b", "[a]\nx = 1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ini_reads_credentials_with_comments_blanks_and_spacing),
	        cmocka_unit_test(ini_reads_config_profiles_crlf_and_subsections),
	        cmocka_unit_test(ini_profile_default_alias_and_header_names),
	        cmocka_unit_test(ini_rejects_malformed_files_naming_line_without_secrets),
	        cmocka_unit_test(ini_parses_empty_and_unterminated_files),
	        cmocka_unit_test(ini_edit_replaces_in_place_keeping_other_bytes),
	        cmocka_unit_test(ini_edit_adds_and_removes_keys_in_existing_section),
	        cmocka_unit_test(ini_edit_creates_missing_section_at_the_end),
	        cmocka_unit_test(ini_edit_refuses_values_that_would_not_read_back),
	        cmocka_unit_test(ini_loads_files_and_reports_missing),
	        cmocka_unit_test(ini_skips_a_byte_order_mark_and_never_writes_it),
	        cmocka_unit_test(ini_remove_section_keeps_every_other_byte),
	};

	return cmocka_run_group_tests_name("ini", tests, NULL, NULL);
}
