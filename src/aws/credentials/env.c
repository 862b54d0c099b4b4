/*
 * env.c - the environment provider (botocore EnvProvider): AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, and AWS_SESSION_TOKEN or the legacy AWS_SECURITY_TOKEN.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/credentials/provider.h"
#include "util/error.h"
#include "util/secret.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
	const char *tok = env("AWS_SESSION_TOKEN");

	(void)l;
	if (!tok)
		tok = env("AWS_SECURITY_TOKEN");
	if (!id && !sk)
		return 0;
	if (!id || !sk)
		return kw_error_set(err, KW_ERR_INVALID, "environment",
		                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
	out->access_key_id = strdup(id);
	out->secret = kw_secret_from(sk, strlen(sk));
	if (tok)
		out->session_token = kw_secret_from(tok, strlen(tok));
	if (!out->access_key_id || !out->secret || (tok && !out->session_token))
		return kw_error_nomem(err);
	out->source = kw_cred_env.name;
	return 1;
}

const struct kw_cred_provider kw_cred_env = {"environment", resolve, NULL, NULL};
