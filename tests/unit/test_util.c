/* Unit tests for src/util: error values, buffers, secrets, redaction, output, atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/array.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/output.h"
#include "util/path.h"
#include "util/secret.h"
#include "util/num.h"
#include "util/utf8.h"

static void error_set_formats_where_and_message(void **state)
{
	struct kw_error err;
	char line[2048];
	FILE *fp = fmemopen(line, sizeof(line), "w");

	assert_int_equal(kw_error_set(&err, KW_ERR_INVALID, "m.yaml:12:5", "unknown key '%s'", "tag"), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_int_equal(err.exit_status, 1);
	kw_error_print(&err, fp);
	fclose(fp);
	assert_string_equal(line, "error: m.yaml:12:5: unknown key 'tag'\n");
	assert_string_equal(kw_error_kind_name(KW_ERR_INVALID), "invalid");
}

static void error_prefix_adds_context(void **state)
{
	struct kw_error err;

	kw_error_set(&err, KW_ERR_AWS, NULL, "access denied");
	kw_error_prefix(&err, "step %d", 3);
	assert_string_equal(err.msg, "step 3: access denied");
	assert_string_equal(err.where, "");
}

static void error_message_is_redacted(void **state)
{
	struct kw_error err;
	const char *secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

	kw_error_set(&err, KW_ERR_AUTH, NULL, "bad credentials %s", secret);
	assert_null(strstr(err.msg, secret));
	assert_non_null(strstr(err.msg, KW_REDACTED));
}

static void buf_appends_and_detaches(void **state)
{
	struct kw_buf b = KW_BUF_INIT;

	for (int i = 0; i < 1000; i++)
		assert_int_equal(kw_buf_appendf(&b, "%d,", i), 0);
	assert_int_equal(kw_buf_puts(&b, "end"), 0);
	assert_true(b.len > 3000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data, "0,1,2,", 6);
	char *s = kw_buf_detach(&b);
	assert_null(b.data);
	assert_string_equal(s + strlen(s) - 4, ",end");
	free(s);
	assert_true(kw_span_eq(kw_span_from("abc"), "abc"));
	assert_false(kw_span_eq(kw_span_from("abc"), "ab"));
	s = kw_strdup_printf("profile %s (%d)", "ci", 7);
	assert_string_equal(s, "profile ci (7)");
	free(s);
	s = kw_strdup_printf("%s", "");
	assert_string_equal(s, ""); /* an empty result is a string, not NULL */
	free(s);
}

static void secret_holds_and_wipes(void **state)
{
	struct kw_secret *s = kw_secret_from("hunter2-is-a-seed", 17);

	assert_non_null(s);
	assert_string_equal(kw_secret_str(s), "hunter2-is-a-seed");
	assert_int_equal(kw_secret_append(s, "x", 1), -1); /* full */
	assert_int_equal(kw_secret_set(s, "short", 5), 0);
	assert_int_equal(s->len, 5);
	assert_int_equal(s->data[5], '\0');
	kw_secret_free(s);
	kw_secret_free(NULL);
}

