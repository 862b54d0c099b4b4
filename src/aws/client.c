/*
 * client.c - the AWS client (client.h). Not implemented yet: creating a client returns
 * KW_ERR_INTERNAL "not implemented" until credentials, endpoints and HTTP land.
 */
#include "aws/client.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int kw_aws_client_new(const struct kw_aws_options *opt, struct kw_aws_client **out, struct kw_error *err)
{
	*out = NULL;
	return kw_error_set(err, KW_ERR_INTERNAL, "aws", "client not implemented yet");
}

int kw_aws_client_new_static(const struct kw_aws_options *opt, const char *access_key_id,
                             const struct kw_secret *secret, const struct kw_secret *session_token,
                             struct kw_aws_client **out, struct kw_error *err)
{
	*out = NULL;
	return kw_error_set(err, KW_ERR_INTERNAL, "aws", "client not implemented yet");
}

void kw_aws_client_free(struct kw_aws_client *c)
{
	(void)c;
}

const char *kw_aws_client_region(const struct kw_aws_client *c)
{
	return "";
}

const char *kw_aws_client_endpoint(const struct kw_aws_client *c, enum kw_aws_service svc)
{
	return "";
}

const char *kw_aws_client_access_key_id(const struct kw_aws_client *c)
{
	return "";
}

const char *kw_aws_client_credential_source(const struct kw_aws_client *c)
{
	return "";
}

int kw_aws_client_stats(struct kw_aws_client *c, struct kw_aws_stats *out, struct kw_error *err)
{
	memset(out, 0, sizeof(*out));
	return kw_error_set(err, KW_ERR_INTERNAL, "aws", "client not implemented yet");
}

void kw_aws_stats_release(struct kw_aws_stats *s)
{
	for (size_t i = 0; s && i < s->nactions; i++)
		free(s->actions[i].action);
	if (s) {
		free(s->actions);
		memset(s, 0, sizeof(*s));
	}
}
