/*
 * shared_file.c - the shared credentials file provider (botocore SharedCredentialProvider):
 * the profile's [NAME] section of ~/.aws/credentials.
 */
#include "aws/credentials/provider.h"
#include "aws/profile.h"

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	return kw_cred_static_keys(l->files->credentials, l->cred_sec, kw_cred_shared_file.name, out, err);
}

const struct kw_cred_provider kw_cred_shared_file = {"shared-credentials-file", resolve, NULL, NULL};
