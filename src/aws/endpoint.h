/*
 * endpoint.h - where a service's requests go and which region signs them (the service's row
 * in services.c gives its names).
 *
 * Precedence (first match wins): the --endpoint-url option; AWS_ENDPOINT_URL_<ID> (IAM, STS,
 * SECRETS_MANAGER, SSM, SNS); AWS_ENDPOINT_URL; the profile's services section (`services = NAME`,
 * then [services NAME] `iam =` / `secrets_manager =` ... / `  endpoint_url = URL`); the
 * profile's endpoint_url.
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's ignore_configured_endpoint_urls)
 * skips every configured URL except the command-line option. Without an override, the
 * partition's endpoint as botocore's endpoints.json has it (partitions aws, aws-cn,
 * aws-us-gov, aws-iso, aws-iso-b by region prefix): a global service's (IAM's) endpoint of the
 * partition (iam.amazonaws.com signed us-east-1, iam.cn-north-1.amazonaws.com.cn,
 * iam.us-gov.amazonaws.com signed us-gov-west-1, iam.us-iso-east-1.c2s.ic.gov,
 * iam.us-isob-east-1.sc2s.sgov.gov); regional services (STS, Secrets Manager, SSM)
 * https://PREFIX.REGION.<suffix>, signed REGION; region aws-global: https://sts.amazonaws.com
 * signed us-east-1. AWS_USE_FIPS_ENDPOINT / use_fips_endpoint = true picks the FIPS variants:
 * iam-fips.amazonaws.com, PREFIX-fips.REGION.<suffix> (GovCloud's STS hosts are FIPS already);
 * where the endpoint data has none (IAM in China and the ISO partitions, STS aws-global) it is
 * an error rather than a host that does not exist. A value other than true/false is an error
 * naming the setting. With an override a global service is still signed for its partition's
 * region, the regional services for REGION.
 * Source: AWS SDKs and Tools Reference Guide, "Service-specific endpoints"; AWS General
 * Reference, "AWS Identity and Access Management endpoints and quotas", "AWS STS endpoints".
 */
#ifndef KW_AWS_ENDPOINT_H
#define KW_AWS_ENDPOINT_H

#include <stdbool.h>

#include "aws/client.h"

struct kw_aws_profile;
struct kw_error;

struct kw_aws_endpoint {
	char *url;                /* e.g. "https://iam.amazonaws.com/" (owned) */
	char *host;               /* Host header value: host[:port] (owned) */
	char *path;               /* request path, "/" unless the URL has one (owned) */
	char *signing_region;     /* owned */
	const char *signing_name; /* "iam", "sts", "secretsmanager", "ssm" (static) */
	const char *source;       /* static: "--endpoint-url", "AWS_ENDPOINT_URL_IAM", ..., "partition" */
};

/*
 * kw_aws_endpoint_resolve - the endpoint of svc for region.
 * @cli_url: --endpoint-url or NULL. @p: profile (may be NULL).
 * Returns 0, or -1 with err set (KW_ERR_INVALID for a URL that is not https:// or loopback
 * http://, KW_ERR_NOMEM).
 */
int kw_aws_endpoint_resolve(enum kw_aws_service svc, const char *region, const char *cli_url,
                            const struct kw_aws_profile *p, struct kw_aws_endpoint *out,
                            struct kw_error *err);

/*
 * kw_aws_region_valid - whether name is a region name botocore accepts (letters, digits and
 * '-', 1-63 characters, not starting or ending with '-'), so that "eu-west-1 # primary" or
 * "eu west 1" is refused before it is signed into a request or a host name.
 * Source: botocore utils.validate_region_name.
 */
bool kw_aws_region_valid(const char *name);

/*
 * kw_aws_endpoint_sso - the IAM Identity Center portal's base URL (ending in '/') for
 * sso_region: AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, the services section's `sso`, the
 * profile's endpoint_url (unless configured endpoints are ignored), else
 * https://portal.sso.REGION.<partition suffix>/. @out: malloc'd. Returns 0, or -1 with err.
 */
int kw_aws_endpoint_sso(const char *sso_region, const struct kw_aws_profile *p, char **out,
                        struct kw_error *err);

/* kw_aws_endpoint_release - free and zero. */
void kw_aws_endpoint_release(struct kw_aws_endpoint *e);

#endif
