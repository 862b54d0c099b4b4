/*
 * Unit tests for src/keys (delivery sinks) and src/util/exec: the JSON shape, file (0600, no
 * overwrite, no symbolic link), stream, exec (JSON on stdin, never in argv or the environment,
 * exit status checked), and the profile sink on credentials files with comments, other
 * profiles, CRLF, and a missing file. Every delivery runs with stderr captured, and the capture
 * and the error message are searched for the secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys/sink.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/exec.h"
#include "util/log.h"
#include "util/secret.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define KEY_ID "AKIAIOSFODNN7EXAMPLE"

struct fixture {
	char dir[64];
	struct kw_secret *secret;
	struct kw_access_key key;
	int saved_stderr;
	char capture[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tm tm = {.tm_year = 2026 - 1900,
	                .tm_mon = 10,
	                .tm_mday = 29,
	                .tm_hour = 17,
	                .tm_min = 47,
	                .tm_sec = 5};

	snprintf(f->dir, sizeof(f->dir), "/tmp/kw-test-keys-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->secret = kw_secret_from(SECRET, strlen(SECRET));
	f->key.access_key_id = KEY_ID;
	f->key.secret_access_key = f->secret;
	f->key.user_name = "service-ansible";
	f->key.create_date = timegm(&tm);
	f->saved_stderr = -1;
	kw_log_setup(2, false, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	kw_secret_free(f->secret);
	free(f);
	return 0;
}

static char *path_in(struct fixture *f, const char *name)
{
	static char path[8][256];
	static int next;
	char *p = path[next++ % 8];

	snprintf(p, 256, "%s/%s", f->dir, name);
	return p;
}

/* Read a whole file into a new string (test helper: not for production secrets). */
static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	struct kw_error err;

	if (kw_read_file(path, 1 << 20, &data, &len, &err))
		return NULL;
	return data;
}