/* Every way a caller might leak a secret into a log line must come out masked. */
static void redaction_removes_secrets_passed_by_mistake(void **state)
{
	static const struct {
		const char *in, *gone, *kept;
	} cases[] = {
	        {"Authorization: AWS4-HMAC-SHA256 "
	         "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
	         "SignedHeaders=host;x-amz-date, "
	         "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
	         "5d672d79c15b", "Authorization:"},
	        {"X-Amz-Security-Token: FQoGZXIvYXdzEBYaDNeAhEq1", "FQoGZXIvYXdzEBYaDNeAhEq1",
	         "X-Amz-Security-Token"},
	        {"Action=GetUser&X-Amz-Security-Token=tok3nValue123&Version=2010-05-08", "tok3nValue123",
	         "Version=2010-05-08"},
	        {"{\"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\", \"SecretAccessKey\": \"abc/def+ghi\"}",
	         "abc/def+ghi", "AKIAIOSFODNN7EXAMPLE"},
	        {"<SecretAccessKey>wJalrXUtnFEMI</SecretAccessKey>", "wJalrXUtnFEMI", "</SecretAccessKey>"},
	        {"aws_secret_access_key = s3cr3tvalue", "s3cr3tvalue", "aws_secret_access_key"},
	        {"aws_session_token=IQoJb3JpZ2luX2Vj", "IQoJb3JpZ2luX2Vj", "aws_session_token"},
	        {"<Base32StringSeed>SlRYV0xPR0NRMlNPNUU=</Base32StringSeed>", "SlRYV0xPR0NRMlNPNUU",
	         "Base32"},
	        {"otpauth://totp/aws:service-x?secret=JBSWY3DPEHPK3PXP&issuer=aws", "JBSWY3DPEHPK3PXP",
	         "issuer=aws"},
	        /* no key name at all: shapes of a secret access key and a base32 seed */
	        {"oops wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here", "wJalrXUtnFEMI/K7MDENG", "oops"},
	        {"seed is really GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ ok",
	         "GEZDGNBVGY3TQOJQ", " ok"},
	};
	char out[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kw_redact(cases[i].in, out, sizeof(out));
		if (strstr(out, cases[i].gone) || !strstr(out, cases[i].kept) || !strstr(out, KW_REDACTED))
			fail_msg("case %zu: '%s' -> '%s'", i, cases[i].in, out);
	}
	/* ordinary text stays as it is */
	kw_redact("created user service-ansible (AIDAEXAMPLE123) in 12 ms", out, sizeof(out));
	assert_string_equal(out, "created user service-ansible (AIDAEXAMPLE123) in 12 ms");
	/* file:line:col stays readable after a name ending in seed or secret, and so do ARNs */
	static const char *const kept[] = {
	        "error: /tmp/k/mfa.seed:3:14: not a base32 seed",
	        "error: secret:2:5: invalid JSON: '[' or '{' expected",
	        "error: seed:7: line too long",
	        "error: inline policy ./secret:1:1: not a regular file",
	        "arn:aws:secretsmanager:us-east-1:123456789012:secret:service-x-AbCdEf",
	};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		kw_redact(kept[i], out, sizeof(out));
		assert_string_equal(out, kept[i]);
	}
	/* while a value after the key is still masked */
	kw_redact("secret: hunter2hunter2 and seed=abc123xyz, password: 123456", out, sizeof(out));
	assert_null(strstr(out, "hunter2hunter2"));
	assert_null(strstr(out, "abc123xyz"));
	assert_null(strstr(out, "123456"));
	kw_redact("secret:123456", out, sizeof(out));
	assert_null(strstr(out, "123456"));
}

static void redaction_masks_live_secret_values(void **state)
{
	struct kw_secret *s = kw_secret_from("plainlookingvalue", 17);
	char out[256];

	kw_redact("value=plainlookingvalue;", out, sizeof(out));
	assert_null(strstr(out, "plainlookingvalue"));
	kw_secret_free(s);
	kw_redact("value plainlookingvalue", out, sizeof(out));
	assert_non_null(strstr(out, "plainlookingvalue")); /* no longer a live secret */
}

static void log_lines_are_redacted_and_levelled(void **state)
{
	char line[4096] = {0};
	FILE *fp = fmemopen(line, sizeof(line), "w");

	kw_log_setup(0, false, fp);
	kw_log(KW_LOG_INFO, "hidden at verbosity 0");
	kw_log(KW_LOG_WARN, "Authorization: AWS4-HMAC-SHA256 Signature=abcdef0123");
	fflush(fp);
	assert_null(strstr(line, "hidden"));
	assert_null(strstr(line, "abcdef0123"));
	assert_non_null(strstr(line, "warning: Authorization:"));
	kw_log_setup(2, false, fp);
	assert_true(kw_log_enabled(KW_LOG_DEBUG));
	kw_log_setup(0, true, NULL);
	fclose(fp);
}

static void color_only_on_terminal_without_no_color(void **state)
{
	FILE *fp = tmpfile();

	unsetenv("NO_COLOR");
	assert_false(kw_color_enabled(fp, true)); /* not a terminal */
	setenv("NO_COLOR", "1", 1);
	assert_false(kw_color_enabled(stdout, true));
	unsetenv("NO_COLOR");
	assert_false(kw_color_enabled(stdout, false));
	fclose(fp);
}

static char *print_to_string(const struct kw_table *t, enum kw_output_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_int_equal(kw_table_print(t, f, fp, false), 0);
	fclose(fp);
	return buf;
}

