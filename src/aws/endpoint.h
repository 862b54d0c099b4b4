/*
 * endpoint.h - where a service's requests go and which region signs them (the service's row
 * in services.c gives its names).
 *
 * Precedence (first match wins): the --endpoint-url option; AWS_ENDPOINT_URL_<ID> (IAM, STS,
 * SECRETS_MANAGER, SSM); AWS_ENDPOINT_URL; the profile's services section (`services = NAME`,
 * then [services NAME] `iam =` / `secrets_manager =` ... / `  endpoint_url = URL`); the
 * profile's endpoint_url.
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's ignore_configured_endpoint_urls)
 * skips every configured URL except the command-line option. Without an override, the
 * partition's endpoint: IAM https://iam.amazonaws.com (signed us-east-1), China
 * https://iam.cn-north-1.amazonaws.com.cn (cn-north-1), GovCloud https://iam.us-gov.amazonaws.com
 * (us-gov-west-1); regional services (STS, Secrets Manager, SSM) https://PREFIX.REGION.
 * amazonaws.com (.com.cn in China), signed REGION. With an override IAM is still signed for
 * its partition's region, the regional services for REGION.
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

/* kw_aws_endpoint_release - free and zero. */
void kw_aws_endpoint_release(struct kw_aws_endpoint *e);

#endif
