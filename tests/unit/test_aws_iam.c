/*
 * Integration tests for src/aws against the local IAM endpoint (tests/iam-endpoint/server.py,
 * started here on a free port): every typed IAM/STS operation, errors as typed values,
 * pagination, retries under injected faults (with a fake sleep), LimitExceeded never retried,
 * a wrong secret, connection failures, and one client used from 8 threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws/call.h"
#include "aws/client.h"
#include "aws/iam.h"
#include "aws/retry.h"
#include "aws/sts.h"
#include "aws/xml.h"
#include "mfa/totp.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/secret.h"

#include "endpointlib.h"

/* --- tests ------------------------------------------------------------------------------- */

static void aws_whoami_and_client_facts(void **state)
{
	struct kw_aws_client *c = new_client(0);
	struct kw_sts_identity id;

	OK(kw_sts_get_caller_identity(c, &id, E));
	assert_string_equal(id.account, ACCOUNT);
	assert_string_equal(id.arn, "arn:aws:iam::" ACCOUNT ":root");
	kw_sts_identity_release(&id);
	assert_string_equal(kw_aws_client_region(c), "us-east-1");
	assert_string_equal(kw_aws_client_access_key_id(c), ADMIN_KEY);
	assert_string_equal(kw_aws_client_credential_source(c), "environment");
	assert_string_equal(kw_aws_client_endpoint(c, KW_AWS_IAM), endpoint);
	kw_aws_client_free(c);
}

