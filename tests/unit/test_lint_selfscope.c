/* Unit test for the policy lint's self-scoped exemption (KWP021): creating access keys or a
 * console password for one's own user only (${aws:username}) is not privilege escalation, as
 * in keywarden's self-service policies (policies/self-service-*.json); for any other user it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "util/error.h"

static size_t count_code(const char *resource, const char *action, const char *code)
{
	char text[512];
	struct kw_policy *p = NULL;
	struct kw_policy_findings f = {0};
	struct kw_error err;
	size_t n = 0;

	snprintf(
	        text, sizeof(text),
	        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"%s\"], "
	        "\"Resource\": %s}]}",
	        action, resource);
	assert_int_equal(kw_policy_parse(text, strlen(text), "t.json", &p, &err), 0);
	assert_int_equal(kw_policy_lint(p, &f, &err), 0);
	for (size_t i = 0; i < f.n; i++)
		n += !strcmp(f.items[i].code, code);
	kw_policy_findings_release(&f);
	kw_policy_free(p);
	return n;
}

static void own_user_is_not_escalation(void **state)
{
	assert_int_equal(
	        count_code("\"arn:aws:iam::*:user/${aws:username}\"", "iam:CreateAccessKey", "KWP021"), 0);
	assert_int_equal(count_code("[\"arn:aws:iam::123456789012:user/${aws:username}\"]",
	                            "iam:CreateAccessKey", "KWP021"),
	                 0);
	assert_int_equal(
	        count_code("\"arn:aws-cn:iam::*:user/${aws:username}\"", "iam:UpdateLoginProfile", "KWP021"),
	        0);
}

static void other_users_still_are(void **state)
{
	assert_int_equal(count_code("\"*\"", "iam:CreateAccessKey", "KWP021"), 1);
	assert_int_equal(count_code("\"arn:aws:iam::*:user/alice\"", "iam:CreateAccessKey", "KWP021"), 1);
	assert_int_equal(count_code("\"arn:aws:iam::*:user/*\"", "iam:CreateAccessKey", "KWP021"), 1);
	assert_int_equal(count_code("[\"arn:aws:iam::*:user/${aws:username}\", \"arn:aws:iam::*:user/bob\"]",
	                            "iam:CreateAccessKey", "KWP021"),
	                 1);
	assert_int_equal(
	        count_code("\"arn:aws:s3:::x:user/${aws:username}\"", "iam:CreateAccessKey", "KWP021"), 1);
	/* only credential actions on oneself are exempt */
	assert_int_equal(count_code("\"arn:aws:iam::*:user/${aws:username}\"", "iam:PutUserPolicy", "KWP021"),
	                 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(own_user_is_not_escalation),
	        cmocka_unit_test(other_users_still_are),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