static void output_formats_text_table_json(void **state)
{
	const char *cols[] = {"UserName", "AccessKeyId"};
	const char *r1[] = {"service-ansible", "AKIAEXAMPLE1"};
	const char *r2[] = {"service-velero", NULL};
	struct kw_table *t = kw_table_new("Keys", 2, cols);
	enum kw_output_format f;
	struct kw_error err;
	char *s;

	assert_int_equal(kw_table_add_row(t, r1), 0);
	assert_int_equal(kw_table_add_row(t, r2), 0);
	s = print_to_string(t, KW_OUTPUT_TEXT);
	assert_string_equal(s, "service-ansible\tAKIAEXAMPLE1\nservice-velero\tNone\n");
	free(s);
	s = print_to_string(t, KW_OUTPUT_JSON);
	json_error_t je;
	json_t *v = json_loads(s, 0, &je);
	assert_non_null(v);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "UserName")),
	                    "service-ansible");
	assert_true(json_is_null(json_object_get(json_array_get(v, 1), "AccessKeyId")));
	json_decref(v);
	free(s);
	s = print_to_string(t, KW_OUTPUT_TABLE);
	assert_non_null(strstr(s, "| UserName        | AccessKeyId  |\n"));
	assert_non_null(strstr(s, "| service-velero  |              |\n"));
	free(s);
	kw_table_free(t);
	assert_int_equal(kw_output_parse("table", &f, &err), 0);
	assert_int_equal(f, KW_OUTPUT_TABLE);
	assert_int_equal(kw_output_parse("yaml", &f, &err), -1);
	assert_int_equal(err.kind, KW_ERR_USAGE);
}

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	strcpy(tmpdir, "/tmp/kw-test-util-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void atomic_write_replaces_with_mode(void **state)
{
	char path[512], *data;
	struct kw_error err;
	struct stat st;
	size_t len;

	snprintf(path, sizeof(path), "%s/creds", tmpdir);
	umask(022);
	assert_int_equal(kw_atomic_write(path, "one", 3, 0600, 0, &err), 0);
	assert_int_equal(kw_atomic_write(path, "two!", 4, 0600, 0, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(kw_read_file(path, 1024, &data, &len, &err), 0);
	assert_string_equal(data, "two!");
	assert_int_equal(len, 4);
	free(data);
	/* no temporary file left behind */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", tmpdir);
	assert_int_equal(system(cmd), 0);
}

static void atomic_write_refuses_links_and_clobbering(void **state)
{
	char path[512], link[512], target[512];
	struct kw_error err;

	snprintf(path, sizeof(path), "%s/keyfile", tmpdir);
	assert_int_equal(kw_atomic_write(path, "k", 1, 0600, KW_ATOMIC_NO_CLOBBER, &err), 0);
	assert_int_equal(kw_atomic_write(path, "k", 1, 0600, KW_ATOMIC_NO_CLOBBER, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	snprintf(target, sizeof(target), "%s/elsewhere", tmpdir);
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(kw_atomic_write(link, "k", 1, 0600, 0, &err), -1);
	assert_int_equal(err.kind, KW_ERR_IO);
	assert_int_equal(access(target, F_OK), -1);
	snprintf(path, sizeof(path), "%s/new/sub", tmpdir);
	assert_int_equal(kw_atomic_write(path, "k", 1, 0600, 0, &err), -1);
	snprintf(path, sizeof(path), "%s/new", tmpdir);
	assert_int_equal(kw_atomic_write(path, "k", 1, 0600, 0, &err), 0);
}

static void read_file_reports_missing_and_too_large(void **state)
{
	char *data;
	struct kw_error err;
	char path[512];

	assert_int_equal(kw_read_file("/nonexistent/kw", 10, &data, NULL, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	assert_int_equal(kw_atomic_write(path, "0123456789ABCDEF", 16, 0644, 0, &err), 0);
	assert_int_equal(kw_read_file(path, 10, &data, NULL, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
}

static void utf8_decodes_and_sanitizes(void **state)
{
	struct kw_buf b = KW_BUF_INIT;
	uint32_t cp;

	assert_int_equal(kw_utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(kw_utf8_decode("\xc0\xaf", 2, &cp), -1);     /* overlong '/' */
	assert_int_equal(kw_utf8_decode("\xed\xa0\x80", 3, &cp), -1); /* surrogate */
	assert_int_equal(kw_utf8_decode("\xe2\x9c", 2, &cp), -1);     /* cut short */
	assert_int_equal(kw_utf8_length("f\xc3\xb8\xc3\xb6"), 3);
	assert_int_equal(kw_utf8_length("f\xc3"), (size_t)-1);
	assert_int_equal(kw_utf8_sanitize(&b, "a\x1b[31mb\xc3 \xc3\xb8\t", 100), 0);
	assert_string_equal(b.data, "a\\x1b[31mb\\xc3 \xc3\xb8\\t");
	kw_buf_reset(&b);
	assert_int_equal(kw_utf8_sanitize(&b, "abcdef", 3), 0);
	assert_string_equal(b.data, "abc...");
	kw_buf_release(&b);
}

/* Numbers and durations: one set of rules (util/num.h), plain numbers keep their unit. */
static void numbers_and_durations_parse_in_one_place(void **state)
{
	long l;
	double d;

	assert_int_equal(kw_parse_long("8", 1, 64, &l), 0);
	assert_int_equal(l, 8);
	for (const char *const *bad = (const char *const[]){"", " 8", "+8", "8x", "0", "65", NULL}; *bad;
	     bad++)
		assert_int_equal(kw_parse_long(*bad, 1, 64, &l), -1);
	assert_int_equal(kw_parse_duration("30", 1, 0, 3600, &d), 0); /* --confirm-timeout 30 */
	assert_true(d == 30);
	assert_int_equal(kw_parse_duration("7", 86400, 0, 1e9, &d), 0); /* --grace 7: days */
	assert_true(d == 7 * 86400.0);
	assert_int_equal(kw_parse_duration("2m", 1, 0, 3600, &d), 0);
	assert_true(d == 120);
	assert_int_equal(kw_parse_duration("500ms", 1, 0, 3600, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(kw_parse_duration("1w", 86400, 0, 1e9, &d), 0);
	assert_true(d == 7 * 86400.0);
	for (const char *const *bad = (const char *const[]){"", "-1", "s", "1y", "2 m", "1e999", "nan", NULL};
	     *bad; bad++)
		assert_int_equal(kw_parse_duration(*bad, 1, 0, 1e12, &d), -1);
	assert_int_equal(kw_parse_duration("2h", 1, 0, 3600, &d), -1); /* out of range */
}

static void dirname_as_posix_for_plain_paths(void **state)
{
	static const char *const cases[][2] = {
	        {"name", "."}, {"/name", "/"}, {"a/b", "a"}, {"/a/b/c.yaml", "/a/b"}, {"./x", "."},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = kw_path_dirname(cases[i][0]);

		assert_non_null(d);
		assert_string_equal(d, cases[i][1]);
		free(d);
	}
}

static void array_grows_by_one_zeroed_element(void **state)
{
	struct item {
		int a;
		char *s;
	} *v = NULL, *it;
	size_t n = 0;

	for (int i = 0; i < 100; i++) {
		it = kw_array_grow(&v, &n, sizeof(*v));
		assert_non_null(it);
		assert_int_equal(n, (size_t)i + 1);
		assert_ptr_equal(it, &v[i]);
		assert_int_equal(it->a, 0);
		assert_null(it->s);
		it->a = i;
	}
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i].a, i);
	free(v);
	/* a count that cannot grow is refused, the array left as it was */
	n = SIZE_MAX / 2;
	v = NULL;
	assert_null(kw_array_grow(&v, &n, 2));
	assert_int_equal(n, SIZE_MAX / 2);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(error_set_formats_where_and_message),
	        cmocka_unit_test(error_prefix_adds_context),
	        cmocka_unit_test(error_message_is_redacted),
	        cmocka_unit_test(buf_appends_and_detaches),
	        cmocka_unit_test(secret_holds_and_wipes),
	        cmocka_unit_test(redaction_removes_secrets_passed_by_mistake),
	        cmocka_unit_test(redaction_masks_live_secret_values),
	        cmocka_unit_test(log_lines_are_redacted_and_levelled),
	        cmocka_unit_test(color_only_on_terminal_without_no_color),
	        cmocka_unit_test(output_formats_text_table_json),
	        cmocka_unit_test(utf8_decodes_and_sanitizes),
	        cmocka_unit_test_setup_teardown(atomic_write_replaces_with_mode, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(atomic_write_refuses_links_and_clobbering, make_tmpdir,
	                                        remove_tmpdir),
	        cmocka_unit_test(numbers_and_durations_parse_in_one_place),
	        cmocka_unit_test(dirname_as_posix_for_plain_paths),
	        cmocka_unit_test(array_grows_by_one_zeroed_element),
	        cmocka_unit_test_setup_teardown(read_file_reports_missing_and_too_large, make_tmpdir,
	                                        remove_tmpdir),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
