/*
 * sts.h - typed AWS STS operations over a struct kw_aws_client (client.h); conventions as in
 * iam.h (borrowed inputs, owned outputs released with _release, errors as client.h says).
 */
#ifndef KW_AWS_STS_H
#define KW_AWS_STS_H

struct kw_aws_client;
struct kw_error;

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

#endif
