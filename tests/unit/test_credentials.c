/*
 * Unit tests for src/aws/profile, credentials, endpoint and the client's settings: the
 * credential chain in botocore's order, credential_process (JSON Version 1, Expiration),
 * partial credentials, endpoint precedence and partitions, region and max_attempts. Every test
 * works in a scratch HOME with its own environment; no network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/profile.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"

#include "testlib.h"

static struct kw_scratch scratch;

static void write_file(const char *name, const char *text, mode_t mode)
{
	FILE *fp = fopen(kw_scratch_path(&scratch, name), "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(kw_scratch_path(&scratch, name), mode);
}

static const char *const aws_vars[] = {
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_STS",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_CA_BUNDLE",
        "AWS_SECURITY_TOKEN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
};

static int setup(void **state)
{
	kw_scratch_make(&scratch, "aws-creds");
	for (size_t i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	setenv("HOME", scratch.dir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* no instance metadata lookups here */
	setenv("AWS_CONFIG_FILE", kw_scratch_path(&scratch, "config"), 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", kw_scratch_path(&scratch, "credentials"), 1);
	return 0;
}

static int teardown(void **state)
{
	kw_scratch_remove(&scratch);
	return 0;
}

static const char CREDS[] = "[default]\n"
                            "aws_access_key_id = AKIADEFAULT\n"
                            "aws_secret_access_key = default/secret+key+0000000000000000000\n"
                            "[ci]\n"
                            "aws_access_key_id = AKIACI\n"
                            "aws_secret_access_key = ci/secret+key+000000000000000000000000\n"
                            "aws_session_token = tok\n"
                            "[half]\n"
                            "aws_access_key_id = AKIAHALF\n";

static const char CONFIG[] = "[default]\n"
                             "region = eu-west-1\n"
                             "[profile ci]\n"
                             "region = eu-central-1\n"
                             "max_attempts = 7\n"
                             "[profile cfgonly]\n"
                             "aws_access_key_id = AKIACFG\n"
                             "aws_secret_access_key = cfg/secret\n"
                             "endpoint_url = http://127.0.0.1:4000\n"
                             "[profile svc]\n"
                             "aws_access_key_id = AKIASVC\n"
                             "aws_secret_access_key = svc/secret\n"
                             "services = local\n"
                             "endpoint_url = http://127.0.0.1:4000\n"
                             "[services local]\n"
                             "iam =\n"
                             "  endpoint_url = http://127.0.0.1:5001\n"
                             "[profile proc]\n"
                             "credential_process = sh \"%s\" 'arg with space'\n";

static void write_config(void)
{
	char text[2048];

	snprintf(text, sizeof(text), CONFIG, kw_scratch_path(&scratch, "proc.sh"));
	write_file("config", text, 0600);
	write_file("credentials", CREDS, 0600);
}

/* Resolve credentials of profile (NULL = default chain). */
static int resolve(const char *profile, struct kw_aws_credentials *c, struct kw_error *err)
{
	struct kw_aws_profile p;
	int rc;

	if (kw_aws_profile_load(profile, &p, err))
		return -1;
	rc = kw_aws_credentials_resolve(&p, NULL, time(NULL), c, err);
	kw_aws_profile_release(&p);
	return rc;
}

