/*
 * sts.h - typed AWS STS operations over a struct kw_aws_client (client.h); conventions as in
 * iam.h (borrowed inputs, owned outputs released with _release, errors as client.h says).
 */
#ifndef KW_AWS_STS_H
#define KW_AWS_STS_H

struct kw_aws_client;
struct kw_aws_credentials;
struct kw_error;
struct kw_secret;

struct kw_sts_identity {
	char *account; /* 12-digit account id */
	char *arn;     /* e.g. arn:aws:iam::123456789012:user/service/service-ansible */
	char *user_id; /* e.g. AIDA... */
};

/* kw_sts_identity_release - free and zero. */
void kw_sts_identity_release(struct kw_sts_identity *id);

/*
 * kw_sts_get_caller_identity - who the client's credentials belong to. Needs no permission, so
 * it proves that credentials work (a freshly issued key may answer InvalidClientTokenId,
 * KW_ERR_AUTH, for a few seconds while IAM propagates it: retry with a bounded wait).
 * @out: filled on success (release with kw_sts_identity_release).
 * Returns 0, or -1 with err set (KW_ERR_AUTH for rejected credentials, see client.h).
 * Source: AWS STS API: GetCallerIdentity.
 */
int kw_sts_get_caller_identity(struct kw_aws_client *c, struct kw_sts_identity *out, struct kw_error *err);

/* Input of AssumeRole; strings borrowed, NULL/0 for an absent optional parameter. */
struct kw_sts_assume_role_input {
	const char *role_arn;          /* required */
	const char *role_session_name; /* required, [\w+=,.@-]{2,64} */
	const char *external_id;
	const char *serial_number; /* MFA device ARN; with token_code */
	const char *token_code;    /* 6 digits, a secret for its 30 seconds (not logged) */
	int duration_seconds;      /* 900..the role's MaxSessionDuration; 0: STS's 3600 */
};

/* What AssumeRole answered, besides the credentials. */
struct kw_sts_assumed_role {
	char *arn;             /* arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
	char *assumed_role_id; /* AROA...:SESSION */
};

/* kw_sts_assumed_role_release - free and zero. */
void kw_sts_assumed_role_release(struct kw_sts_assumed_role *r);

/*
 * kw_sts_assume_role - temporary credentials of a role, signed by c's credentials.
 * @creds: receives access key id, secret, session token and expiration (source
 *         "assume-role"; release with kw_aws_credentials_release). @who: may be NULL.
 * Returns 0, or -1 with err set (KW_ERR_AWS AccessDenied when the trust policy refuses the
 * caller, ValidationError for a duration the role does not allow; see client.h).
 * Source: AWS STS API: AssumeRole.
 */
int kw_sts_assume_role(struct kw_aws_client *c, const struct kw_sts_assume_role_input *in,
                       struct kw_aws_credentials *creds, struct kw_sts_assumed_role *who,
                       struct kw_error *err);

/*
 * kw_sts_assume_role_with_web_identity - a role's temporary credentials for an OIDC token;
 * c should be anonymous (client.h kw_aws_client_new_anonymous): the call is not signed.
 * @token: the JWT (borrowed; wiped from the request after the call). Other arguments and
 * errors as kw_sts_assume_role (InvalidIdentityToken, ExpiredTokenException, AccessDenied).
 * Source: AWS STS API: AssumeRoleWithWebIdentity.
 */
int kw_sts_assume_role_with_web_identity(struct kw_aws_client *c, const char *role_arn,
                                         const char *session_name, const struct kw_secret *token,
                                         struct kw_aws_credentials *creds, struct kw_sts_assumed_role *who,
                                         struct kw_error *err);

#endif
