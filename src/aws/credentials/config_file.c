/*
 * config_file.c - the config file provider (botocore ConfigProvider): static keys in the
 * profile's [profile NAME] section of ~/.aws/config.
 */
#include "aws/credentials/provider.h"
#include "aws/profile.h"

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	return kw_cred_static_keys(l->files->config, l->config_sec, kw_cred_config_file.name, out, err);
}

const struct kw_cred_provider kw_cred_config_file = {"config-file", resolve, NULL, NULL};