static void creds_chain_in_botocore_order(void **state)
{
	struct kw_aws_credentials c;
	struct kw_error err;

	write_config();
	/* the default profile from the credentials file */
	assert_int_equal(resolve(NULL, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIADEFAULT");
	assert_string_equal(c.source, "shared-credentials-file");
	assert_null(c.session_token);
	kw_aws_credentials_release(&c);
	/* the environment wins over the default profile, and over AWS_PROFILE */
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env/secret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	assert_int_equal(resolve(NULL, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIAENV");
	assert_string_equal(kw_secret_str(c.session_token), "envtoken");
	assert_string_equal(c.source, "environment");
	kw_aws_credentials_release(&c);
	setenv("AWS_PROFILE", "ci", 1);
	assert_int_equal(resolve(NULL, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIAENV");
	kw_aws_credentials_release(&c);
	/* but --profile negates the environment */
	assert_int_equal(resolve("ci", &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIACI");
	assert_string_equal(kw_secret_str(c.session_token), "tok");
	kw_aws_credentials_release(&c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	/* AWS_PROFILE alone selects the profile */
	assert_int_equal(resolve(NULL, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIACI");
	kw_aws_credentials_release(&c);
	unsetenv("AWS_PROFILE");
	/* static keys in the config file */
	assert_int_equal(resolve("cfgonly", &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIACFG");
	assert_string_equal(c.source, "config-file");
	kw_aws_credentials_release(&c);
}

static void creds_errors_name_file_and_line_without_secrets(void **state)
{
	struct kw_aws_credentials c;
	struct kw_error err;
	char where[512];

	write_config();
	/* partial credentials */
	assert_int_equal(resolve("half", &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	snprintf(where, sizeof(where), "%s:9", kw_scratch_path(&scratch, "credentials"));
	assert_string_equal(err.where, where);
	/* a profile named explicitly must exist */
	assert_int_equal(resolve("nope", &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "profile 'nope' not found"));
	/* no credentials at all */
	write_file("credentials", "", 0600);
	write_file("config", "[default]\nregion = x\n", 0600);
	assert_int_equal(resolve(NULL, &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_AUTH);
	assert_non_null(strstr(err.msg, "no AWS credentials found"));
	/* a broken file: its line, never its secret */
	write_file("credentials",
	           "[default]\naws_access_key_id = AKIA\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", 0600);
	assert_int_equal(resolve(NULL, &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	snprintf(where, sizeof(where), "%s:3", kw_scratch_path(&scratch, "credentials"));
	assert_string_equal(err.where, where);
	assert_null(strstr(err.msg, "wJalr"));
}

static void creds_credential_process_json_and_expiration(void **state)
{
	struct kw_aws_credentials c;
	struct kw_error err;
	char script[1024];
	char where[512];

	write_config();
	/* the script checks it got its quoted argument, then prints credentials */
	snprintf(script, sizeof(script),
	         "[ \"$1\" = 'arg with space' ] || exit 3\n"
	         "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": "
	         "\"proc/secret\", "
	         "\"SessionToken\": \"proctoken\", \"Expiration\": \"2999-01-01T00:00:00Z\"}'\n");
	write_file("proc.sh", script, 0700);
	assert_int_equal(kw_mode_of(kw_scratch_path(&scratch, "proc.sh")), 0700);
	assert_int_equal(resolve("proc", &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIAPROC");
	assert_string_equal(kw_secret_str(c.secret), "proc/secret");
	assert_string_equal(kw_secret_str(c.session_token), "proctoken");
	assert_int_equal(c.expiration, 32472144000);
	assert_string_equal(c.source, "credential-process");
	snprintf(where, sizeof(where), "%s:19", kw_scratch_path(&scratch, "config"));
	/* temporary: refreshed (the process run again) within the margin before Expiration */
	assert_false(kw_aws_credentials_expiring(&c, 32472144000 - KW_CRED_REFRESH_MARGIN - 1));
	assert_true(kw_aws_credentials_expiring(&c, 32472144000 - KW_CRED_REFRESH_MARGIN));
	{
		struct kw_aws_credentials fresh;
		assert_int_equal(kw_aws_credentials_refresh(&c, time(NULL), &fresh, &err), 0);
		assert_string_equal(fresh.access_key_id, "AKIAPROC");
		assert_false(kw_aws_credentials_expiring(&c, 32472144000)); /* the state moved */
		assert_true(kw_aws_credentials_expiring(&fresh, 32472144000));
		kw_aws_credentials_release(&fresh);
	}
	kw_aws_credentials_release(&c);
	/* expired */
	write_file(
	        "proc.sh",
	        "printf '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"procsecretvalue\", "
	        "\"Expiration\": \"2001-01-01T00:00:00Z\"}'\n",
	        0700);
	assert_int_equal(resolve("proc", &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_AUTH);
	assert_non_null(strstr(err.msg, "expired"));
	assert_string_equal(err.where, where);
	/* failing process */
	write_file("proc.sh", "echo oops >&2; exit 4\n", 0700);
	assert_int_equal(resolve("proc", &c, &err), -1);
	assert_non_null(strstr(err.msg, "failed (status 4)"));
	/* parse failures never quote the output */
	{
		static const char *const bad[] = {
		        "not json procsecretvalue",
		        "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"procsecretvalue\"}",
		        "{\"Version\": 1, \"AccessKeyId\": \"A\"}",
		        ("{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"procsecretvalue\", "
		         "\"Expiration\": \"tomorrow\"}"),
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(
			        kw_aws_credential_process_parse(bad[i], strlen(bad[i]), "x", 0, &c, &err),
			        -1);
			assert_int_equal(err.kind, KW_ERR_AUTH);
			assert_null(strstr(err.msg, "procsecretvalue"));
		}
	}
}

static void profile_shared_file_paths(void **state)
{
	char want[512], *p;

	p = kw_aws_shared_file_path(KW_INI_CONFIG);
	assert_string_equal(p, kw_scratch_path(&scratch, "config"));
	free(p);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds", 1);
	p = kw_aws_shared_file_path(KW_INI_CREDENTIALS);
	snprintf(want, sizeof(want), "%s/elsewhere/creds", scratch.dir);
	assert_string_equal(p, want);
	free(p);
	unsetenv("AWS_CONFIG_FILE");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "", 1);
	p = kw_aws_shared_file_path(KW_INI_CONFIG);
	snprintf(want, sizeof(want), "%s/.aws/config", scratch.dir);
	assert_string_equal(p, want);
	free(p);
	p = kw_aws_shared_file_path(KW_INI_CREDENTIALS);
	snprintf(want, sizeof(want), "%s/.aws/credentials", scratch.dir);
	assert_string_equal(p, want);
	free(p);
}

static void creds_split_command_like_a_shell(void **state)
{
	char **v = kw_aws_split_command("  /bin/tool --a 'b c' \"d \\\"e\\\"\" f\\ g ''  ");
	static const char *const want[] = {"/bin/tool", "--a", "b c", "d \"e\"", "f g", ""};

	assert_non_null(v);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(v[i], want[i]);
	assert_null(v[6]);
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	assert_null(kw_aws_split_command("unterminated 'quote"));
	assert_null(kw_aws_split_command("   "));
}

static void check_endpoint(enum kw_aws_service svc, const char *region, const char *cli, const char *profile,
                           const char *url, const char *host, const char *signing_region)
{
	struct kw_aws_profile p;
	struct kw_aws_endpoint e;
	struct kw_error err;

	assert_int_equal(kw_aws_profile_load(profile, &p, &err), 0);
	if (kw_aws_endpoint_resolve(svc, region, cli, &p, &e, &err))
		fail_msg("endpoint: %s", err.msg);
	assert_string_equal(e.url, url);
	assert_string_equal(e.host, host);
	assert_string_equal(e.signing_region, signing_region);
	kw_aws_endpoint_release(&e);
	kw_aws_profile_release(&p);
}

static void endpoint_precedence_and_partitions(void **state)
{
	write_config();
	/* partitions */
	check_endpoint(KW_AWS_IAM, "eu-west-1", NULL, NULL, "https://iam.amazonaws.com/", "iam.amazonaws.com",
	               "us-east-1");
	check_endpoint(KW_AWS_STS, "eu-west-1", NULL, NULL, "https://sts.eu-west-1.amazonaws.com/",
	               "sts.eu-west-1.amazonaws.com", "eu-west-1");
	check_endpoint(KW_AWS_IAM, "cn-northwest-1", NULL, NULL, "https://iam.cn-north-1.amazonaws.com.cn/",
	               "iam.cn-north-1.amazonaws.com.cn", "cn-north-1");
	check_endpoint(KW_AWS_STS, "cn-northwest-1", NULL, NULL,
	               "https://sts.cn-northwest-1.amazonaws.com.cn/", "sts.cn-northwest-1.amazonaws.com.cn",
	               "cn-northwest-1");
	check_endpoint(KW_AWS_IAM, "us-gov-east-1", NULL, NULL, "https://iam.us-gov.amazonaws.com/",
	               "iam.us-gov.amazonaws.com", "us-gov-west-1");
	/* config: services section beats endpoint_url, for the service it names */
	check_endpoint(KW_AWS_IAM, "us-east-1", NULL, "svc", "http://127.0.0.1:5001", "127.0.0.1:5001",
	               "us-east-1");
	check_endpoint(KW_AWS_STS, "us-east-1", NULL, "svc", "http://127.0.0.1:4000", "127.0.0.1:4000",
	               "us-east-1");
	/* environment beats config; the service variable beats the global one */
	setenv("AWS_ENDPOINT_URL", "http://localhost:6000", 1);
	check_endpoint(KW_AWS_IAM, "us-east-1", NULL, "svc", "http://localhost:6000", "localhost:6000",
	               "us-east-1");
	setenv("AWS_ENDPOINT_URL_IAM", "https://iam.example.com:8443/prefix/", 1);
	check_endpoint(KW_AWS_IAM, "us-east-1", NULL, "svc", "https://iam.example.com:8443/prefix/",
	               "iam.example.com:8443", "us-east-1");
	check_endpoint(KW_AWS_STS, "us-east-1", NULL, "svc", "http://localhost:6000", "localhost:6000",
	               "us-east-1");
	/* the command line beats everything */
	check_endpoint(KW_AWS_IAM, "us-east-1", "https://127.0.0.1:443", "svc", "https://127.0.0.1:443",
	               "127.0.0.1", "us-east-1");
	/* ignoring configured endpoints keeps only the command line */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	check_endpoint(KW_AWS_IAM, "us-east-1", NULL, "svc", "https://iam.amazonaws.com/",
	               "iam.amazonaws.com", "us-east-1");
	check_endpoint(KW_AWS_IAM, "us-east-1", "http://[::1]:7000", "svc", "http://[::1]:7000", "[::1]:7000",
	               "us-east-1");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_IAM");
}

static void endpoint_plain_http_only_for_loopback(void **state)
{
	struct kw_error err;
	bool loop = false;

	assert_int_equal(kw_http_url_check("http://127.0.0.1:5000", &loop, &err), 0);
	assert_true(loop);
	assert_int_equal(kw_http_url_check("http://127.1.2.3/", &loop, &err), 0);
	assert_int_equal(kw_http_url_check("http://localhost:1", &loop, &err), 0);
	assert_int_equal(kw_http_url_check("http://[::1]:1", &loop, &err), 0);
	assert_int_equal(kw_http_url_check("https://iam.amazonaws.com", &loop, &err), 0);
	assert_false(loop);
	assert_int_equal(kw_http_url_check("http://iam.amazonaws.com", &loop, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	assert_int_equal(kw_http_url_check("http://10.0.0.1", &loop, &err), -1);
	assert_int_equal(kw_http_url_check("http://127.0.0.1.evil.com", &loop, &err), -1);
	assert_int_equal(kw_http_url_check("ftp://127.0.0.1", &loop, &err), -1);
	assert_int_equal(kw_http_url_check("not a url", &loop, &err), -1);
}

static void client_region_attempts_and_static_credentials(void **state)
{
	struct kw_aws_options opt = {0};
	struct kw_aws_client *c = NULL;
	struct kw_secret *sk = kw_secret_from("static/secret", 13);
	struct kw_error err;

	write_config();
	/* the profile's region, then the environment, then the option; -vv logs no secret */
	kw_log_setup(2, false, NULL);
	kw_capture_start(&scratch);
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), 0);
	kw_capture_check(&scratch, "default/secret", NULL);
	kw_log_setup(0, false, NULL);
	assert_string_equal(kw_aws_client_region(c), "eu-west-1");
	assert_string_equal(kw_aws_client_access_key_id(c), "AKIADEFAULT");
	kw_aws_client_free(c);
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), 0);
	assert_string_equal(kw_aws_client_region(c), "ap-south-1");
	kw_aws_client_free(c);
	setenv("AWS_REGION", "sa-east-1", 1);
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), 0);
	assert_string_equal(kw_aws_client_region(c), "sa-east-1");
	assert_string_equal(kw_aws_client_endpoint(c, KW_AWS_STS), "https://sts.sa-east-1.amazonaws.com/");
	kw_aws_client_free(c);
	opt.region = "us-west-2";
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), 0);
	assert_string_equal(kw_aws_client_region(c), "us-west-2");
	kw_aws_client_free(c);
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	/* attempts: bad values are errors */
	setenv("AWS_MAX_ATTEMPTS", "zero", 1);
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	unsetenv("AWS_MAX_ATTEMPTS");
	setenv("AWS_RETRY_MODE", "fancy", 1);
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	unsetenv("AWS_RETRY_MODE");
	/* an http endpoint off loopback is refused */
	opt.endpoint_url = "http://iam.example.com";
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	opt.endpoint_url = NULL;
	/* static credentials with the profile's settings */
	opt.profile = "ci";
	opt.region = NULL;
	assert_int_equal(kw_aws_client_new_static(&opt, "AKIASTATIC", sk, NULL, &c, &err), 0);
	assert_string_equal(kw_aws_client_access_key_id(c), "AKIASTATIC");
	assert_string_equal(kw_aws_client_credential_source(c), "static");
	assert_string_equal(kw_aws_client_region(c), "eu-central-1");
	kw_aws_client_free(c);
	assert_int_equal(kw_aws_client_new_static(&opt, "", sk, NULL, &c, &err), -1);
	kw_secret_free(sk);
}

/* Issue 17: shared files read with care: BOM, CRLF, inline '#', legacy session token names. */
static void creds_shared_files_read_with_care(void **state)
{
	struct kw_aws_options opt = {.endpoint_url = "http://127.0.0.1:1"};
	struct kw_aws_client *c = NULL;
	struct kw_aws_credentials cr;
	struct kw_error err;
	char where[512];

	/* a BOM and CRLF line endings in both files; aws_security_token is the session token */
	write_file("credentials",
	           "\xEF\xBB\xBF[default]\r\naws_access_key_id = AKIABOM\r\n"
	           "aws_secret_access_key = bom/secret\r\naws_security_token = legacytoken\r\n",
	           0600);
	write_file("config", "\xEF\xBB\xBF[default]\r\nregion = eu-west-3\r\n", 0600);
	assert_int_equal(resolve(NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIABOM");
	assert_string_equal(kw_secret_str(cr.secret), "bom/secret");
	assert_string_equal(kw_secret_str(cr.session_token), "legacytoken");
	kw_aws_credentials_release(&cr);
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), 0);
	assert_string_equal(kw_aws_client_region(c), "eu-west-3");
	kw_aws_client_free(c);
	/* the legacy AWS_SECURITY_TOKEN in the environment too */
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env/secret", 1);
	setenv("AWS_SECURITY_TOKEN", "envlegacy", 1);
	assert_int_equal(resolve(NULL, &cr, &err), 0);
	assert_string_equal(kw_secret_str(cr.session_token), "envlegacy");
	kw_aws_credentials_release(&cr);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SECURITY_TOKEN");
	/* values not valid for their setting: file, line and setting named, nothing signed */
	{
		static const struct {
			const char *config, *setting;
			unsigned line;
		} bad[] = {
		        {"[default]\r\n# ok\r\nregion = eu-west-1 # primary\r\n", "region:", 3},
		        {"[default]\nregion = eu west 1\n", "region:", 2},
		        {"[default]\nregion = -eu\n", "region:", 2},
		        {"[default]\nretry_mode = fancy\n", "retry_mode:", 2},
		        {"[default]\nregion = eu-west-1\nmax_attempts = three\n", "max_attempts:", 3},
		        {"[default]\nmax_attempts = 3 # retries\n", "max_attempts:", 2},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			write_file("config", bad[i].config, 0600);
			assert_int_equal(kw_aws_client_new(&opt, &c, &err), -1);
			assert_int_equal(err.kind, KW_ERR_INVALID);
			snprintf(where, sizeof(where), "%s:%u", kw_scratch_path(&scratch, "config"),
			         bad[i].line);
			assert_string_equal(err.where, where);
			if (strncmp(err.msg, bad[i].setting, strlen(bad[i].setting)))
				fail_msg("case %zu: '%s' does not name %s", i, err.msg, bad[i].setting);
		}
	}
	/* from the environment: named as such */
	write_file("config", "[default]\n", 0600);
	setenv("AWS_REGION", "us-east-1 ", 1);
	assert_int_equal(kw_aws_client_new(&opt, &c, &err), -1);
	assert_string_equal(err.where, "environment AWS_REGION");
	unsetenv("AWS_REGION");
	/* a duplicate key names the key */
	write_file("config", "[default]\nregion = eu-west-1\nRegion = eu-west-2\n", 0600);
	assert_int_equal(resolve(NULL, &cr, &err), -1);
	assert_non_null(strstr(err.msg, "duplicate key 'region'"));
	/* an unsupported credential setting is an error at its line, not "no credentials" */
	write_file("config", "[default]\ncli_pager =\nlogin_session = arn:aws:iam::1:user/x\n", 0600);
	assert_int_equal(resolve(NULL, &cr, &err), -1);
	assert_int_equal(err.kind, KW_ERR_INVALID);
	snprintf(where, sizeof(where), "%s:3", kw_scratch_path(&scratch, "config"));
	assert_string_equal(err.where, where);
	assert_non_null(strstr(err.msg, "login_session"));
	/* settings that do not concern credentials are ignored */
	write_file("config", "[default]\ncli_pager =\ns3 =\n  addressing_style = path\nregion = eu-west-1\n",
	           0600);
	assert_int_equal(resolve(NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIABOM");
	kw_aws_credentials_release(&cr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(creds_chain_in_botocore_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(creds_errors_name_file_and_line_without_secrets, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(creds_credential_process_json_and_expiration, setup,
	                                        teardown),
	        cmocka_unit_test(creds_split_command_like_a_shell),
	        cmocka_unit_test_setup_teardown(profile_shared_file_paths, setup, teardown),
	        cmocka_unit_test_setup_teardown(endpoint_precedence_and_partitions, setup, teardown),
	        cmocka_unit_test(endpoint_plain_http_only_for_loopback),
	        cmocka_unit_test_setup_teardown(client_region_attempts_and_static_credentials, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(creds_shared_files_read_with_care, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("credentials", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
