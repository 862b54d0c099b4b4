/*
 * services.h - the AWS services keywarden calls, one row each: how a request is named, signed,
 * routed and encoded. A new service is one enum value and one row in services.c; endpoint
 * resolution (endpoint.c) and the client's protocols (client.c) read everything from the row.
 *
 * Source: botocore's service-2.json metadata (signingName, endpointPrefix, protocol,
 * targetPrefix, apiVersion); AWS SDKs and Tools Reference Guide, "Identifiers for
 * service-specific endpoints" (AWS_ENDPOINT_URL_<ID> and the config `services` section keys).
 */
#ifndef KW_AWS_SERVICES_H
#define KW_AWS_SERVICES_H

#include <stdbool.h>

#include "aws/client.h"

/* Wire protocols (botocore metadata "protocol"). */
enum kw_aws_protocol {
	KW_AWS_PROTOCOL_QUERY, /* form-encoded Action=...&Version=..., XML answers (IAM, STS) */
	KW_AWS_PROTOCOL_JSON,  /* JSON 1.1: POST /, X-Amz-Target: <prefix>.<Operation>, JSON answers */
};

struct kw_aws_service_info {
	const char *name;            /* keywarden's and the action prefix: "iam", "secretsmanager" */
	const char *signing_name;    /* SigV4 service name (metadata signingName) */
	const char *endpoint_prefix; /* host prefix: https://<prefix>.<region>.amazonaws.com */
	const char *endpoint_env;    /* "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_SECRETS_MANAGER" */
	const char *config_key;      /* key in a config [services NAME] section: "secrets_manager" */
	enum kw_aws_protocol protocol;
	const char *api_version;   /* Query: the Version parameter; JSON: informative */
	const char *target_prefix; /* JSON: X-Amz-Target prefix ("secretsmanager", "AmazonSSM") */
	const char *json_version;  /* JSON: "1.1" -> Content-Type application/x-amz-json-1.1 */
	bool global;               /* one endpoint per partition, signed for its home region (IAM) */
};

/* kw_aws_service_info - the row of svc (static storage); NULL for a value out of range. */
const struct kw_aws_service_info *kw_aws_service_info(enum kw_aws_service svc);

#endif
