/*
 * web_identity.c - the web identity provider (botocore AssumeRoleWithWebIdentityProvider):
 * an OIDC token in a file (GitLab CI id_tokens, GitHub Actions' OIDC token, EKS IRSA's
 * projected service-account token) exchanged for a role's credentials with STS
 * AssumeRoleWithWebIdentity, an unsigned call. Settings: AWS_WEB_IDENTITY_TOKEN_FILE,
 * AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME (each ignored when --profile is given, as botocore's
 * disable_env_vars), else the profile's web_identity_token_file, role_arn, role_session_name.
 * The token file is read again on every refresh (it is rotated by whoever writes it).
 * Source: AWS SDKs and Tools Reference Guide, "Assume role credential provider" (web
 * identity); botocore credentials.py AssumeRoleWithWebIdentityProvider.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/credentials/provider.h"
#include "aws/sts.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/vocab.h"

#define TOKEN_MAX (64 * 1024)

struct web_state {
	char *token_file, *role_arn, *session_name, *where;
	struct kw_cred_options opt; /* the client options, copied */
};

static void free_state(void *vs)
{
	struct web_state *s = vs;

	if (!s)
		return;
	free(s->token_file);
	free(s->role_arn);
	free(s->session_name);
	free(s->where);
	kw_cred_options_release(&s->opt);
	free(s);
}

/* env (unless disabled), else the profile's key; where names it. 1, 0 absent, -1. */
static int setting(const struct kw_cred_lookup *l, const char *env, const char *key, char **out, char *where,
                   size_t size, struct kw_error *err)
{
	const char *v = l->env_disabled ? NULL : getenv(env);

	*out = NULL;
	if (v && *v) {
		snprintf(where, size, "environment %s", env);
		*out = strdup(v);
		return *out ? 1 : kw_error_nomem(err);
	}
	return kw_cred_setting_str(l, key, out, where, size, err);
}

static int fetch(const struct web_state *s, struct kw_aws_credentials *out, struct kw_error *err)
{
	const struct kw_aws_options opt = kw_cred_options_view(&s->opt);
	struct kw_sts_assumed_role who = {0};
	struct kw_aws_client *c = NULL;
	struct kw_secret *token = NULL;
	char until[32];
	int rc = -1;

	if (kw_cred_read_secret_file(s->token_file, TOKEN_MAX, &token, err)) {
		kw_error_prefix(err, "web identity token file");
		return -1;
	}
	while (token->len && (token->data[token->len - 1] == '\n' || token->data[token->len - 1] == '\r' ||
	                      token->data[token->len - 1] == ' '))
		token->data[--token->len] = '\0';
	if (!token->len) {
		kw_error_set(err, KW_ERR_AUTH, s->token_file, "the web identity token file is empty");
		goto out;
	}
	kw_log(KW_LOG_INFO, "aws: assuming %s with the web identity token in %s (AssumeRoleWithWebIdentity)",
	       s->role_arn, s->token_file);
	if (kw_aws_client_new_anonymous(&opt, &c, err) ||
	    kw_sts_assume_role_with_web_identity(c, s->role_arn, s->session_name, token, out, &who, err)) {
		kw_error_prefix(err, "web identity: assume %s", s->role_arn);
		goto out;
	}
	out->source = kw_cred_web_identity.name;
	kw_iso8601_format(out->expiration, until, sizeof(until));
	out->chain = kw_strdup_printf("web identity token %s → assume %s (assumed until %s)", s->token_file,
	                              s->role_arn, until);
	rc = 0;
out:
	kw_sts_assumed_role_release(&who);
	kw_aws_client_free(c);
	kw_secret_free(token);
	return rc;
}

static int refresh(void *vs, time_t now, struct kw_aws_credentials *out, struct kw_error *err)
{
	(void)now;
	return fetch(vs, out, err);
}

static int resolve(const struct kw_cred_lookup *l, struct kw_aws_credentials *out, struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX], w2[KW_ERR_WHERE_MAX], w3[KW_ERR_WHERE_MAX];
	struct web_state *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return kw_error_nomem(err);
	r = setting(l, "AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file", &s->token_file, where,
	            sizeof(where), err);
	if (r <= 0)
		goto done;
	r = -1;
	if (setting(l, "AWS_ROLE_ARN", "role_arn", &s->role_arn, w2, sizeof(w2), err) < 0 ||
	    setting(l, "AWS_ROLE_SESSION_NAME", "role_session_name", &s->session_name, w3, sizeof(w3), err) <
	            0)
		goto done;
	if (!s->role_arn) {
		kw_error_set(err, KW_ERR_INVALID, where,
		             "web_identity_token_file needs role_arn (or AWS_ROLE_ARN)");
		goto done;
	}
	if ((!s->session_name && !(s->session_name = kw_cred_session_name(l->now))) ||
	    !(s->where = strdup(where))) {
		kw_error_nomem(err);
		goto done;
	}
	if (kw_cred_options_copy(l->opt, &s->opt, err) || fetch(s, out, err))
		goto done;
	out->provider = &kw_cred_web_identity;
	out->state = s;
	s = NULL;
	r = 1;
done:
	free_state(s);
	return r;
}

const struct kw_cred_provider kw_cred_web_identity = {"assume-role-with-web-identity", resolve, refresh,
                                                      free_state};
