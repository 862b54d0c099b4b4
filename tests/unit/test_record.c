/* Unit tests for src/keys/record: the local record of the file and profile targets written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/record.h"
#include "util/buf.h"
#include "util/error.h"

static char root[] = "/tmp/kw-record-XXXXXX";

static int setup(void **state)
{
	char path[512];

	(void)state;
	if (!mkdtemp(root))
		return -1;
	snprintf(path, sizeof(path), "%s/credentials", root);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/config", root);
	setenv("AWS_CONFIG_FILE", path, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

/* Use root/NAME as the state folder. */
static void state_in(const char *name, char *dir, size_t size)
{
	snprintf(dir, size, "%s/%s", root, name);
	kw_key_record_set_dir(dir);
}

static void record_dir_follows_option_then_xdg_then_home(void **state)
{
	struct kw_buf b = KW_BUF_INIT;
	char dir[512];

	(void)state;
	state_in("opt", dir, sizeof(dir));
	assert_int_equal(kw_key_record_dir(&b, NULL), 0);
	assert_string_equal(b.data, dir);
	kw_buf_release(&b);
	kw_key_record_set_dir(NULL);
	setenv("XDG_STATE_HOME", "/var/xdg", 1);
	assert_int_equal(kw_key_record_dir(&b, NULL), 0);
	assert_string_equal(b.data, "/var/xdg/keywarden");
	kw_buf_release(&b);
	setenv("XDG_STATE_HOME", "relative/xdg", 1); /* the specification: ignored */
	setenv("HOME", "/home/u", 1);
	assert_int_equal(kw_key_record_dir(&b, NULL), 0);
	assert_string_equal(b.data, "/home/u/.local/state/keywarden");
	kw_buf_release(&b);
	unsetenv("XDG_STATE_HOME");
}

