/*
 * account.h - the account a manifest is for (metadata.account), checked against the caller's
 * account before any write, as Terraform's allowed_account_ids: plan, apply, rotate and
 * destroy call kw_account_check once per run, right after creating their client.
 */
#ifndef KW_ENGINE_ACCOUNT_H
#define KW_ENGINE_ACCOUNT_H

#include <stddef.h>

struct kw_aws_client;
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

#endif
