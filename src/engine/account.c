/*
 * account.c - metadata.account against the caller's account (account.h).
 */
#include "engine/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/sts.h"
#include "manifest/manifest.h"
#include "util/error.h"
#include "util/log.h"

int kw_account_check(struct kw_aws_client *c, const struct kw_manifest *const *m, size_t n,
                     struct kw_error *err)
{
	const struct kw_manifest *first = NULL;
	struct kw_sts_identity id = {0};
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		if (!m[i] || !m[i]->account)
			continue;
		if (!first) {
			first = m[i];
		} else if (strcmp(first->account, m[i]->account)) {
			kw_error_set(err, KW_ERR_INVALID, NULL,
			             "metadata.account %s differs from %s in %s: one run reaches one account "
			             "(run one job per account, each with its own role)",
			             m[i]->account, first->account, first->file);
			return kw_manifest_error_at(err, m[i], m[i]->account_line, m[i]->account_col);
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
		kw_error_set(err, KW_ERR_INVALID, NULL,
		             "the manifest is for account %s (metadata.account) but the credentials are of "
		             "account %s (%s): nothing was changed",
		             m[i]->account, id.account, id.arn);
		kw_manifest_error_at(err, m[i], m[i]->account_line, m[i]->account_col);
		goto out;
	}
	rc = 0;
out:
	kw_sts_identity_release(&id);
	return rc;
}

int kw_role_arn_check(const char *tmpl, struct kw_error *err)
{
	/* arn:PARTITION:iam::{account}:role/[PATH/]NAME */
	const char *p = tmpl, *f[6];
	int n = 0;

	for (f[n++] = p; n < 6 && (p = strchr(p, ':')); f[n++] = ++p)
		;
	if (n == 6 && !strncmp(tmpl, "arn:", 4) && f[1] + 1 < f[2] && !strncmp(f[2], "iam::", 5) &&
	    !strncmp(f[4], KW_ROLE_ARN_ACCOUNT ":", strlen(KW_ROLE_ARN_ACCOUNT) + 1) &&
	    !strncmp(f[5], "role/", 5) && f[5][5] && f[5][strlen(f[5]) - 1] != '/' && !strchr(f[5], ':') &&
	    !strstr(f[5], KW_ROLE_ARN_ACCOUNT))
		return 0;
	return kw_error_set(err, KW_ERR_USAGE, "--role-arn",
	                    "'%s' is not a role ARN with the account as {account} "
	                    "(arn:aws:iam::{account}:role/NAME)",
	                    tmpl);
}

/* tmpl with {account} replaced by id, new string; NULL when out of memory. */
static char *role_for(const char *tmpl, const char *id)
{
	const char *at = strstr(tmpl, KW_ROLE_ARN_ACCOUNT);
	size_t n = strlen(tmpl) - strlen(KW_ROLE_ARN_ACCOUNT) + strlen(id) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%.*s%s%s", (int)(at - tmpl), tmpl, id, at + strlen(KW_ROLE_ARN_ACCOUNT));
	return s;
}

/* Assume the account's role and ask who that is: the account must answer as itself. */
static int reach_one(struct kw_aws_client *c, const struct kw_aws_options *opt, const struct kw_manifest *m,
                     struct kw_account_reach *r, struct kw_error *err)
{
	struct kw_sts_identity id = {0};
	char where[KW_ERR_WHERE_MAX];
	int rc = -1;

	snprintf(where, sizeof(where), "%s:%u:%u", m->file, m->account_line, m->account_col);
	r->opt = *opt;
	r->opt.account = r->id;
	r->opt.role_via = c;
	r->opt.role_arn = r->role_arn;
	if (kw_aws_client_new(&r->opt, &r->c, err) || kw_sts_get_caller_identity(r->c, &id, err)) {
		snprintf(err->where, sizeof(err->where), "%s", where); /* the manifest, not the action */
		kw_error_prefix(err, "account %s (metadata.account) cannot be reached", r->id);
		goto out;
	}
	if (!id.account || strcmp(id.account, r->id)) {
		kw_error_set(err, KW_ERR_INVALID, where,
		             "account %s (metadata.account): %s answers as account %s (%s): nothing "
		             "was changed",
		             r->id, r->role_arn, id.account ? id.account : "?", id.arn ? id.arn : "?");
		goto out;
	}
	r->arn = id.arn;
	id.arn = NULL;
	kw_log(KW_LOG_INFO, "aws: account %s as %s", r->id, r->arn);
	rc = 0;
out:
	kw_sts_identity_release(&id);
	return rc;
}

int kw_accounts_reach(struct kw_aws_client *c, const struct kw_aws_options *opt, const char *role_arn,
                      const struct kw_manifest *const *m, size_t n, struct kw_accounts *out,
                      struct kw_error *err)
{
	char where[KW_ERR_WHERE_MAX];

	memset(out, 0, sizeof(*out));
	if (!role_arn)
		return kw_account_check(c, m, n, err);
	if (kw_role_arn_check(role_arn, err))
		return -1;
	out->of = calloc(n ? n : 1, sizeof(*out->of));
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->of || !out->v)
		return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
	out->nm = n;
	for (size_t i = 0; i < n; i++) { /* every manifest says its account before any call */
		if (!m[i])
			return kw_error_set(err, KW_ERR_USAGE, "--role-arn",
			                    "an account named by its IAM user name has no AWS account: "
			                    "with --role-arn, name its manifest (metadata.account)");
		if (!m[i]->account) {
			snprintf(where, sizeof(where), "%s:%u:%u", m[i]->file, m[i]->line, m[i]->col);
			return kw_error_set(err, KW_ERR_INVALID, where,
			                    "the manifest names no metadata.account: with --role-arn every "
			                    "manifest says which AWS account it is for");
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < out->n && strcmp(out->v[k].id, m[i]->account))
			k++;
		out->of[i] = k;
		if (k < out->n)
			continue;
		snprintf(out->v[k].id, sizeof(out->v[k].id), "%s", m[i]->account);
		if (!(out->v[k].role_arn = role_for(role_arn, m[i]->account)))
			return kw_error_set(err, KW_ERR_NOMEM, NULL, "out of memory");
		out->n++;
		if (reach_one(c, opt, m[i], &out->v[k], err))
			return -1;
	}
	return 0;
}

struct kw_aws_client *kw_accounts_client(const struct kw_accounts *a, size_t i)
{
	return a && a->of && i < a->nm ? a->v[a->of[i]].c : NULL;
}

const struct kw_aws_options *kw_accounts_options(const struct kw_accounts *a, size_t i)
{
	return a && a->of && i < a->nm ? &a->v[a->of[i]].opt : NULL;
}

void kw_accounts_release(struct kw_accounts *a)
{
	for (size_t i = 0; a->v && i < a->n; i++) {
		kw_aws_client_free(a->v[i].c);
		free(a->v[i].role_arn);
		free(a->v[i].arn);
	}
	free(a->v);
	free(a->of);
	memset(a, 0, sizeof(*a));
}
