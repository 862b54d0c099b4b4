/*
 * assume_role.c - the assume-role provider (botocore AssumeRoleProvider): a profile with
 * role_arn. Not yet implemented: such a profile is an error naming the setting, rather than
 * silently signing as the profile's static keys.
 */
#include "aws/credentials/provider.h"
#include "aws/ini.h"
#include "util/error.h"

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	const struct kw_ini *ini;
	const struct kw_ini_entry *e = kw_cred_setting(l, "role_arn", &ini);
	char where[KW_ERR_WHERE_MAX];

	(void)out;
	if (!e)
		return 0;
	kw_ini_where(ini, e->line, where, sizeof(where));
	return kw_error_set(err, KW_ERR_INVALID, where, "profile '%s': role_arn is not supported yet",
	                    l->profile);
}

const struct kw_cred_provider kw_cred_assume_role = {"assume-role", resolve, NULL, NULL};
