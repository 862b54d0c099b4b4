/*
 * Integration tests for the JSON 1.1 protocol and the typed Secrets Manager and SSM operations
 * (src/aws/secretsmanager.c, ssm.c) against the local endpoint: versions and staging labels,
 * errors as typed values (not found, already exists, access denied), idempotent retries of a
 * lost answer (one version, not two), throttling retried, and the services table's endpoints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "endpointlib.h"

#include "aws/endpoint.h"
#include "aws/iam.h"
#include "aws/profile.h"
#include "aws/secretsmanager.h"
#include "aws/services.h"
#include "aws/ssm.h"
#include "util/secret.h"

static struct kw_secret *text(const char *s)
{
	struct kw_secret *v = kw_secret_from(s, strlen(s));

	assert_non_null(v);
	return v;
}

static void stores_services_table_and_endpoints(void **state)
{
	struct kw_aws_client *c = new_client(0);

	assert_string_equal(kw_aws_service_info(KW_AWS_SECRETSMANAGER)->target_prefix, "secretsmanager");
	assert_string_equal(kw_aws_service_info(KW_AWS_SSM)->target_prefix, "AmazonSSM");
	assert_int_equal(kw_aws_service_info(KW_AWS_SSM)->protocol, KW_AWS_PROTOCOL_JSON);
	assert_null(kw_aws_service_info(KW_AWS_NSERVICES));
	assert_string_equal(kw_aws_client_endpoint(c, KW_AWS_SECRETSMANAGER), endpoint);
	assert_string_equal(kw_aws_client_endpoint(c, KW_AWS_SSM), endpoint);
	kw_aws_client_free(c);
	/* AWS_ENDPOINT_URL_<ID> wins over AWS_ENDPOINT_URL, for that service only */
	setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9/sm", 1);
	unsetenv("AWS_ENDPOINT_URL");
	setenv("AWS_REGION", "eu-west-1", 1);
	c = new_client(0);
	assert_string_equal(kw_aws_client_endpoint(c, KW_AWS_SECRETSMANAGER), "http://127.0.0.1:9/sm");
	assert_string_equal(kw_aws_client_endpoint(c, KW_AWS_SSM), "https://ssm.eu-west-1.amazonaws.com/");
	kw_aws_client_free(c);
	unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
	setenv("AWS_ENDPOINT_URL", endpoint, 1);
	setenv("AWS_REGION", "us-east-1", 1);
}

static void expect_endpoint(enum kw_aws_service svc, const char *region, const char *url,
                            const char *signing_region, const char *source)
{
	struct kw_aws_profile p;
	struct kw_aws_endpoint e;

	OK(kw_aws_profile_load(NULL, &p, E));
	OK(kw_aws_endpoint_resolve(svc, region, NULL, &p, &e, E));
	assert_string_equal(e.url, url);
	assert_string_equal(e.signing_region, signing_region);
	assert_string_equal(e.signing_name, kw_aws_service_info(svc)->signing_name);
	assert_string_equal(e.source, source);
	kw_aws_endpoint_release(&e);
	kw_aws_profile_release(&p);
}

static void stores_endpoints_from_config_and_partitions(void **state)
{
	char path[] = "/tmp/kw-stores-config-XXXXXX";
	int fd = mkstemp(path);
	static const char cfg[] = "[default]\nservices = local\n[services local]\nsecrets_manager =\n"
	                          "  endpoint_url = http://127.0.0.1:7001\nssm =\n"
	                          "  endpoint_url = http://127.0.0.1:7002\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, cfg, sizeof(cfg) - 1), (ssize_t)(sizeof(cfg) - 1));
	close(fd);
	setenv("AWS_CONFIG_FILE", path, 1);
	unsetenv("AWS_ENDPOINT_URL");
	expect_endpoint(KW_AWS_SECRETSMANAGER, "eu-west-1", "http://127.0.0.1:7001", "eu-west-1",
	                "config services section");
	expect_endpoint(KW_AWS_SSM, "eu-west-1", "http://127.0.0.1:7002", "eu-west-1",
	                "config services section");
	setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:7003", 1);
	expect_endpoint(KW_AWS_SSM, "eu-west-1", "http://127.0.0.1:7003", "eu-west-1",
	                "AWS_ENDPOINT_URL_SSM");
	unsetenv("AWS_ENDPOINT_URL_SSM");
	setenv("AWS_CONFIG_FILE", "/nonexistent/kw-config", 1);
	expect_endpoint(KW_AWS_SECRETSMANAGER, "cn-north-1",
	                "https://secretsmanager.cn-north-1.amazonaws.com.cn/", "cn-north-1", "partition");
	expect_endpoint(KW_AWS_SSM, "us-gov-west-1", "https://ssm.us-gov-west-1.amazonaws.com/",
	                "us-gov-west-1", "partition");
	expect_endpoint(KW_AWS_IAM, "eu-west-1", "https://iam.amazonaws.com/", "us-east-1", "partition");
	setenv("AWS_ENDPOINT_URL", endpoint, 1);
	unlink(path);
}

