/* Unit tests for src/engine helpers: read-back backoff, ARN parsing, state lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "engine/exec.h"
#include "engine/live.h"
#include "engine/state.h"
#include "util/wait.h"

static void backoff_doubles_caps_and_respects_the_deadline(void **state)
{
	assert_int_equal(kw_backoff_delay_ms(1, 30000), 250);
	assert_int_equal(kw_backoff_delay_ms(2, 30000), 500);
	assert_int_equal(kw_backoff_delay_ms(3, 30000), 1000);
	assert_int_equal(kw_backoff_delay_ms(4, 30000), 2000);
	assert_int_equal(kw_backoff_delay_ms(50, 30000), 2000);
	assert_int_equal(kw_backoff_delay_ms(5, 700), 700);
	assert_int_equal(kw_backoff_delay_ms(1, -5), 0);
}

static void account_id_from_arn(void **state)
{
	char buf[32];

	assert_int_equal(
	        kw_live_account_id("arn:aws:iam::123456789012:user/service/service-x", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "123456789012");
	assert_int_equal(kw_live_account_id("arn:aws-cn:iam::210987654321:mfa/x", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "210987654321");
	assert_int_equal(kw_live_account_id("arn:aws:iam:::user/x", buf, sizeof(buf)), -1);
	assert_int_equal(kw_live_account_id("not an arn", buf, sizeof(buf)), -1);
	assert_int_equal(kw_live_account_id("arn:aws:iam::123456789012:user/x", buf, 5), -1);
}

static void lists_find_as_iam_compares(void **state)
{
	struct kw_taglist t = {0};
	struct kw_strlist s = {0};
	struct kw_live_account a = {0};

	assert_int_equal(kw_taglist_add(&t, "Owner", "x"), 0);
	assert_non_null(kw_taglist_find(&t, "owner")); /* tag keys: case-insensitive */
	assert_int_equal(kw_strlist_add(&s, "Service-X"), 0);
	assert_int_equal(kw_strlist_find(&s, "service-x", true), 0);
	assert_int_equal(kw_strlist_find(&s, "service-x", false), -1);
	a.user.exists = true;
	assert_false(kw_live_user_managed(&a.user));
	assert_int_equal(kw_taglist_add(&a.user.tags, "managed-by", "keywarden"), 0);
	assert_true(kw_live_user_managed(&a.user));
	kw_taglist_release(&t);
	kw_strlist_release(&s);
	kw_live_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(backoff_doubles_caps_and_respects_the_deadline),
	        cmocka_unit_test(account_id_from_arn),
	        cmocka_unit_test(lists_find_as_iam_compares),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
