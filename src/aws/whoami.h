/*
 * whoami.h - who the resolved credentials are: STS GetCallerIdentity through a client made from
 * the options, with the credential provider and role chain that produced them. The one entry
 * point behind `keywarden whoami` (src/cmd makes no STS call itself).
 */
#ifndef KW_AWS_WHOAMI_H
#define KW_AWS_WHOAMI_H

#include "aws/sts.h"

struct kw_aws_options;
struct kw_error;

struct kw_whoami {
	struct kw_sts_identity id; /* account, ARN, user id (owned) */
	char *provider;            /* "environment", "assume-role", ... (owned) */
	char *chain;               /* the role chain, or NULL (owned) */
};

/*
 * kw_whoami_get - create a client from opt, call GetCallerIdentity, note the provider and chain.
 * @out: zeroed on entry; release with kw_whoami_release in every case.
 * Returns 0, or -1 with err set (as kw_aws_client_new and kw_sts_get_caller_identity).
 * Source: AWS STS API: GetCallerIdentity.
 */
int kw_whoami_get(const struct kw_aws_options *opt, struct kw_whoami *out, struct kw_error *err);

/* kw_whoami_release - free what w owns and zero it. */
void kw_whoami_release(struct kw_whoami *w);

#endif
