/*
 * endpoint.c - endpoint and signing-region resolution (endpoint.h).
 */
#include "aws/endpoint.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/http.h"
#include "aws/profile.h"
#include "aws/services.h"
#include "util/buf.h"
#include "util/error.h"

void kw_aws_endpoint_release(struct kw_aws_endpoint *e)
{
	if (!e)
		return;
	free(e->url);
	free(e->host);
	free(e->path);
	free(e->signing_region);
	memset(e, 0, sizeof(*e));
}

bool kw_aws_region_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && !strcasecmp(v, "true");
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Split url into host[:port] and path for signing. */
static int split_url(const char *url, struct kw_aws_endpoint *out, struct kw_error *err)
{
	struct kw_url u;
	bool explicit_port;
	int rc = -1;

	if (!kw_url_parse(url, &u, err)) {
		explicit_port = u.port && !((!strcasecmp(u.scheme, "https") && !strcmp(u.port, "443")) ||
		                            (!strcasecmp(u.scheme, "http") && !strcmp(u.port, "80")));
		out->host = explicit_port ? kw_strdup_printf("%s:%s", u.host, u.port) : strdup(u.host);
		out->path = strdup(u.path && *u.path ? u.path : "/");
		rc = out->host && out->path ? 0 : kw_error_nomem(err);
	}
	kw_url_release(&u);
	return rc;
}

/*
 * The AWS partitions as botocore's endpoints.json describes them, for the services keywarden
 * calls. A region belongs to the first partition whose prefix it starts with (else "aws").
 */
struct partition {
	const char *name, *prefix; /* region prefix ("" matches every region) */
	const char *dns_suffix;
	/* a global service's (IAM's) host after its endpoint prefix; FIPS: NULL when none */
	const char *global_host, *global_fips_host;
	const char *global_region; /* the region a global service is signed for */
	bool sts_fips_same_host;   /* GovCloud: the regional STS host is FIPS already */
};

static const struct partition partitions[] = {
        {"aws-cn", "cn-", "amazonaws.com.cn", ".cn-north-1.amazonaws.com.cn", NULL, "cn-north-1", false},
        {"aws-us-gov", "us-gov-", "amazonaws.com", ".us-gov.amazonaws.com", ".us-gov.amazonaws.com",
         "us-gov-west-1", true},
        {"aws-iso-b", "us-isob-", "sc2s.sgov.gov", ".us-isob-east-1.sc2s.sgov.gov", NULL, "us-isob-east-1",
         false},
        {"aws-iso", "us-iso-", "c2s.ic.gov", ".us-iso-east-1.c2s.ic.gov", NULL, "us-iso-east-1", false},
        {"aws", "", "amazonaws.com", ".amazonaws.com", "-fips.amazonaws.com", "us-east-1", false},
};

static const struct partition *partition_of(const char *region)
{
	size_t i = 0;

	while (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)))
		i++; /* the last row matches every region */
	return &partitions[i];
}

/* AWS_USE_FIPS_ENDPOINT, else the profile's use_fips_endpoint: 1 true, 0 false, -1 error. */
static int use_fips(const struct kw_aws_profile *p, struct kw_error *err)
{
	const char *v = env_nonempty("AWS_USE_FIPS_ENDPOINT");
	char where[KW_ERR_WHERE_MAX] = "environment AWS_USE_FIPS_ENDPOINT", *s = NULL;
	int r = 1;

	if (!v) {
		if ((r = kw_aws_profile_setting_at(p, "use_fips_endpoint", &s, where, sizeof(where), err)) <=
		    0)
			return r;
		v = s;
	}
	r = !strcasecmp(v, "true") ? 1 : !strcasecmp(v, "false") ? 0 : -2;
	if (r == -2)
		r = kw_error_set(err, KW_ERR_INVALID, where, "use_fips_endpoint: '%s' is not true or false",
		                 v);
	free(s);
	return r;
}

/*
 * The configured URL of a service (first match): its AWS_ENDPOINT_URL_<ID>, AWS_ENDPOINT_URL,
 * the profile's services section (key), the profile's endpoint_url; none when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or ignore_configured_endpoint_urls is true.
 * Returns 1 with *url (malloc'd) and *source, 0 when none, -1 with err set.
 */
