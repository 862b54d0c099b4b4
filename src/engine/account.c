/*
 * account.c - metadata.account against the caller's account (account.h).
 */
#include "engine/account.h"

#include <stdio.h>
#include <string.h>

#include "aws/sts.h"
#include "manifest/manifest.h"
#include "util/error.h"
#include "util/log.h"

int kw_account_check(struct kw_aws_client *c, const struct kw_manifest *const *m, size_t n,
                     struct kw_error *err)
{
	const struct kw_manifest *first = NULL;
	struct kw_sts_identity id = {0};
	char where[KW_ERR_WHERE_MAX];
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		if (!m[i] || !m[i]->account)
			continue;
		if (!first) {
			first = m[i];
		} else if (strcmp(first->account, m[i]->account)) {
			snprintf(where, sizeof(where), "%s:%u", m[i]->file, m[i]->line);
			return kw_error_set(err, KW_ERR_INVALID, where,
			                    "metadata.account %s differs from %s in %s: one run reaches one "
			                    "account (run one job per account, each with its own role)",
			                    m[i]->account, first->account, first->file);
		}
	}
	if (!first)
		return 0;
	if (kw_sts_get_caller_identity(c, &id, err))
		return -1;
	kw_log(KW_LOG_INFO, "aws: caller %s in account %s", id.arn, id.account);
	for (size_t i = 0; i < n; i++) {
		if (!m[i] || !m[i]->account || !strcmp(m[i]->account, id.account))
			continue;
		snprintf(where, sizeof(where), "%s:%u", m[i]->file, m[i]->line);
		kw_error_set(err, KW_ERR_INVALID, where,
		             "the manifest is for account %s (metadata.account) but the credentials are of "
		             "account %s (%s): nothing was changed",
		             m[i]->account, id.account, id.arn);
		goto out;
	}
	rc = 0;
out:
	kw_sts_identity_release(&id);
	return rc;
}