static void capture_start(struct fixture *f)
{
	int fd;

	snprintf(f->capture, sizeof(f->capture), "%s/stderr.capture", f->dir);
	fflush(stderr);
	f->saved_stderr = dup(STDERR_FILENO);
	fd = open(f->capture, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restore stderr, assert the secret appears neither in it nor in err, and echo it. */
static void capture_check(struct fixture *f, const struct kw_error *err)
{
	char *got;

	fflush(stderr);
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	f->saved_stderr = -1;
	got = slurp(f->capture);
	assert_non_null(got);
	if (*got)
		fprintf(stderr, "(captured stderr: %s)\n", got);
	assert_null(strstr(got, SECRET));
	free(got);
	unlink(f->capture);
	if (err) {
		assert_null(strstr(err->msg, SECRET));
		assert_null(strstr(err->where, SECRET));
	}
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void keys_json_shape(void **state)
{
	struct fixture *f = *state;
	struct kw_secret *text = NULL;
	struct kw_error err;
	json_error_t jerr;
	const char *k;
	json_t *v, *root;
	const char *want[] = {"AccessKeyId", "SecretAccessKey", "UserName", "CreateDate"};
	int i = 0;

	assert_int_equal(kw_keys_json(&f->key, &text, &err), 0);
	assert_int_equal(text->data[text->len - 1], '\n');
	root = json_loadb((const char *)text->data, text->len, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_object_size(root), 4);
	json_object_foreach(root, k, v)
	{
		assert_string_equal(k, want[i++]);
		assert_true(json_is_string(v));
	}
	assert_string_equal(json_string_value(json_object_get(root, "AccessKeyId")), KEY_ID);
	assert_string_equal(json_string_value(json_object_get(root, "SecretAccessKey")), SECRET);
	assert_string_equal(json_string_value(json_object_get(root, "UserName")), "service-ansible");
	assert_string_equal(json_string_value(json_object_get(root, "CreateDate")), "2026-11-29T17:47:05Z");
	json_decref(root);
	kw_secret_free(text);

	f->key.user_name = "";
	assert_int_equal(kw_keys_json(&f->key, &text, &err), -1);
	assert_null(text);
	assert_int_equal(err.kind, KW_ERR_INVALID);
}

static void keys_file_is_0600_and_never_overwritten(void **state)
{
	struct fixture *f = *state;
	struct kw_secret *want = NULL;
	struct kw_key_sink sink = {.kind = KW_KEY_SINK_FILE, .target = path_in(f, "key.json")};
	struct kw_error err;
	char *got;

	assert_int_equal(kw_keys_json(&f->key, &want, &err), 0);
	capture_start(f);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	capture_check(f, NULL);
	assert_int_equal(mode_of(sink.target), 0600);
	got = slurp(sink.target);
	assert_string_equal(got, kw_secret_str(want));
	free(got);

	/* A second delivery refuses to overwrite and leaves the file as it was. */
	capture_start(f);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), -1);
	capture_check(f, &err);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	got = slurp(sink.target);
	assert_string_equal(got, kw_secret_str(want));
	free(got);
	kw_secret_free(want);
}

static void keys_file_refuses_symlink(void **state)
{
	struct fixture *f = *state;
	const char *victim = path_in(f, "victim"), *link1 = path_in(f, "dangling.json");
	const char *link2 = path_in(f, "existing.json");
	struct kw_error err;
	char *got;

	/* A dangling link: following it would create the victim. */
	assert_int_equal(symlink(victim, link1), 0);
	capture_start(f);
	assert_int_equal(kw_keys_deliver_file(link1, &f->key, &err), -1);
	capture_check(f, &err);
	assert_int_equal(access(victim, F_OK), -1);
	/* A link to an existing file: the file is not touched. */
	FILE *fp = fopen(victim, "w");
	fputs("keep\n", fp);
	fclose(fp);
	assert_int_equal(symlink(victim, link2), 0);
	capture_start(f);
	assert_int_equal(kw_keys_deliver_file(link2, &f->key, &err), -1);
	capture_check(f, &err);
	got = slurp(victim);
	assert_string_equal(got, "keep\n");
	free(got);
}

static void keys_stream_writes_json(void **state)
{
	struct fixture *f = *state;
	struct kw_secret *want = NULL;
	struct kw_error err;
	char buf[1024] = "";
	FILE *fp = fmemopen(buf, sizeof(buf), "w");
	struct kw_key_sink sink = {.kind = KW_KEY_SINK_STDOUT, .fp = fp};

	assert_int_equal(kw_keys_json(&f->key, &want, &err), 0);
	capture_start(f);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	capture_check(f, NULL);
	fclose(fp);
	assert_string_equal(buf, kw_secret_str(want));
	OPENSSL_cleanse(buf, sizeof(buf));
	kw_secret_free(want);
}

/* The command records its stdin, its shell's argv (/proc/$$/cmdline) and its environment. */
static void keys_exec_gets_json_on_stdin_only(void **state)
{
	struct fixture *f = *state;
	struct kw_secret *want = NULL;
	struct kw_error err;
	char cmd[1024];
	struct kw_key_sink sink = {.kind = KW_KEY_SINK_EXEC, .target = cmd};
	char *got, *argv_text, *env_text;

	snprintf(cmd, sizeof(cmd),
	         "cat > '%s/stdin' && tr '\\000' ' ' < /proc/$$/cmdline > '%s/argv' && "
	         "tr '\\000' ' ' < /proc/$PPID/cmdline >> '%s/argv' && env > '%s/env' && echo delivered",
	         f->dir, f->dir, f->dir, f->dir);
	assert_int_equal(kw_keys_json(&f->key, &want, &err), 0);
	capture_start(f);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	capture_check(f, NULL);
	got = slurp(path_in(f, "stdin"));
	assert_string_equal(got, kw_secret_str(want));
	argv_text = slurp(path_in(f, "argv"));
	assert_non_null(strstr(argv_text, "sh -c cat")); /* the shell's argv was read */
	assert_null(strstr(argv_text, SECRET));
	env_text = slurp(path_in(f, "env"));
	assert_non_null(strstr(env_text, "PATH="));
	assert_null(strstr(env_text, SECRET));
	free(got);
	free(argv_text);
	free(env_text);
	kw_secret_free(want);
}

static void keys_exec_failures_are_errors(void **state)
{
	struct fixture *f = *state;
	struct kw_error err;

	capture_start(f);
	assert_int_equal(kw_keys_deliver_exec("cat >/dev/null; exit 3", &f->key, &err), -1);
	capture_check(f, &err);
	assert_int_equal(err.kind, KW_ERR_IO);
	assert_non_null(strstr(err.msg, "'cat >/dev/null; exit 3'"));
	assert_non_null(strstr(err.msg, "status 3"));

	capture_start(f);
	assert_int_equal(kw_keys_deliver_exec("kill -9 $$", &f->key, &err), -1);
	capture_check(f, &err);
	assert_non_null(strstr(err.msg, "signal 9"));

	/* Exit 0 without reading: the key was not received. */
	capture_start(f);
	assert_int_equal(kw_keys_deliver_exec("true", &f->key, &err), -1);
	capture_check(f, &err);
	assert_non_null(strstr(err.msg, "before reading"));

	capture_start(f);
	assert_int_equal(kw_keys_deliver_exec("/nonexistent/deliver-key", &f->key, &err), -1);
	capture_check(f, &err);
	assert_non_null(strstr(err.msg, "status 127"));
}

/* More than a pipe holds, to a reader that leaves early: EPIPE, no SIGPIPE death. */
static void exec_large_input_reader_leaves_early(void **state)
{
	size_t len = 1 << 20;
	char *data = malloc(len);
	struct kw_error err;

	memset(data, 'x', len);
	assert_int_equal(kw_exec_stdin("head -c 10 >/dev/null", data, len, &err), -1);
	assert_non_null(strstr(err.msg, "before reading"));
	assert_int_equal(kw_exec_stdin("cat >/dev/null", data, len, &err), 0);
	free(data);
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, 0644);
}