static int configured_url(const char *svc_env, const char *key, const struct kw_aws_profile *p, char **url,
                          const char **source, struct kw_error *err)
{
	char *ignore = NULL;
	const char *v;
	int r;

	*url = NULL;
	if (env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
		return 0;
	if ((r = kw_aws_profile_setting(p, "ignore_configured_endpoint_urls", NULL, &ignore, err)) < 0)
		return -1;
	r = ignore && !strcasecmp(ignore, "true");
	free(ignore);
	if (r)
		return 0;
	if ((v = env_nonempty(svc_env)) || (v = env_nonempty("AWS_ENDPOINT_URL"))) {
		*source = env_nonempty(svc_env) ? svc_env : "AWS_ENDPOINT_URL";
		*url = strdup(v);
		return *url ? 1 : kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	}
	if ((r = kw_aws_profile_service_setting(p, key, "endpoint_url", url, err)) != 0) {
		*source = "config services section";
		return r;
	}
	if ((r = kw_aws_profile_setting(p, "endpoint_url", NULL, url, err)) != 0)
		*source = "config endpoint_url";
	return r;
}

/* The partition's URL of service si in region, with FIPS when asked; NULL with err set. */
static char *partition_url(const struct kw_aws_service_info *si, const char *region, bool fips,
                           const char **signing, struct kw_error *err)
{
	const struct partition *pt = partition_of(region);
	const bool sts = !strcmp(si->name, "sts");
	char *url;

	if (si->global) {
		*signing = pt->global_region;
		if (fips && !pt->global_fips_host) {
			kw_error_set(err, KW_ERR_INVALID, "use_fips_endpoint",
			             "%s has no FIPS endpoint in partition %s (region %s)", si->name,
			             pt->name, region);
			return NULL;
		}
		url = kw_strdup_printf("https://%s%s/", si->endpoint_prefix,
		                       fips ? pt->global_fips_host : pt->global_host);
	} else if (!strcmp(region, "aws-global") && sts) {
		*signing = "us-east-1";
		if (fips) {
			kw_error_set(err, KW_ERR_INVALID, "use_fips_endpoint",
			             "sts has no FIPS endpoint for aws-global: name a region (us-east-1)");
			return NULL;
		}
		url = kw_strdup_printf("https://%s.amazonaws.com/", si->endpoint_prefix);
	} else {
		if (!strcmp(region, "aws-global"))
			region = "us-east-1"; /* the regional services have no global endpoint */
		*signing = region;
		url = kw_strdup_printf("https://%s%s.%s.%s/", si->endpoint_prefix,
		                       fips && !(sts && pt->sts_fips_same_host) ? "-fips" : "", region,
		                       pt->dns_suffix);
	}
	if (!url)
		kw_error_nomem(err);
	return url;
}

int kw_aws_endpoint_resolve(enum kw_aws_service svc, const char *region, const char *cli_url,
                            const struct kw_aws_profile *p, struct kw_aws_endpoint *out, struct kw_error *err)
{
	const struct kw_aws_service_info *si = kw_aws_service_info(svc);
	const char *signing = NULL;
	char *url = NULL;
	int rc = -1, fips;

	memset(out, 0, sizeof(*out));
	if (!si)
		return kw_error_set(err, KW_ERR_INTERNAL, NULL, "unknown service %d", (int)svc);
	out->signing_name = si->signing_name;
	if (cli_url && *cli_url) {
		url = strdup(cli_url);
		out->source = "--endpoint-url";
	} else if (configured_url(si->endpoint_env, si->config_key, p, &url, &out->source, err) < 0) {
		goto out;
	}
	if ((fips = use_fips(p, err)) < 0)
		goto out;
	if (!url && !out->source) {
		if (!(url = partition_url(si, region, fips, &signing, err)))
			goto out;
		out->source = fips ? "partition (FIPS)" : "partition";
	} else {
		const struct partition *pt = partition_of(region);
		signing = si->global                      ? pt->global_region
		          : !strcmp(region, "aws-global") ? "us-east-1"
		                                          : region;
	}
	out->signing_region = strdup(signing);
	if (!url || !out->signing_region) {
		kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (kw_http_url_check(url, NULL, err)) {
		kw_error_prefix(err, "%s", out->source);
		goto out;
	}
	if (split_url(url, out, err))
		goto out;
	out->url = url;
	url = NULL;
	rc = 0;
out:
	free(url);
	if (rc)
		kw_aws_endpoint_release(out);
	return rc;
}

int kw_aws_endpoint_sso(const char *sso_region, const struct kw_aws_profile *p, char **out,
                        struct kw_error *err)
{
	const char *source = NULL;
	char *url = NULL;
	int r;

	*out = NULL;
	if ((r = configured_url("AWS_ENDPOINT_URL_SSO", "sso", p, &url, &source, err)) < 0)
		return -1;
	*out = r ? kw_strdup_printf("%s%s", url, url[strlen(url) - 1] == '/' ? "" : "/")
	         : kw_strdup_printf("https://portal.sso.%s.%s/", sso_region,
	                            partition_of(sso_region)->dns_suffix);
	free(url);
	if (!*out)
		return kw_error_nomem(err);
	if (kw_http_url_check(*out, NULL, err)) {
		kw_error_prefix(err, "%s", source ? source : "sso endpoint");
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
