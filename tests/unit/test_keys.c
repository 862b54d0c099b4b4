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
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keys/lock.h"
#include "keys/sink.h"
#include "manifest/manifest.h"
#include "util/atomic.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/exec.h"
#include "util/log.h"
#include "util/secret.h"

#include "testlib.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define KEY_ID "AKIAIOSFODNN7EXAMPLE"

struct fixture {
	struct kw_scratch tmp;
	struct kw_secret *secret;
	struct kw_access_key key;
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

	kw_scratch_make(&f->tmp, "keys");
	f->secret = kw_secret_from(SECRET, strlen(SECRET));
	f->key.access_key_id = KEY_ID;
	f->key.secret_access_key = f->secret;
	f->key.user_name = "service-ansible";
	f->key.create_date = timegm(&tm);
	kw_log_setup(2, false, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kw_scratch_remove(&f->tmp);
	kw_secret_free(f->secret);
	free(f);
	return 0;
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
	struct kw_key_sink sink = {.kind = KW_KEY_SINK_FILE, .target = kw_scratch_path(&f->tmp, "key.json")};
	struct kw_error err;
	char *got;

	assert_int_equal(kw_keys_json(&f->key, &want, &err), 0);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	kw_capture_check(&f->tmp, SECRET, NULL);
	assert_int_equal(kw_mode_of(sink.target), 0600);
	got = kw_slurp(sink.target);
	assert_string_equal(got, kw_secret_str(want));
	free(got);

	/* A second delivery refuses to overwrite and leaves the file as it was. */
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	got = kw_slurp(sink.target);
	assert_string_equal(got, kw_secret_str(want));
	free(got);
	kw_secret_free(want);
}

static void keys_file_refuses_symlink(void **state)
{
	struct fixture *f = *state;
	const char *victim = kw_scratch_path(&f->tmp, "victim"),
	           *link1 = kw_scratch_path(&f->tmp, "dangling.json");
	const char *link2 = kw_scratch_path(&f->tmp, "existing.json");
	struct kw_error err;
	char *got;

	/* A dangling link: following it would create the victim. */
	assert_int_equal(symlink(victim, link1), 0);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_file(link1, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_int_equal(access(victim, F_OK), -1);
	/* A link to an existing file: the file is not touched. */
	FILE *fp = fopen(victim, "w");
	fputs("keep\n", fp);
	fclose(fp);
	assert_int_equal(symlink(victim, link2), 0);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_file(link2, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	got = kw_slurp(victim);
	assert_string_equal(got, "keep\n");
	free(got);
}

/* On a stream the key is one compact line, so that several keys are JSON Lines. */
static void keys_stream_writes_json(void **state)
{
	struct fixture *f = *state;
	struct kw_secret *want = NULL;
	struct kw_error err;
	char buf[1024] = "";
	FILE *fp = fmemopen(buf, sizeof(buf), "w");
	struct kw_key_sink sink = {.kind = KW_KEY_SINK_STDOUT, .fp = fp};
	json_t *got, *exp;

	assert_int_equal(kw_keys_json(&f->key, &want, &err), 0);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	kw_capture_check(&f->tmp, SECRET, NULL);
	fclose(fp);
	assert_non_null(strchr(buf, '\n'));
	assert_string_equal(strchr(buf, '\n'), "\n"); /* one line */
	assert_null(strstr(buf, "\": "));
	got = json_loads(buf, 0, NULL);
	exp = json_loads(kw_secret_str(want), 0, NULL);
	assert_non_null(got);
	assert_true(json_equal(got, exp));                          /* the same object as a file gets */
	assert_int_equal(strncmp(buf, "{\"AccessKeyId\":", 15), 0); /* the same order */
	OPENSSL_cleanse((char *)json_string_value(json_object_get(got, "SecretAccessKey")), strlen(SECRET));
	OPENSSL_cleanse((char *)json_string_value(json_object_get(exp, "SecretAccessKey")), strlen(SECRET));
	json_decref(got);
	json_decref(exp);
	OPENSSL_cleanse(buf, sizeof(buf));
	kw_secret_free(want);
}

/* A stream with a descriptor: written past stdio; a closed pipe is an error, not SIGPIPE. */
static void keys_stream_to_descriptor_and_closed_pipe(void **state)
{
	struct fixture *f = *state;
	struct kw_secret *want = NULL;
	struct kw_error err;
	char buf[1024] = "";
	int fds[2];
	FILE *w;
	ssize_t n;

	assert_int_equal(kw_keys_json(&f->key, &want, &err), 0);
	assert_int_equal(pipe(fds), 0);
	w = fdopen(fds[1], "w");
	fputs("before ", w); /* buffered text goes out first */
	assert_int_equal(kw_keys_deliver_stream(w, &f->key, &err), 0);
	fclose(w);
	n = read(fds[0], buf, sizeof(buf) - 1);
	assert_true(n > 7);
	assert_memory_equal(buf, "before ", 7);
	assert_string_equal(strchr(buf + 7, '\n'), "\n"); /* the key on one line */
	assert_int_equal(strncmp(buf + 7, "{\"AccessKeyId\":", 15), 0);
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fds[0]);

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	w = fdopen(fds[1], "w");
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_stream(w, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_int_equal(err.kind, KW_ERR_IO);
	assert_non_null(strstr(err.msg, "Broken pipe"));
	fclose(w);
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
	         f->tmp.dir, f->tmp.dir, f->tmp.dir, f->tmp.dir);
	assert_int_equal(kw_keys_json(&f->key, &want, &err), 0);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	kw_capture_check(&f->tmp, SECRET, NULL);
	got = kw_slurp(kw_scratch_path(&f->tmp, "stdin"));
	assert_string_equal(got, kw_secret_str(want));
	argv_text = kw_slurp(kw_scratch_path(&f->tmp, "argv"));
	assert_non_null(strstr(argv_text, "sh -c cat")); /* the shell's argv was read */
	assert_null(strstr(argv_text, SECRET));
	env_text = kw_slurp(kw_scratch_path(&f->tmp, "env"));
	assert_non_null(strstr(env_text, "PATH="));
	assert_null(strstr(env_text, SECRET));
	free(got);
	free(argv_text);
	free(env_text);
	kw_secret_free(want);
}

/* Commands never see AWS credentials from keywarden's environment; profile and region pass. */
static void exec_env_is_scrubbed_of_aws_credentials(void **state)
{
	struct fixture *f = *state;
	struct kw_error err;
	char cmd[512], *env_text;
	static const char *const gone[] = {"AWS_ACCESS_KEY_ID",
	                                   "AWS_SECRET_ACCESS_KEY",
	                                   "AWS_SESSION_TOKEN",
	                                   "AWS_SECURITY_TOKEN",
	                                   "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	                                   "AWS_CREDENTIAL_EXPIRATION",
	                                   "AWS_ROLE_ARN",
	                                   "AWS_WEB_IDENTITY_TOKEN_FILE",
	                                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	                                   "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	                                   "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"};
	static const char *const kept[] = {"AWS_PROFILE", "AWS_REGION", "AWS_CONFIG_FILE",
	                                   "AWS_SHARED_CREDENTIALS_FILE", "KW_UNRELATED"};

	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		setenv(gone[i], "scrub-me-" SECRET, 1);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		setenv(kept[i], "kept-value", 1);
	snprintf(cmd, sizeof(cmd), "cat >/dev/null && env > '%s/env'", f->tmp.dir);
	assert_int_equal(kw_exec_stdin(cmd, NULL, "x", 1, &err), 0);
	env_text = kw_slurp(kw_scratch_path(&f->tmp, "env"));
	assert_non_null(env_text);
	assert_null(strstr(env_text, "scrub-me-"));
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		char want[128];
		snprintf(want, sizeof(want), "%s=kept-value", kept[i]);
		assert_non_null(strstr(env_text, want));
	}
	assert_true(kw_exec_env_scrubbed("AWS_SECRET_ACCESS_KEY=x"));
	assert_true(kw_exec_env_scrubbed("AWS_SESSION_TOKEN"));
	assert_false(kw_exec_env_scrubbed("AWS_PROFILE=ops"));
	assert_false(kw_exec_env_scrubbed("MY_SECRET_TOKEN=x")); /* not AWS's: not ours to judge */
	/* --exec-env lets named variables through, and only names */
	assert_int_equal(kw_exec_env_allow("AWS_SESSION_TOKEN,AWS_ROLE_ARN", &err), 0);
	assert_false(kw_exec_env_scrubbed("AWS_SESSION_TOKEN=x"));
	assert_false(kw_exec_env_scrubbed("AWS_ROLE_ARN=x"));
	assert_true(kw_exec_env_scrubbed("AWS_SECRET_ACCESS_KEY=x"));
	assert_int_equal(kw_exec_env_allow("", &err), -1);
	assert_int_equal(kw_exec_env_allow("AWS_X_TOKEN,9BAD", &err), -1);
	assert_non_null(strstr(err.msg, "'9BAD' is not an environment variable name"));
	assert_int_equal(kw_exec_env_allow("A B", &err), -1);
	assert_true(kw_exec_env_scrubbed("AWS_X_TOKEN=x")); /* a refused list takes no name */
	assert_int_equal(kw_exec_env_allow(NULL, &err), 0);
	assert_true(kw_exec_env_scrubbed("AWS_SESSION_TOKEN=x"));
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		unsetenv(gone[i]);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		unsetenv(kept[i]);
	free(env_text);
}

static void keys_exec_failures_are_errors(void **state)
{
	struct fixture *f = *state;
	struct kw_error err;

	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_exec("cat >/dev/null; exit 3", NULL, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_int_equal(err.kind, KW_ERR_IO);
	assert_non_null(strstr(err.msg, "'cat >/dev/null; exit 3'"));
	assert_non_null(strstr(err.msg, "status 3"));

	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_exec("kill -9 $$", NULL, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_non_null(strstr(err.msg, "signal 9"));

	/* Exit 0 without reading: the key was not received. */
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_exec("true", NULL, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_non_null(strstr(err.msg, "before reading"));

	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_exec("/nonexistent/deliver-key", NULL, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_non_null(strstr(err.msg, "status 127"));
}

/* The exec sink runs in the manifest's folder; a folder that is not there is an error. */
static void keys_exec_runs_in_manifest_folder(void **state)
{
	struct fixture *f = *state;
	struct kw_deliver d = {.kind = KW_DELIVER_EXEC, .command = "cat > got.json && pwd > where"};
	struct kw_manifest m = {.dir = f->tmp.dir};
	struct kw_key_sink sink;
	struct kw_error err;
	char desc[64], *got;

	kw_keys_sink_from_manifest(&m, &d, stdout, &sink);
	assert_int_equal(sink.kind, KW_KEY_SINK_EXEC);
	assert_string_equal(kw_keys_sink_describe(&sink, desc, sizeof(desc)),
	                    "exec 'cat > got.json && pwd > where'");
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	got = kw_slurp(kw_scratch_path(&f->tmp, "where"));
	assert_non_null(got);
	assert_non_null(strstr(got, f->tmp.dir + 4)); /* /tmp may resolve through a link */
	free(got);
	assert_int_equal(access(kw_scratch_path(&f->tmp, "got.json"), F_OK), 0);

	m.dir = kw_scratch_path(&f->tmp, "missing");
	kw_keys_sink_from_manifest(&m, &d, stdout, &sink);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_non_null(strstr(err.msg, "cannot run command"));
}

static void keys_sink_from_manifest_maps_every_kind(void **state)
{
	struct kw_deliver p = {
	        .kind = KW_DELIVER_PROFILE, .profile = "ci", .region = "eu-west-1", .output = "json"};
	struct kw_deliver fl = {.kind = KW_DELIVER_FILE, .path = "/srv/key.json"};
	struct kw_deliver so = {.kind = KW_DELIVER_STDOUT};
	struct kw_key_sink sink;
	char desc[64];

	kw_keys_sink_from_manifest(NULL, &p, stdout, &sink);
	assert_int_equal(sink.kind, KW_KEY_SINK_PROFILE);
	assert_string_equal(sink.target, "ci");
	assert_string_equal(sink.region, "eu-west-1");
	assert_string_equal(sink.output, "json");
	assert_string_equal(kw_keys_sink_describe(&sink, desc, sizeof(desc)), "profile ci");
	kw_keys_sink_from_manifest(NULL, &fl, stdout, &sink);
	assert_int_equal(sink.kind, KW_KEY_SINK_FILE);
	assert_string_equal(kw_keys_sink_describe(&sink, desc, sizeof(desc)), "file /srv/key.json");
	kw_keys_sink_from_manifest(NULL, &so, stdout, &sink);
	assert_int_equal(sink.kind, KW_KEY_SINK_STDOUT);
	assert_ptr_equal(sink.fp, stdout);
	assert_string_equal(kw_keys_sink_describe(&sink, desc, sizeof(desc)), "stdout");
}

/* A descriptor keywarden left open without O_CLOEXEC does not reach the command. */
static void exec_passes_only_stdio(void **state)
{
	struct kw_scratch tmp;
	struct kw_error err;
	char cmd[512], name[16], *got;
	int leaked = open("/dev/null", O_RDONLY);

	kw_scratch_make(&tmp, "fds");
	assert_true(leaked > 2);
	snprintf(cmd, sizeof(cmd), "cat >/dev/null; ls /proc/$$/fd > '%s/fds'", tmp.dir);
	assert_int_equal(kw_exec_stdin(cmd, NULL, "x", 1, &err), 0);
	close(leaked);
	got = kw_slurp(kw_scratch_path(&tmp, "fds"));
	assert_non_null(got);
	assert_non_null(strstr(got, "2\n"));
	snprintf(name, sizeof(name), "\n%d\n", leaked); /* ls lists one name a line, 0 first */
	if (strstr(got, name))
		fail_msg("descriptor %d reached the command: %s", leaked, got);
	free(got);
	kw_scratch_remove(&tmp);
}

/* More than a pipe holds, to a reader that leaves early: EPIPE, no SIGPIPE death. */
static void exec_large_input_reader_leaves_early(void **state)
{
	size_t len = 1 << 20;
	char *data = malloc(len);
	struct kw_error err;

	memset(data, 'x', len);
	assert_int_equal(kw_exec_stdin("head -c 10 >/dev/null", NULL, data, len, &err), -1);
	assert_non_null(strstr(err.msg, "before reading"));
	assert_int_equal(kw_exec_stdin("cat >/dev/null", NULL, data, len, &err), 0);
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
	char *got = kw_slurp(path);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("%s:\n--- got ---\n%s--- want ---\n%s", path, got, want);
	free(got);
	assert_int_equal(kw_mode_of(path), 0600);
}

/* Point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE into the scratch folder. */
static void use_aws_files(struct fixture *f, char **creds, char **conf)
{
	*creds = kw_scratch_path(&f->tmp, "credentials");
	*conf = kw_scratch_path(&f->tmp, "config");
	setenv("AWS_SHARED_CREDENTIALS_FILE", *creds, 1);
	setenv("AWS_CONFIG_FILE", *conf, 1);
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

	setenv("HOME", f->tmp.dir, 1);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver(&sink, &f->key, &err), 0);
	kw_capture_check(&f->tmp, SECRET, NULL);
	assert_int_equal(stat(kw_scratch_path(&f->tmp, ".aws"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	expect_file(kw_scratch_path(&f->tmp, ".aws/credentials"),
	            "[service-ansible]\naws_access_key_id = " KEY_ID "\naws_secret_access_key = " SECRET
	            "\n");
	expect_file(kw_scratch_path(&f->tmp, ".aws/config"),
	            "[profile service-ansible]\nregion = eu-west-1\noutput = json\n");
}

/* Comments, other profiles and a stale session token: only the profile's keys change. */
static void keys_profile_keeps_every_other_byte(void **state)
{
	struct fixture *f = *state;
	char *creds, *conf;
	struct kw_error err;

	use_aws_files(f, &creds, &conf);
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
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_profile("service-ansible", &f->key, "eu-central-1", NULL, &err), 0);
	kw_capture_check(&f->tmp, SECRET, NULL);
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
	assert_int_equal(kw_mode_of(conf), 0644);
}

/* CRLF files stay CRLF, new lines included; "default" is [default] in both files. */
static void keys_profile_crlf_and_default(void **state)
{
	struct fixture *f = *state;
	char *creds, *conf;
	struct kw_error err;

	use_aws_files(f, &creds, &conf);
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
	char *creds, *conf;
	struct kw_error err;

	use_aws_files(f, &creds, &conf);
	/* An unparsable file is left alone. */
	write_text(creds, "[a]\naws_secret_access_key = " SECRET "\nnot an assignment\n");
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_profile("a", &f->key, NULL, NULL, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "profile a"));
	/* Bad names. */
	assert_int_equal(kw_keys_deliver_profile("a]b", &f->key, NULL, NULL, &err), -1);
	assert_int_equal(kw_keys_deliver_profile("", &f->key, NULL, NULL, &err), -1);
	assert_int_equal(kw_keys_deliver_profile("x\ny", &f->key, NULL, NULL, &err), -1);
	/* A symbolic link as the credentials file is refused. */
	unlink(creds);
	assert_int_equal(symlink(kw_scratch_path(&f->tmp, "elsewhere"), creds), 0);
	kw_capture_start(&f->tmp);
	assert_int_equal(kw_keys_deliver_profile("a", &f->key, NULL, NULL, &err), -1);
	kw_capture_check(&f->tmp, SECRET, &err);
	assert_int_equal(access(kw_scratch_path(&f->tmp, "elsewhere"), F_OK), -1);
}

/* Many deliveries at once into one credentials file: the lock keeps every profile. */
struct deliverer {
	struct fixture *f;
	char name[32];
	int rc;
};

static void *deliver_one(void *arg)
{
	struct deliverer *d = arg;
	struct kw_error err;

	d->rc = kw_keys_deliver_profile(d->name, &d->f->key, "eu-west-1", NULL, &err);
	return NULL;
}

static void keys_profile_concurrent_deliveries_lose_nothing(void **state)
{
	struct fixture *f = *state;
	struct deliverer d[16];
	pthread_t th[16];
	char *creds, *conf, *text;

	use_aws_files(f, &creds, &conf);
	write_text(creds, "[keep]\naws_access_key_id = AKIAKEEPKEEPKEEPKEEP\n");
	for (int i = 0; i < 16; i++) {
		d[i] = (struct deliverer){.f = f};
		snprintf(d[i].name, sizeof(d[i].name), "service-p%02d", i);
		assert_int_equal(pthread_create(&th[i], NULL, deliver_one, &d[i]), 0);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(d[i].rc, 0);
	}
	text = kw_slurp(creds);
	assert_non_null(strstr(text, "[keep]\naws_access_key_id = AKIAKEEPKEEPKEEPKEEP\n"));
	for (int i = 0; i < 16; i++) {
		char want[64];

		snprintf(want, sizeof(want), "[%s]\naws_access_key_id = " KEY_ID "\n", d[i].name);
		assert_non_null(strstr(text, want));
	}
	free(text);
	text = kw_slurp(conf);
	for (int i = 0; i < 16; i++) {
		char want[64];

		snprintf(want, sizeof(want), "[profile %s]\nregion = eu-west-1\n", d[i].name);
		assert_non_null(strstr(text, want));
	}
	free(text);
	assert_int_equal(kw_mode_of(kw_scratch_path(&f->tmp, "credentials.lock")), 0600);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Another process holding the credentials file's lock: the delivery waits for it. */
static void keys_profile_waits_for_another_process(void **state)
{
	struct fixture *f = *state;
	char *creds, *conf, *lpath, c;
	struct kw_error err;
	int pipefd[2], status;
	double t0;
	pid_t pid;

	use_aws_files(f, &creds, &conf);
	lpath = kw_scratch_path(&f->tmp, "credentials" KW_KEYS_LOCK_SUFFIX);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(lpath, O_RDWR | O_CREAT, 0600);
		struct timespec hold = {0, 400 * 1000000L};

		if (fd < 0 || flock(fd, LOCK_EX))
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		nanosleep(&hold, NULL);
		/* write a profile of its own while holding the lock, as another keywarden would */
		{
			FILE *fp = fopen(creds, "a");

			if (fp) {
				fputs("[child]\naws_access_key_id = AKIACHILDCHILDCHILD0\n", fp);
				fclose(fp);
			}
		}
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	t0 = now_s();
	assert_int_equal(kw_keys_deliver_profile("service-ansible", &f->key, NULL, NULL, &err), 0);
	assert_true(now_s() - t0 >= 0.3);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the child's profile, written while it held the lock, survived our edit */
	expect_file(creds, "[child]\naws_access_key_id = AKIACHILDCHILDCHILD0\n\n[service-ansible]\n"
	                   "aws_access_key_id = " KEY_ID "\naws_secret_access_key = " SECRET "\n");
	/* the lock itself: a second holder in this process waits too, and a symbolic link is refused */
	{
		int a = kw_keys_lock(creds, false, &err), fd2 = open(lpath, O_RDWR);

		assert_true(a >= 0);
		assert_true(fd2 >= 0);
		assert_int_equal(flock(fd2, LOCK_EX | LOCK_NB), -1);
		kw_keys_unlock(a);
		assert_int_equal(flock(fd2, LOCK_EX | LOCK_NB), 0);
		close(fd2);
		unlink(lpath);
		assert_int_equal(symlink(kw_scratch_path(&f->tmp, "elsewhere"), lpath), 0);
		assert_int_equal(kw_keys_lock(creds, false, &err), -1);
		assert_int_equal(err.kind, KW_ERR_IO);
	}
}

static void keys_key_id_is_found_in_every_format(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	        {"{\n  \"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\",\n  \"SecretAccessKey\": "
	         "\"AKIAxx/AKIAZZZZZZZZZZZZZZZZ\"\n}",
	         "AKIAIOSFODNN7EXAMPLE"},
	        {"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPL2\nAWS_SECRET_ACCESS_KEY=x\n", "AKIAIOSFODNN7EXAMPL2"},
	        {"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPL3\n", "AKIAIOSFODNN7EXAMPL3"},
	        {"export KEY=AKIAIOSFODNN7EXAMPL4 # template\n", "AKIAIOSFODNN7EXAMPL4"},
	        {"notes: nothing here, AKIA alone\n", NULL},
	        {"AKIAIOSFODNN7EXAMPLEandmore\n", NULL}, /* not a word of its own */
	};
	char id[KW_KEYS_ID_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = kw_keys_key_id_in(cases[i].text, strlen(cases[i].text), id, sizeof(id));

		if (cases[i].want) {
			assert_int_equal(rc, 0);
			assert_string_equal(id, cases[i].want);
		} else {
			assert_int_equal(rc, -1);
		}
	}
}

static void keys_secret_is_found_by_its_label(void **state)
{
	static const char *const texts[] = {
	        "{\"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\", \"SecretAccessKey\": \"" SECRET "\"}",
	        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=" SECRET "\n",
	        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = " SECRET "\n",
	};
	struct kw_secret *got = NULL;
	struct kw_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(kw_keys_secret_in(texts[i], strlen(texts[i]), &got, &err), 0);
		assert_string_equal(kw_secret_str(got), SECRET);
		kw_secret_free(got);
	}
	/* a template says nothing about which part is the secret */
	assert_int_equal(kw_keys_secret_in("key=" SECRET "\n", strlen("key=" SECRET "\n"), &got, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	assert_null(got);
}

static void keys_held_reads_a_file_target(void **state)
{
	struct fixture *f = *state;
	struct kw_key_sink sink = {.kind = KW_KEY_SINK_FILE, .target = kw_scratch_path(&f->tmp, "held.json")};
	char id[KW_KEYS_ID_MAX];
	FILE *fp;

	assert_int_equal(kw_keys_held(&sink, id, NULL), KW_KEY_HELD_NONE);
	fp = fopen(sink.target, "w");
	assert_non_null(fp);
	fputs("someone's notes\n", fp);
	fclose(fp);
	assert_int_equal(kw_keys_held(&sink, id, NULL), KW_KEY_HELD_OTHER);
	fp = fopen(sink.target, "w");
	assert_non_null(fp);
	fputs("{\"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\"}\n", fp);
	fclose(fp);
	assert_int_equal(kw_keys_held(&sink, id, NULL), KW_KEY_HELD_KEY);
	assert_string_equal(id, "AKIAIOSFODNN7EXAMPLE");
	unlink(sink.target);
	sink.kind = KW_KEY_SINK_EXEC; /* write-only */
	sink.target = "cat";
	assert_int_equal(kw_keys_held(&sink, id, NULL), KW_KEY_HELD_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(keys_json_shape, setup, teardown),
	        cmocka_unit_test(keys_key_id_is_found_in_every_format),
	        cmocka_unit_test(keys_secret_is_found_by_its_label),
	        cmocka_unit_test_setup_teardown(keys_held_reads_a_file_target, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_file_is_0600_and_never_overwritten, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_file_refuses_symlink, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_stream_writes_json, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_stream_to_descriptor_and_closed_pipe, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_exec_gets_json_on_stdin_only, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_exec_failures_are_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(exec_env_is_scrubbed_of_aws_credentials, setup, teardown),
	        cmocka_unit_test(exec_large_input_reader_leaves_early),
	        cmocka_unit_test(exec_passes_only_stdio),
	        cmocka_unit_test_setup_teardown(keys_exec_runs_in_manifest_folder, setup, teardown),
	        cmocka_unit_test(keys_sink_from_manifest_maps_every_kind),
	        cmocka_unit_test_setup_teardown(keys_profile_creates_missing_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_keeps_every_other_byte, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_crlf_and_default, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_errors_name_no_secret, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_concurrent_deliveries_lose_nothing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(keys_profile_waits_for_another_process, setup, teardown),
	};
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
