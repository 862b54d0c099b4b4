/* Unit tests for src/notify (targets, summaries), lifecycle/keyjson and aws/sns's ARN check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sns.h"
#include "lifecycle/audit.h"
#include "lifecycle/keyjson.h"
#include "notify/notify.h"
#include "notify/summary.h"
#include "util/error.h"

#define NOW ((time_t)1800000000)
#define DAY KW_LC_DAY

static void notify_parse_kinds_and_errors(void **state)
{
	struct kw_notify_target t;
	struct kw_error err;

	(void)state;
	assert_int_equal(kw_notify_parse("sns:arn:aws:sns:eu-west-1:123456789012:kw-alerts", &t, &err), 0);
	assert_string_equal(t.arg, "arn:aws:sns:eu-west-1:123456789012:kw-alerts");
	assert_int_equal(kw_notify_parse("exec:curl -d @- https://chat.example/hook", &t, &err), 0);
	assert_string_equal(t.arg, "curl -d @- https://chat.example/hook");
	assert_int_equal(kw_notify_parse("exec:", &t, &err), -1);
	assert_int_equal(err.kind, KW_ERR_USAGE);
	assert_int_equal(kw_notify_parse("email:ops@example.com", &t, &err), -1);
	assert_non_null(strstr(err.msg, "sns:TOPIC_ARN or exec:COMMAND"));
	assert_int_equal(kw_notify_parse("sns", &t, &err), -1);
	assert_int_equal(kw_notify_parse("sns:arn:aws:sns:eu-west-1:12345:kw", &t, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
}

static void sns_topic_arn_forms(void **state)
{
	char region[64];
	struct kw_error err;

	(void)state;
	assert_int_equal(kw_sns_topic_arn_parse("arn:aws:sns:us-east-1:123456789012:a_b-c", region,
	                                        sizeof(region), &err),
	                 0);
	assert_string_equal(region, "us-east-1");
	assert_int_equal(kw_sns_topic_arn_parse("arn:aws-cn:sns:cn-north-1:123456789012:t.fifo", region,
	                                        sizeof(region), &err),
	                 0);
	assert_string_equal(region, "cn-north-1");
	static const char *const bad[] = {
	        "arn:aws:sqs:us-east-1:123456789012:q",     "arn:aws:sns::123456789012:t",
	        "arn:aws:sns:us-east-1:123456789012:",      "arn:aws:sns:us-east-1:123456789012:a b",
	        "arn:aws:sns:us-east-1:123456789012:t:x",   "arn:aws:sns:US-EAST-1:123456789012:t",
	        "arn:aws:sns:us-east-1:123456789012:.fifo",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kw_sns_topic_arn_parse(bad[i], region, sizeof(region), &err), -1);
}

static void keyjson_carries_config_view(void **state)
{
	struct kw_lc_key k = {.id = "AKIAOLD",
	                      .active = true,
	                      .created = NOW - 100 * DAY,
	                      .last_used = NOW - DAY,
	                      .last_service = "sts",
	                      .last_region = "us-east-1"};
	json_t *o;

	(void)state;
	o = kw_lc_key_json("service-app", &k, NOW, 90);
	assert_int_equal(json_integer_value(json_object_get(o, "days_since_creation")), 100);
	assert_int_equal(json_integer_value(json_object_get(o, "age_days")), 100);
	assert_int_equal(json_integer_value(json_object_get(o, "max_access_key_age")), 90);
	assert_string_equal(json_string_value(json_object_get(o, "access_keys_rotated")), "NON_COMPLIANT");
	assert_string_equal(json_string_value(json_object_get(o, "last_used_service")), "sts");
	json_decref(o);
	k.active = false;
	o = kw_lc_key_json("service-app", &k, NOW, 90);
	assert_string_equal(json_string_value(json_object_get(o, "access_keys_rotated")), "NOT_APPLICABLE");
	json_decref(o);
}

static void audit_summary_lists_accounts_with_findings(void **state)
{
	struct kw_lc_key old = {.id = "AKIAOLDKEY",
	                        .active = true,
	                        .created = NOW - 120 * DAY,
	                        .last_used = NOW - 2 * DAY,
	                        .last_service = "s3",
	                        .last_region = "eu-west-1"};
	struct kw_lc_key fresh = {
	        .id = "AKIAFRESH", .active = true, .created = NOW - 5 * DAY, .last_used = NOW - DAY};
	struct kw_lc_subject a = {.user = "service-old",
	                          .origin = "manifests/old.yaml",
	                          .max_age_days = 90,
	                          .keys = &old,
	                          .nkeys = 1};
	struct kw_lc_subject b = {.user = "service-fresh", .keys = &fresh, .nkeys = 1};
	const struct kw_lc_subject *subjects[] = {&a, &b};
	struct kw_lc_audit_opts o = {.now = NOW};
	struct kw_lc_findings f = {0};
	char subject[100], *text;
	json_t *root, *acct;
	json_error_t jerr;

	(void)state;
	assert_int_equal(kw_lc_audit(&a, &o, &f), 0);
	assert_int_equal(kw_lc_audit(&b, &o, &f), 0);
	assert_int_equal(f.n, 1);
	text = kw_notify_audit_message(subjects, 2, &f, NOW, 90, subject, sizeof(subject));
	assert_non_null(text);
	assert_string_equal(subject, "keywarden audit: 1 finding in 1 account");
	root = json_loads(text, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "kind")), "audit");
	assert_int_equal(json_integer_value(json_object_get(root, "accounts_audited")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "codes"), "key-too-old")),
	                 1);
	assert_int_equal(json_array_size(json_object_get(root, "accounts")), 1);
	acct = json_array_get(json_object_get(root, "accounts"), 0);
	assert_string_equal(json_string_value(json_object_get(acct, "user")), "service-old");
	assert_string_equal(json_string_value(json_object_get(acct, "manifest")), "manifests/old.yaml");
	assert_string_equal(json_string_value(json_object_get(acct, "access_keys_rotated")), "NON_COMPLIANT");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(acct, "keys"), 0),
	                                                    "age_days")),
	                 120);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(acct, "findings"), 0), "code")),
	                    "key-too-old");
	json_decref(root);
	free(text);
	kw_lc_findings_release(&f);
}

static void rotate_summary_counts_and_subject(void **state)
{
	struct kw_lc_rot_result ok = {.failed = KW_LC_ROT_DONE}, bad = {.failed = KW_LC_ROT_CONFIRM};
	struct kw_notify_rotation r[] = {
	        {"service-a", true, &ok, "profile service-a", NULL, 0},
	        {"service-b", false, &bad, NULL, "iam:CreateAccessKey: LimitExceeded", 1},
	        {"service-c", false, NULL, NULL, "refused: not managed by keywarden", 2},
	};
	char subject[100], *text;
	json_t *root, *b;

	(void)state;
	strcpy(ok.old_id, "AKIAOLD");
	strcpy(ok.new_id, "AKIANEW");
	strcpy(bad.old_id, "AKIAB");
	text = kw_notify_rotate_message(r, 3, NOW, subject, sizeof(subject));
	assert_string_equal(subject, "keywarden rotate: 1 rotated, 2 failed");
	root = json_loads(text, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(root, "rotated")), 1);
	assert_int_equal(json_integer_value(json_object_get(root, "failed")), 2);
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(json_object_get(root, "rotations"), 0),
	                                          "new_access_key_id")),
	        "AKIANEW");
	b = json_array_get(json_object_get(root, "rotations"), 1);
	assert_string_equal(json_string_value(json_object_get(b, "failed_step")),
	                    kw_lc_rot_step_name(KW_LC_ROT_CONFIRM));
	assert_null(json_object_get(b, "new_access_key_id"));
	json_decref(root);
	free(text);
}

/* Rotations ending in any order are kept in the accounts' order, as copies. */
static void rotations_kept_in_account_order(void **state)
{
	struct kw_notify_rotations l = {0};
	struct kw_lc_rot_result res = {.failed = KW_LC_ROT_CONFIRM};
	struct kw_error err;
	char account[32];
	static const char *const want[] = {"profile a", "profile b", "service-x", "service-y"};

	(void)state;
	kw_error_set(&err, KW_ERR_AWS, "iam:CreateAccessKey", "LimitExceeded");
	strcpy(res.old_id, "AKIAOLD");
	strcpy(account, "service-y");
	assert_int_equal(kw_notify_rotations_add(&l, 2, account, false, &res, "", &err), 0);
	strcpy(account, "profile a");
	assert_int_equal(kw_notify_rotations_add(&l, 0, account, true, NULL, "profile a", &err), 0);
	strcpy(account, "service-x");
	assert_int_equal(kw_notify_rotations_add(&l, 1, account, false, NULL, NULL, &err), 0);
	strcpy(account, "profile b");
	assert_int_equal(kw_notify_rotations_add(&l, 0, account, true, NULL, NULL, NULL), 0);
	memset(account, 0, sizeof(account));
	memset(&res, 0, sizeof(res));
	assert_int_equal(l.n, 4);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.v[i].account, want[i]);
	assert_string_equal(l.v[0].delivered, "profile a");
	assert_null(l.v[0].error);     /* ok: no error kept */
	assert_null(l.v[3].delivered); /* "" is none */
	assert_string_equal(l.v[3].error, "iam:CreateAccessKey: LimitExceeded");
	assert_string_equal(l.v[3].res->old_id, "AKIAOLD");
	assert_int_equal(l.v[3].res->failed, KW_LC_ROT_CONFIRM);
	kw_notify_rotations_release(&l);
	assert_int_equal(l.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(notify_parse_kinds_and_errors),
	        cmocka_unit_test(sns_topic_arn_forms),
	        cmocka_unit_test(keyjson_carries_config_view),
	        cmocka_unit_test(audit_summary_lists_accounts_with_findings),
	        cmocka_unit_test(rotate_summary_counts_and_subject),
	        cmocka_unit_test(rotations_kept_in_account_order),
	};
	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