static void record_keeps_targets_updates_keys_and_never_stores(void **state)
{
	struct kw_key_sink sinks[3] = {
	        {.kind = KW_KEY_SINK_FILE, .target = "/srv/app/key.json"},
	        {.kind = KW_KEY_SINK_PROFILE, .target = "service-app"},
	        {.kind = KW_KEY_SINK_SSM_PARAMETER, .target = "/service/app/key"},
	};
	struct kw_key_record r;
	struct kw_buf text = KW_BUF_INIT;
	struct kw_error err;
	struct stat st;
	char dir[512];

	(void)state;
	state_in("s1", dir, sizeof(dir));
	kw_error_clear(&err);
	assert_int_equal(
	        kw_key_record_delivered("123456789012", "Service-App", "AKIAFIRST0000000001", sinks, 3, &err),
	        0);
	/* a later delivery to the file only: the profile keeps its older key */
	assert_int_equal(
	        kw_key_record_delivered("123456789012", "Service-App", "AKIASECOND000000002", sinks, 1, &err),
	        0);
	assert_int_equal(kw_key_record_load("123456789012", "service-app", &r, &err), 0);
	assert_non_null(r.path);
	assert_non_null(strstr(r.path, "/s1/targets/123456789012/service-app.json"));
	assert_int_equal(stat(r.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_string_equal(r.account, "123456789012");
	assert_string_equal(r.user, "Service-App");
	assert_int_equal(r.n, 2); /* the parameter is found by its tags, not recorded */
	assert_int_equal(r.v[0].kind, KW_KEY_SINK_FILE);
	assert_string_equal(r.v[0].key_id, "AKIASECOND000000002");
	assert_int_equal(r.v[1].kind, KW_KEY_SINK_PROFILE);
	assert_string_equal(r.v[1].key_id, "AKIAFIRST0000000001");
	assert_non_null(strstr(r.v[1].credentials_file, "/credentials"));
	assert_true(kw_key_record_names(&r.v[1], &sinks[1]));
	assert_false(kw_key_record_names(&r.v[0], &sinks[1]));
	assert_int_equal(kw_key_record_describe(&r, &text), 0);
	assert_string_equal(text.data, "file /srv/app/key.json, profile service-app");
	/* unknown account: found in whichever account has it */
	{
		struct kw_key_record any;

		assert_int_equal(kw_key_record_load(NULL, "SERVICE-APP", &any, &err), 0);
		assert_int_equal(any.n, 2);
		kw_key_record_release(&any);
	}
	assert_int_equal(kw_key_record_forget(&r, &err), 0);
	assert_int_not_equal(access(r.path, F_OK), 0);
	{ /* the lock is the account folder's: nothing of the user is left */
		char lock[700];

		snprintf(lock, sizeof(lock), "%s.lock", r.path);
		assert_int_not_equal(access(lock, F_OK), 0);
		snprintf(lock, sizeof(lock), "%s/targets/123456789012.lock", dir);
		assert_int_equal(access(lock, F_OK), 0);
	}
	kw_key_record_release(&r);
	assert_int_equal(kw_key_record_load("123456789012", "service-app", &r, &err), 0);
	assert_int_equal(r.n, 0);
	assert_null(r.path);
	kw_key_record_release(&r);
	kw_buf_release(&text);
}

static void record_refuses_names_that_are_not_one_file(void **state)
{
	struct kw_key_sink file = {.kind = KW_KEY_SINK_FILE, .target = "/k.json"};
	struct kw_key_record r;
	struct kw_error err;
	char dir[512];

	(void)state;
	state_in("s2", dir, sizeof(dir));
	assert_int_equal(
	        kw_key_record_delivered("123456789012", "../x", "AKIAX000000000000001", &file, 1, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_int_equal(kw_key_record_delivered("..", "service-x", "AKIAX000000000000001", &file, 1, &err),
	                 -1);
	assert_int_equal(kw_key_record_delivered(NULL, "service-x", "AKIAX000000000000001", &file, 1, &err),
	                 -1);
	/* nothing local to record: nothing written, no error */
	assert_int_equal(kw_key_record_delivered(NULL, "service-x", "AKIAX000000000000001", NULL, 0, &err),
	                 0);
	/* the same user in two accounts: which one is meant cannot be told */
	assert_int_equal(
	        kw_key_record_delivered("111111111111", "service-x", "AKIAX000000000000001", &file, 1, &err),
	        0);
	assert_int_equal(
	        kw_key_record_delivered("222222222222", "service-x", "AKIAX000000000000002", &file, 1, &err),
	        0);
	assert_int_equal(kw_key_record_load(NULL, "service-x", &r, &err), -1);
	assert_int_equal(err.kind, KW_ERR_CONFLICT);
	assert_non_null(strstr(err.msg, "111111111111"));
	kw_key_record_release(&r);
	assert_int_equal(kw_key_record_load("222222222222", "service-x", &r, &err), 0);
	assert_string_equal(r.v[0].key_id, "AKIAX000000000000002");
	kw_key_record_release(&r);
}

static void record_that_is_not_one_is_an_error_naming_it(void **state)
{
	struct kw_key_record r;
	struct kw_error err;
	char dir[512], path[700];
	FILE *f;

	(void)state;
	state_in("s3", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/targets", dir);
	mkdir(dir, 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/targets/123456789012", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/targets/123456789012/service-y.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\": 2, \"targets\": []}", f);
	fclose(f);
	assert_int_equal(kw_key_record_load("123456789012", "service-y", &r, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_string_equal(err.where, path);
	kw_key_record_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(record_dir_follows_option_then_xdg_then_home),
	        cmocka_unit_test(record_keeps_targets_updates_keys_and_never_stores),
	        cmocka_unit_test(record_refuses_names_that_are_not_one_file),
	        cmocka_unit_test(record_that_is_not_one_is_an_error_naming_it),
	};

	return cmocka_run_group_tests_name("record", tests, setup, teardown);
}