static void stores_secret_versions_and_labels(void **state)
{
	struct kw_aws_client *c = new_client(0);
	struct kw_secret *v1 = text("{\"k\": \"one\"}"), *v2 = text("{\"k\": \"two\"}"), *got = NULL;
	struct kw_aws_tag tags[] = {{"managed-by", "keywarden"}, {"keywarden:user", "service-x"}};
	struct kw_sm_secret s, p, g, d;
	struct kw_error err;

	OK(kw_sm_create_secret(c, "kw/test/one", "alias/kw", v1, tags, 2, &s, E));
	assert_non_null(s.version_id);
	assert_non_null(strstr(s.arn, ":secret:kw/test/one-"));
	OK(kw_sm_put_secret_value(c, s.arn, v2, &p, E));
	assert_string_not_equal(p.version_id, s.version_id);
	OK(kw_sm_get_secret_value(c, "kw/test/one", NULL, &got, &g, E));
	assert_string_equal(kw_secret_str(got), "{\"k\": \"two\"}");
	assert_string_equal(g.version_id, p.version_id);
	kw_secret_free(got);
	kw_sm_secret_release(&g);
	OK(kw_sm_get_secret_value(c, "kw/test/one", "AWSPREVIOUS", &got, &g, E));
	assert_string_equal(kw_secret_str(got), "{\"k\": \"one\"}");
	kw_secret_free(got);
	kw_sm_secret_release(&g);
	OK(kw_sm_describe_secret(c, "kw/test/one", &d, E));
	assert_string_equal(kw_sm_secret_tag(&d, "keywarden:user"), "service-x");
	assert_string_equal(kw_sm_version_stage(&d, "AWSCURRENT"), p.version_id);
	assert_string_equal(kw_sm_version_stage(&d, "AWSPREVIOUS"), s.version_id);
	assert_string_equal(d.kms_key_id, "alias/kw");
	kw_sm_secret_release(&d);
	/* a second CreateSecret of the name is ResourceExistsException */
	assert_int_equal(kw_sm_create_secret(c, "kw/test/one", NULL, v1, NULL, 0, &d, &err), -1);
	assert_string_equal(err.aws_code, "ResourceExistsException");
	assert_int_equal(err.kind, KW_ERR_AWS);
	/* deleted at once: not found */
	OK(kw_sm_delete_secret(c, "kw/test/one", 0, E));
	assert_int_equal(kw_sm_describe_secret(c, "kw/test/one", &d, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	assert_string_equal(err.aws_code, "ResourceNotFoundException");
	assert_string_equal(err.where, "secretsmanager:DescribeSecret");
	kw_sm_secret_release(&s);
	kw_sm_secret_release(&p);
	kw_secret_free(v1);
	kw_secret_free(v2);
	kw_aws_client_free(c);
}

static void stores_lost_answer_is_one_version(void **state)
{
	struct kw_aws_client *c = new_client(0);
	struct kw_secret *v1 = text("first"), *v2 = text("second");
	struct kw_sm_secret s, p, d;

	OK(kw_sm_create_secret(c, "kw/test/lost", NULL, v1, NULL, 0, &s, E));
	set_faults("drop_after=1,actions=PutSecretValue,limit=1");
	OK(kw_sm_put_secret_value(c, "kw/test/lost", v2, &p, E));
	clear_faults();
	assert_int_equal(count_of("PutSecretValue"), 2); /* the answer was lost once */
	OK(kw_sm_describe_secret(c, "kw/test/lost", &d, E));
	assert_int_equal(d.nversions, 2); /* the retry carried the same token: no third version */
	assert_string_equal(kw_sm_version_stage(&d, "AWSCURRENT"), p.version_id);
	assert_string_equal(kw_sm_version_stage(&d, "AWSPREVIOUS"), s.version_id);
	kw_sm_secret_release(&d);
	kw_sm_secret_release(&s);
	kw_sm_secret_release(&p);
	/* throttling is retried */
	set_faults("throttle=1,actions=DescribeSecret,limit=2");
	OK(kw_sm_describe_secret(c, "kw/test/lost", &d, E));
	clear_faults();
	assert_int_equal(count_of("DescribeSecret"), 3);
	kw_sm_secret_release(&d);
	OK(kw_sm_delete_secret(c, "kw/test/lost", 7, E));
	kw_secret_free(v1);
	kw_secret_free(v2);
	kw_aws_client_free(c);
}

static void stores_ssm_parameters(void **state)
{
	struct kw_aws_client *c = new_client(0);
	struct kw_secret *v1 = text("AKIA one"), *v2 = text("AKIA two");
	struct kw_aws_tag tags[] = {{"managed-by", "keywarden"}};
	struct kw_ssm_parameter p;
	struct kw_error err;
	long long version = 0;
	char *tag = NULL;

	OK(kw_ssm_put_parameter(c, "/kw/test/key", v1, NULL, "Standard", &version, E));
	assert_int_equal(version, 1);
	OK(kw_ssm_put_parameter(c, "/kw/test/key", v2, "alias/kw", NULL, &version, E));
	assert_int_equal(version, 2);
	OK(kw_ssm_get_parameter(c, "/kw/test/key", true, &p, E));
	assert_string_equal(kw_secret_str(p.value), "AKIA two");
	assert_string_equal(p.type, "SecureString");
	assert_int_equal(p.version, 2);
	assert_string_equal(p.arn, "arn:aws:ssm:us-east-1:" ACCOUNT ":parameter/kw/test/key");
	kw_ssm_parameter_release(&p);
	OK(kw_ssm_get_parameter(c, "/kw/test/key", false, &p, E));
	assert_string_not_equal(kw_secret_str(p.value), "AKIA two");
	kw_ssm_parameter_release(&p);
	OK(kw_ssm_add_tags(c, "/kw/test/key", tags, 1, E));
	OK(kw_ssm_tag(c, "/kw/test/key", "managed-by", &tag, E));
	assert_string_equal(tag, "keywarden");
	free(tag);
	OK(kw_ssm_tag(c, "/kw/test/key", "owner", &tag, E));
	assert_null(tag);
	OK(kw_ssm_delete_parameter(c, "/kw/test/key", E));
	assert_int_equal(kw_ssm_get_parameter(c, "/kw/test/key", true, &p, &err), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	assert_string_equal(err.aws_code, "ParameterNotFound");
	/* the model's rules: no "aws" prefix */
	assert_int_equal(kw_ssm_put_parameter(c, "awsKey", v1, NULL, NULL, NULL, &err), -1);
	assert_string_equal(err.aws_code, "ValidationException");
	kw_secret_free(v1);
	kw_secret_free(v2);
	kw_aws_client_free(c);
}

static void stores_access_denied_is_typed(void **state)
{
	struct kw_aws_client *admin = new_client(0), *user = NULL;
	struct kw_iam_access_key k = {0};
	struct kw_aws_options opt = {0};
	struct kw_sm_secret d;
	struct kw_ssm_parameter p;
	struct kw_error err;
	const struct kw_iam_create_user_input in = {.user_name = "kw-store-reader"};

	OK(kw_iam_create_user(admin, &in, NULL, E));
	OK(kw_iam_create_access_key(admin, "kw-store-reader", &k, E));
	OK(kw_aws_client_new_static(&opt, k.access_key_id, k.secret, NULL, &user, E));
	assert_int_equal(kw_sm_describe_secret(user, "kw/any", &d, &err), -1);
	assert_string_equal(err.aws_code, "AccessDeniedException");
	assert_int_equal(kw_ssm_get_parameter(user, "/kw/any", true, &p, &err), -1);
	assert_string_equal(err.aws_code, "AccessDeniedException");
	assert_non_null(strstr(err.msg, "ssm:GetParameter"));
	kw_aws_client_free(user);
	kw_iam_access_key_release(&k);
	kw_aws_client_free(admin);
}

struct seen {
	size_t n;
	char names[64][48];
	const char *user[64];
};

static int saw_secret(void *ud, const struct kw_sm_secret *s, struct kw_error *err)
{
	struct seen *v = ud;

	(void)err;
	snprintf(v->names[v->n], sizeof(v->names[0]), "%s", s->name);
	v->user[v->n++] = kw_sm_secret_tag(s, "keywarden:user") ? "tagged" : NULL;
	return 0;
}

static int saw_name(void *ud, const char *name, struct kw_error *err)
{
	struct seen *v = ud;

	(void)err;
	if (v->n < 64)
		snprintf(v->names[v->n], sizeof(v->names[0]), "%s", name);
	v->n++;
	return 0;
}

static void stores_listings_filter_and_page(void **state)
{
	struct kw_aws_client *c = new_client(0);
	struct kw_secret *v = text("x");
	struct kw_aws_tag a[] = {{"managed-by", "keywarden"}, {"keywarden:user", "service-list"}};
	struct kw_aws_tag b[] = {{"keywarden:user", "service-other"}};
	const struct kw_sm_filter f[] = {{"tag-key", "keywarden:user"}, {"tag-value", "service-list"}};
	const struct kw_ssm_filter pf[] = {{"tag:keywarden:user", "Equals", "service-list"}};
	struct kw_sm_secret w;
	struct seen seen = {0};
	struct kw_error err;
	char name[64];

	OK(kw_sm_create_secret(c, "kw/list/one", NULL, v, a, 2, &w, E));
	kw_sm_secret_release(&w);
	OK(kw_sm_create_secret(c, "kw/list/two", NULL, v, b, 1, &w, E));
	kw_sm_secret_release(&w);
	OK(kw_sm_list_secrets(c, f, 2, saw_secret, &seen, E));
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.names[0], "kw/list/one");
	assert_non_null(seen.user[0]); /* the listing carries the tags */
	/* more parameters than one page (MaxResults 50) */
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "/kw/list/p%02d", i);
		OK(kw_ssm_put_parameter(c, name, v, NULL, NULL, NULL, E));
		OK(kw_ssm_add_tags(c, name, i % 12 ? a : b, i % 12 ? 2 : 1, E));
	}
	memset(&seen, 0, sizeof(seen));
	OK(kw_ssm_describe_parameters(c, pf, 1, saw_name, &seen, E));
	assert_int_equal(seen.n, 55); /* 60 less the five tagged for service-other: two pages */
	assert_string_equal(seen.names[0], "/kw/list/p01");
	assert_string_equal(seen.names[54], "/kw/list/p59");
	/* the model's filter keys: Label is not DescribeParameters' */
	assert_int_equal(kw_ssm_describe_parameters(c,
	                                            (const struct kw_ssm_filter[]){{"Label", "Equals", "x"}},
	                                            1, saw_name, &seen, &err),
	                 -1);
	assert_string_equal(err.aws_code, "InvalidFilterKey");
	kw_secret_free(v);
	kw_aws_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(stores_services_table_and_endpoints),
	        cmocka_unit_test(stores_endpoints_from_config_and_partitions),
	        cmocka_unit_test(stores_secret_versions_and_labels),
	        cmocka_unit_test(stores_lost_answer_is_one_version),
	        cmocka_unit_test(stores_ssm_parameters),
	        cmocka_unit_test(stores_access_denied_is_typed),
	        cmocka_unit_test(stores_listings_filter_and_page),
	};

	return cmocka_run_group_tests_name("aws_stores", tests, start_endpoint, stop_endpoint);
}