static void aws_users_tags_and_boundaries(void **state)
{
	struct kw_aws_client *c = new_client(0);
	const struct kw_iam_tag tags[] = {{"managed-by", "keywarden"}, {"owner", "platform team"}};
	struct kw_iam_create_user_input in = {"service-users-a", "/service/", NULL, tags, 2};
	struct kw_iam_user u;
	struct kw_iam_tag_list tl;
	struct kw_error err;
	const char *rm[] = {"owner"};
	time_t now = time(NULL);

	OK(kw_iam_create_user(c, &in, &u, E));
	assert_string_equal(u.user_name, "service-users-a");
	assert_string_equal(u.path, "/service/");
	assert_string_equal(u.arn, "arn:aws:iam::" ACCOUNT ":user/service/service-users-a");
	assert_true(u.create_date > now - 3600 && u.create_date < now + 3600);
	kw_iam_user_release(&u);
	assert_null(u.user_name);
	/* again: EntityAlreadyExists as a typed AWS error */
	assert_int_equal(kw_iam_create_user(c, &in, NULL, &err), -1);
	assert_int_equal(err.kind, KW_ERR_AWS);
	assert_string_equal(err.aws_code, "EntityAlreadyExists");
	assert_int_equal(err.http_status, 409);
	assert_true(err.request_id[0]);
	assert_string_equal(err.where, "iam:CreateUser");
	OK(kw_iam_get_user(c, "service-users-a", &u, E));
	assert_int_equal(u.tags.n, 2);
	assert_string_equal(u.tags.items[1].value, "platform team");
	assert_null(u.permissions_boundary_arn);
	kw_iam_user_release(&u);
	/* NoSuchEntity is KW_ERR_NOT_FOUND with the code kept */
	assert_int_equal(kw_iam_get_user(c, "nobody-here", &u, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	assert_string_equal(err.aws_code, "NoSuchEntity");
	assert_int_equal(err.http_status, 404);
	/* tags */
	{
		const struct kw_iam_tag more[] = {{"software", "ansible"}};
		OK(kw_iam_tag_user(c, "service-users-a", more, 1, E));
	}
	OK(kw_iam_untag_user(c, "service-users-a", rm, 1, E));
	OK(kw_iam_list_user_tags(c, "service-users-a", &tl, E));
	assert_int_equal(tl.n, 2);
	for (size_t i = 0; i < tl.n; i++)
		assert_string_not_equal(tl.items[i].key, "owner");
	kw_iam_tag_list_release(&tl);
	/* permissions boundary */
	OK(kw_iam_put_user_permissions_boundary(c, "service-users-a",
	                                        "arn:aws:iam::aws:policy/ReadOnlyAccess", E));
	OK(kw_iam_get_user(c, "service-users-a", &u, E));
	assert_string_equal(u.permissions_boundary_arn, "arn:aws:iam::aws:policy/ReadOnlyAccess");
	kw_iam_user_release(&u);
	OK(kw_iam_delete_user_permissions_boundary(c, "service-users-a", E));
	/* user policies: none inline, none attached */
	{
		struct kw_iam_names names;
		struct kw_iam_attached_policy_list ap;
		OK(kw_iam_list_user_policies(c, "service-users-a", &names, E));
		assert_int_equal(names.n, 0);
		kw_iam_names_release(&names);
		OK(kw_iam_list_attached_user_policies(c, "service-users-a", &ap, E));
		assert_int_equal(ap.n, 0);
		kw_iam_attached_policy_list_release(&ap);
	}
	/* login profile: none */
	{
		struct kw_iam_login_profile lp;
		assert_int_equal(kw_iam_get_login_profile(c, "service-users-a", &lp, &err), -1);
		assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
		assert_int_equal(kw_iam_delete_login_profile(c, "service-users-a", &err), -1);
		assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	}
	OK(kw_iam_delete_user(c, "service-users-a", E));
	kw_aws_client_free(c);
}

static const char POLICY[] =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
        "\"Action\":[\"ec2:Describe*\"],\"Resource\":\"*\",\"Condition\":{\"StringLike\":"
        "{\"aws:RequestTag/x\":\"a b&c=d+%/é\"}}}]}";

static void aws_groups_membership_and_policies(void **state)
{
	struct kw_aws_client *c = new_client(0);
	struct kw_iam_create_user_input in = {"service-groups-a", NULL, NULL, NULL, 0};
	struct kw_iam_group g;
	struct kw_iam_group_list gl;
	struct kw_iam_user_list members;
	struct kw_iam_names names;
	struct kw_iam_inline_policy p;
	struct kw_iam_attached_policy_list ap;
	struct kw_error err;

	OK(kw_iam_create_user(c, &in, NULL, E));
	OK(kw_iam_create_group(c, "service-groups-a", "/service/", &g, E));
	assert_string_equal(g.arn, "arn:aws:iam::" ACCOUNT ":group/service/service-groups-a");
	kw_iam_group_release(&g);
	OK(kw_iam_add_user_to_group(c, "service-groups-a", "service-groups-a", E));
	OK(kw_iam_list_groups_for_user(c, "service-groups-a", &gl, E));
	assert_int_equal(gl.n, 1);
	assert_string_equal(gl.items[0].group_name, "service-groups-a");
	kw_iam_group_list_release(&gl);
	OK(kw_iam_get_group(c, "service-groups-a", &g, &members, E));
	assert_string_equal(g.path, "/service/");
	assert_int_equal(members.n, 1);
	assert_string_equal(members.items[0].user_name, "service-groups-a");
	kw_iam_group_release(&g);
	kw_iam_user_list_release(&members);
	OK(kw_iam_get_group(c, "service-groups-a", &g, NULL, E));
	kw_iam_group_release(&g);
	assert_int_equal(kw_iam_get_group(c, "no-such-group", &g, NULL, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	/* inline policy: the document comes back URL-decoded, byte for byte */
	OK(kw_iam_put_group_policy(c, "service-groups-a", "ec2-inventory", POLICY, E));
	OK(kw_iam_get_group_policy(c, "service-groups-a", "ec2-inventory", &p, E));
	assert_string_equal(p.policy_name, "ec2-inventory");
	assert_string_equal(p.document, POLICY);
	kw_iam_inline_policy_release(&p);
	OK(kw_iam_list_group_policies(c, "service-groups-a", &names, E));
	assert_int_equal(names.n, 1);
	assert_string_equal(names.items[0], "ec2-inventory");
	kw_iam_names_release(&names);
	/* managed policy */
	OK(kw_iam_attach_group_policy(c, "service-groups-a",
	                              "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", E));
	OK(kw_iam_list_attached_group_policies(c, "service-groups-a", &ap, E));
	assert_int_equal(ap.n, 1);
	assert_string_equal(ap.items[0].policy_name, "AmazonEC2ReadOnlyAccess");
	kw_iam_attached_policy_list_release(&ap);
	/* account authorization details: users and groups with decoded documents */
	{
		struct kw_iam_authorization_details d;
		bool seen_user = false, seen_group = false;
		OK(kw_iam_get_account_authorization_details(c, 0, 0, &d, E));
		for (size_t i = 0; i < d.nusers; i++) {
			if (strcmp(d.users[i].user.user_name, "service-groups-a"))
				continue;
			seen_user = true;
			assert_int_equal(d.users[i].groups.n, 1);
			assert_string_equal(d.users[i].groups.items[0], "service-groups-a");
		}
		for (size_t i = 0; i < d.ngroups; i++) {
			if (strcmp(d.groups[i].group.group_name, "service-groups-a"))
				continue;
			seen_group = true;
			assert_int_equal(d.groups[i].policies.n, 1);
			assert_string_equal(d.groups[i].policies.items[0].document, POLICY);
			assert_int_equal(d.groups[i].attached.n, 1);
		}
		assert_true(seen_user && seen_group);
		kw_iam_authorization_details_release(&d);
		OK(kw_iam_get_account_authorization_details(c, KW_IAM_AAD_GROUP, 0, &d, E));
		assert_int_equal(d.nusers, 0);
		assert_true(d.ngroups >= 1);
		kw_iam_authorization_details_release(&d);
	}
	/* teardown in IAM's order */
	OK(kw_iam_detach_group_policy(c, "service-groups-a",
	                              "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", E));
	assert_int_equal(kw_iam_delete_group(c, "service-groups-a", &err), -1);
	assert_string_equal(err.aws_code, "DeleteConflict");
	OK(kw_iam_delete_group_policy(c, "service-groups-a", "ec2-inventory", E));
	OK(kw_iam_remove_user_from_group(c, "service-groups-a", "service-groups-a", E));
	OK(kw_iam_delete_group(c, "service-groups-a", E));
	OK(kw_iam_delete_user(c, "service-groups-a", E));
	kw_aws_client_free(c);
}

static void aws_access_keys_and_static_client(void **state)
{
	struct kw_aws_client *c = new_client(0), *k = NULL;
	struct kw_iam_create_user_input in = {"service-keys-a", NULL, NULL, NULL, 0};
	struct kw_iam_access_key key, key2, key3;
	struct kw_iam_access_key_list kl;
	struct kw_iam_access_key_last_used lu;
	struct kw_sts_identity id;
	struct kw_aws_stats st;
	struct kw_error err;
	long before;

	OK(kw_iam_create_user(c, &in, NULL, E));
	OK(kw_iam_create_access_key(c, "service-keys-a", &key, E));
	assert_string_equal(key.user_name, "service-keys-a");
	assert_int_equal(key.status, KW_IAM_KEY_ACTIVE);
	assert_non_null(key.secret);
	assert_int_equal(key.secret->len, 40);
	OK(kw_iam_list_access_keys(c, "service-keys-a", &kl, E));
	assert_int_equal(kl.n, 1);
	assert_string_equal(kl.items[0].access_key_id, key.access_key_id);
	assert_null(kl.items[0].secret);
	kw_iam_access_key_list_release(&kl);
	OK(kw_iam_get_access_key_last_used(c, key.access_key_id, &lu, E));
	assert_int_equal(lu.last_used_date, 0);
	assert_string_equal(lu.service_name, "N/A");
	kw_iam_access_key_last_used_release(&lu);
	/* the fresh key works: STS with explicit static credentials */
	OK(kw_aws_client_new_static(NULL, key.access_key_id, key.secret, NULL, &k, E));
	OK(kw_sts_get_caller_identity(k, &id, E));
	assert_string_equal(id.arn, "arn:aws:iam::" ACCOUNT ":user/service-keys-a");
	kw_sts_identity_release(&id);
	assert_string_equal(kw_aws_client_credential_source(k), "static");
	kw_aws_client_free(k);
	OK(kw_iam_get_access_key_last_used(c, key.access_key_id, &lu, E));
	assert_true(lu.last_used_date > 0);
	assert_string_equal(lu.service_name, "sts");
	kw_iam_access_key_last_used_release(&lu);
	/* LimitExceeded at the third key: one request, never retried */
	OK(kw_iam_create_access_key(c, "service-keys-a", &key2, E));
	before = count_of("CreateAccessKey");
	assert_int_equal(kw_iam_create_access_key(c, "service-keys-a", &key3, &err), -1);
	assert_int_equal(err.kind, KW_ERR_AWS);
	assert_string_equal(err.aws_code, "LimitExceeded");
	assert_int_equal(count_of("CreateAccessKey"), before + 1);
	OK(kw_aws_client_stats(c, &st, E));
	for (size_t i = 0; i < st.nactions; i++)
		if (!strcmp(st.actions[i].action, "iam:CreateAccessKey")) {
			assert_int_equal(st.actions[i].calls, 3);
			assert_int_equal(st.actions[i].retries, 0);
			assert_int_equal(st.actions[i].failures, 1);
		}
	kw_aws_stats_release(&st);
	/* deactivate, and the key stops working */
	OK(kw_iam_update_access_key(c, "service-keys-a", key.access_key_id, KW_IAM_KEY_INACTIVE, E));
	OK(kw_iam_list_access_keys(c, "service-keys-a", &kl, E));
	for (size_t i = 0; i < kl.n; i++)
		if (!strcmp(kl.items[i].access_key_id, key.access_key_id))
			assert_int_equal(kl.items[i].status, KW_IAM_KEY_INACTIVE);
	kw_iam_access_key_list_release(&kl);
	OK(kw_aws_client_new_static(NULL, key.access_key_id, key.secret, NULL, &k, E));
	assert_int_equal(kw_sts_get_caller_identity(k, &id, &err), -1);
	assert_int_equal(err.kind, KW_ERR_AUTH);
	assert_string_equal(err.aws_code, "InvalidClientTokenId");
	kw_aws_client_free(k);
	OK(kw_iam_delete_access_key(c, "service-keys-a", key.access_key_id, E));
	OK(kw_iam_delete_access_key(c, "service-keys-a", key2.access_key_id, E));
	OK(kw_iam_delete_user(c, "service-keys-a", E));
	kw_iam_access_key_release(&key);
	kw_iam_access_key_release(&key2);
	kw_aws_client_free(c);
}

static void aws_wrong_secret_is_signature_does_not_match(void **state)
{
	struct kw_secret *bad = kw_secret_from("not-the-secret-at-all-0000000000000000000", 40);
	struct kw_aws_client *k = NULL;
	struct kw_sts_identity id;
	struct kw_error err;

	OK(kw_aws_client_new_static(NULL, ADMIN_KEY, bad, NULL, &k, E));
	kw_aws_client_set_retry_env(k, &retry_env);
	assert_int_equal(kw_sts_get_caller_identity(k, &id, &err), -1);
	assert_int_equal(err.kind, KW_ERR_AUTH);
	assert_string_equal(err.aws_code, "SignatureDoesNotMatch");
	assert_int_equal(err.http_status, 403);
	assert_null(strstr(err.msg, "not-the-secret"));
	kw_aws_client_free(k);
	kw_secret_free(bad);
}

static void aws_mfa_devices(void **state)
{
	struct kw_aws_client *c = new_client(0);
	struct kw_iam_create_user_input in = {"service-mfa-a", NULL, NULL, NULL, 0};
	struct kw_iam_virtual_mfa m;
	struct kw_iam_mfa_device_list dl;
	char code1[KW_TOTP_CODE_MAX], code2[KW_TOTP_CODE_MAX];
	bool found = false;

	OK(kw_iam_create_user(c, &in, NULL, E));
	OK(kw_iam_create_virtual_mfa_device(c, "service-mfa-a", NULL, &m, E));
	assert_string_equal(m.serial_number, "arn:aws:iam::" ACCOUNT ":mfa/service-mfa-a");
	assert_true(m.seed_base32->len >= 32);
	assert_int_equal(strspn(kw_secret_str(m.seed_base32), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567="),
	                 m.seed_base32->len);
	OK(kw_totp_enable_codes(m.seed_base32, time(NULL), code1, code2, E));
	OK(kw_iam_enable_mfa_device(c, "service-mfa-a", m.serial_number, code1, code2, E));
	OK(kw_iam_list_mfa_devices(c, "service-mfa-a", &dl, E));
	assert_int_equal(dl.n, 1);
	assert_string_equal(dl.items[0].serial_number, m.serial_number);
	assert_string_equal(dl.items[0].user_name, "service-mfa-a");
	assert_true(dl.items[0].enable_date > 0);
	kw_iam_mfa_device_list_release(&dl);
	OK(kw_iam_list_virtual_mfa_devices(c, KW_IAM_ASSIGNMENT_ASSIGNED, 0, &dl, E));
	for (size_t i = 0; i < dl.n; i++)
		if (!strcmp(dl.items[i].serial_number, m.serial_number)) {
			found = true;
			assert_string_equal(dl.items[i].user_name, "service-mfa-a");
			assert_true(dl.items[i].enable_date > 0);
		}
	assert_true(found);
	kw_iam_mfa_device_list_release(&dl);
	OK(kw_iam_deactivate_mfa_device(c, "service-mfa-a", m.serial_number, E));
	OK(kw_iam_list_virtual_mfa_devices(c, KW_IAM_ASSIGNMENT_UNASSIGNED, 0, &dl, E));
	assert_true(dl.n >= 1);
	assert_null(dl.items[0].user_name);
	kw_iam_mfa_device_list_release(&dl);
	OK(kw_iam_delete_virtual_mfa_device(c, m.serial_number, E));
	OK(kw_iam_delete_user(c, "service-mfa-a", E));
	kw_iam_virtual_mfa_release(&m);
	kw_aws_client_free(c);
}

static void aws_credential_report(void **state)
{
	struct kw_aws_client *c = new_client(0);
	enum kw_iam_report_state st = KW_IAM_REPORT_STARTED;
	struct kw_iam_credential_report r;

	for (int i = 0; i < 50 && st != KW_IAM_REPORT_COMPLETE; i++) {
		OK(kw_iam_generate_credential_report(c, &st, E));
		if (st != KW_IAM_REPORT_COMPLETE)
			usleep(100000);
	}
	assert_int_equal(st, KW_IAM_REPORT_COMPLETE);
	OK(kw_iam_get_credential_report(c, &r, E));
	assert_true(r.len > 10);
	assert_int_equal(strncmp(r.csv, "user,arn,", 9), 0);
	assert_true(r.generated_time > 0);
	kw_iam_credential_report_release(&r);
	kw_aws_client_free(c);
}

static int count_page(void *ctx, xmlNode *res, struct kw_error *err)
{
	int *n = ctx;

	for (xmlNode *m = kw_xml_child(kw_xml_child(res, "Users"), "member"); m; m = kw_xml_next(m, "member"))
		n[0]++;
	n[1]++;
	return 0;
}

static void aws_pagination_follows_markers(void **state)
{
	struct kw_aws_client *c = new_client(0);
	const struct kw_aws_param ps[] = {{"PathPrefix", "/paged/"}, {"MaxItems", "2"}};
	int counts[2] = {0, 0};
	char name[32];

	for (int i = 0; i < 5; i++) {
		struct kw_iam_create_user_input in = {name, "/paged/", NULL, NULL, 0};
		snprintf(name, sizeof(name), "paged-%d", i);
		OK(kw_iam_create_user(c, &in, NULL, E));
	}
	OK(kw_aws_paginate(c, KW_AWS_IAM, "ListUsers", ps, 2, count_page, counts, E));
	assert_int_equal(counts[0], 5);
	assert_int_equal(counts[1], 3);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "paged-%d", i);
		OK(kw_iam_delete_user(c, name, E));
	}
	kw_aws_client_free(c);
}

struct worker {
	struct kw_aws_client *c;
	int ok;
	int calls;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->calls; i++) {
		struct kw_iam_tag_list tl;
		struct kw_sts_identity id;
		struct kw_error err;
		if (!kw_iam_list_user_tags(w->c, "service-faults", &tl, &err)) {
			w->ok++;
			kw_iam_tag_list_release(&tl);
		}
		if (!kw_sts_get_caller_identity(w->c, &id, &err)) {
			w->ok++;
			kw_sts_identity_release(&id);
		}
	}
	return NULL;
}

static void aws_faults_are_retried_from_eight_threads(void **state)
{
	/* 40% of attempts fail: with 10 attempts a call gives up with probability 0.4^10 (1.7% over
	 * 160 calls, seen once under load); 20 makes that 1.7e-6, so a failure here means a bug. */
	struct kw_aws_client *c = new_client(20);
	struct kw_iam_create_user_input in = {"service-faults", NULL, NULL, NULL, 0};
	struct worker w[8];
	pthread_t t[8];
	struct kw_aws_stats st;
	json_t *j;
	long requests = 0, calls = 0, retries = 0;

	OK(kw_iam_create_user(c, &in, NULL, E));
	fenv.slept = 0;
	fenv.sleeps = 0;
	fenv.max_delay = 0;
	set_faults("seed=4,throttle=0.3,error503=0.1");
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){c, 0, 10};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 2 * w[i].calls); /* every call completed */
	}
	clear_faults();
	j = control("GET", "counts", NULL);
	requests = (long)(json_integer_value(json_object_get(j, "ListUserTags")) +
	                  json_integer_value(json_object_get(j, "GetCallerIdentity")));
	json_decref(j);
	OK(kw_aws_client_stats(c, &st, E));
	for (size_t i = 0; i < st.nactions; i++)
		if (!strcmp(st.actions[i].action, "iam:ListUserTags") ||
		    !strcmp(st.actions[i].action, "sts:GetCallerIdentity")) {
			calls += (long)st.actions[i].calls;
			retries += (long)st.actions[i].retries;
			assert_int_equal(st.actions[i].failures, 0);
		}
	assert_true(st.wall_seconds > 0);
	kw_aws_stats_release(&st);
	assert_int_equal(calls, 160);
	assert_true(retries > 10); /* 40% of attempts fail */
	assert_int_equal(requests, calls + retries);
	assert_int_equal(fenv.sleeps, retries);
	assert_true(fenv.max_delay <= KW_RETRY_MAX_BACKOFF);
	OK(kw_iam_delete_user(c, "service-faults", E));
	kw_aws_client_free(c);
}

