/*
 * services.c - the services table (services.h).
 */
#include "aws/services.h"

static const struct kw_aws_service_info services[KW_AWS_NSERVICES] = {
        [KW_AWS_IAM] = {.name = "iam",
                        .signing_name = "iam",
                        .endpoint_prefix = "iam",
                        .endpoint_env = "AWS_ENDPOINT_URL_IAM",
                        .config_key = "iam",
                        .protocol = KW_AWS_PROTOCOL_QUERY,
                        .api_version = "2010-05-08",
                        .global = true},
        [KW_AWS_STS] = {.name = "sts",
                        .signing_name = "sts",
                        .endpoint_prefix = "sts",
                        .endpoint_env = "AWS_ENDPOINT_URL_STS",
                        .config_key = "sts",
                        .protocol = KW_AWS_PROTOCOL_QUERY,
                        .api_version = "2011-06-15"},
        [KW_AWS_SECRETSMANAGER] = {.name = "secretsmanager",
                                   .signing_name = "secretsmanager",
                                   .endpoint_prefix = "secretsmanager",
                                   .endpoint_env = "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                                   .config_key = "secrets_manager",
                                   .protocol = KW_AWS_PROTOCOL_JSON,
                                   .api_version = "2017-10-17",
                                   .target_prefix = "secretsmanager",
                                   .json_version = "1.1"},
        [KW_AWS_SSM] = {.name = "ssm",
                        .signing_name = "ssm",
                        .endpoint_prefix = "ssm",
                        .endpoint_env = "AWS_ENDPOINT_URL_SSM",
                        .config_key = "ssm",
                        .protocol = KW_AWS_PROTOCOL_JSON,
                        .api_version = "2014-11-06",
                        .target_prefix = "AmazonSSM",
                        .json_version = "1.1"},
        /* notifications (notify/notify.h): SNS Publish, Query protocol, regional */
        [KW_AWS_SNS] = {.name = "sns",
                        .signing_name = "sns",
                        .endpoint_prefix = "sns",
                        .endpoint_env = "AWS_ENDPOINT_URL_SNS",
                        .config_key = "sns",
                        .protocol = KW_AWS_PROTOCOL_QUERY,
                        .api_version = "2010-03-31"},
};

const struct kw_aws_service_info *kw_aws_service_info(enum kw_aws_service svc)
{
	if ((int)svc < 0 || svc >= KW_AWS_NSERVICES)
		return 0;
	return &services[svc];
}