static void expect_file(const char *path, const char *want)
{
	char *got = slurp(path);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("%s:\n--- got ---\n%s--- want ---\n%s", path, got, want);
	free(got);
	assert_int_equal(mode_of(path), 0600);
}

/* No files and no ~/.aws: both are created (folder 0700, files 0600) as aws configure would. */
static void keys_profile_creates_missing_files(void **state)
{
	struct fixture *f = *state;
	struct kw_key_sink sink = {.kind = KW_KEY_SINK_PROFILE,
	                           .target = "service-ansible",
	                           .region = "eu-west-1",
	                           .output = "json"};
	struct kw_error err;
	struct stat st;

	setenv("HOME", f->dir, 1);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	capture_start(f);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	capture_check(f, NULL);
	assert_int_equal(stat(path_in(f, ".aws"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	expect_file(path_in(f, ".aws/credentials"), "[service-ansible]\naws_access_key_id = " KEY_ID
	                                            "\naws_secret_access_key = " SECRET "\n");
	expect_file(path_in(f, ".aws/config"),
	            "[profile service-ansible]\nregion = eu-west-1\noutput = json\n");
}

/* Comments, other profiles and a stale session token: only the profile's keys change. */
static void keys_profile_keeps_every_other_byte(void **state)
{
	struct fixture *f = *state;
	char *creds = path_in(f, "credentials"), *conf = path_in(f, "config");
	struct kw_error err;

	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	write_text(creds, "# my credentials\n"
	                  "[default]\n"
	                  "aws_access_key_id = AKIADEFAULTDEFAULT00\n"
	                  "aws_secret_access_key = defaultsecretdefaultsecretdefaultsecret0\n"
	                  "\n"
	                  "; the service account\n"
	                  "[service-ansible]\n"
	                  "aws_access_key_id=AKIAOLDOLDOLDOLDOLD0\n"
	                  "aws_session_token = FQoGZXIvYXdzEOLDTOKEN\n"
	                  "aws_secret_access_key   =   oldsecretoldsecretoldsecretoldsecret0000\n"
	                  "# keep me\n"
	                  "\n"
	                  "[other]\n"
	                  "aws_access_key_id = AKIAOTHEROTHEROTHER0\n");
	write_text(
	        conf,
	        "[default]\nregion = us-east-1\n\n[profile service-ansible]\n# pinned\nregion = us-west-2\n");
	capture_start(f);
	assert_int_equal(kw_keys_deliver_profile("service-ansible", &f->key, "eu-central-1", NULL, &err), 0);
	capture_check(f, NULL);
	expect_file(creds, "# my credentials\n"
	                   "[default]\n"
	                   "aws_access_key_id = AKIADEFAULTDEFAULT00\n"
	                   "aws_secret_access_key = defaultsecretdefaultsecretdefaultsecret0\n"
	                   "\n"
	                   "; the service account\n"
	                   "[service-ansible]\n"
	                   "aws_access_key_id=" KEY_ID "\n"
	                   "aws_secret_access_key   =   " SECRET "\n"
	                   "# keep me\n"
	                   "\n"
	                   "[other]\n"
	                   "aws_access_key_id = AKIAOTHEROTHEROTHER0\n");
	expect_file(conf, "[default]\nregion = us-east-1\n\n[profile service-ansible]\n# pinned\nregion = "
	                  "eu-central-1\n");

	/* No region and no output: the config file is not touched at all. */
	chmod(conf, 0644);
	assert_int_equal(kw_keys_deliver_profile("service-ansible", &f->key, NULL, NULL, &err), 0);
	assert_int_equal(mode_of(conf), 0644);
}

/* CRLF files stay CRLF, new lines included; "default" is [default] in both files. */
static void keys_profile_crlf_and_default(void **state)
{
	struct fixture *f = *state;
	char *creds = path_in(f, "credentials"), *conf = path_in(f, "config");
	struct kw_error err;

	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	write_text(creds, "[a]\r\naws_access_key_id = AKIAAAAAAAAAAAAAAAA0\r\n\r\n[default]\r\n# empty\r\n");
	write_text(conf, "[profile a]\r\nregion = us-east-1\r\n");
	assert_int_equal(kw_keys_deliver_profile("default", &f->key, "eu-west-1", "text", &err), 0);
	/* A section without entries gets its keys right after the header (src/aws/ini.h). */
	expect_file(creds,
	            "[a]\r\naws_access_key_id = AKIAAAAAAAAAAAAAAAA0\r\n\r\n[default]\r\n"
	            "aws_access_key_id = " KEY_ID "\r\naws_secret_access_key = " SECRET "\r\n# empty\r\n");
	expect_file(conf, "[profile a]\r\nregion = us-east-1\r\n\r\n[default]\r\nregion = "
	                  "eu-west-1\r\noutput = text\r\n");
}

static void keys_profile_errors_name_no_secret(void **state)
{
	struct fixture *f = *state;
	char *creds = path_in(f, "credentials");
	struct kw_error err;

	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_CONFIG_FILE", path_in(f, "config"), 1);
	/* An unparsable file is left alone. */
	write_text(creds, "[a]\naws_secret_access_key = " SECRET "\nnot an assignment\n");
	capture_start(f);
	assert_int_equal(kw_keys_deliver_profile("a", &f->key, NULL, NULL, &err), -1);
	capture_check(f, &err);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "profile a"));
	/* Bad names. */
	assert_int_equal(kw_keys_deliver_profile("a]b", &f->key, NULL, NULL, &err), -1);
	assert_int_equal(kw_keys_deliver_profile("", &f->key, NULL, NULL, &err), -1);
	assert_int_equal(kw_keys_deliver_profile("x\ny", &f->key, NULL, NULL, &err), -1);
	/* A symbolic link as the credentials file is refused. */
	unlink(creds);
	assert_int_equal(symlink(path_in(f, "elsewhere"), creds), 0);
	capture_start(f);
	assert_int_equal(kw_keys_deliver_profile("a", &f->key, NULL, NULL, &err), -1);
	capture_check(f, &err);
	assert_int_equal(access(path_in(f, "elsewhere"), F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(keys_json_shape, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_file_is_0600_and_never_overwritten, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_file_refuses_symlink, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_stream_writes_json, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_exec_gets_json_on_stdin_only, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_exec_failures_are_errors, setup, teardown),
	        cmocka_unit_test(exec_large_input_reader_leaves_early),
	        cmocka_unit_test_setup_teardown(keys_profile_creates_missing_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_keeps_every_other_byte, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_crlf_and_default, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_errors_name_no_secret, setup, teardown),
	};
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