static void aws_attempt_budget_and_connection_errors(void **state)
{
	struct kw_aws_client *c;
	struct kw_sts_identity id;
	struct kw_error err;
	struct kw_aws_stats st;

	/* every request throttled: gives up after max_attempts, reporting Throttling */
	c = new_client(4);
	set_faults("throttle=1.0");
	assert_int_equal(kw_sts_get_caller_identity(c, &id, &err), -1);
	clear_faults();
	assert_int_equal(err.kind, KW_ERR_AWS);
	assert_string_equal(err.aws_code, "Throttling");
	assert_int_equal(count_of("GetCallerIdentity"), 4);
	kw_aws_client_free(c);
	/* nothing listening: network error after the attempts */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);
	c = new_client(3);
	setenv("AWS_ENDPOINT_URL", endpoint, 1);
	assert_int_equal(kw_sts_get_caller_identity(c, &id, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NETWORK);
	OK(kw_aws_client_stats(c, &st, E));
	assert_int_equal(st.nactions, 1);
	assert_int_equal(st.actions[0].retries, 2);
	assert_int_equal(st.actions[0].failures, 1);
	kw_aws_stats_release(&st);
	kw_aws_client_free(c);
	/* a CA bundle that cannot be read: no retry would help */
	{
		char https[80];
		snprintf(https, sizeof(https), "https://%s", endpoint + strlen("http://"));
		setenv("AWS_ENDPOINT_URL", https, 1);
		setenv("AWS_CA_BUNDLE", "/nonexistent/ca.pem", 1);
		c = new_client(3);
		setenv("AWS_ENDPOINT_URL", endpoint, 1);
		unsetenv("AWS_CA_BUNDLE");
	}
	assert_int_equal(kw_sts_get_caller_identity(c, &id, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NETWORK);
	OK(kw_aws_client_stats(c, &st, E));
	assert_int_equal(st.actions[0].retries, 0);
	kw_aws_stats_release(&st);
	kw_aws_client_free(c);
}

static void aws_credential_process_refreshes_expiring_credentials(void **state)
{
	char dir[] = "/tmp/kw-aws-proc-XXXXXX", script[256], config[256], counter[256], exp[32], text[1024];
	struct kw_aws_options opt = {.profile = "proc"};
	struct kw_aws_client *c = NULL;
	struct kw_sts_identity id;
	time_t soon = time(NULL) + 200; /* inside the refresh margin: every call runs it again */
	FILE *fp;
	long runs = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/creds.sh", dir);
	snprintf(config, sizeof(config), "%s/config", dir);
	snprintf(counter, sizeof(counter), "%s/runs", dir);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&soon));
	fp = fopen(script, "w");
	fprintf(fp,
	        "echo run >> '%s'\n"
	        "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\", "
	        "\"Expiration\": \"%s\"}'\n",
	        counter, ADMIN_KEY, ADMIN_SECRET, exp);
	fclose(fp);
	snprintf(text, sizeof(text), "[profile proc]\ncredential_process = sh %s\n", script);
	fp = fopen(config, "w");
	fputs(text, fp);
	fclose(fp);
	setenv("AWS_CONFIG_FILE", config, 1);
	OK(kw_aws_client_new(&opt, &c, E));
	assert_string_equal(kw_aws_client_credential_source(c), "credential-process");
	for (int i = 0; i < 3; i++) {
		OK(kw_sts_get_caller_identity(c, &id, E));
		kw_sts_identity_release(&id);
	}
	kw_aws_client_free(c);
	setenv("AWS_CONFIG_FILE", "/nonexistent/kw-config", 1);
	fp = fopen(counter, "r");
	assert_non_null(fp);
	while (fgets(text, sizeof(text), fp))
		runs++;
	fclose(fp);
	assert_int_equal(runs, 4); /* once at creation, then before each of the 3 calls */
	unlink(script);
	unlink(config);
	unlink(counter);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(aws_whoami_and_client_facts),
	        cmocka_unit_test(aws_users_tags_and_boundaries),
	        cmocka_unit_test(aws_groups_membership_and_policies),
	        cmocka_unit_test(aws_access_keys_and_static_client),
	        cmocka_unit_test(aws_wrong_secret_is_signature_does_not_match),
	        cmocka_unit_test(aws_mfa_devices),
	        cmocka_unit_test(aws_credential_report),
	        cmocka_unit_test(aws_pagination_follows_markers),
	        cmocka_unit_test(aws_faults_are_retried_from_eight_threads),
	        cmocka_unit_test(aws_attempt_budget_and_connection_errors),
	        cmocka_unit_test(aws_credential_process_refreshes_expiring_credentials),
	};

	return cmocka_run_group_tests_name("aws_iam", tests, start_endpoint, stop_endpoint);
}
