/*
 * sts.c - typed STS operations (sts.h). Not implemented yet: returns KW_ERR_INTERNAL.
 */
#include "aws/sts.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

void kw_sts_identity_release(struct kw_sts_identity *id)
{
	if (!id)
		return;
	free(id->account);
	free(id->arn);
	free(id->user_id);
	memset(id, 0, sizeof(*id));
}

int kw_sts_get_caller_identity(struct kw_aws_client *c, struct kw_sts_identity *out, struct kw_error *err)
{
	memset(out, 0, sizeof(*out));
	return kw_error_set(err, KW_ERR_INTERNAL, "sts:GetCallerIdentity", "not implemented yet");
}
