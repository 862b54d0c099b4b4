/*
 * accounts.h - the service accounts a command's NAME... arguments stand for (rotate, audit,
 * destroy): each NAME is a manifest file, a folder of manifests, or an IAM user name
 * (names.h decides which). Manifests are loaded together (kw_manifest_load_paths), so two
 * manifests for one account are caught; an account named twice is listed once.
 *
 * Invariants: a struct kw_lc_accounts owns its array and its manifest set; each account's
 * strings are borrowed from that set or from the argv given to kw_lc_accounts_resolve, which
 * must outlive it.
 */
#ifndef KW_LIFECYCLE_ACCOUNTS_H
#define KW_LIFECYCLE_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

struct kw_accounts;
struct kw_aws_client;
struct kw_aws_options;
struct kw_error;
struct kw_manifest;
struct kw_manifest_set;

struct kw_lc_account {
	const char *user;                   /* IAM user name */
	const char *group;                  /* its group (service-<name>), or NULL when unknown */
	const struct kw_manifest *manifest; /* NULL when named by user name */
	/* the client of its AWS account (--role-arn, kw_lc_accounts_reach; borrowed), or NULL:
	 * the run's client */
	struct kw_aws_client *client;
	const struct kw_aws_options *aws_opts; /* that account's client options, or NULL: the run's */
};

struct kw_lc_accounts {
	struct kw_lc_account *v;
	size_t n;
	struct kw_manifest_set *set; /* owned; NULL when no manifest was named */
};

/*
 * kw_lc_accounts_resolve - the accounts names[0..n) stand for, in order of first mention.
 * @out: zeroed on entry; filled, and also on a manifest error (out->set then holds the
 *       diagnostics to print). Release with kw_lc_accounts_release in every case.
 * Returns 0, or -1 with err set (KW_ERR_USAGE / KW_ERR_NOT_FOUND for a NAME that is none of
 * the three, KW_ERR_INVALID for invalid manifests, KW_ERR_NOMEM).
 */
int kw_lc_accounts_resolve(char *const *names, size_t n, struct kw_lc_accounts *out, struct kw_error *err);

/*
 * kw_lc_accounts_check - engine/account.h kw_account_check (metadata.account against the
 * caller's account, before any write) for the manifests among a; names given as IAM user names
 * have no manifest, hence no pin. Returns 0, or -1 with err set.
 */
int kw_lc_accounts_check(struct kw_aws_client *c, const struct kw_lc_accounts *a, struct kw_error *err);

/*
 * kw_lc_accounts_reach - engine/account.h kw_accounts_reach for the manifests among a: without
 * role_arn as kw_lc_accounts_check; with it, each account's AWS account reached through that
 * role (a name given as an IAM user name is an error: it has no metadata.account) and
 * a->v[i].client set to its client, owned by out (release with kw_accounts_release after the
 * last use of a's clients, also on error). Returns 0, or -1 with err set.
 */
int kw_lc_accounts_reach(struct kw_aws_client *c, const struct kw_aws_options *opt, const char *role_arn,
                         struct kw_lc_accounts *a, struct kw_accounts *out, struct kw_error *err);

/*
 * kw_lc_accounts_stdout - whether a rotation of a may write a key on standard output: an
 * account named by IAM user name (rotate --stdout) or a manifest with a stdout target.
 */
bool kw_lc_accounts_stdout(const struct kw_lc_accounts *a);

/* kw_lc_accounts_release - free what a owns; a becomes all zero. */
void kw_lc_accounts_release(struct kw_lc_accounts *a);

#endif
