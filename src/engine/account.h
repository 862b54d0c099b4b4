/*
 * account.h - the account a manifest is for (metadata.account), checked against the caller's
 * account before any write, as Terraform's allowed_account_ids: plan, apply, rotate and
 * destroy call kw_accounts_reach once per run, right after creating their client. With
 * --role-arn 'arn:aws:iam::{account}:role/NAME' one run reaches several accounts: that role is
 * assumed in each, and each manifest acts through its account's client.
 */
#ifndef KW_ENGINE_ACCOUNT_H
#define KW_ENGINE_ACCOUNT_H

#include <stddef.h>

#include "aws/client.h" /* struct kw_aws_options */

struct kw_aws_client;
struct kw_aws_options;
struct kw_error;
struct kw_manifest;

/*
 * kw_account_check - when any of the n manifests (borrowed; NULL entries skipped) names
 * metadata.account, ask STS GetCallerIdentity once and compare.
 * Returns 0 (no manifest pinned, or every pin is the caller's account), or -1 with err set:
 * KW_ERR_INVALID at the manifest's file when the caller is in another account (naming both
 * accounts and the caller's ARN), or when the manifests name different accounts (one run
 * reaches one account: run one job per account); an STS error as sts.h says.
 * Source: AWS STS API: GetCallerIdentity.
 */
int kw_account_check(struct kw_aws_client *c, const struct kw_manifest *const *m, size_t n,
                     struct kw_error *err);

/* In --role-arn: replaced by each AWS account id (metadata.account). */
#define KW_ROLE_ARN_ACCOUNT "{account}"

/* One AWS account a run reaches through --role-arn. */
struct kw_account_reach {
	char id[16];             /* the 12-digit account id */
	char *role_arn;          /* the role assumed there (owned) */
	char *arn;               /* its GetCallerIdentity ARN, the assumed-role session (owned) */
	struct kw_aws_client *c; /* owned: acts in that account */
	/* the run's options for that account: its adaptive bucket, and role_via/role_arn so that
	 * every client made from them acts there (strings borrowed from the run's options) */
	struct kw_aws_options opt;
};

/* The AWS accounts of one run: without --role-arn none (every manifest uses the run's client). */
struct kw_accounts {
	struct kw_account_reach *v; /* owned, n, in order of first mention */
	size_t n;
	size_t *of; /* owned, one per manifest given: index into v (SIZE_MAX: the run's client) */
	size_t nm;
};

/*
 * kw_role_arn_check - whether tmpl is a --role-arn value: arn:PARTITION:iam::{account}:role/NAME
 * (the account field exactly KW_ROLE_ARN_ACCOUNT, a role name after "role/", optionally a path).
 * Returns 0, or -1 with err set (KW_ERR_USAGE naming --role-arn and the form).
 */
int kw_role_arn_check(const char *tmpl, struct kw_error *err);

/*
 * kw_accounts_reach - before any write, make sure every manifest's AWS account can be reached.
 * Without role_arn (NULL): kw_account_check (one account: the caller's), out left empty.
 * With role_arn (kw_role_arn_check'd here): every manifest must name metadata.account; for each
 * account named, role_arn with {account} replaced is assumed with c's credentials
 * (client.h kw_aws_client_new_role: the AWS CLI's cache, refreshed through c), and the new
 * client asks STS GetCallerIdentity once, which must answer that account. Accounts are reached
 * one after another, in order of first mention.
 * @c: the run's client (borrowed; must outlive out). @opt: the options of c (borrowed during
 *     the call), each account's client scoping its adaptive bucket to its account.
 * @m: n manifests (borrowed; NULL entries are accounts named without a manifest: an error
 *     with role_arn, skipped without).
 * @out: zeroed; filled (release with kw_accounts_release, also on error).
 * Returns 0, or -1 with err set: KW_ERR_INVALID at the manifest's file (a manifest without
 * metadata.account, a role that answers for another account), KW_ERR_USAGE (bad role_arn),
 * the STS error of an account that cannot be reached, prefixed with the account and manifest.
 * Source: AWS STS API: AssumeRole, GetCallerIdentity.
 */
int kw_accounts_reach(struct kw_aws_client *c, const struct kw_aws_options *opt, const char *role_arn,
                      const struct kw_manifest *const *m, size_t n, struct kw_accounts *out,
                      struct kw_error *err);

/* kw_accounts_client - the client manifest i acts through, or NULL for the run's client. */
struct kw_aws_client *kw_accounts_client(const struct kw_accounts *a, size_t i);

/*
 * kw_accounts_options - the client options of manifest i's account (secret stores and key
 * proofs there), or NULL for the run's options. Borrowed from a.
 */
const struct kw_aws_options *kw_accounts_options(const struct kw_accounts *a, size_t i);

/* kw_accounts_release - free the clients and what a owns; a becomes all zero. */
void kw_accounts_release(struct kw_accounts *a);

#endif
